//! `countersign token add|list|delete|resync`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use countersign_domain::ports::clock::rfc3339;
use countersign_domain::TokenSpec;
use countersign_otp::{Algorithm, Kind};
use serde_json::json;

use super::Output;
use crate::app::App;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Add a token. Without --secret the server makes a seed and prints the otpauth URI and a QR code.
    Add(AddArgs),
    List {
        username: String,
    },
    Delete {
        username: String,
        id: String,
    },
    /// Realign an HOTP token from two consecutive codes.
    Resync {
        username: String,
        id: String,
        code1: String,
        code2: String,
    },
    /// Import hardware tokens into the pool from a PSKC (RFC 6030) or CSV file.
    Import(super::token_import::ImportArgs),
    /// List the pool: imported tokens by serial, and whom they are assigned to.
    Pool(super::token_import::PoolArgs),
    /// Give a pool token to a user (optionally proven by a current code).
    Assign {
        username: String,
        serial: String,
        /// A code the token shows now, proving the user holds it.
        #[arg(long)]
        code: Option<String>,
    },
    /// Take a token back into the pool.
    Unassign {
        serial: String,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    username: String,
    /// totp, hotp or yubico.
    #[arg(long = "type", default_value = "totp")]
    kind: Kind,
    /// Base32 seed of an existing token (hardware token, migrated app);
    /// for a YubiKey its AES key in hex.
    #[arg(long)]
    secret: Option<String>,
    /// yubico: an OTP the key typed (it gives the public and private ids).
    #[arg(long)]
    code: Option<String>,
    /// sha1, sha256 or sha512.
    #[arg(long)]
    algorithm: Option<Algorithm>,
    #[arg(long)]
    digits: Option<u32>,
    /// TOTP step in seconds: 30 or 60.
    #[arg(long)]
    period: Option<u64>,
    /// HOTP: the token's next counter.
    #[arg(long)]
    counter: Option<u64>,
    /// Also write the QR code as a PNG file.
    #[arg(long)]
    png: Option<PathBuf>,
}

/// Runs one `token` sub-command.
pub async fn token(app: &App, command: TokenCommand, out: &Output) -> Result<ExitCode> {
    match command {
        TokenCommand::Add(args) => add(app, args, out).await?,
        TokenCommand::List { username } => list(app, &username, out).await?,
        TokenCommand::Delete { username, id } => {
            app.accounts.delete_token(&username, &id).await?;
            out.show(&json!({"deleted": id}), || format!("token {id} deleted"));
        }
        TokenCommand::Resync {
            username,
            id,
            code1,
            code2,
        } => {
            app.verifier.resync(&username, &id, &code1, &code2).await?;
            out.show(&json!({"resynchronised": id}), || {
                format!("token {id} resynchronised")
            });
        }
        TokenCommand::Import(args) => return super::token_import::import(app, args, out).await,
        TokenCommand::Pool(args) => super::token_import::pool(app, args, out).await?,
        TokenCommand::Assign {
            username,
            serial,
            code,
        } => assign(app, &username, &serial, code.as_deref(), out).await?,
        TokenCommand::Unassign { serial } => {
            app.pool.unassign(&serial).await?;
            out.show(&json!({"unassigned": serial}), || {
                format!("token {serial} is back in the pool")
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Adds the token, writes the QR code PNG when asked, and shows a new
/// seed's otpauth URI once (with a QR code on a terminal).
async fn add(app: &App, args: AddArgs, out: &Output) -> Result<()> {
    let spec = TokenSpec {
        kind: Some(args.kind),
        secret: args.secret,
        algorithm: args.algorithm,
        digits: args.digits,
        period: args.period,
        counter: args.counter,
        code: args.code,
        ..TokenSpec::default()
    };
    let username = args.username;
    let (token, enrolment) = app.accounts.add_token(&username, spec).await?;
    app.welcome.consider(&username).await?;
    let uri = enrolment.as_ref().map(|e| e.otpauth_uri.clone());
    if let (Some(path), Some(uri)) = (&args.png, &uri) {
        let bytes = countersign_otp::qr::png(uri, 8)?;
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let value = json!({"token": token, "secret": enrolment.as_ref().map(|e| &e.secret), "otpauth_uri": uri});
    out.show(&value, || {
        let mut text = format!(
            "token {} ({} {} {} digits) added for {username}",
            token.id, token.kind, token.algorithm, token.digits
        );
        if let Some(uri) = &uri {
            text.push_str(&format!("\notpauth URI (shown once): {uri}"));
            if std::io::stdout().is_terminal() {
                if let Ok(qr) = countersign_otp::qr::ansi(uri) {
                    text.push_str(&format!("\nScan this with an authenticator app:\n{qr}"));
                }
            }
        }
        text
    });
    Ok(())
}

async fn list(app: &App, username: &str, out: &Output) -> Result<()> {
    let tokens = app.accounts.tokens(username).await?;
    out.show(&tokens, || {
        let mut text = format!(
            "{:<22} {:<5} {:<7} {:<7} {:<22} {}",
            "ID", "TYPE", "ALG", "DIGITS", "CREATED", "LAST USED"
        );
        for t in &tokens {
            text.push_str(&format!(
                "\n{:<22} {:<5} {:<7} {:<7} {:<22} {}",
                t.id,
                t.kind.to_string(),
                t.algorithm.to_string(),
                t.digits,
                rfc3339(t.created_at),
                t.last_used_at.map(rfc3339).unwrap_or_else(|| "-".into())
            ));
        }
        text
    });
    Ok(())
}

/// Gives a pool token to the user, who may then get the welcome message.
async fn assign(
    app: &App,
    username: &str,
    serial: &str,
    code: Option<&str>,
    out: &Output,
) -> Result<()> {
    let token = app.pool.assign(username, serial, code).await?;
    app.welcome.consider(username).await?;
    out.show(&token, || format!("token {serial} assigned to {username}"));
    Ok(())
}
