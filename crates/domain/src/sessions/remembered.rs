//! Remembered browsers: after a full sign-in at a browser door the user may
//! have the browser remembered for the days the matching rule gives. The
//! cookie carries a random token; the store keeps its keyed hash, the user
//! it is bound to, a label and when it ends. Whether a remembered browser
//! skips the second factor is the engine's decision
//! (`signin/remembered.rs`), never the door's.

use std::sync::Arc;

use crate::crypto::SecretKey;
use crate::model::error::DomainError;
use crate::model::ids::{new_id, random_text};
use crate::model::remembered::{browser_label, RememberedDevice, MAX_REMEMBER_DAYS};
use crate::model::user::User;
use crate::ports::clock::Clock;
use crate::ports::RememberedStore;

/// The cookie's name, the same for every browser door (path `/`): a
/// browser remembered at the portal is remembered at /sso too.
pub const REMEMBERED_COOKIE: &str = "countersign_device";

const PURPOSE: &str = "remembered-device";

#[derive(Clone)]
pub struct RememberedDevices {
    store: Arc<dyn RememberedStore>,
    clock: Arc<dyn Clock>,
    key: SecretKey,
}

impl RememberedDevices {
    pub fn new(store: Arc<dyn RememberedStore>, clock: Arc<dyn Clock>, key: SecretKey) -> Self {
        Self { store, clock, key }
    }

    /// Remembers this browser for `user` for `days` (at most a year):
    /// the cookie's token (shown once) and the row.
    pub async fn remember(
        &self,
        user: &User,
        days: u32,
        user_agent: Option<&str>,
    ) -> Result<(String, RememberedDevice), DomainError> {
        if days == 0 {
            return Err(DomainError::invalid(
                "remember_device_days",
                "no rule lets this browser be remembered",
            ));
        }
        let token = random_text(32);
        let now = self.clock.now();
        let device = RememberedDevice {
            id: new_id("rmb"),
            user_id: user.id.clone(),
            token_hash: self.hash(&token),
            label: browser_label(user_agent),
            created_at: now,
            last_used_at: None,
            expires_at: now + i64::from(days.min(MAX_REMEMBER_DAYS)) * 86_400,
        };
        self.store.insert_remembered(&device).await?;
        tracing::info!(user = %user.username, device = %device.id, days, "browser remembered");
        Ok((token, device))
    }

    /// The user's browser this token names, if it is theirs and not past
    /// its end; its last use is moved to now. Anything else is `None`.
    pub(crate) async fn recognise(
        &self,
        user_id: &str,
        token: &str,
    ) -> Result<Option<RememberedDevice>, DomainError> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let Some(device) = self.store.remembered_by_hash(&self.hash(token)).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if device.user_id != user_id || device.expires_at <= now {
            return Ok(None);
        }
        self.store.touch_remembered(&device.id, now).await?;
        Ok(Some(RememberedDevice {
            last_used_at: Some(now),
            ..device
        }))
    }

    /// The user's remembered browsers that have not ended, newest first.
    pub async fn list(&self, user_id: &str) -> Result<Vec<RememberedDevice>, DomainError> {
        let now = self.clock.now();
        let mut all = self.store.remembered_of(user_id).await?;
        all.retain(|d| d.expires_at > now);
        Ok(all)
    }

    /// Forgets one browser of the user's; not found when it is not theirs.
    pub async fn forget(&self, user_id: &str, id: &str) -> Result<(), DomainError> {
        match self.store.delete_remembered(user_id, id).await? {
            true => Ok(()),
            false => Err(DomainError::not_found("remembered browser", id)),
        }
    }

    /// Forgets every browser of the user's: how many.
    pub async fn forget_all(&self, user_id: &str) -> Result<u64, DomainError> {
        Ok(self.store.delete_remembered_of(user_id).await?)
    }

    /// Removes rows past their end (`recognise` refuses them anyway).
    pub async fn sweep(&self) -> Result<u64, DomainError> {
        Ok(self
            .store
            .delete_expired_remembered(self.clock.now())
            .await?)
    }

    fn hash(&self, token: &str) -> String {
        let mac = self.key.mac(PURPOSE, token.as_bytes());
        mac.iter().map(|b| format!("{b:02x}")).collect()
    }
}
