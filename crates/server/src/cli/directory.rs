//! `countersign directory sync|status`: run a sync now (with the diff), or
//! show the last run.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use countersign_domain::model::directory::{Change, SyncMode, SyncReport};

use super::Output;
use crate::app::App;

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Sync users from the directory now and show what changed.
    Sync {
        /// Show what would change; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Apply a run that disables or removes more users than directory.approval_threshold.
        #[arg(long)]
        approve: bool,
        /// Read every user (finds users who left); otherwise only those changed
        /// since the last run, with a full run at least once a day.
        #[arg(long)]
        full: bool,
    },
    /// The last run's summary.
    Status,
}

pub async fn directory(app: &App, command: DirectoryCommand, out: &Output) -> Result<ExitCode> {
    let Some(config) = app.config.directory.clone() else {
        anyhow::bail!("no directory is configured: set directory.url, bind_dn, base_dn (see docs/directory.md)");
    };
    match command {
        DirectoryCommand::Status => {
            let last = crate::directory::Runner::new(app, &config)
                .sync()
                .last_run()
                .await?;
            match last {
                Some(report) => out.show(&report, || summary(&report)),
                None => out.show(&serde_json::json!({"last_run": null}), || {
                    "no sync has run yet".into()
                }),
            }
            Ok(ExitCode::SUCCESS)
        }
        DirectoryCommand::Sync {
            dry_run,
            approve,
            full,
        } => {
            let mode = match (dry_run, approve) {
                (true, _) => SyncMode::DryRun,
                (false, true) => SyncMode::Approved,
                _ => SyncMode::Normal,
            };
            let progress = |n: usize| {
                if !out.json {
                    eprint!("\rread {n} users from the directory");
                    let _ = std::io::stderr().flush();
                }
            };
            let report = crate::directory::Runner::new(app, &config)
                .run(mode, full, progress)
                .await?;
            if !out.json {
                eprintln!();
            }
            // Serialised straight from the report: a JSON value tree of
            // 100,000 changes would cost more memory than the run itself.
            let json = Shown {
                report: &report,
                changes: &report.changes,
            };
            out.show(&json, || {
                let mut text: Vec<String> = report
                    .changes
                    .iter()
                    .map(|c| {
                        format!(
                            "{:8} {}{}",
                            c.action,
                            c.username,
                            if c.detail.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", c.detail)
                            }
                        )
                    })
                    .collect();
                text.push(summary(&report));
                text.join("\n")
            });
            Ok(match report.status.as_str() {
                "awaiting_approval" => ExitCode::from(3),
                _ if !report.errors.is_empty() => ExitCode::from(2),
                _ => ExitCode::SUCCESS,
            })
        }
    }
}

#[derive(serde::Serialize)]
struct Shown<'a> {
    report: &'a SyncReport,
    changes: &'a [Change],
}

fn summary(r: &SyncReport) -> String {
    let mut text =
        format!(
        "{}: {} in the directory, {} added, {} updated, {} disabled, {} removed, {} errors, {} ms",
        r.status, r.seen, r.added, r.updated, r.disabled, r.removed, r.errors.len(), r.duration_ms
    );
    for error in &r.errors {
        text.push_str(&format!("\n  error: {error}"));
    }
    text
}
