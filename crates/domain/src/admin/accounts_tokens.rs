//! A user's OATH tokens as the API, the console and the portal list them
//! (never the secret), and removing one.

use super::Accounts;
use crate::model::error::DomainError;
use crate::model::token::{StoredToken, Token};
use crate::model::user::User;

impl Accounts {
    pub async fn tokens(&self, username: &str) -> Result<Vec<Token>, DomainError> {
        let found = self.user(username).await?;
        self.tokens_of(&found).await
    }

    /// The tokens of a user already read (the portal's own user).
    pub async fn tokens_of(&self, owner: &User) -> Result<Vec<Token>, DomainError> {
        let rows = self.store.tokens_of_user(&owner.id).await?;
        Ok(rows.iter().map(StoredToken::view).collect())
    }

    pub async fn delete_token(&self, username: &str, token_id: &str) -> Result<(), DomainError> {
        let found = self.user(username).await?;
        if self.store.delete_token(&found.id, token_id).await? {
            Ok(())
        } else {
            Err(DomainError::not_found("token", token_id))
        }
    }
}
