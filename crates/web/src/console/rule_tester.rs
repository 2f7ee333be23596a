//! The rule tester page: what would happen if a user signed in at a door
//! from an address (now or at a time), by the engine's own steps
//! (`SignIn::explain`), deciding nothing.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use countersign_domain::signin::Attempt;
use countersign_domain::DomainError;
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use super::guard::{Owner, Visitor};
use super::page::{base, failure, render};
use super::rules::given;
use super::ConsoleState;

type Errors = BTreeMap<String, String>;

/// The tester's form.
#[derive(Deserialize, Serialize, Default)]
pub struct TestForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    door: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    at: String,
}

pub async fn tester(
    State(state): State<ConsoleState>,
    _owner: Owner,
    visitor: Visitor,
) -> Response {
    let form = TestForm {
        door: "radius:vpn".into(),
        ..TestForm::default()
    };
    test_page(&state, &visitor, &form, None, &Errors::new())
}

fn test_page(
    state: &ConsoleState,
    visitor: &Visitor,
    form: &TestForm,
    told: Option<&countersign_domain::signin::Explanation>,
    errors: &Errors,
) -> Response {
    let status = match errors.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let ctx = context! { title => "Rule tester", form => Serde(form), told => Serde(told),
    errors => Serde(errors), ..base(state, visitor, "rules") };
    render(status, "rule_test.html", ctx)
}

pub async fn test(
    State(state): State<ConsoleState>,
    _owner: Owner,
    visitor: Visitor,
    Form(form): Form<TestForm>,
) -> Response {
    let mut errors = Errors::new();
    let at = match given(&form.at) {
        None => state.signin.now(),
        Some(text) => {
            let parsed =
                time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339);
            match parsed {
                Ok(t) => t.unix_timestamp(),
                Err(_) => {
                    errors.insert("at".into(), "give a time like 2026-12-07T09:30:00Z".into());
                    return test_page(&state, &visitor, &form, None, &errors);
                }
            }
        }
    };
    let attempt =
        match Attempt::at_door(&form.username, &form.door, given(&form.address).as_deref()) {
            Ok(attempt) => attempt,
            Err(DomainError::Invalid { field, message }) => {
                errors.insert(field, message);
                return test_page(&state, &visitor, &form, None, &errors);
            }
            Err(e) => return failure(e),
        };
    match state.signin.explain(&attempt, at).await {
        Ok(told) => test_page(&state, &visitor, &form, Some(&told), &errors),
        Err(e) => failure(e),
    }
}
