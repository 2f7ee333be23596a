//! `countersign apikey create|list|revoke`.

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use countersign_domain::ports::clock::rfc3339;
use countersign_domain::Scope;
use serde_json::json;

use super::Output;
use crate::app::App;

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Make a key; prints only the key on standard output, so scripts can capture it.
    Create {
        #[arg(long)]
        name: String,
        /// verify, admin, or verify,admin.
        #[arg(long, default_value = "verify")]
        scope: String,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke the key with this name.
    Revoke { name: String },
}

pub async fn apikey(app: &App, command: ApiKeyCommand, out: &Output) -> Result<ExitCode> {
    match command {
        ApiKeyCommand::Create { name, scope } => {
            let scopes = Scope::parse_list(&scope)?;
            let (key, plain) = app.api_keys.create(&name, scopes).await?;
            out.show(
                &json!({"name": key.name, "scopes": key.scopes, "key": plain}),
                || plain.clone(),
            );
            eprintln!(
                "API key '{}' created with scope {}. It is shown only once: store it now.",
                key.name,
                Scope::join(&key.scopes)
            );
        }
        ApiKeyCommand::List => {
            let keys = app.api_keys.list().await?;
            out.show(&keys, || {
                let mut text = format!(
                    "{:<24} {:<14} {:<12} {:<22} {}",
                    "NAME", "SCOPES", "PREFIX", "CREATED", "REVOKED"
                );
                for k in &keys {
                    text.push_str(&format!(
                        "\n{:<24} {:<14} {:<12} {:<22} {}",
                        k.name,
                        Scope::join(&k.scopes),
                        format!("cs_{}", k.prefix),
                        rfc3339(k.created_at),
                        k.revoked_at.map(rfc3339).unwrap_or_else(|| "-".into())
                    ));
                }
                text
            });
        }
        ApiKeyCommand::Revoke { name } => {
            app.api_keys.revoke(&name).await?;
            out.show(&json!({"revoked": name}), || {
                format!("API key '{name}' revoked")
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}
