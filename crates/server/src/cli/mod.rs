//! Operator commands that work on the store directly (no server needed).
//! People get readable text; `--json` gives scripts one JSON document.

mod admins;
mod apikeys;
mod audit;
mod devices;
mod directory;
mod groups;
mod messages;
mod oidc;
mod radius;
mod rules;
mod settings;
mod tls;
mod token_import;
mod tokens;
mod user_import;
mod users;

use std::process::ExitCode;

use anyhow::Result;
use countersign_domain::{Attempt, Reason, Source, Step};
use serde::Serialize;
use serde_json::json;

use crate::app::App;

pub use admins::{admin, AdminCommand};
pub use apikeys::{apikey, ApiKeyCommand};
pub use audit::{audit, AuditCommand};
pub use devices::{device, DeviceCommand};
pub use directory::{directory, DirectoryCommand};
pub use groups::{group, GroupCommand};
pub use messages::{message, MessageCommand};
pub use oidc::{oidc, OidcCommand};
pub use radius::{radius, RadiusCommand};
pub use rules::{rule, RuleCommand};
pub use settings::{settings, SettingsCommand};
pub use tls::{tls, TlsCommand};
pub use tokens::{token, TokenCommand};
pub use users::{user, UserCommand};

pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `value` as JSON, or the human text `text` makes.
    pub fn show<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            );
        } else {
            println!("{}", text());
        }
    }
}

/// Formats optional text for tables.
pub fn or_dash(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("-")
}

pub async fn migrate(app: &App, _status_only: bool, out: &Output) -> Result<ExitCode> {
    // Opening the app already applied pending migrations; report where we stand.
    let status = countersign_store::migrate::status(&app.sql).await?;
    let rows: Vec<_> = status
        .iter()
        .map(|m| json!({"version": m.version, "description": m.description, "applied": m.applied}))
        .collect();
    out.show(&rows, || {
        status
            .iter()
            .map(|m| {
                format!(
                    "{:>4}  {:<8} {}",
                    m.version,
                    if m.applied { "applied" } else { "pending" },
                    m.description
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(ExitCode::SUCCESS)
}

/// `countersign verify USER CODE`: one attempt through the sign-in engine,
/// as an application's would be (the code implies the otp method).
pub async fn verify(app: &App, username: &str, code: &str, out: &Output) -> Result<ExitCode> {
    let attempt = Attempt {
        username: username.to_string(),
        code: Some(code.to_string()),
        source: Source {
            client: Some("cli".into()),
            address: None,
            rule: None,
        },
        ..Attempt::default()
    };
    let (result, reason) = match app.signin.start(&attempt).await? {
        Step::Accepted { .. } => ("accepted", None),
        Step::Rejected { reason } => ("rejected", Some(reason)),
        // A code always decides; anything else is a method that needs a person.
        Step::Challenge { .. } | Step::Pending { .. } => ("rejected", Some(Reason::NoMethod)),
    };
    let value = json!({"result": result, "reason": reason.map(|r| r.as_str())});
    out.show(&value, || match reason {
        None => "accepted".to_string(),
        Some(r) => format!("rejected: {} ({})", r.as_str(), r.message()),
    });
    Ok(if reason.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
