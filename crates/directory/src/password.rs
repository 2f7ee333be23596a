//! Passwords checked by binding as the user: the entry found with the
//! service account (on AD by the UPN when the name has an `@`), then a
//! bind as its DN on a connection of its own.

use crate::error::describe;
use crate::{BindUser, DirError, Directory};

/// What checking a password found; the caller says neither to the user.
/// `username` is the entry's username attribute: the Countersign user,
/// also when the person typed their UPN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordCheck {
    Right {
        dn: String,
        username: String,
    },
    Wrong {
        username: Option<String>,
    },
    /// No such user under the base and filter.
    Unknown,
    /// AD said the password is right but expired or must change (logged for the admin).
    MustChange {
        dn: String,
        username: String,
        detail: String,
    },
}

impl Directory {
    /// The entry a typed name means: by the username attribute, or on AD
    /// by the UPN when the name has an `@`; `None` unless exactly one.
    async fn find(&self, typed: &str) -> Result<Option<BindUser>, DirError> {
        let s = self.settings();
        let filter = format!("(&{}{})", self.user_filter(), self.by_name(typed));
        let mut service = self.service_connection().await?;
        let base = s.base_dn.clone();
        let found = self
            .search(
                &mut service,
                &base,
                &filter,
                self.attributes(),
                &mut |_| {},
                &mut |e| e,
            )
            .await;
        let _ = service.unbind().await;
        Ok(match found?.as_slice() {
            [one] => Some(BindUser {
                dn: one.dn.clone(),
                username: one
                    .text(&s.attributes.username)
                    .unwrap_or_else(|| typed.to_string()),
            }),
            _ => None,
        })
    }

    /// Checks `password` by binding as the user (the DN found with the service account).
    pub async fn check_password(
        &self,
        typed: &str,
        password: &str,
    ) -> Result<PasswordCheck, DirError> {
        // An empty password is an anonymous bind to most servers: never a right one.
        if password.is_empty() {
            return Ok(PasswordCheck::Wrong { username: None });
        }
        let found = self.find(typed).await?;
        // A bind all the same, so an unknown name costs what a wrong password does.
        let dn = match &found {
            Some(f) => f.dn.clone(),
            None => self.absent_dn(),
        };
        let result = self.bind_as(&dn, password).await?;
        let Some(BindUser { dn, username }) = found else {
            return Ok(PasswordCheck::Unknown);
        };
        Ok(
            match (result.rc, crate::error::ad_data(&result.text).as_deref()) {
                (0, _) => PasswordCheck::Right { dn, username },
                (49, Some("532" | "773")) => PasswordCheck::MustChange {
                    dn,
                    username,
                    detail: describe(result.rc, &result.text),
                },
                (49, code) => {
                    // Disabled, locked or expired on AD: worth a line for the administrator.
                    if let Some(code) = code.filter(|c| *c != "52e") {
                        tracing::info!(dn = %dn, detail = %describe(result.rc, &result.text), code, "directory refused the user's bind");
                    }
                    PasswordCheck::Wrong {
                        username: Some(username),
                    }
                }
                (rc, _) => {
                    return Err(DirError::Search {
                        base: dn,
                        filter: "(bind as the user)".into(),
                        reason: describe(rc, &result.text),
                    })
                }
            },
        )
    }
}
