//! `countersign user add|list|show|update|disable|enable|unlock|bypass|delete`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use countersign_domain::model::method::{join_list, parse_list};
use countersign_domain::ports::clock::rfc3339;
use countersign_domain::{Method, NewUser, User, UserPatch, UserQuery};
use serde_json::json;

use super::{or_dash, Output};
use crate::app::App;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Add {
        username: String,
        #[command(flatten)]
        profile: Profile,
    },
    /// List users, ordered by username.
    List {
        /// Text to find in username, display name or email.
        #[arg(long)]
        query: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Start after this username (paging).
        #[arg(long)]
        after: Option<String>,
    },
    Show {
        username: String,
    },
    /// Change profile fields and settings; pass an empty value ("") to clear one.
    #[command(visible_alias = "set")]
    Update(UpdateArgs),
    /// Create or update users from a CSV file of MFA Server's user fields.
    Import(super::user_import::ImportArgs),
    Disable {
        username: String,
    },
    Enable {
        username: String,
    },
    /// Set the user's PIN (they then type PIN + code). Reads it from --pin-file, or --pin.
    SetPin {
        username: String,
        #[arg(long, conflicts_with = "pin_file")]
        pin: Option<String>,
        #[arg(long)]
        pin_file: Option<std::path::PathBuf>,
    },
    /// Remove the user's PIN.
    ClearPin {
        username: String,
    },
    /// Lift a lockout after repeated failures.
    Unlock {
        username: String,
    },
    /// One-time bypass: the user's next sign-in within --seconds needs no second factor.
    Bypass(BypassArgs),
    /// Make a one-time link that signs the user in to the portal (to set up
    /// their methods and choose a password); prints it. It works once and
    /// expires after `portal.link_days` (default 7).
    EnrolLink {
        username: String,
    },
    /// Delete the user and their tokens.
    Delete {
        username: String,
    },
}

#[derive(Debug, Args)]
pub struct Profile {
    #[arg(long)]
    display_name: Option<String>,
    #[arg(long)]
    email: Option<String>,
    /// E.164, e.g. +441632960123.
    #[arg(long)]
    phone: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    username: String,
    #[command(flatten)]
    profile: Profile,
    /// Push number matching for this user: on, off, or default (the server's policy).
    #[arg(long)]
    push_number_matching: Option<String>,
    /// PIN on pushes for this user: on, off, or default.
    #[arg(long)]
    push_pin: Option<String>,
    /// The method used when a door names none: otp, yubico, push, sms, sms_reply, email, call, or default (automatic).
    #[arg(long)]
    default_method: Option<String>,
    /// Comma-separated methods the user may use (e.g. push,otp), or all.
    #[arg(long)]
    allowed_methods: Option<String>,
    /// The language of the user's messages (de, pt-BR), or "" for the default.
    #[arg(long)]
    language: Option<String>,
    /// The number phone calls dial (E.164 or an extension), or "" to call --phone.
    #[arg(long)]
    voice_phone: Option<String>,
}

#[derive(Debug, Args)]
pub struct BypassArgs {
    username: String,
    /// How long the bypass waits to be used (1 to 86400).
    #[arg(long, default_value_t = 300)]
    seconds: i64,
    /// Why (kept in the audit trail).
    #[arg(long, required_unless_present = "revoke")]
    reason: Option<String>,
    /// Withdraw a bypass that was not used yet.
    #[arg(long, conflicts_with = "reason")]
    revoke: bool,
}

/// Runs one `user` sub-command. Those that change a user print the user
/// after; adding or updating one may also send the welcome message.
pub async fn user(app: &App, command: UserCommand, out: &Output) -> Result<ExitCode> {
    let accounts = &app.accounts;
    let changed = match command {
        UserCommand::Add { username, profile } => {
            let user = add(app, username, profile).await?;
            app.welcome.consider(&user.username).await?;
            user
        }
        UserCommand::Update(args) => {
            let user = update(app, args).await?;
            app.welcome.consider(&user.username).await?;
            user
        }
        UserCommand::List {
            query,
            limit,
            after,
        } => return list(app, query, limit, after, out).await,
        UserCommand::Show { username } => accounts.user(&username).await?,
        UserCommand::Import(args) => return super::user_import::import(app, args, out).await,
        UserCommand::Disable { username } => accounts.set_enabled(&username, false).await?,
        UserCommand::Enable { username } => accounts.set_enabled(&username, true).await?,
        UserCommand::SetPin {
            username,
            pin,
            pin_file,
        } => return set_pin(app, &username, pin, pin_file, out).await,
        UserCommand::ClearPin { username } => return clear_pin(app, &username, out).await,
        UserCommand::Unlock { username } => accounts.unlock(&username).await?,
        UserCommand::Bypass(args) => bypass(app, args).await?,
        UserCommand::EnrolLink { username } => return enrol_link(app, &username, out).await,
        UserCommand::Delete { username } => return delete(app, &username, out).await,
    };
    out.show(&changed, || describe(&changed));
    Ok(ExitCode::SUCCESS)
}

async fn add(app: &App, username: String, profile: Profile) -> Result<User> {
    let new = NewUser {
        username,
        display_name: profile.display_name,
        email: profile.email,
        phone: profile.phone,
    };
    Ok(app.accounts.create_user(new).await?)
}

async fn list(
    app: &App,
    query: Option<String>,
    limit: u32,
    after: Option<String>,
    out: &Output,
) -> Result<ExitCode> {
    let users = app
        .accounts
        .list_users(UserQuery {
            query,
            limit,
            after,
            locked_at: None,
        })
        .await?;
    out.show(&users, || table(&users));
    Ok(ExitCode::SUCCESS)
}

async fn update(app: &App, args: UpdateArgs) -> Result<User> {
    let patch = UserPatch {
        display_name: args.profile.display_name.map(Some),
        email: args.profile.email.map(Some),
        phone: args.profile.phone.map(Some),
        enabled: None,
        push_number_matching: setting(args.push_number_matching.as_deref())?,
        push_pin_required: setting(args.push_pin.as_deref())?,
        welcome_email: None,
        default_method: args
            .default_method
            .as_deref()
            .map(method_setting)
            .transpose()?,
        allowed_methods: args
            .allowed_methods
            .as_deref()
            .map(methods_setting)
            .transpose()?,
        language: args.language.map(|l| Some(l).filter(|l| !l.is_empty())),
        voice_phone: args.voice_phone.map(|p| Some(p).filter(|p| !p.is_empty())),
    };
    Ok(app.accounts.update_user(&args.username, patch).await?)
}

/// The PIN comes from `--pin`, or else from `--pin-file` (trimmed).
async fn set_pin(
    app: &App,
    username: &str,
    pin: Option<String>,
    pin_file: Option<PathBuf>,
    out: &Output,
) -> Result<ExitCode> {
    let pin = match (pin, pin_file) {
        (Some(pin), _) => pin,
        (None, Some(file)) => std::fs::read_to_string(&file)?.trim().to_string(),
        (None, None) => anyhow::bail!("give the PIN with --pin-file FILE (or --pin)"),
    };
    app.accounts.set_pin(username, Some(&pin)).await?;
    out.show(&json!({"pin_set": username}), || {
        format!("PIN set for '{username}'")
    });
    Ok(ExitCode::SUCCESS)
}

async fn clear_pin(app: &App, username: &str, out: &Output) -> Result<ExitCode> {
    app.accounts.set_pin(username, None).await?;
    out.show(&json!({"pin_cleared": username}), || {
        format!("PIN removed for '{username}'")
    });
    Ok(ExitCode::SUCCESS)
}

/// Grants a bypass with its reason, or withdraws one with `--revoke`.
async fn bypass(app: &App, args: BypassArgs) -> Result<User> {
    let accounts = &app.accounts;
    Ok(match (args.revoke, args.reason) {
        (false, Some(reason)) => {
            accounts
                .grant_bypass(&args.username, args.seconds, &reason)
                .await?
        }
        _ => accounts.revoke_bypass(&args.username).await?,
    })
}

async fn enrol_link(app: &App, username: &str, out: &Output) -> Result<ExitCode> {
    let user = app.accounts.user(username).await?;
    let (url, expires_at) = app.portal.create_link(&user, "cli").await?;
    let expires = rfc3339(expires_at);
    out.show(
        &json!({"username": user.username, "url": url, "expires_at": expires}),
        || {
            format!(
                "{url}\n(works once, until {expires}; send it to {} only)",
                user.username
            )
        },
    );
    Ok(ExitCode::SUCCESS)
}

async fn delete(app: &App, username: &str, out: &Output) -> Result<ExitCode> {
    app.accounts.delete_user(username).await?;
    out.show(&json!({"deleted": username}), || {
        format!("user '{username}' deleted with their tokens")
    });
    Ok(ExitCode::SUCCESS)
}

/// `on`, `off` or `default` (follow the server's policy) for a per-user switch.
fn setting(text: Option<&str>) -> Result<Option<Option<bool>>> {
    Ok(match text {
        None => None,
        Some("on") => Some(Some(true)),
        Some("off") => Some(Some(false)),
        Some("default") => Some(None),
        Some(other) => anyhow::bail!("'{other}' is not on, off or default"),
    })
}

fn describe(u: &User) -> String {
    let locked = u.locked_until.map(rfc3339).unwrap_or_else(|| "no".into());
    let default = u.default_method.map_or("automatic", |m| m.as_str());
    let bypass = match (u.bypass_until, &u.bypass_reason) {
        (Some(until), Some(reason)) => format!("{} ({reason})", rfc3339(until)),
        (Some(until), None) => rfc3339(until),
        _ => "no".into(),
    };
    let allowed = u
        .allowed_methods
        .as_deref()
        .map_or_else(|| "all they have".to_string(), join_list);
    format!(
        "username:        {}\ndisplay name:    {}\nemail:           {}\nphone:           {}\nvoice phone:     {}\nenabled:         {}\n\
         locked until:    {}\nfailed attempts: {}\ndefault method:  {}\nallowed methods: {}\nbypass until:    {}\ncreated:         {}",
        u.username, or_dash(&u.display_name), or_dash(&u.email), or_dash(&u.phone), or_dash(&u.voice_phone), if u.enabled { "yes" } else { "no" },
        locked, u.failed_attempts, default, allowed, bypass, rfc3339(u.created_at)
    )
}

fn table(users: &[User]) -> String {
    let mut text = format!(
        "{:<32} {:<24} {:<32} {:<8} {}",
        "USERNAME", "DISPLAY NAME", "EMAIL", "ENABLED", "LOCKED"
    );
    for u in users {
        text.push_str(&format!(
            "\n{:<32} {:<24} {:<32} {:<8} {}",
            u.username,
            or_dash(&u.display_name),
            or_dash(&u.email),
            if u.enabled { "yes" } else { "no" },
            u.locked_until.map(rfc3339).unwrap_or_else(|| "-".into())
        ));
    }
    if users.is_empty() {
        text.push_str("\n(no users)");
    }
    text
}

/// `--default-method`: a method name, or `default` for the automatic choice.
fn method_setting(text: &str) -> Result<Option<Method>> {
    match text.trim() {
        "default" | "" => Ok(None),
        word => Method::parse(word).map(Some).ok_or_else(|| {
            anyhow::anyhow!(
                "--default-method '{word}': use {} or default",
                Method::listed()
            )
        }),
    }
}

/// `--allowed-methods`: a comma-separated list, or `all` to lift the restriction.
fn methods_setting(text: &str) -> Result<Option<Vec<Method>>> {
    match text.trim() {
        "all" | "" => Ok(None),
        list => parse_list(list)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("--allowed-methods: {e}")),
    }
}
