//! The user's own secrets and contacts: the portal password, the PIN
//! (under the PIN policy), and a new phone or email address confirmed by
//! the code sent to it. A form with a mistake shows it next to the field
//! and saves nothing.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::model::messages::MessageKind;
use countersign_domain::portal::{PasswordProof, PortalLive};
use countersign_domain::DomainError;
use minijinja::context;
use serde::Deserialize;

use super::guard::{Guest, Member};
use super::pages::{failure, message, render, turned_off};
use super::signin::CodeForm;
use super::PortalState;

#[derive(Deserialize, Default)]
pub struct SecretForm {
    /// The current password (asked for a change, not for the first one).
    #[serde(default)]
    current: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    again: String,
}

#[derive(Deserialize, Default)]
pub struct ContactForm {
    #[serde(default)]
    address: String,
}

/// `password` or `pin`: the same page, its own words and rules.
fn secret_kind(kind: &str) -> Option<&'static str> {
    match kind {
        "password" => Some("password"),
        "pin" => Some("pin"),
        _ => None,
    }
}

pub async fn secret_page(
    State(state): State<PortalState>,
    Member(live, guest): Member,
    Path(kind): Path<String>,
) -> Response {
    match secret_kind(&kind) {
        Some(kind) => {
            let has = has_password(&state, &live).await;
            secret_answer(&state, &guest, (&live, has), kind, None, StatusCode::OK)
        }
        None => message(
            &state,
            guest.lang,
            StatusCode::NOT_FOUND,
            "not_found",
            "page_not_found",
        ),
    }
}

fn secret_answer(
    state: &PortalState,
    guest: &Guest,
    (live, has_password): (&PortalLive, bool),
    kind: &str,
    error: Option<(String, String)>,
    status: StatusCode,
) -> Response {
    let pages = &state.pages;
    let (field, text) = error.unzip();
    // A change asks for the current password; the first one (or a reset
    // by link) does not. The portal's own passwords only.
    let ask_current = kind == "password" && !live.data.by_link && has_password;
    let ctx = context! { kind => kind, title => pages.word(guest.lang, &format!("{kind}_title")), csrf => guest.csrf(state),
    error_field => field, error => text, pin_min => state.settings.current().pin_min_length, signed_in => true,
    ask_current => ask_current };
    render(state, guest.lang, status, "secret.html", ctx)
}

pub async fn secret_submit(
    State(state): State<PortalState>,
    Member(live, guest): Member,
    Path(kind): Path<String>,
    Form(form): Form<SecretForm>,
) -> Response {
    let Some(kind) = secret_kind(&kind) else {
        return message(
            &state,
            guest.lang,
            StatusCode::NOT_FOUND,
            "not_found",
            "page_not_found",
        );
    };
    let result = match kind {
        "pin" => {
            state
                .portal
                .set_pin(&live.subject, form.value.trim(), form.again.trim())
                .await
        }
        _ => {
            let proof = match live.data.by_link {
                true => PasswordProof::Link,
                false => PasswordProof::Current(&form.current),
            };
            state
                .portal
                .set_password(&live.subject, proof, &form.value, &form.again)
                .await
        }
    };
    // A new password forgets every remembered browser: the old one may be known.
    let result = match (result, kind) {
        (Ok(()), "password") => state
            .sessions
            .remembered
            .forget_all(&live.subject.id)
            .await
            .map(|n| tracing::info!(user = %live.subject.username, browsers = n, "password changed: remembered browsers forgotten")),
        (other, _) => other,
    };
    match result {
        Ok(()) => Redirect::to(&format!(
            "/portal?notice={}",
            if kind == "pin" {
                "pin_changed"
            } else {
                "password_set"
            }
        ))
        .into_response(),
        Err(DomainError::Invalid { field, message }) => {
            let field = match field.as_str() {
                "current" => "current",
                f if f.ends_with("_again") => "again",
                _ => "value",
            };
            let has = has_password(&state, &live).await;
            secret_answer(
                &state,
                &guest,
                (&live, has),
                kind,
                Some((field.into(), message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => failure(&state, guest.lang, e),
    }
}

/// Whether the user has a portal password of their own (a failed read
/// shows the field: asking too much is the safe side).
async fn has_password(state: &PortalState, live: &PortalLive) -> bool {
    state.portal.own_passwords()
        && state
            .portal
            .has_password(&live.subject.id)
            .await
            .unwrap_or(true)
}

/// `phone` or `email` when the settings let users change it; a page that
/// does not exist is 404, one that is turned off 403.
fn contact_kind(
    state: &PortalState,
    lang: super::pages::Lang,
    kind: &str,
) -> Result<MessageKind, Box<Response>> {
    let settings = state.settings.current();
    match kind {
        "phone" if settings.allow_phone_change => Ok(MessageKind::Sms),
        "email" if settings.allow_email_change => Ok(MessageKind::Email),
        "phone" | "email" => {
            let off = turned_off(state, lang, "contact_change_off");
            Err(Box::new(off))
        }
        _ => {
            let unknown = message(
                state,
                lang,
                StatusCode::NOT_FOUND,
                "not_found",
                "page_not_found",
            );
            Err(Box::new(unknown))
        }
    }
}

fn contact_name(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Sms => "phone",
        MessageKind::Email => "email",
    }
}

pub async fn contact_page(
    State(state): State<PortalState>,
    Member(live, guest): Member,
    Path(kind): Path<String>,
) -> Response {
    match contact_kind(&state, guest.lang, &kind) {
        Ok(kind) => contact_answer(&state, &guest, &live, kind, None, StatusCode::OK),
        Err(refused) => *refused,
    }
}

fn contact_answer(
    state: &PortalState,
    guest: &Guest,
    live: &PortalLive,
    kind: MessageKind,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let name = contact_name(kind);
    let pending = live
        .data
        .contact
        .as_ref()
        .filter(|c| c.channel == kind.as_str());
    let current = match kind {
        MessageKind::Sms => live.subject.phone.clone(),
        MessageKind::Email => live.subject.email.clone(),
    };
    let ctx = context! { kind => name, title => state.pages.word(guest.lang, &format!("{name}_title")),
    csrf => guest.csrf(state), error => error, current => current,
    pending => pending.map(|p| p.address.clone()), signed_in => true };
    render(state, guest.lang, status, "contact.html", ctx)
}

pub async fn contact_submit(
    State(state): State<PortalState>,
    Member(mut live, guest): Member,
    Path(kind): Path<String>,
    Form(form): Form<ContactForm>,
) -> Response {
    let kind = match contact_kind(&state, guest.lang, &kind) {
        Ok(kind) => kind,
        Err(refused) => return *refused,
    };
    match state
        .portal
        .start_contact_change(&mut live, kind, &form.address)
        .await
    {
        Ok(_) => match state.sessions.users.save_data(&live).await {
            Ok(()) => Redirect::to(&format!("/portal/{}", contact_name(kind))).into_response(),
            Err(e) => failure(&state, guest.lang, e),
        },
        Err(DomainError::Invalid { message, .. }) => {
            live.data.contact = None;
            contact_answer(
                &state,
                &guest,
                &live,
                kind,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => failure(&state, guest.lang, e),
    }
}

pub async fn contact_confirm(
    State(state): State<PortalState>,
    Member(mut live, guest): Member,
    Path(kind): Path<String>,
    Form(form): Form<CodeForm>,
) -> Response {
    let kind = match contact_kind(&state, guest.lang, &kind) {
        Ok(kind) => kind,
        Err(refused) => return *refused,
    };
    let outcome = match state.portal.confirm_contact(&mut live, &form.code).await {
        Ok(outcome) => outcome,
        Err(e) => return failure(&state, guest.lang, e),
    };
    if let Err(e) = state.sessions.users.save_data(&live).await {
        return failure(&state, guest.lang, e);
    }
    match outcome {
        Ok(_) => {
            // Whoever else is signed in as this user is signed out.
            match state.sessions.users.close_others(&live).await {
                Ok(ended) => {
                    tracing::info!(user = %live.subject.username, sessions = ended, "contact change: the user's other portal sessions ended")
                }
                Err(e) => return failure(&state, guest.lang, e),
            }
            Redirect::to(&format!("/portal?notice={}_changed", contact_name(kind))).into_response()
        }
        Err(problem) => contact_answer(
            &state,
            &guest,
            &live,
            kind,
            Some(problem.message().to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}
