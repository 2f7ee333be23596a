//! The commands, over the library; printing for people or `--json`.

pub mod activate;
pub mod answer;
pub mod code;
pub mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use countersign_authenticator::api::{Answer, SignInRequest};
use countersign_authenticator::store;
use serde_json::Value;

/// Exit status when the server refused the answer.
pub const REFUSED: u8 = 3;

/// What `watch --auto` answers.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AutoAnswer {
    Approve,
    Deny,
}

impl AutoAnswer {
    pub fn answer(self) -> Answer {
        match self {
            AutoAnswer::Approve => Answer::Approve,
            AutoAnswer::Deny => Answer::Deny,
        }
    }
}

/// Human or JSON output.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `value` as one JSON line.
    pub fn json_line(&self, value: &Value) {
        println!("{value}");
    }
}

/// The store file: --store, else the default under $HOME.
pub fn store_path(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    given
        .or_else(store::default_path)
        .ok_or_else(|| anyhow!("HOME is not set, so there is no default store: give --store FILE"))
}

/// The exit status for an answer the server did or did not take.
pub fn exit_for(took: bool) -> ExitCode {
    if took {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(REFUSED)
    }
}

/// A timestamp from the server: text as is, Unix seconds as a date.
fn show_time(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(countersign_authenticator::timefmt::format_unix)
            .unwrap_or_else(|| n.to_string()),
        _ => "unknown".to_owned(),
    }
}

/// A sign-in request for people, several lines.
pub fn describe(request: &SignInRequest) -> String {
    let mut text = format!(
        "sign-in request {} for {}\n  application: {}\n  client address: {}\n  time: {} (expires {})",
        request.id,
        if request.user.is_empty() { "?" } else { &request.user },
        request.application.as_deref().unwrap_or("(not given)"),
        request.client_address.as_deref().unwrap_or("(not given)"),
        show_time(request.created_at.as_ref()),
        show_time(request.expires_at.as_ref()),
    );
    if request.number_matching {
        text.push_str("\n  number matching: approve with --number N, N being the number on the sign-in screen");
    }
    if request.pin_required {
        text.push_str("\n  PIN required: approve with --pin PIN");
    }
    text
}
