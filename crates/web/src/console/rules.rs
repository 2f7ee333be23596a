//! Sign-in rules (admin role only): the list in order, add, edit, move up
//! or down, remove; and the tester, which runs the engine's own steps
//! (`SignIn::explain`) for a user at a door from an address.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::rules::{NetworkOf, Outcome, Rule, Strength};
use countersign_domain::signin::Method;
use countersign_domain::DomainError;
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use super::guard::{audit, Owner, Visitor};
use super::page::{base, failure, render};
use super::ConsoleState;

/// The form as typed: lists are comma-separated.
#[derive(Deserialize, Serialize, Default, Clone)]
pub struct RuleForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    groups: String,
    #[serde(default)]
    doors: String,
    #[serde(default)]
    networks: String,
    #[serde(default)]
    network_of: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    methods: String,
    #[serde(default)]
    strength: String,
    #[serde(default)]
    remember_device_days: String,
}

type Errors = BTreeMap<String, String>;

fn list_of(text: &str) -> Vec<String> {
    let items = text.split(',').map(str::trim).filter(|t| !t.is_empty());
    items.map(str::to_string).collect()
}

pub(super) fn given(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

impl RuleForm {
    fn of(rule: &Rule, position: usize) -> RuleForm {
        let methods: Vec<&str> = rule.methods.iter().map(|m| m.as_str()).collect();
        RuleForm {
            name: rule.name.clone(),
            position: position.to_string(),
            groups: rule.groups.join(", "),
            doors: rule.doors.join(", "),
            networks: rule.networks.join(", "),
            network_of: match rule.network_of {
                NetworkOf::User => "user".into(),
                NetworkOf::Door => "door".into(),
            },
            hours: rule.hours.clone().unwrap_or_default(),
            time_zone: rule.time_zone.clone().unwrap_or_default(),
            outcome: rule.outcome.as_str().into(),
            methods: methods.join(", "),
            strength: rule.strength.map_or("", |_| "phishing_resistant").into(),
            remember_device_days: rule
                .remember_device_days
                .map_or(String::new(), |d| d.to_string()),
        }
    }

    /// The rule, or the fields to correct.
    fn rule(&self, errors: &mut Errors) -> Option<(Rule, Option<usize>)> {
        let outcome = match self.outcome.trim() {
            "allow" => Some(Outcome::Allow),
            "deny" => Some(Outcome::Deny),
            "skip_second_factor" => Some(Outcome::SkipSecondFactor),
            _ => None,
        };
        if outcome.is_none() {
            errors.insert(
                "outcome".into(),
                "choose allow, deny or skip_second_factor".into(),
            );
        }
        let mut methods = Vec::new();
        for text in list_of(&self.methods) {
            match Method::parse(&text) {
                Some(m) => methods.push(m),
                None => {
                    let why = format!("'{text}' is not {}", Method::listed());
                    errors.insert("methods".into(), why);
                }
            }
        }
        let days = match given(&self.remember_device_days).map(|d| d.parse::<u32>()) {
            Some(Ok(days)) => Some(days),
            Some(Err(_)) => {
                errors.insert(
                    "remember_device_days".into(),
                    "give a number of days".into(),
                );
                None
            }
            None => None,
        };
        let position = given(&self.position).and_then(|p| p.parse::<usize>().ok());
        let rule = Rule {
            name: self.name.trim().to_string(),
            groups: list_of(&self.groups),
            doors: list_of(&self.doors),
            networks: list_of(&self.networks),
            network_of: match self.network_of.trim() {
                "door" => NetworkOf::Door,
                _ => NetworkOf::User,
            },
            hours: given(&self.hours),
            time_zone: given(&self.time_zone),
            outcome: outcome?,
            methods,
            strength: (self.strength.trim() == "phishing_resistant")
                .then_some(Strength::PhishingResistant),
            remember_device_days: days,
        };
        errors.is_empty().then_some((rule, position))
    }
}

pub async fn list(State(state): State<ConsoleState>, _owner: Owner, visitor: Visitor) -> Response {
    let form = RuleForm {
        outcome: "allow".into(),
        ..RuleForm::default()
    };
    page(&state, &visitor, &form, &Errors::new())
}

fn page(state: &ConsoleState, visitor: &Visitor, form: &RuleForm, errors: &Errors) -> Response {
    let rules: Vec<(usize, Rule, String)> = state
        .rules
        .list()
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let said = summary(&r);
            (i, r, said)
        })
        .collect();
    let status = match errors.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let ctx = context! { title => "Sign-in rules", rules => Serde(&rules), count => rules.len(),
    form => Serde(form), errors => Serde(errors), form_action => "/admin/rules", editing => false,
    ..base(state, visitor, "rules") };
    render(status, "rules.html", ctx)
}

/// A rule's conditions and outcome in words, for the list.
fn summary(r: &Rule) -> String {
    let mut when = Vec::new();
    if !r.groups.is_empty() {
        when.push(format!("in {}", r.groups.join(" or ")));
    }
    if !r.doors.is_empty() {
        when.push(format!("at {}", r.doors.join(" or ")));
    }
    if !r.networks.is_empty() {
        let of = match r.network_of {
            NetworkOf::User => "",
            NetworkOf::Door => " (the door's address)",
        };
        when.push(format!("from {}{of}", r.networks.join(" or ")));
    }
    if let Some(hours) = &r.hours {
        when.push(format!(
            "{hours} {}",
            r.time_zone.as_deref().unwrap_or("UTC")
        ));
    }
    let when = match when.is_empty() {
        true => "every sign-in".to_string(),
        false => when.join(", "),
    };
    let then = match (r.outcome, r.strength, r.methods.is_empty()) {
        (Outcome::Deny, _, _) => "deny".to_string(),
        (Outcome::SkipSecondFactor, _, _) => "skip the second factor".to_string(),
        (Outcome::Allow, Some(_), _) => "allow passkeys only".to_string(),
        (Outcome::Allow, None, false) => {
            let methods: Vec<&str> = r.methods.iter().map(|m| m.as_str()).collect();
            format!("allow {}", methods.join(", "))
        }
        (Outcome::Allow, None, true) => "allow the user's methods".to_string(),
    };
    let remember = r.remember_device_days.map_or(String::new(), |d| {
        format!("; remember the browser {d} days")
    });
    format!("{when} → {then}{remember}")
}

fn saved(state: &ConsoleState, visitor: &Visitor, form: &RuleForm, e: DomainError) -> Response {
    let mut errors = Errors::new();
    match e {
        DomainError::Invalid { field, message } => errors.insert(field, message),
        DomainError::Conflict(message) => errors.insert("name".into(), message),
        e => return failure(e),
    };
    page(state, visitor, form, &errors)
}

pub async fn add(
    State(state): State<ConsoleState>,
    Owner(owner): Owner,
    visitor: Visitor,
    Form(form): Form<RuleForm>,
) -> Response {
    let mut errors = Errors::new();
    let Some((rule, position)) = form.rule(&mut errors) else {
        return page(&state, &visitor, &form, &errors);
    };
    match state.rules.add(rule, position).await {
        Ok(added) => {
            audit(
                &state,
                &owner,
                &visitor,
                &format!("add_rule {}", added.name),
                "-",
            )
            .await;
            Redirect::to("/admin/rules").into_response()
        }
        Err(e) => saved(&state, &visitor, &form, e),
    }
}

fn edit_page(
    state: &ConsoleState,
    visitor: &Visitor,
    form: &RuleForm,
    errors: &Errors,
    name: &str,
) -> Response {
    let status = match errors.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let action = format!("/admin/rules/{}/edit", super::users::encode(name));
    let ctx = context! { title => "Edit sign-in rule", form => Serde(form), errors => Serde(errors),
    form_action => action, editing => true, editing_name => name, ..base(state, visitor, "rules") };
    render(status, "rule_edit.html", ctx)
}

pub async fn edit_form(
    State(state): State<ConsoleState>,
    _owner: Owner,
    visitor: Visitor,
    Path(name): Path<String>,
) -> Response {
    let rules = state.rules.list();
    match rules
        .iter()
        .position(|r| r.name.eq_ignore_ascii_case(&name))
    {
        Some(at) => edit_page(
            &state,
            &visitor,
            &RuleForm::of(&rules[at], at),
            &Errors::new(),
            &name,
        ),
        None => failure(DomainError::not_found("rule", name)),
    }
}

pub async fn edit(
    State(state): State<ConsoleState>,
    Owner(owner): Owner,
    visitor: Visitor,
    Path(name): Path<String>,
    Form(form): Form<RuleForm>,
) -> Response {
    let mut errors = Errors::new();
    let Some((rule, position)) = form.rule(&mut errors) else {
        return edit_page(&state, &visitor, &form, &errors, &name);
    };
    match state.rules.update(&name, rule, position).await {
        Ok(changed) => {
            audit(
                &state,
                &owner,
                &visitor,
                &format!("update_rule {}", changed.name),
                "-",
            )
            .await;
            Redirect::to("/admin/rules").into_response()
        }
        Err(DomainError::Invalid { field, message }) => {
            errors.insert(field, message);
            edit_page(&state, &visitor, &form, &errors, &name)
        }
        Err(DomainError::Conflict(message)) => {
            errors.insert("name".into(), message);
            edit_page(&state, &visitor, &form, &errors, &name)
        }
        Err(e) => failure(e),
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    to: String,
}

pub async fn move_to(
    State(state): State<ConsoleState>,
    Owner(owner): Owner,
    visitor: Visitor,
    Path(name): Path<String>,
    Form(form): Form<MoveForm>,
) -> Response {
    let rules = state.rules.list();
    let Some(at) = rules
        .iter()
        .position(|r| r.name.eq_ignore_ascii_case(&name))
    else {
        return failure(DomainError::not_found("rule", name));
    };
    let to = match form.to.as_str() {
        "up" => at.saturating_sub(1),
        _ => at + 1,
    };
    match state.rules.move_to(&name, to).await {
        Ok(_) => {
            audit(
                &state,
                &owner,
                &visitor,
                &format!("move_rule {name} {to}"),
                "-",
            )
            .await;
            Redirect::to("/admin/rules").into_response()
        }
        Err(e) => failure(e),
    }
}

pub async fn remove(
    State(state): State<ConsoleState>,
    Owner(owner): Owner,
    visitor: Visitor,
    Path(name): Path<String>,
) -> Response {
    match state.rules.remove(&name).await {
        Ok(()) => {
            audit(
                &state,
                &owner,
                &visitor,
                &format!("remove_rule {name}"),
                "-",
            )
            .await;
            Redirect::to("/admin/rules").into_response()
        }
        Err(e) => failure(e),
    }
}

/// The rules pages' routes (the tester's too).
pub fn routes() -> axum::Router<crate::AppState> {
    use super::rule_tester::{test, tester};
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/rules", get(list).post(add))
        .route("/rules/test", get(tester).post(test))
        .route("/rules/{name}/edit", get(edit_form).post(edit))
        .route("/rules/{name}/move", post(move_to))
        .route("/rules/{name}/remove", post(remove))
}
