//! `countersign admin add|list|remove|reset|unlock|reset-second-factor`: console administrators.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use countersign_domain::admin::admins::{Admins, NewPassword};
use countersign_domain::model::admin::Role;
use countersign_domain::ports::clock::rfc3339;
use serde_json::json;

use super::Output;
use crate::app::App;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add an administrator. Without --password-file a password is generated and printed once.
    Add {
        name: String,
        /// admin (everything), helpdesk (users only) or auditor (read only).
        #[arg(long, default_value = "admin")]
        role: String,
        /// A file holding the password (at least 12 characters; one trailing newline is ignored).
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// List administrators and their roles (never passwords).
    List,
    /// Remove an administrator.
    Remove { name: String },
    /// Lift a lockout after repeated wrong passwords or codes.
    Unlock { name: String },
    /// Forget the administrator's second factor (lost phone): the next sign-in enrols a new one.
    /// Also ends their sessions.
    ResetSecondFactor { name: String },
    /// Set a new password (generated and printed once without --password-file).
    Reset {
        name: String,
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
}

pub async fn admin(app: &App, command: AdminCommand, out: &Output) -> Result<ExitCode> {
    let admins = Admins::new(app.store.clone(), app.clock.clone());
    match command {
        AdminCommand::Add {
            name,
            role,
            password_file,
        } => {
            let role = Role::parse(&role)?;
            let password = password_from(password_file.as_ref())?;
            let (added, generated) = admins.add(&name, role, password).await?;
            show_password(out, &added.name, role.as_str(), generated.as_deref());
            eprintln!(
                "Administrator '{}' added with role {}. At the first sign-in at /admin/login they enrol a TOTP authenticator.",
                added.name,
                role.as_str()
            );
        }
        AdminCommand::List => {
            let list = admins.list().await?;
            out.show(&list, || {
                let mut text = format!("{:<32} {:<10} {}", "NAME", "ROLE", "CREATED");
                for a in &list {
                    text.push_str(&format!(
                        "\n{:<32} {:<10} {}",
                        a.name,
                        a.role.as_str(),
                        rfc3339(a.created_at)
                    ));
                }
                text
            });
        }
        AdminCommand::Unlock { name } => {
            admins.get(&name).await?;
            app.accounts.unlock_principal(&name).await?;
            out.show(&json!({"unlocked": name}), || {
                format!("administrator '{name}' unlocked")
            });
        }
        AdminCommand::ResetSecondFactor { name } => {
            let admin = admins.get(&name).await?;
            app.accounts.reset_principal(&name).await?;
            app.store.set_admin_second_factor(&admin.id, None).await?;
            let ended = app.sessions.admins.close_all(&admin.id).await?;
            out.show(&json!({"second_factor_reset": name, "sessions_ended": ended}), || {
                format!("second factor of '{name}' forgotten, {ended} session(s) ended: the next sign-in enrols a new authenticator")
            });
        }
        AdminCommand::Remove { name } => {
            admins.remove(&name).await?;
            app.accounts.remove_principal(&name).await?;
            out.show(&json!({"removed": name}), || {
                format!("administrator '{name}' removed")
            });
        }
        AdminCommand::Reset {
            name,
            password_file,
        } => {
            let password = password_from(password_file.as_ref())?;
            let generated = admins.reset(&name, password).await?;
            let role = admins.get(&name).await?.role;
            show_password(out, &name, role.as_str(), generated.as_deref());
            eprintln!("Password of administrator '{name}' reset.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn password_from(file: Option<&PathBuf>) -> Result<NewPassword> {
    let Some(path) = file else {
        return Ok(NewPassword::Generate);
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the password file {}", path.display()))?;
    Ok(NewPassword::Given(text))
}

/// Prints a generated password once (standard output, so scripts can capture it).
fn show_password(out: &Output, name: &str, role: &str, generated: Option<&str>) {
    let value = json!({"name": name, "role": role, "password": generated});
    out.show(&value, || match generated {
        Some(password) => password.to_string(),
        None => format!("{name} ({role})"),
    });
    if generated.is_some() {
        eprintln!("The password is shown only once: give it to the administrator now.");
    }
}
