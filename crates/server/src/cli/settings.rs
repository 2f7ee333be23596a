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
        /// on or off: pushes show a number to pick on the phone.
        #[arg(long)]
        push_number_matching: Option<String>,
        /// on or off: pushes need the PIN on the phone.
        #[arg(long)]
        push_pin_required: Option<String>,
        /// Pushes per user per minute (1-100).
        #[arg(long)]
        push_per_minute: Option<u32>,
        /// Pushes per user per hour.
        #[arg(long)]
        push_per_hour: Option<u32>,
    },
}

pub async fn settings(app: &App, command: SettingsCommand, out: &Output) -> Result<ExitCode> {
    let shown = match command {
        SettingsCommand::Show => app.settings.current(),
        SettingsCommand::Set {
            allow_method_choice,
            lockout_threshold,
            lockout_minutes,
            push_number_matching,
            push_pin_required,
            push_per_minute,
            push_per_hour,
        } => {
            let mut next = app.settings.current();
            if let Some(text) = allow_method_choice {
                next.allow_method_choice = switch("--allow-method-choice", &text)?;
            }
            if let Some(text) = push_number_matching {
                next.push_number_matching = switch("--push-number-matching", &text)?;
            }
            if let Some(text) = push_pin_required {
                next.push_pin_required = switch("--push-pin-required", &text)?;
            }
            if let Some(n) = push_per_minute {
                next.push_per_minute = n;
            }
            if let Some(n) = push_per_hour {
                next.push_per_hour = n;
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

fn switch(flag: &str, text: &str) -> Result<bool> {
    match text {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        other => anyhow::bail!("{flag}: '{other}' is not on or off"),
    }
}

fn describe(s: &Settings) -> String {
    let word = |on: bool| if on { "on" } else { "off" };
    format!(
        "allow method choice:  {}\nlockout threshold:    {} failures\nlockout duration:     {} minutes\n\
         push number matching: {}\npush PIN:             {}\npush rate limit:      {} a minute, {} an hour",
        word(s.allow_method_choice),
        s.lockout_threshold,
        s.lockout_minutes,
        word(s.push_number_matching),
        word(s.push_pin_required),
        s.push_per_minute,
        s.push_per_hour
    )
}
