//! Console administrators: local accounts with an argon2id password and
//! one role. `countersign admin add|list|remove|reset` manages them; the
//! console signs them in (password here, second factor through the engine).

use crate::model::admin::Admin;
use crate::model::admin::Role;
use crate::ports::admins::AdminStore;

use std::sync::Arc;

use crate::crypto::pin::{argon2id, argon2id_matches_pooled};
use crate::model::error::DomainError;
use crate::model::ids::{new_id, random_text};
use crate::model::user::username_key;
use crate::ports::clock::Clock;
use crate::throttle::WorkPool;

/// The shortest password accepted for an administrator.
pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Clone)]
pub struct Admins {
    store: Arc<dyn AdminStore>,
    clock: Arc<dyn Clock>,
    /// Where password checks run (bounded, off the async workers).
    pool: WorkPool,
}

/// A password given by the operator, or one generated to be shown once.
pub enum NewPassword {
    Given(String),
    Generate,
}

impl Admins {
    pub fn new(store: Arc<dyn AdminStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            pool: WorkPool::default(),
        }
    }

    /// Checks passwords on the node's shared work pool.
    pub fn with_pool(mut self, pool: WorkPool) -> Self {
        self.pool = pool;
        self
    }

    /// Adds an administrator; returns it and the generated password, if one was made.
    pub async fn add(
        &self,
        name: &str,
        role: Role,
        password: NewPassword,
    ) -> Result<(Admin, Option<String>), DomainError> {
        validate_name(name)?;
        let (plain, generated) = choose_password(password)?;
        let now = self.clock.now();
        let admin = Admin {
            id: new_id("adm"),
            name: name.to_string(),
            role,
            password_hash: argon2id(&plain, "password")?,
            second_factor_at: None,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_admin(&admin).await?;
        Ok((admin, generated.then_some(plain)))
    }

    pub async fn list(&self) -> Result<Vec<Admin>, DomainError> {
        Ok(self.store.list_admins().await?)
    }

    pub async fn get(&self, name: &str) -> Result<Admin, DomainError> {
        self.store
            .admin_by_name(name)
            .await?
            .ok_or_else(|| DomainError::not_found("administrator", name))
    }

    pub async fn remove(&self, name: &str) -> Result<(), DomainError> {
        match self.store.delete_admin(name).await? {
            true => Ok(()),
            false => Err(DomainError::not_found("administrator", name)),
        }
    }

    /// Sets a new password; returns it when generated.
    pub async fn reset(
        &self,
        name: &str,
        password: NewPassword,
    ) -> Result<Option<String>, DomainError> {
        let admin = self.get(name).await?;
        let (plain, generated) = choose_password(password)?;
        let hash = argon2id(&plain, "password")?;
        self.store
            .set_admin_password(&admin.id, &hash, self.clock.now())
            .await?;
        Ok(generated.then_some(plain))
    }

    /// The administrator when the name and password match, else `None`.
    /// Unknown names cost one hash too, so timing does not tell which was wrong.
    pub async fn check_password(
        &self,
        name: &str,
        password: &str,
    ) -> Result<Option<Admin>, DomainError> {
        let found = self.store.admin_by_name(name).await?;
        let hash = found
            .as_ref()
            .map(|a| a.password_hash.as_str())
            .unwrap_or(crate::crypto::pin::dummy_hash());
        let matches = argon2id_matches_pooled(&self.pool, password, hash).await?;
        Ok(found.filter(|_| matches))
    }
}

fn choose_password(password: NewPassword) -> Result<(String, bool), DomainError> {
    match password {
        NewPassword::Given(text) => {
            let text = text.trim_end_matches(['\r', '\n']).to_string();
            if text.chars().count() < MIN_PASSWORD_CHARS {
                return Err(DomainError::invalid(
                    "password",
                    format!("must be at least {MIN_PASSWORD_CHARS} characters"),
                ));
            }
            Ok((text, false))
        }
        // 24 characters of a 32-letter alphabet: 120 bits.
        NewPassword::Generate => Ok((random_text(24), true)),
    }
}

pub fn validate_name(name: &str) -> Result<(), DomainError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "name",
            "1 to 64 letters, digits, '.', '-', '_' or '@'",
        ))
    }
}

/// The case-insensitive key names are unique by.
pub fn name_key(name: &str) -> String {
    username_key(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_in_any_case_and_refuse_others() {
        assert_eq!(Role::parse("HelpDesk").ok(), Some(Role::Helpdesk));
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn short_passwords_are_refused_and_generated_ones_are_long() {
        assert!(choose_password(NewPassword::Given("short".into())).is_err());
        let (plain, generated) = choose_password(NewPassword::Generate).expect("generated");
        assert!(generated && plain.len() == 24);
    }

    #[test]
    fn the_dummy_hash_parses_so_unknown_names_cost_a_hash() {
        let dummy = crate::crypto::pin::dummy_hash();
        assert!(argon2::password_hash::PasswordHash::new(dummy).is_ok());
        assert!(!crate::crypto::pin::argon2id_matches("anything", dummy));
    }

    #[test]
    fn names_are_checked() {
        assert!(validate_name("alice.admin").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("a b").is_err());
        assert!(validate_name("admin/alice").is_err());
    }
}
