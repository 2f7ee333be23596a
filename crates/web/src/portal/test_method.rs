//! "Test my method": the user's own sign-in through the engine, as any
//! door would start it, with the outcome in words. It is audited like
//! every sign-in (client `portal`).

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::portal::PortalLive;
use countersign_domain::signin::Step;
use minijinja::context;

use super::guard::{Guest, Member};
use super::pages::{failure, render};
use super::signin::{answer_code, attempt, door_rules, underway_of, CodeForm, WaitQuery};
use super::PortalState;

pub async fn start(State(state): State<PortalState>, Member(mut live, guest): Member) -> Response {
    let step = state
        .signin
        .start(&attempt(&state, &guest, &live.subject.username, None, None))
        .await;
    match step {
        Ok(step) => match underway_of(step) {
            Ok(underway) => live.data.test = Some(underway),
            Err(step) => return outcome(&state, &guest, &live, &step),
        },
        Err(e) => return failure(&state, guest.lang, e),
    }
    match state.sessions.users.save_data(&live).await {
        Ok(()) => Redirect::to("/portal/test").into_response(),
        Err(e) => failure(&state, guest.lang, e),
    }
}

pub async fn page(
    State(state): State<PortalState>,
    Member(live, guest): Member,
    Query(q): Query<WaitQuery>,
) -> Response {
    let Some(test) = live.data.test.clone() else {
        return Redirect::to("/portal").into_response();
    };
    if let (Some(_), Some(txn), true) = (q.wait, &test.transaction_id, test.method.is_waited()) {
        match state
            .signin
            .wait(txn, Duration::from_secs(20), &door_rules(&state))
            .await
        {
            Ok(Some(Step::Pending { .. })) => {}
            Ok(Some(step)) => return finish(&state, &guest, live, &step).await,
            Ok(None) => return Redirect::to("/portal").into_response(),
            Err(e) => return failure(&state, guest.lang, e),
        }
    }
    let ctx = context! { title => state.pages.word(guest.lang, "test_title"), csrf => guest.csrf(&state),
    method => test.method.as_str(), number => test.number, prompt => test.prompt, test => true,
    waiting => test.method.is_waited() };
    render(&state, guest.lang, StatusCode::OK, "verify.html", ctx)
}

pub async fn submit(
    State(state): State<PortalState>,
    Member(live, guest): Member,
    Form(form): Form<CodeForm>,
) -> Response {
    let Some(test) = live.data.test.clone() else {
        return Redirect::to("/portal").into_response();
    };
    let code: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    let step = answer_code(&state, &guest, &live.subject.username, &test, code).await;
    match step {
        Ok(step) => finish(&state, &guest, live, &step).await,
        Err(e) => failure(&state, guest.lang, e),
    }
}

async fn finish(state: &PortalState, guest: &Guest, mut live: PortalLive, step: &Step) -> Response {
    live.data.test = None;
    if let Err(e) = state.sessions.users.save_data(&live).await {
        return failure(state, guest.lang, e);
    }
    outcome(state, guest, &live, step)
}

fn outcome(state: &PortalState, guest: &Guest, _live: &PortalLive, step: &Step) -> Response {
    let pages = &state.pages;
    let (ok, text) = match step {
        Step::Accepted { .. } => (true, pages.word(guest.lang, "test_worked")),
        Step::Rejected { reason } => (false, reason.message().to_string()),
        _ => (false, pages.word(guest.lang, "test_unfinished")),
    };
    let title = pages.word(
        guest.lang,
        if ok {
            "test_ok_title"
        } else {
            "test_failed_title"
        },
    );
    let ctx = context! { title => title, message => text, back => "/portal" };
    render(state, guest.lang, StatusCode::OK, "message.html", ctx)
}
