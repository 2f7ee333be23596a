//! The token pool: hardware tokens imported from their vendor's file
//! (PSKC, CSV) that wait, by serial number, to be handed to a user.
//!
//! A pool token is a `tokens` row without a user. Assigning one sets the
//! user (one UPDATE that only succeeds while it has none); unassigning
//! clears it, keeping the counter, so an old code stays used. Seeds are
//! sealed as every seed is (`countersign:tokens:<id>:secret`), so a token
//! moves between pool and user without being opened.

use crate::model::pool::PoolQuery;
use crate::model::pool::PoolToken;

mod import;

use std::sync::Arc;

use crate::admin::accounts::Accounts;
use crate::crypto::SecretKey;
use crate::model::error::DomainError;
use crate::model::token::{StoredToken, Token};
use crate::ports::clock::Clock;
use crate::signin::matching::{self, Match, Window};

pub use import::{Failure, ImportReport};

#[derive(Clone)]
pub struct TokenPool {
    store: Arc<dyn crate::ports::Store>,
    clock: Arc<dyn Clock>,
    key: SecretKey,
    accounts: Accounts,
    window: Window,
}

impl TokenPool {
    pub fn new(
        store: Arc<dyn crate::ports::Store>,
        clock: Arc<dyn Clock>,
        key: SecretKey,
        accounts: Accounts,
        window: Window,
    ) -> Self {
        Self {
            store,
            clock,
            key,
            accounts,
            window,
        }
    }

    pub async fn list(&self, query: &PoolQuery) -> Result<Vec<PoolToken>, DomainError> {
        let mut query = query.clone();
        query.limit = query.limit.clamp(1, 1000);
        let rows = self.store.pool_tokens(&query).await?;
        Ok(rows
            .into_iter()
            .map(|(token, assigned_to)| PoolToken {
                token: token.view(),
                assigned_to,
            })
            .collect())
    }

    /// Gives the pool token `serial` to `username`. With a `code`, the
    /// token must show it (proof the person holds it); the code is then
    /// used up like any accepted code.
    pub async fn assign(
        &self,
        username: &str,
        serial: &str,
        code: Option<&str>,
    ) -> Result<Token, DomainError> {
        let user = self.accounts.user(username).await?;
        let (token, owner) = self
            .store
            .token_by_serial(serial.trim())
            .await?
            .ok_or_else(|| DomainError::not_found("token", serial))?;
        if let Some(owner) = owner {
            let whose = if owner == user.id {
                "this user"
            } else {
                "another user"
            };
            return Err(DomainError::Conflict(format!(
                "token {serial} is already assigned to {whose}; unassign it first"
            )));
        }
        if let Some(code) = code {
            self.prove(&token, code.trim()).await?;
        }
        if !self
            .store
            .assign_token(token.serial.as_deref().unwrap_or(serial.trim()), &user.id)
            .await?
        {
            return Err(DomainError::Conflict(format!(
                "token {serial} was assigned by someone else meanwhile"
            )));
        }
        tracing::info!(user = %user.username, token = %token.id, "pool token assigned");
        let mut token = token;
        token.user_id = user.id;
        Ok(token.view())
    }

    async fn prove(&self, token: &StoredToken, code: &str) -> Result<(), DomainError> {
        let secret = self
            .key
            .open("tokens", &token.id, "secret", &token.sealed_secret)?;
        let now = self.clock.now();
        let wrong = || {
            DomainError::invalid(
                "code",
                "is not a current code of this token; press its button and try again",
            )
        };
        match matching::find(token, &secret, code, now, self.window) {
            Match::Fresh { used, drift } => {
                if self
                    .store
                    .advance_token(&token.id, used, drift, now)
                    .await?
                {
                    Ok(())
                } else {
                    Err(wrong())
                }
            }
            Match::Reused | Match::NoMatch => Err(wrong()),
        }
    }

    /// Whether a token has this serial (`None`) and whose it is (`Some(None)`: the pool's).
    pub async fn owner_of(&self, serial: &str) -> Result<Option<Option<String>>, DomainError> {
        Ok(self
            .store
            .token_by_serial(serial.trim())
            .await?
            .map(|(_, owner)| owner))
    }

    /// Takes the token `serial` back into the pool.
    pub async fn unassign(&self, serial: &str) -> Result<(), DomainError> {
        if self.store.token_by_serial(serial.trim()).await?.is_none() {
            return Err(DomainError::not_found("token", serial));
        }
        if !self.store.unassign_token(serial.trim()).await? {
            return Err(DomainError::Conflict(format!(
                "token {serial} is not assigned"
            )));
        }
        tracing::info!(serial = %serial, "pool token unassigned");
        Ok(())
    }
}
