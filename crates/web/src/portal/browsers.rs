//! Remembered browsers in the portal: the offer right after a full
//! sign-in ("remember this browser for N days", only when the matching
//! rule allows it: the engine says), the list with each browser's last
//! use, forgetting one, and "sign out everywhere" (every session ends and
//! every browser is forgotten).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::context;
use serde::Deserialize;

use super::guard::Member;
use super::pages::{failure, render};
use crate::console::when;
use crate::portal::signin::attempt;
use crate::AppState;

#[derive(Deserialize, Default)]
pub struct RememberForm {
    #[serde(default)]
    remember: Option<String>,
}

/// The offer, shown once after a full sign-in when a rule allows it.
pub async fn offer(State(state): State<AppState>, Member(live, guest): Member) -> Response {
    let Some(days) = live.data.remember_offer else {
        return Redirect::to("/portal").into_response();
    };
    let pages = &state.portal_pages;
    let ctx = context! { title => pages.word(guest.lang, "remember_title"), csrf => guest.csrf(&state), signed_in => true,
    days => days, label => countersign_domain::model::remembered::browser_label(guest.user_agent.as_deref()) };
    render(&state, guest.lang, StatusCode::OK, "remember.html", ctx)
}

/// The answer to the offer: remembered (the days the rule gives now, not
/// what the form says) or not; the offer is gone either way.
pub async fn answer(
    State(state): State<AppState>,
    Member(mut live, guest): Member,
    Form(form): Form<RememberForm>,
) -> Response {
    let Some(_) = live.data.remember_offer.take() else {
        return Redirect::to("/portal").into_response();
    };
    if let Err(e) = state.sessions.users.save_data(&live).await {
        return failure(&state, guest.lang, e);
    }
    if form.remember.is_none() {
        return Redirect::to("/portal").into_response();
    }
    let asking = attempt(&state, &guest, &live.subject.username, None, None);
    let days = match state.signin.remember_days(&asking).await {
        Ok(Some(days)) => days,
        Ok(None) => return Redirect::to("/portal").into_response(),
        Err(e) => return failure(&state, guest.lang, e),
    };
    let remembered = state
        .sessions
        .remembered
        .remember(&live.subject, days, guest.user_agent.as_deref())
        .await;
    match remembered {
        Ok((token, _)) => guest.with_remembered(
            Some((&token, days)),
            Redirect::to("/portal/browsers?notice=browser_remembered"),
        ),
        Err(e) => failure(&state, guest.lang, e),
    }
}

#[derive(Deserialize, Default)]
pub struct Notice {
    notice: Option<String>,
}

const NOTICES: &[&str] = &["browser_remembered", "browser_forgotten"];

/// The user's remembered browsers.
pub async fn page(
    State(state): State<AppState>,
    Member(live, guest): Member,
    axum::extract::Query(q): axum::extract::Query<Notice>,
) -> Response {
    let list = match state.sessions.remembered.list(&live.subject.id).await {
        Ok(list) => list,
        Err(e) => return failure(&state, guest.lang, e),
    };
    let rows: Vec<_> = list
        .iter()
        .map(|d| {
            context! { id => d.id.clone(), label => d.label.clone(), added => when(d.created_at),
            last => d.last_used_at.map(when), until => when(d.expires_at) }
        })
        .collect();
    let pages = &state.portal_pages;
    let notice = q.notice.filter(|n| NOTICES.contains(&n.as_str()));
    let ctx = context! { title => pages.word(guest.lang, "browsers_title"), csrf => guest.csrf(&state), signed_in => true,
    browsers => rows, notice => notice.map(|n| pages.word(guest.lang, &format!("notice_{n}"))) };
    render(&state, guest.lang, StatusCode::OK, "browsers.html", ctx)
}

/// Forgets one browser; this one's cookie goes too when it was this one.
pub async fn forget(
    State(state): State<AppState>,
    Member(live, guest): Member,
    Path(id): Path<String>,
) -> Response {
    match state
        .sessions
        .remembered
        .forget(&live.subject.id, &id)
        .await
    {
        Ok(()) => {
            tracing::info!(user = %live.subject.username, device = %id, "remembered browser forgotten");
            Redirect::to("/portal/browsers?notice=browser_forgotten").into_response()
        }
        Err(e) => failure(&state, guest.lang, e),
    }
}

/// Every portal session of the user ends and every browser is forgotten.
pub async fn everywhere(State(state): State<AppState>, Member(live, guest): Member) -> Response {
    match state
        .sessions
        .sign_out_user_everywhere(&live.subject.id)
        .await
    {
        Ok((sessions, browsers)) => {
            // The OpenID Provider's grants (refresh and access tokens) end too.
            let grants = match state.oidc.revoke_user(&live.subject.id).await {
                Ok(grants) => grants,
                Err(e) => {
                    tracing::warn!(user = %live.subject.username, error = ?e.error, "OpenID grants not revoked");
                    0
                }
            };
            tracing::info!(user = %live.subject.username, sessions, browsers, grants, "signed out everywhere");
            let gone = guest.with_remembered(None, Redirect::to("/portal/login"));
            guest.with_session(None, gone)
        }
        Err(e) => failure(&state, guest.lang, e),
    }
}
