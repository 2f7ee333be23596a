//! The signed-in user's own page: their ways of signing in (tokens,
//! devices, phone, email), the default method, recent sign-ins with "this
//! wasn't me", and the changes the settings allow.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::signin::{Holdings, Method, Methods};
use countersign_domain::{DomainError, UserPatch};
use minijinja::{context, Value};
use serde::Deserialize;

use super::guard::Member;
use super::pages::{failure, message, render, turned_off};
use super::signin::attempt;
use super::PortalState;
use crate::console::when;

#[derive(Deserialize, Default)]
pub struct Notice {
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NameForm {
    #[serde(default)]
    pub name: String,
}

#[derive(Deserialize, Default)]
pub struct MethodForm {
    #[serde(default)]
    method: String,
}

/// Notices the pages after a change may show (`?notice=KEY`).
const NOTICES: &[&str] = &[
    "token_added",
    "app_activated",
    "phone_changed",
    "email_changed",
    "pin_changed",
    "password_set",
    "method_changed",
    "removed",
    "renamed",
    "cannot_remove_last",
];

pub async fn show(
    State(state): State<PortalState>,
    Member(live, guest): Member,
    Query(q): Query<Notice>,
) -> Response {
    match page(&state, &live, &guest, q.notice.as_deref()).await {
        Ok(response) => response,
        Err(e) => failure(&state, guest.lang, e),
    }
}

async fn page(
    state: &PortalState,
    live: &countersign_domain::portal::PortalLive,
    guest: &super::guard::Guest,
    notice: Option<&str>,
) -> Result<Response, DomainError> {
    let user = &live.subject;
    let pages = &state.pages;
    let lang = guest.lang;
    let tokens = state.accounts.tokens_of(user).await?;
    let labels = state.portal.token_labels(&user.id).await?;
    let devices = state.push.devices_of(user).await?;
    let (methods, default) = state.signin.methods_for(user).await?;
    let settings = state.settings.current();
    let word = |key: &str| pages.word(lang, key);
    let devices_shown = devices.iter().map(|d| {
        let last = d.last_seen_at.map(|at| format!("{} {}", word("last_seen"), when(at)));
        context! { kind => "devices", id => d.id.clone(), name => d.name.clone(), tag => word("authenticator_app"),
            added => when(d.created_at), last => last }
    });
    let tokens_shown = tokens.iter().map(|t| {
        let name = labels
            .get(&t.id)
            .cloned()
            .unwrap_or_else(|| word("token_default_name"));
        let last = t
            .last_used_at
            .map(|at| format!("{} {}", word("last_used"), when(at)));
        context! { kind => "tokens", id => t.id.clone(), name => name, tag => word("code_token"),
        added => when(t.created_at), last => last }
    });
    let things: Vec<Value> = devices_shown.chain(tokens_shown).collect();
    let method_rows: Vec<Value> = methods.list().iter().map(|m| {
        context! { id => m.as_str(), name => pages.word(lang, &format!("method_{}", m.as_str())), default => Some(*m) == default }
    }).collect();
    let recent = recent_sign_ins(state, user, lang).await?;
    let passkeys = super::passkeys::rows(state, &user.username).await?;
    let notice = notice
        .filter(|n| NOTICES.contains(n))
        .map(|n| pages.word(lang, &format!("notice_{n}")));
    let ctx = context! {
        title => pages.word(lang, "home_title"), csrf => guest.csrf(state), notice => notice,
        name => user.display_name.clone().unwrap_or_else(|| user.username.clone()), username => user.username.clone(),
        things => things, methods => method_rows, passkeys => passkeys,
        passkeys_on => state.passkeys.is_some(),
        default_method => default.map(|m| pages.word(lang, &format!("method_{}", m.as_str()))),
        phone => user.phone.clone(), email => user.email.clone(), has_pin => user.pin_hash.is_some(),
        has_password => state.portal.has_password(&user.id).await?, recent => recent,
        allow => minijinja::value::Serde(&settings),
        signed_in => true,
    };
    Ok(render(state, lang, StatusCode::OK, "home.html", ctx))
}

async fn recent_sign_ins(
    state: &PortalState,
    user: &countersign_domain::User,
    lang: super::pages::Lang,
) -> Result<Vec<Value>, DomainError> {
    let records = state.audit.recent(&user.username, 10).await?;
    let pages = &state.pages;
    Ok(records.into_iter().filter(|r| r.result == "accepted" || r.result == "rejected").map(|r| {
        let door = r.api_key.clone().unwrap_or_else(|| "-".into());
        let reported = r.reason.as_deref() == Some("fraud_reported");
        context! {
            id => r.id.clone(), at => when(r.at), door => door, address => r.source_address.clone(),
            method => pages.word(lang, &format!("method_{}", r.method)),
            ok => r.result == "accepted", reported => reported,
            result => pages.word(lang, if r.result == "accepted" { "result_accepted" } else { "result_rejected" }),
        }
    }).collect())
}

/// The user picks their default method (when method choice is allowed).
pub async fn set_method(
    State(state): State<PortalState>,
    Member(live, guest): Member,
    Form(form): Form<MethodForm>,
) -> Response {
    if !state.settings.current().allow_method_choice {
        return turned_off(&state, guest.lang, "method_choice_off");
    }
    let Some(method) = Method::parse(&form.method) else {
        return Redirect::to("/portal").into_response();
    };
    let result = async {
        let (methods, _) = state.signin.methods_for(&live.subject).await?;
        if !methods.contains(method) {
            return Err(DomainError::invalid(
                "method",
                "you cannot use this method yet: set it up first",
            ));
        }
        let patch = UserPatch {
            default_method: Some(Some(method)),
            ..UserPatch::default()
        };
        state
            .accounts
            .update_user(&live.subject.username, patch)
            .await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/portal?notice=method_changed").into_response(),
        Err(e) => failure(&state, guest.lang, e),
    }
}

/// Whether removing `(tokens, devices)` would leave the user no method.
async fn would_be_last(
    state: &PortalState,
    user: &countersign_domain::User,
    (tokens_less, devices_less): (usize, usize),
) -> Result<bool, DomainError> {
    if state.settings.current().allow_remove_last_method {
        return Ok(false);
    }
    let tokens = state.accounts.tokens_of(user).await?.len();
    let devices = state.push.devices_of(user).await?.len();
    let passkeys = super::passkeys::rows(state, &user.username).await?.len();
    let after = Holdings {
        tokens: tokens.saturating_sub(tokens_less),
        devices: devices.saturating_sub(devices_less),
        passkeys,
        // YubiKeys count with the tokens: only emptiness matters here.
        ..Holdings::default()
    };
    Ok(Methods::of(user, after).is_empty())
}

/// The user's phones (`devices`) and tokens (`tokens`), as the paths name them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Thing {
    Token,
    Device,
}

impl Thing {
    fn of(path: &str) -> Option<Thing> {
        match path {
            "tokens" => Some(Thing::Token),
            "devices" => Some(Thing::Device),
            _ => None,
        }
    }
}

fn no_such_thing(state: &PortalState, guest: &super::guard::Guest) -> Response {
    message(
        state,
        guest.lang,
        StatusCode::NOT_FOUND,
        "not_found",
        "page_not_found",
    )
}

/// Removes a token or phone, unless it is the last method and the policy keeps it.
pub async fn remove(
    State(state): State<PortalState>,
    Member(live, guest): Member,
    Path((thing, id)): Path<(String, String)>,
) -> Response {
    let Some(thing) = Thing::of(&thing) else {
        return no_such_thing(&state, &guest);
    };
    let result = async {
        let less = match thing {
            Thing::Token => (1, 0),
            Thing::Device => (0, 1),
        };
        if would_be_last(&state, &live.subject, less).await? {
            return Ok(false);
        }
        let username = &live.subject.username;
        match thing {
            Thing::Token => state.accounts.delete_token(username, &id).await?,
            Thing::Device => state.push.remove_device(username, &id).await?,
        }
        Ok(true)
    }
    .await;
    match result {
        Ok(true) => Redirect::to("/portal?notice=removed").into_response(),
        Ok(false) => Redirect::to("/portal?notice=cannot_remove_last").into_response(),
        Err(e) => failure(&state, guest.lang, e),
    }
}

pub async fn rename(
    State(state): State<PortalState>,
    Member(live, guest): Member,
    Path((thing, id)): Path<(String, String)>,
    Form(form): Form<NameForm>,
) -> Response {
    let user_id = &live.subject.id;
    let renamed = match Thing::of(&thing) {
        Some(Thing::Token) => state.portal.label_token(user_id, &id, &form.name).await,
        Some(Thing::Device) => state.portal.rename_device(user_id, &id, &form.name).await,
        None => return no_such_thing(&state, &guest),
    };
    match renamed {
        Ok(()) => Redirect::to("/portal?notice=renamed").into_response(),
        Err(e) => failure(&state, guest.lang, e),
    }
}

/// "This wasn't me": reported through the engine as a push's fraud report is.
pub async fn report(
    State(state): State<PortalState>,
    Member(live, guest): Member,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let records = state.audit.recent(&live.subject.username, 50).await?;
        let reported = records
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| DomainError::not_found("sign-in", &id))?;
        let source = attempt(&state, &guest, &live.subject.username, None, None).source;
        let blocked = state
            .signin
            .report_fraud(&live.subject, &reported, &source)
            .await?;
        if blocked {
            state.sessions.users.close_all(&live.subject.id).await?;
        }
        Ok::<bool, DomainError>(blocked)
    }
    .await;
    match result {
        Ok(true) => guest.with_session(
            None,
            message(
                &state,
                guest.lang,
                StatusCode::OK,
                "reported_title",
                "reported_blocked",
            ),
        ),
        Ok(false) => message(
            &state,
            guest.lang,
            StatusCode::OK,
            "reported_title",
            "reported_not_blocked",
        ),
        Err(e) => failure(&state, guest.lang, e),
    }
}
