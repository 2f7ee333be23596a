//! `countersign oidc client add|list|show|remove|rotate-secret` and
//! `countersign oidc keys rotate|list`: the OpenID Provider's relying
//! parties and signing keys.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use countersign_domain::model::oidc::SigningAlg;
use countersign_domain::oidc::{ClientSpec, ClientView, ClientWithSecret};
use serde_json::json;

use super::Output;
use crate::app::App;

#[derive(Debug, Subcommand)]
pub enum OidcCommand {
    /// Relying parties (applications that sign in through Countersign).
    #[command(subcommand)]
    Client(ClientCommand),
    /// The ID token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Add a client; its secret (generated unless --secret-file) is printed once.
    Add(AddArgs),
    List,
    Show {
        name: String,
    },
    Remove {
        name: String,
    },
    /// A new secret (generated unless --secret-file), printed once; the old one stops working.
    RotateSecret {
        name: String,
        #[arg(long)]
        secret_file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// A new signing key; the old one stops signing but stays in the JWKS
    /// until the tokens it signed have expired.
    Rotate {
        /// ES256 (the default key) or RS256.
        #[arg(long, default_value = "ES256")]
        alg: String,
    },
    List,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The name, which is also the client_id.
    #[arg(long)]
    name: String,
    /// A redirect URI, matched exactly; repeat for more.
    #[arg(long = "redirect-uri", required = true)]
    redirect_uris: Vec<String>,
    /// No secret (a single-page or native app); PKCE S256 is required.
    #[arg(long)]
    public: bool,
    /// A file holding the client secret (at least 32 characters); default: one is made.
    #[arg(long, conflicts_with = "public")]
    secret_file: Option<PathBuf>,
    /// Where end-session may send the browser afterwards; repeat for more.
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// Scopes it may ask for (default: openid profile email groups).
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Only members of this group may use it; repeat for more (default: everyone).
    #[arg(long = "allowed-group")]
    allowed_groups: Vec<String>,
    /// ES256 (default) or RS256.
    #[arg(long)]
    signing_alg: Option<String>,
    #[arg(long)]
    id_token_seconds: Option<i64>,
    #[arg(long)]
    access_token_seconds: Option<i64>,
    /// Issue rotating refresh tokens living this long after sign-in.
    #[arg(long)]
    refresh_token_seconds: Option<i64>,
}

fn alg(text: &str) -> Result<SigningAlg> {
    SigningAlg::parse(text).with_context(|| format!("'{text}': use ES256 or RS256"))
}

fn read_secret(path: &Path) -> Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

/// Runs one `oidc` sub-command.
pub async fn oidc(app: &App, command: OidcCommand, out: &Output) -> Result<ExitCode> {
    match command {
        OidcCommand::Client(command) => client(app, command, out).await?,
        OidcCommand::Keys(KeysCommand::Rotate { alg: text }) => {
            let made = app.oidc.keys.rotate(alg(&text)?).await?;
            out.show(&made, || {
                format!(
                    "new {} signing key {}; the old one stays in the JWKS until its tokens expire",
                    made.alg, made.kid
                )
            });
        }
        OidcCommand::Keys(KeysCommand::List) => {
            let keys = app.oidc.keys.list().await?;
            out.show(&keys, || {
                let mut text = format!(
                    "{:<24} {:<6} {:<10} {:<10} {}",
                    "KID", "ALG", "STATE", "PUBLISHED", "USABLE"
                );
                for k in &keys {
                    let state = if k.retired_at.is_some() {
                        "retired"
                    } else {
                        "active"
                    };
                    text.push_str(&format!(
                        "\n{:<24} {:<6} {:<10} {:<10} {}",
                        k.kid, k.alg, state, k.published, k.usable
                    ));
                }
                text
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn client(app: &App, command: ClientCommand, out: &Output) -> Result<()> {
    let clients = &app.oidc.clients;
    match command {
        ClientCommand::Add(args) => {
            let secret = args.secret_file.as_deref().map(read_secret).transpose()?;
            let spec = ClientSpec {
                name: args.name,
                redirect_uris: args.redirect_uris,
                post_logout_redirect_uris: args.post_logout_redirect_uris,
                public: args.public,
                scopes: (!args.scopes.is_empty()).then_some(args.scopes),
                allowed_groups: args.allowed_groups,
                signing_alg: args.signing_alg.as_deref().map(alg).transpose()?,
                id_token_seconds: args.id_token_seconds,
                access_token_seconds: args.access_token_seconds,
                refresh_token_seconds: args.refresh_token_seconds,
            };
            let generated = secret.is_none();
            let made = clients.add(spec, secret).await?;
            out.show(&made, || with_secret("added", &made, generated));
        }
        ClientCommand::List => {
            let list = clients.list().await?;
            out.show(&list, || {
                let mut text = format!(
                    "{:<24} {:<13} {:<6} {}",
                    "NAME (client_id)", "TYPE", "ALG", "REDIRECT URIS"
                );
                for c in &list {
                    let kind = if c.public { "public" } else { "confidential" };
                    text.push_str(&format!(
                        "\n{:<24} {:<13} {:<6} {}",
                        c.name,
                        kind,
                        c.config.signing_alg.as_str(),
                        c.config.redirect_uris.join(" ")
                    ));
                }
                text
            });
        }
        ClientCommand::Show { name } => {
            let c = clients.get(&name).await?;
            out.show(&c, || describe(&c));
        }
        ClientCommand::Remove { name } => {
            clients.remove(&name).await?;
            out.show(&json!({"removed": name}), || {
                format!("OpenID client '{name}' removed (and its grants)")
            });
        }
        ClientCommand::RotateSecret { name, secret_file } => {
            let secret = secret_file.as_deref().map(read_secret).transpose()?;
            let generated = secret.is_none();
            let made = clients.rotate_secret(&name, secret).await?;
            out.show(&made, || {
                with_secret("given a new secret", &made, generated)
            });
        }
    }
    Ok(())
}

fn with_secret(what: &str, made: &ClientWithSecret, generated: bool) -> String {
    let mut text = format!(
        "OpenID client '{}' {what}\n{}",
        made.client.name,
        describe(&made.client)
    );
    if let (true, Some(secret)) = (generated, &made.client_secret) {
        text.push_str(&format!(
            "\nclient_secret: {secret}\n(shown this once; it is stored only as a hash)"
        ));
    }
    text
}

fn describe(c: &ClientView) -> String {
    let k = &c.config;
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(" ")
        }
    };
    format!(
        "client_id:      {}\ntype:           {}\nredirect URIs:  {}\nlogout URIs:    {}\nscopes:         {}\nallowed groups: {}\nsigning alg:    {}\nID token:       {} s\naccess token:   {} s\nrefresh tokens: {}",
        c.client_id,
        if c.public { "public (PKCE required)" } else { "confidential" },
        list(&k.redirect_uris),
        list(&k.post_logout_redirect_uris),
        list(&k.scopes),
        if k.allowed_groups.is_empty() { "everyone".to_string() } else { k.allowed_groups.join(" ") },
        k.signing_alg.as_str(),
        k.id_token_seconds,
        k.access_token_seconds,
        k.refresh_token_seconds.map_or("no".to_string(), |s| format!("{s} s after sign-in")),
    )
}
