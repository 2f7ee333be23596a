//! `countersign settings show|set`: the policy kept in the store (the same
//! the console's settings page and `/api/v1/settings` edit).

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use countersign_domain::admin::settings::Settings;

use super::Output;
use crate::app::App;

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Show the stored settings (the configuration's until someone saves).
    Show,
    /// Change settings; the others keep their value. Running servers obey within seconds.
    Set(Box<SettingsChange>),
}

/// Every flag is a setting of the same name (`--allow-method-choice` is
/// `allow_method_choice`); switches take on or off.
#[derive(Debug, clap::Args)]
pub struct SettingsChange {
    /// on or off: may a door name a method other than the user's default?
    #[arg(long)]
    allow_method_choice: Option<String>,
    /// Consecutive failures that lock a user (1-1000).
    #[arg(long)]
    lockout_threshold: Option<String>,
    /// Minutes a lock lasts (1-10080).
    #[arg(long)]
    lockout_minutes: Option<String>,
    /// on or off: pushes show a number to pick on the phone.
    #[arg(long)]
    push_number_matching: Option<String>,
    /// on or off: pushes need the PIN on the phone.
    #[arg(long)]
    push_pin_required: Option<String>,
    /// Pushes per user per minute (1-100).
    #[arg(long)]
    push_per_minute: Option<String>,
    /// Pushes per user per hour.
    #[arg(long)]
    push_per_hour: Option<String>,
    /// The account name the authenticator, codes and welcome emails show.
    #[arg(long)]
    account_name: Option<String>,
    /// on or off: a user with no method may sign in to the portal to enrol one.
    #[arg(long)]
    allow_user_enrolment: Option<String>,
    /// on or off: the portal offers activating the authenticator.
    #[arg(long)]
    allow_app_activation: Option<String>,
    /// on or off: the portal offers adding a TOTP token.
    #[arg(long)]
    allow_token_enrolment: Option<String>,
    /// on or off: users may change their phone in the portal.
    #[arg(long)]
    allow_phone_change: Option<String>,
    /// on or off: users may change their email address in the portal.
    #[arg(long)]
    allow_email_change: Option<String>,
    /// on or off: users may remove their last way to sign in.
    #[arg(long)]
    allow_remove_last_method: Option<String>,
    /// The fewest digits of a PIN set in the portal (4-12).
    #[arg(long)]
    pin_min_length: Option<String>,
}

impl SettingsChange {
    fn pairs(self) -> Vec<(&'static str, String)> {
        let all = [
            ("allow_method_choice", self.allow_method_choice),
            ("lockout_threshold", self.lockout_threshold),
            ("lockout_minutes", self.lockout_minutes),
            ("push_number_matching", self.push_number_matching),
            ("push_pin_required", self.push_pin_required),
            ("push_per_minute", self.push_per_minute),
            ("push_per_hour", self.push_per_hour),
            ("account_name", self.account_name),
            ("allow_user_enrolment", self.allow_user_enrolment),
            ("allow_app_activation", self.allow_app_activation),
            ("allow_token_enrolment", self.allow_token_enrolment),
            ("allow_phone_change", self.allow_phone_change),
            ("allow_email_change", self.allow_email_change),
            ("allow_remove_last_method", self.allow_remove_last_method),
            ("pin_min_length", self.pin_min_length),
        ];
        all.into_iter()
            .filter_map(|(name, value)| value.map(|v| (name, v)))
            .collect()
    }
}

pub async fn settings(app: &App, command: SettingsCommand, out: &Output) -> Result<ExitCode> {
    let shown = match command {
        SettingsCommand::Show => app.settings.current(),
        SettingsCommand::Set(change) => {
            let mut next = app.settings.current();
            for (name, text) in (*change).pairs() {
                next = next
                    .with_text(name, &text)
                    .map_err(|e| anyhow::anyhow!("--{}: {e}", name.replace('_', "-")))?;
            }
            app.settings.save(next).await?
        }
    };
    out.show(&shown, || describe(&shown));
    Ok(ExitCode::SUCCESS)
}

fn describe(s: &Settings) -> String {
    let word = |on: bool| if on { "on" } else { "off" };
    format!(
        "allow method choice:  {}\nlockout threshold:    {} failures\nlockout duration:     {} minutes\n\
         push number matching: {}\npush PIN:             {}\npush rate limit:      {} a minute, {} an hour\n\
         account name:         {}\nuser enrolment:       {}\napp activation:       {}\ntoken enrolment:      {}\n\
         phone change:         {}\nemail change:         {}\nremove last method:   {}\nPIN length at least:  {} digits",
        word(s.allow_method_choice),
        s.lockout_threshold,
        s.lockout_minutes,
        word(s.push_number_matching),
        word(s.push_pin_required),
        s.push_per_minute,
        s.push_per_hour,
        s.account_name,
        word(s.allow_user_enrolment),
        word(s.allow_app_activation),
        word(s.allow_token_enrolment),
        word(s.allow_phone_change),
        word(s.allow_email_change),
        word(s.allow_remove_last_method),
        s.pin_min_length
    )
}
