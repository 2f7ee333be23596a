use crate::model::error::DomainError;
use serde::Serialize;

/// What an administrator may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything.
    Admin,
    /// Users: view, create, edit, unlock, enrol, bypass; no settings, keys or clients.
    Helpdesk,
    /// Read only.
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Helpdesk => "helpdesk",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(text: &str) -> Result<Role, DomainError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "helpdesk" => Ok(Role::Helpdesk),
            "auditor" => Ok(Role::Auditor),
            _ => Err(DomainError::invalid(
                "role",
                format!("'{text}' is not a role: use admin, helpdesk or auditor"),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Admin {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// argon2id PHC string; never shown.
    #[serde(skip)]
    pub password_hash: String,
    /// When the administrator's own second factor was enrolled; until
    /// then the console asks for enrolment before anything else.
    pub second_factor_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}
