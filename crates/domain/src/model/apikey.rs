use crate::model::error::DomainError;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// May call `POST /api/v1/verify`.
    Verify,
    /// May manage users, tokens and read the audit trail.
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Verify => "verify",
            Scope::Admin => "admin",
        }
    }

    /// Parses a comma-separated list such as `verify,admin`.
    pub fn parse_list(text: &str) -> Result<Vec<Scope>, DomainError> {
        let mut scopes = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let scope = match part {
                "verify" => Scope::Verify,
                "admin" => Scope::Admin,
                other => {
                    return Err(DomainError::invalid(
                        "scope",
                        format!(
                            "'{other}' is not a scope: use verify, admin or both (verify,admin)"
                        ),
                    ))
                }
            };
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err(DomainError::invalid(
                "scope",
                "give at least one scope: verify, admin",
            ));
        }
        Ok(scopes)
    }

    pub fn join(scopes: &[Scope]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub prefix: String,
    #[serde(skip)]
    pub hash: Vec<u8>,
    pub scopes: Vec<Scope>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// When the key last authenticated a request (to the minute).
    pub last_used_at: Option<i64>,
}

impl ApiKey {
    pub fn allows(&self, scope: Scope) -> bool {
        self.revoked_at.is_none() && self.scopes.contains(&scope)
    }
}
