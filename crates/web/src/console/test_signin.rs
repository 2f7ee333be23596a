//! "Send test sign-in": the user's own method through the engine, as an
//! application would start it, with the outcome on the page; a push is
//! followed live (the page polls while the phone decides).

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use countersign_domain::methods::push::PushContext;
use countersign_domain::model::audit::Source;
use countersign_domain::signin::{Attempt, DoorRules, Method, Step};
use minijinja::{context, Value};
use serde::Deserialize;

use super::guard::{Editor, Staff, Visitor};
use super::page::{base, failure, render};
use super::users::encode;
use super::ConsoleState;

/// How long one poll waits for the phone before the page asks again.
const POLL_WAIT: Duration = Duration::from_secs(2);

#[derive(Deserialize, Default)]
pub struct TestForm {
    /// A code the user read out (the otp step), if any.
    #[serde(default)]
    code: String,
    /// The texted or emailed code's challenge, when answering one.
    #[serde(default)]
    transaction_id: String,
    /// `call`: place a phone call instead of the user's default method.
    #[serde(default)]
    method: String,
}

fn source(staff: &Staff, visitor: &Visitor) -> Source {
    Source {
        client: Some(format!("console:{}", staff.0.subject.name)),
        address: visitor.address.clone(),
        rule: None,
    }
}

pub async fn start(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
    Form(form): Form<TestForm>,
) -> Response {
    if let Err(e) = state.accounts.user(&username).await {
        return failure(e);
    }
    let code: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    let step = if !form.transaction_id.is_empty() {
        let source = source(&staff, &visitor);
        match state
            .signin
            .answer(&username, &form.transaction_id, &code, &source)
            .await
        {
            Ok(step) => step,
            Err(countersign_domain::signin::AnswerError::Domain(e)) => return failure(e),
            Err(e) => {
                return outcome_page(&state, &visitor, &username, outcome_error(&e.to_string()))
            }
        }
    } else {
        let attempt = Attempt {
            username: username.clone(),
            method: match (code.is_empty(), form.method.as_str()) {
                (false, _) => Some(Method::Otp),
                (true, "call") => Some(Method::Call),
                (true, _) => None,
            },
            code: (!code.is_empty()).then_some(code),
            context: PushContext {
                application: Some(format!(
                    "Countersign console test by {}",
                    staff.0.subject.name
                )),
                client_address: visitor.address.clone(),
                number_matching: None,
            },
            source: source(&staff, &visitor),
            ..Attempt::default()
        };
        match state.signin.start(&attempt).await {
            Ok(step) => step,
            Err(e) => return failure(e),
        }
    };
    outcome_page(&state, &visitor, &username, outcome(&step))
}

fn outcome_error(message: &str) -> Value {
    context! { state => "rejected", reason => "", message => message }
}

/// The step in the words the page shows.
fn outcome(step: &Step) -> Value {
    match step {
        Step::Accepted { method, reason, .. } => context! {
            state => "accepted", method => method.map(Method::as_str),
            reason => reason.map(|r| r.as_str()),
        },
        Step::Rejected { reason } => context! {
            state => "rejected", reason => reason.as_str(), message => reason.message(),
        },
        Step::Challenge {
            transaction_id,
            method,
            prompt,
            ..
        } => context! {
            state => "challenge", method => method.as_str(), prompt => prompt,
            transaction_id => transaction_id.clone().unwrap_or_default(),
        },
        Step::Pending {
            transaction_id,
            method,
            number,
            prompt,
        } => context! {
            state => "pending", method => method.as_str(), number => number, prompt => prompt,
            transaction_id => transaction_id,
        },
    }
}

fn outcome_page(
    state: &ConsoleState,
    visitor: &Visitor,
    username: &str,
    outcome: Value,
) -> Response {
    let ctx = context! { title => "Test sign-in", username => username, user_path => encode(username),
    outcome => outcome, ..base(state, visitor, "users") };
    render(StatusCode::OK, "test_signin.html", ctx)
}

/// The page's poll: where a pending push (or two-way SMS) stands now.
pub async fn poll(
    State(state): State<ConsoleState>,
    _staff: Staff,
    visitor: Visitor,
    Path((username, transaction_id)): Path<(String, String)>,
) -> Response {
    let rules = DoorRules::default();
    let outcome = match state.signin.wait(&transaction_id, POLL_WAIT, &rules).await {
        Ok(Some(step)) => outcome(&step),
        Ok(None) => outcome_error("This sign-in is unknown or too old: start a new test."),
        Err(e) => return failure(e),
    };
    let ctx = context! { user_path => encode(&username), username => username, outcome => outcome,
    ..base(&state, &visitor, "users") };
    render(StatusCode::OK, "test_outcome.html", ctx)
}
