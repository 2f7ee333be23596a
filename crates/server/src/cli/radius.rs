//! `countersign radius client add|list|remove`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use countersign_domain::admin::radius_clients::RadiusClientSpec;
use countersign_domain::model::radius::{FirstFactor, Flow};
use countersign_domain::signin::DoorRules;
use serde_json::json;

use super::Output;
use crate::app::App;

#[derive(Debug, Subcommand)]
pub enum RadiusCommand {
    /// RADIUS clients (VPN concentrators, gateways, access points).
    #[command(subcommand)]
    Client(ClientCommand),
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Add a client. A running server picks it up within 5 seconds.
    Add(AddArgs),
    List,
    Remove {
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(long)]
    name: String,
    /// Its address, or a CIDR block such as 10.0.0.0/24.
    #[arg(long)]
    address: String,
    /// The shared secret (at least 16 characters). Prefer --secret-file: arguments show in `ps`.
    #[arg(long, conflicts_with = "secret_file")]
    secret: Option<String>,
    /// A file holding the shared secret.
    #[arg(long)]
    secret_file: Option<PathBuf>,
    /// otp: the password is the code; challenge: the code is asked for in a second round.
    #[arg(long, default_value = "otp")]
    flow: String,
    /// none: the client checked the password; radius: forward it to --upstream; ldap: bind as the user in [directory].
    #[arg(long, default_value = "none")]
    first_factor: String,
    /// host:port of the upstream RADIUS server (with --first-factor radius).
    #[arg(long)]
    upstream: Option<String>,
    /// A file holding the upstream server's shared secret.
    #[arg(long)]
    upstream_secret_file: Option<PathBuf>,
    /// Accept requests without Message-Authenticator (old equipment; open to BlastRADIUS).
    #[arg(long)]
    allow_missing_message_authenticator: bool,
    /// Accept the upstream's answers without Message-Authenticator (an
    /// upstream that cannot add it; open to BlastRADIUS, logged at start).
    #[arg(long)]
    allow_upstream_without_message_authenticator: bool,
    /// false: users who are unknown or have no method are let through
    /// (audited as not_enrolled), for a staged roll-out.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    require_user_match: bool,
    /// When a push times out or the user has no device, ask for an OATH code instead of rejecting.
    #[arg(long)]
    fallback_otp: bool,
}

/// Runs one `radius client` sub-command.
pub async fn radius(app: &App, command: RadiusCommand, out: &Output) -> Result<ExitCode> {
    let RadiusCommand::Client(command) = command;
    let service = &app.radius_clients;
    match command {
        ClientCommand::Add(args) => {
            let added = service.add(client_spec(args)?).await?;
            out.show(&added, || {
                format!(
                    "RADIUS client '{}' added for {} ({} flow)",
                    added.name,
                    added.address,
                    added.flow.as_str()
                )
            });
        }
        ClientCommand::List => list(app, out).await?,
        ClientCommand::Remove { name } => {
            service.remove(&name).await?;
            out.show(&json!({"removed": name}), || {
                format!("RADIUS client '{name}' removed")
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks the flags and reads the secret files into a client to add.
fn client_spec(args: AddArgs) -> Result<RadiusClientSpec> {
    let secret = match (args.secret, args.secret_file) {
        (Some(secret), _) => secret,
        (None, Some(file)) => read_secret(&file)?,
        (None, None) => {
            bail!("give the shared secret with --secret-file FILE (or --secret)")
        }
    };
    let flow = &args.flow;
    let first_factor = &args.first_factor;
    Ok(RadiusClientSpec {
        name: args.name,
        address: args.address,
        secret,
        flow: Flow::parse(flow)
            .with_context(|| format!("--flow '{flow}': use otp or challenge"))?,
        first_factor: FirstFactor::parse(first_factor).with_context(|| {
            format!("--first-factor '{first_factor}': use none, radius or ldap")
        })?,
        upstream: args.upstream,
        upstream_secret: args
            .upstream_secret_file
            .as_deref()
            .map(read_secret)
            .transpose()?,
        require_message_authenticator: !args.allow_missing_message_authenticator,
        upstream_require_message_authenticator: !args.allow_upstream_without_message_authenticator,
        rules: DoorRules {
            require_user_match: args.require_user_match,
            fallback_otp: args.fallback_otp,
        },
    })
}

async fn list(app: &App, out: &Output) -> Result<()> {
    let clients = app.radius_clients.list().await?;
    out.show(&clients, || {
        let mut text = format!(
            "{:<20} {:<20} {:<10} {:<8} {:<22} {:<18} {}",
            "NAME", "ADDRESS", "FLOW", "FIRST", "UPSTREAM", "MESSAGE-AUTH", "RULES"
        );
        for c in &clients {
            text.push_str(&format!(
                "\n{:<20} {:<20} {:<10} {:<8} {:<22} {:<18} {}",
                c.name,
                c.address,
                c.flow.as_str(),
                c.first_factor.as_str(),
                c.upstream.as_deref().unwrap_or("-"),
                if c.require_message_authenticator {
                    "required"
                } else {
                    "optional (unsafe)"
                },
                rules_text(&c.rules)
            ));
        }
        text
    });
    Ok(())
}

fn read_secret(path: &std::path::Path) -> Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

fn rules_text(rules: &DoorRules) -> String {
    let mut words = Vec::new();
    if !rules.require_user_match {
        words.push("unenrolled pass");
    }
    if rules.fallback_otp {
        words.push("fallback otp");
    }
    if words.is_empty() {
        "-".into()
    } else {
        words.join(", ")
    }
}
