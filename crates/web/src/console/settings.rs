//! Settings (admin role only): the policy kept in the store, which the
//! engine obeys at once; the server's own settings are shown read-only.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::admin::settings::Settings;
use countersign_domain::DomainError;
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use super::guard::{audit, Owner, Visitor};
use super::page::{base, failure, render};
use super::ConsoleState;

/// The settings form as typed.
#[derive(Deserialize, Serialize, Default)]
pub struct SettingsForm {
    allow_method_choice: Option<String>,
    #[serde(default)]
    lockout_threshold: String,
    #[serde(default)]
    lockout_minutes: String,
    push_number_matching: Option<String>,
    push_pin_required: Option<String>,
    #[serde(default)]
    push_per_minute: String,
    #[serde(default)]
    push_per_hour: String,
    #[serde(default)]
    account_name: String,
    allow_user_enrolment: Option<String>,
    allow_app_activation: Option<String>,
    allow_token_enrolment: Option<String>,
    allow_phone_change: Option<String>,
    allow_email_change: Option<String>,
    allow_remove_last_method: Option<String>,
    #[serde(default)]
    pin_min_length: String,
}

impl SettingsForm {
    fn of(s: &Settings) -> Self {
        Self {
            allow_method_choice: s.allow_method_choice.then(|| "on".into()),
            lockout_threshold: s.lockout_threshold.to_string(),
            lockout_minutes: s.lockout_minutes.to_string(),
            push_number_matching: s.push_number_matching.then(|| "on".into()),
            push_pin_required: s.push_pin_required.then(|| "on".into()),
            push_per_minute: s.push_per_minute.to_string(),
            push_per_hour: s.push_per_hour.to_string(),
            account_name: s.account_name.clone(),
            allow_user_enrolment: s.allow_user_enrolment.then(|| "on".into()),
            allow_app_activation: s.allow_app_activation.then(|| "on".into()),
            allow_token_enrolment: s.allow_token_enrolment.then(|| "on".into()),
            allow_phone_change: s.allow_phone_change.then(|| "on".into()),
            allow_email_change: s.allow_email_change.then(|| "on".into()),
            allow_remove_last_method: s.allow_remove_last_method.then(|| "on".into()),
            pin_min_length: s.pin_min_length.to_string(),
        }
    }
}

type Errors = BTreeMap<&'static str, String>;

const FIELDS: [&str; 6] = [
    "pin_min_length",
    "lockout_threshold",
    "lockout_minutes",
    "push_per_minute",
    "push_per_hour",
    "account_name",
];

pub async fn show(State(state): State<ConsoleState>, _owner: Owner, visitor: Visitor) -> Response {
    let current = SettingsForm::of(&state.settings.current());
    page(&state, &visitor, &current, &Errors::new()).await
}

/// The directory card: configured or not, the last run.
async fn directory_card(state: &ConsoleState) -> minijinja::Value {
    let last = state.directory_status.last_run().await.ok().flatten();
    let last = last.map(|r| {
        context! { at => super::page::when(r.at), status => r.status, seen => r.seen, added => r.added,
            updated => r.updated, disabled => r.disabled, removed => r.removed, errors => r.errors, ms => r.duration_ms }
    });
    context! { configured => state.directory_sync.is_some(), last => last }
}

/// Runs the directory sync now; `approve` applies a run over the threshold.
pub async fn directory_sync(
    State(state): State<ConsoleState>,
    Owner(owner): Owner,
    visitor: Visitor,
    Form(form): Form<DirectoryForm>,
) -> Response {
    let Some(trigger) = &state.directory_sync else {
        return failure(DomainError::invalid(
            "directory",
            "no directory is configured (directory.url)",
        ));
    };
    let mode = match form.approve.is_some() {
        true => countersign_domain::model::directory::SyncMode::Approved,
        false => countersign_domain::model::directory::SyncMode::Normal,
    };
    match trigger.run_now(mode).await {
        Ok(report) => {
            let action = format!(
                "directory sync {} (added {}, updated {}, disabled {}, removed {})",
                report.status, report.added, report.updated, report.disabled, report.removed
            );
            audit(&state, &owner, &visitor, &action, "-").await;
            Redirect::to("/admin/settings#directory").into_response()
        }
        Err(e) => failure(e),
    }
}

#[derive(Deserialize, Default)]
pub struct DirectoryForm {
    approve: Option<String>,
}

async fn page(
    state: &ConsoleState,
    visitor: &Visitor,
    form: &SettingsForm,
    errors: &Errors,
) -> Response {
    let status = match errors.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let defaults = state.settings.defaults();
    let server: Vec<_> = state
        .server_settings
        .iter()
        .map(|(name, value, source)| context! { name => name, value => value, source => source })
        .collect();
    let directory = directory_card(state).await;
    let ctx = context! { title => "Settings", form => Serde(form), errors => Serde(errors),
    defaults => Serde(defaults), server => server, directory => directory, ..base(state, visitor, "settings") };
    render(status, "settings.html", ctx)
}

fn number(text: &str, field: &'static str, errors: &mut Errors) -> u32 {
    match text.trim().parse::<u32>() {
        Ok(n) => n,
        Err(_) => {
            errors.insert(field, "a whole number".into());
            0
        }
    }
}

pub async fn save(
    State(state): State<ConsoleState>,
    Owner(owner): Owner,
    visitor: Visitor,
    Form(form): Form<SettingsForm>,
) -> Response {
    let mut errors = Errors::new();
    let wanted = Settings {
        allow_method_choice: form.allow_method_choice.is_some(),
        lockout_threshold: number(&form.lockout_threshold, "lockout_threshold", &mut errors),
        lockout_minutes: number(&form.lockout_minutes, "lockout_minutes", &mut errors),
        push_number_matching: form.push_number_matching.is_some(),
        push_pin_required: form.push_pin_required.is_some(),
        push_per_minute: number(&form.push_per_minute, "push_per_minute", &mut errors),
        push_per_hour: number(&form.push_per_hour, "push_per_hour", &mut errors),
        account_name: form.account_name.trim().to_string(),
        allow_user_enrolment: form.allow_user_enrolment.is_some(),
        allow_app_activation: form.allow_app_activation.is_some(),
        allow_token_enrolment: form.allow_token_enrolment.is_some(),
        allow_phone_change: form.allow_phone_change.is_some(),
        allow_email_change: form.allow_email_change.is_some(),
        allow_remove_last_method: form.allow_remove_last_method.is_some(),
        pin_min_length: number(&form.pin_min_length, "pin_min_length", &mut errors),
        // Passkey settings are not on this form (yet): they keep their values.
        ..state.settings.current()
    };
    if !errors.is_empty() {
        return page(&state, &visitor, &form, &errors).await;
    }
    match state.settings.save(wanted).await {
        Ok(saved) => {
            let action = format!("settings {}", saved.summary());
            audit(&state, &owner, &visitor, &action, "-").await;
            Redirect::to("/admin/settings?saved=1").into_response()
        }
        Err(DomainError::Invalid { field, message }) => {
            let field = FIELDS
                .into_iter()
                .find(|f| *f == field)
                .unwrap_or("lockout_threshold");
            errors.insert(field, message);
            page(&state, &visitor, &form, &errors).await
        }
        Err(e) => failure(e),
    }
}

#[derive(Deserialize, Default)]
pub struct TestForm {
    #[serde(default)]
    to: String,
}

/// Queues a test welcome email to the address typed.
pub async fn welcome_test(
    State(state): State<ConsoleState>,
    Owner(owner): Owner,
    visitor: Visitor,
    Form(form): Form<TestForm>,
) -> Response {
    let to = form.to.trim().to_string();
    match state.welcome.send_test(&to).await {
        Ok(_) => {
            audit(
                &state,
                &owner,
                &visitor,
                &format!("test_welcome to {to}"),
                "-",
            )
            .await;
            Redirect::to("/admin/messages?status=queued").into_response()
        }
        Err(DomainError::Invalid { message, .. }) => {
            let current = SettingsForm::of(&state.settings.current());
            let mut errors = Errors::new();
            errors.insert("to", message);
            page(&state, &visitor, &current, &errors).await
        }
        Err(e) => failure(e),
    }
}
