//! `countersign group add|remove|members|list`: groups of users. Local
//! groups are kept here; groups the directory sync keeps are listed and
//! shown, and any change to them is refused in words.

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use countersign_domain::ports::clock::rfc3339;
use serde_json::json;

use super::Output;
use crate::app::App;

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Make a local group (names compare without case).
    Add { name: String },
    /// Remove a local group and its memberships.
    Remove { name: String },
    /// Show a group's members; with --add/--remove, change them first (local groups only).
    Members {
        name: String,
        /// Add this user (may be given more than once).
        #[arg(long)]
        add: Vec<String>,
        /// Remove this user (may be given more than once).
        #[arg(long)]
        remove: Vec<String>,
    },
    /// Every group with its source and member count.
    List,
}

pub async fn group(app: &App, command: GroupCommand, out: &Output) -> Result<ExitCode> {
    let groups = &app.groups();
    match command {
        GroupCommand::Add { name } => {
            let group = groups.create(&name).await?;
            out.show(&json!({"added": group.name}), || {
                format!("group '{}' added", group.name)
            });
        }
        GroupCommand::Remove { name } => {
            let group = groups.delete(&name).await?;
            out.show(&json!({"removed": group.name}), || {
                format!("group '{}' removed", group.name)
            });
        }
        GroupCommand::Members { name, add, remove } => {
            for username in &add {
                groups.add_member(&name, username).await?;
            }
            for username in &remove {
                groups.remove_member(&name, username).await?;
            }
            let detail = groups.show(&name).await?;
            let members: Vec<&str> = detail.members.iter().map(|m| m.username.as_str()).collect();
            let value = json!({"name": detail.group.name, "source": detail.group.source,
                "dn": detail.group.dn, "members": members});
            out.show(&value, || match members.is_empty() {
                true => format!(
                    "{} ({}): no members",
                    detail.group.name,
                    detail.group.source.as_str()
                ),
                false => members.join("\n"),
            });
        }
        GroupCommand::List => {
            let list = groups.list().await?;
            let rows: Vec<_> = list
                .iter()
                .map(|g| {
                    json!({"name": g.group.name, "source": g.group.source, "dn": g.group.dn,
                    "members": g.members, "created_at": rfc3339(g.group.created_at)})
                })
                .collect();
            out.show(&rows, || {
                let mut text = format!("{:<32} {:<10} {:>8}", "NAME", "SOURCE", "MEMBERS");
                for g in &list {
                    text.push_str(&format!(
                        "\n{:<32} {:<10} {:>8}",
                        g.group.name,
                        g.group.source.as_str(),
                        g.members
                    ));
                }
                text
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}
