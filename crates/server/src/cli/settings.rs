//! `countersign settings show|set`: the policy kept in the store (the same
//! the console's settings page and `/api/v1/settings` edit).

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use countersign_domain::settings::Settings;

use super::Output;
use crate::app::App;

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Show the stored settings (the configuration's until someone saves).
    Show,
    /// Change settings; the others keep their value. Running servers obey within seconds.
    Set {
        /// on or off: may a door name a method other than the user's default?
        #[arg(long)]
        allow_method_choice: Option<String>,
        /// Consecutive failures that lock a user (1-1000).
        #[arg(long)]
        lockout_threshold: Option<u32>,
        /// Minutes a lock lasts (1-10080).
        #[arg(long)]
        lockout_minutes: Option<u32>,
    },
}

pub async fn settings(app: &App, command: SettingsCommand, out: &Output) -> Result<ExitCode> {
    let shown = match command {
        SettingsCommand::Show => app.settings.current(),
        SettingsCommand::Set {
            allow_method_choice,
            lockout_threshold,
            lockout_minutes,
        } => {
            let mut next = app.settings.current();
            if let Some(text) = allow_method_choice {
                next.allow_method_choice = match text.as_str() {
                    "on" | "true" => true,
                    "off" | "false" => false,
                    other => anyhow::bail!("--allow-method-choice: '{other}' is not on or off"),
                };
            }
            if let Some(n) = lockout_threshold {
                next.lockout_threshold = n;
            }
            if let Some(n) = lockout_minutes {
                next.lockout_minutes = n;
            }
            app.settings.save(next).await?
        }
    };
    out.show(&shown, || describe(&shown));
    Ok(ExitCode::SUCCESS)
}

fn describe(s: &Settings) -> String {
    format!(
        "allow method choice: {}\nlockout threshold:   {} failures\nlockout duration:    {} minutes",
        if s.allow_method_choice { "on" } else { "off" },
        s.lockout_threshold,
        s.lockout_minutes
    )
}
