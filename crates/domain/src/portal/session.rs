//! Portal sessions: like the console's (rows in the store, a keyed hash of
//! the cookie's token, idle and absolute limits, a new token when the
//! second factor is passed), for users, with a sealed working state.

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::Portal;
use crate::model::error::DomainError;
use crate::model::ids::random_text;
use crate::model::portal::PortalSessionRow;
use crate::model::user::User;
use crate::sessions::console::Closed;
use crate::signin::Method;

/// How far a portal session has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortalStage {
    /// First factor passed; the second factor is under way.
    SecondFactor,
    /// First factor passed by a user with no method while enrolment is
    /// allowed: enrolling is all this session may do.
    Enrol,
    SignedIn,
}

impl PortalStage {
    pub fn as_str(self) -> &'static str {
        match self {
            PortalStage::SecondFactor => "second_factor",
            PortalStage::Enrol => "enrol",
            PortalStage::SignedIn => "signed_in",
        }
    }

    pub fn parse(text: &str) -> Option<PortalStage> {
        [
            PortalStage::SecondFactor,
            PortalStage::Enrol,
            PortalStage::SignedIn,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A second factor under way (sign-in, or a test of the user's method).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Underway {
    pub method: Method,
    /// The `chl_`/`ptx_` transaction; `None` for an OATH code.
    pub transaction_id: Option<String>,
    pub number: Option<i64>,
    pub prompt: String,
}

/// A phone number or email address waiting for the code sent to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingContact {
    /// `sms` or `email`.
    pub channel: String,
    pub address: String,
    /// Keyed hash of the code (hex).
    pub code_mac: String,
    pub expires_at: i64,
    pub attempts: u32,
}

/// The session's working state, sealed in the row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionData {
    pub underway: Option<Underway>,
    /// A test of the user's method from the signed-in pages.
    pub test: Option<Underway>,
    /// Base32 seed of a TOTP token shown but not yet confirmed by a code.
    pub totp_secret: Option<String>,
    pub contact: Option<PendingContact>,
    /// Devices the user had when an activation code was made (to see the new one).
    pub devices_before: Option<usize>,
    /// The activation code shown for the authenticator (until it activates).
    pub activation_code: Option<String>,
    pub activation_expires_at: Option<i64>,
    /// Codes sent for contact changes in this session (a per-session limit).
    pub contact_codes_sent: u32,
}

/// A live portal session with its user.
#[derive(Debug, Clone)]
pub struct PortalLive {
    pub id_hash: String,
    pub user: User,
    pub stage: PortalStage,
    pub csrf: String,
    pub data: SessionData,
    pub created_at: i64,
    pub address: Option<String>,
}

const TOUCH_EVERY_SECONDS: i64 = 60;

impl Portal {
    /// Opens a session; returns the cookie's token (shown once).
    pub async fn open_session(
        &self,
        user: &User,
        stage: PortalStage,
        data: SessionData,
        address: Option<String>,
    ) -> Result<(String, PortalLive), DomainError> {
        self.open_since(user, stage, data, address, self.clock.now())
            .await
    }

    async fn open_since(
        &self,
        user: &User,
        stage: PortalStage,
        data: SessionData,
        address: Option<String>,
        created_at: i64,
    ) -> Result<(String, PortalLive), DomainError> {
        let token = random_text(32);
        let id_hash = self.session_hash(&token);
        let row = PortalSessionRow {
            id_hash: id_hash.clone(),
            user_id: user.id.clone(),
            stage: stage.as_str().to_string(),
            csrf: random_text(32),
            data: Some(self.seal_data(&id_hash, &data)?),
            created_at,
            last_seen_at: self.clock.now(),
            address: address.clone(),
        };
        self.store.insert_portal_session(&row).await?;
        let live = PortalLive {
            id_hash,
            user: user.clone(),
            stage,
            csrf: row.csrf,
            data,
            created_at,
            address,
        };
        Ok((token, live))
    }

    /// The live session of a cookie's token; an expired one is removed. A
    /// user who is disabled meanwhile has no session any more.
    pub async fn find_session(
        &self,
        token: &str,
    ) -> Result<Result<PortalLive, Closed>, DomainError> {
        let id_hash = self.session_hash(token);
        let Some(row) = self.store.portal_session(&id_hash).await? else {
            return Ok(Err(Closed::Unknown));
        };
        let now = self.clock.now();
        let closed = if now - row.created_at >= self.sessions.absolute_seconds {
            Some(Closed::TooOld)
        } else if now - row.last_seen_at >= self.sessions.idle_seconds {
            Some(Closed::Idle)
        } else {
            None
        };
        if let Some(closed) = closed {
            self.store.delete_portal_session(&id_hash).await?;
            return Ok(Err(closed));
        }
        let user = self.store.user_by_id(&row.user_id).await?;
        let (Some(user), Some(stage)) =
            (user.filter(|u| u.enabled), PortalStage::parse(&row.stage))
        else {
            self.store.delete_portal_session(&id_hash).await?;
            return Ok(Err(Closed::Unknown));
        };
        if now - row.last_seen_at >= TOUCH_EVERY_SECONDS {
            self.store.touch_portal_session(&id_hash, now).await?;
        }
        let data = match &row.data {
            Some(sealed) => self.open_data(&id_hash, sealed),
            None => SessionData::default(),
        };
        Ok(Ok(PortalLive {
            id_hash,
            user,
            stage,
            csrf: row.csrf,
            data,
            created_at: row.created_at,
            address: row.address,
        }))
    }

    /// Moves a session on under a new token (the absolute limit still counts
    /// from the first factor); the working state starts afresh.
    pub async fn advance_session(
        &self,
        live: &PortalLive,
        stage: PortalStage,
    ) -> Result<(String, PortalLive), DomainError> {
        self.store.delete_portal_session(&live.id_hash).await?;
        let user = self
            .store
            .user_by_id(&live.user.id)
            .await?
            .unwrap_or_else(|| live.user.clone());
        self.open_since(
            &user,
            stage,
            SessionData::default(),
            live.address.clone(),
            live.created_at,
        )
        .await
    }

    pub async fn save_session_data(&self, live: &PortalLive) -> Result<(), DomainError> {
        let sealed = self.seal_data(&live.id_hash, &live.data)?;
        Ok(self
            .store
            .save_portal_session_data(&live.id_hash, Some(&sealed))
            .await?)
    }

    pub async fn end_session(&self, id_hash: &str) -> Result<(), DomainError> {
        Ok(self.store.delete_portal_session(id_hash).await?)
    }

    /// Signs the user out of the portal on every device.
    pub async fn end_all_sessions(&self, user_id: &str) -> Result<u64, DomainError> {
        Ok(self.store.delete_user_portal_sessions(user_id).await?)
    }

    /// Removes expired sessions (now and then; `find_session` refuses them anyway).
    pub async fn sweep_sessions(&self) -> Result<u64, DomainError> {
        let now = self.clock.now();
        Ok(self
            .store
            .delete_stale_portal_sessions(
                now - self.sessions.idle_seconds,
                now - self.sessions.absolute_seconds,
            )
            .await?)
    }

    /// The `csrf` value of the sign-in forms, bound to the pre-session cookie.
    pub fn login_csrf(&self, pre_token: &str) -> String {
        let mac = self.key.mac("portal-login-csrf", pre_token.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
    }

    fn session_hash(&self, token: &str) -> String {
        hex(&self.key.mac("portal-session", token.as_bytes()))
    }

    fn seal_data(&self, id_hash: &str, data: &SessionData) -> Result<String, DomainError> {
        let plain =
            serde_json::to_vec(data).map_err(|e| DomainError::invalid("session", e.to_string()))?;
        let sealed = self.key.seal("portal_sessions", id_hash, "data", &plain);
        Ok(base64::engine::general_purpose::STANDARD.encode(sealed))
    }

    /// A state that no longer opens (a key change) is simply empty.
    fn open_data(&self, id_hash: &str, sealed: &str) -> SessionData {
        base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .ok()
            .and_then(|bytes| {
                self.key
                    .open("portal_sessions", id_hash, "data", &bytes)
                    .ok()
            })
            .and_then(|plain| serde_json::from_slice(&plain).ok())
            .unwrap_or_default()
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
