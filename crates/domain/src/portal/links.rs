//! One-time enrolment links: made by an administrator (console, CLI) or
//! the welcome email, opened by the user. Opening shows a button; only the
//! button's POST takes the link, so mail scanners that fetch links do not
//! burn it. The store keeps a keyed hash of the token, never the token.

use super::session::hex;
use super::Portal;
use crate::model::error::DomainError;
use crate::model::ids::random_text;
use crate::model::portal::EnrolmentLinkRow;
use crate::model::user::User;

/// The purpose the link's hash is keyed with.
pub const LINK_PURPOSE: &str = "portal-enrolment-link";

/// What opening a link finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    Valid { expires_at: i64 },
    Used,
    Expired,
    Unknown,
}

impl LinkState {
    /// What the user is told when the link does not work.
    pub fn message(&self) -> &'static str {
        match self {
            LinkState::Valid { .. } => "This link is ready to use.",
            LinkState::Used => "This sign-in link was already used. Ask your IT support for a new one, or sign in with your password.",
            LinkState::Expired => "This sign-in link has expired. Ask your IT support for a new one.",
            LinkState::Unknown => "This sign-in link is not valid. Check that you copied all of it, or ask your IT support for a new one.",
        }
    }
}

impl Portal {
    /// Makes a link for `user`; returns the full URL (shown once) and when it expires.
    pub async fn create_link(
        &self,
        user: &User,
        created_by: &str,
    ) -> Result<(String, i64), DomainError> {
        let (row, url) = self.new_link(user, created_by);
        self.store.insert_enrolment_link(&row).await?;
        tracing::info!(user = %user.username, created_by, "enrolment link made");
        Ok((url, row.expires_at))
    }

    /// A new link for `user`, not yet stored, and its URL.
    pub fn new_link(&self, user: &User, created_by: &str) -> (EnrolmentLinkRow, String) {
        let token = random_text(32);
        let now = self.clock.now();
        let row = EnrolmentLinkRow {
            id_hash: self.link_hash(&token),
            user_id: user.id.clone(),
            created_at: now,
            expires_at: now + self.policy.link_seconds,
            used_at: None,
            created_by: Some(created_by.to_string()),
        };
        (row, self.link_url(&token))
    }

    pub fn link_url(&self, token: &str) -> String {
        format!(
            "{}/portal/link/{token}",
            self.policy.public_url.trim_end_matches('/')
        )
    }

    /// What a link is, without using it (the page with the button).
    pub async fn link_state(&self, token: &str) -> Result<LinkState, DomainError> {
        if !plausible(token) {
            return Ok(LinkState::Unknown);
        }
        let Some(row) = self.store.enrolment_link(&self.link_hash(token)).await? else {
            return Ok(LinkState::Unknown);
        };
        Ok(match row {
            EnrolmentLinkRow {
                used_at: Some(_), ..
            } => LinkState::Used,
            row if row.expires_at <= self.clock.now() => LinkState::Expired,
            row => LinkState::Valid {
                expires_at: row.expires_at,
            },
        })
    }

    /// Uses the link once: its enabled user, or why not.
    pub async fn take_link(&self, token: &str) -> Result<Result<User, LinkState>, DomainError> {
        if !plausible(token) {
            return Ok(Err(LinkState::Unknown));
        }
        let now = self.clock.now();
        let Some(user_id) = self
            .store
            .take_enrolment_link(&self.link_hash(token), now)
            .await?
        else {
            return Ok(Err(self.link_state(token).await?));
        };
        match self.store.user_by_id(&user_id).await? {
            Some(user) => Ok(Ok(user)),
            None => Ok(Err(LinkState::Unknown)),
        }
    }

    fn link_hash(&self, token: &str) -> String {
        hex(&self.key.mac(LINK_PURPOSE, token.as_bytes()))
    }
}

fn plausible(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_alphanumeric())
}
