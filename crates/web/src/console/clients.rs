//! RADIUS clients (admin role only): list, add with every option the CLI
//! has, remove. Secrets are sealed in the store and never shown.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::admin::radius_clients::RadiusClientSpec;
use countersign_domain::model::radius::{FirstFactor, Flow};
use countersign_domain::signin::DoorRules;
use countersign_domain::DomainError;
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use super::guard::{audit, Owner, Visitor};
use super::page::{base, failure, render};
use super::ConsoleState;

/// The form as typed; checkboxes are present only when ticked.
#[derive(Deserialize, Serialize, Default)]
pub struct ClientForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default, skip_serializing)]
    secret: String,
    #[serde(default)]
    flow: String,
    #[serde(default)]
    first_factor: String,
    #[serde(default)]
    upstream: String,
    #[serde(default, skip_serializing)]
    upstream_secret: String,
    allow_missing_message_authenticator: Option<String>,
    allow_upstream_without_message_authenticator: Option<String>,
    let_unenrolled_through: Option<String>,
    fallback_otp: Option<String>,
}

type Errors = BTreeMap<String, String>;

pub async fn list(State(state): State<ConsoleState>, _owner: Owner, visitor: Visitor) -> Response {
    let form = ClientForm {
        flow: "otp".into(),
        first_factor: "none".into(),
        ..ClientForm::default()
    };
    page(&state, &visitor, &form, &Errors::new()).await
}

async fn page(
    state: &ConsoleState,
    visitor: &Visitor,
    form: &ClientForm,
    errors: &Errors,
) -> Response {
    let clients = match state.radius_clients.list().await {
        Ok(clients) => clients,
        Err(e) => return failure(e),
    };
    let drops = match state.radius_clients.recent_drops(3600).await {
        Ok(drops) => drops,
        Err(e) => return failure(e),
    };
    let status = match errors.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let ctx = context! { title => "RADIUS clients", clients => Serde(&clients), form => Serde(form),
        drops => Serde(&drops), form_action => "/admin/clients", editing => false,
    errors => Serde(errors), ..base(state, visitor, "clients") };
    render(status, "clients.html", ctx)
}

fn spec_of(form: &ClientForm, errors: &mut Errors) -> Option<RadiusClientSpec> {
    let flow = Flow::parse(form.flow.trim());
    if flow.is_none() {
        errors.insert("flow".into(), "choose otp or challenge".into());
    }
    let first_factor = FirstFactor::parse(form.first_factor.trim());
    if first_factor.is_none() {
        errors.insert("first_factor".into(), "choose none or radius".into());
    }
    let given = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
    Some(RadiusClientSpec {
        name: form.name.trim().to_string(),
        address: form.address.trim().to_string(),
        secret: form.secret.clone(),
        flow: flow?,
        first_factor: first_factor?,
        upstream: given(&form.upstream),
        upstream_secret: given(&form.upstream_secret),
        require_message_authenticator: form.allow_missing_message_authenticator.is_none(),
        upstream_require_message_authenticator: form
            .allow_upstream_without_message_authenticator
            .is_none(),
        rules: DoorRules {
            require_user_match: form.let_unenrolled_through.is_none(),
            fallback_otp: form.fallback_otp.is_some(),
        },
    })
}

pub async fn add(
    State(state): State<ConsoleState>,
    Owner(owner): Owner,
    visitor: Visitor,
    Form(form): Form<ClientForm>,
) -> Response {
    let mut errors = Errors::new();
    let Some(spec) = spec_of(&form, &mut errors) else {
        return page(&state, &visitor, &form, &errors).await;
    };
    match state.radius_clients.add(spec).await {
        Ok(added) => {
            let action = format!("add_radius_client {} {}", added.name, added.address);
            audit(&state, &owner, &visitor, &action, "-").await;
            Redirect::to("/admin/clients").into_response()
        }
        Err(DomainError::Invalid { field, message }) => {
            errors.insert(field, message);
            page(&state, &visitor, &form, &errors).await
        }
        Err(DomainError::Conflict(message)) => {
            errors.insert("name".into(), message);
            page(&state, &visitor, &form, &errors).await
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
    match state.radius_clients.remove(&name).await {
        Ok(()) => {
            let action = format!("remove_radius_client {name}");
            audit(&state, &owner, &visitor, &action, "-").await;
            Redirect::to("/admin/clients").into_response()
        }
        Err(e) => failure(e),
    }
}

fn edit_page(
    state: &ConsoleState,
    visitor: &Visitor,
    form: &ClientForm,
    errors: &Errors,
) -> Response {
    let status = match errors.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let action = format!("/admin/clients/{}/edit", super::users::encode(&form.name));
    let ctx = context! { title => "Edit RADIUS client", form => Serde(form), errors => Serde(errors),
    form_action => action, editing => true, ..base(state, visitor, "clients") };
    render(status, "client_edit.html", ctx)
}

pub async fn edit_form(
    State(state): State<ConsoleState>,
    _owner: Owner,
    visitor: Visitor,
    Path(name): Path<String>,
) -> Response {
    let client = match state.radius_clients.get(&name).await {
        Ok(client) => client,
        Err(e) => return failure(e),
    };
    let on = |yes: bool| yes.then(|| "on".to_string());
    let form = ClientForm {
        name: client.name.clone(),
        address: client.address.clone(),
        flow: client.flow.as_str().into(),
        first_factor: client.first_factor.as_str().into(),
        upstream: client.upstream.clone().unwrap_or_default(),
        allow_missing_message_authenticator: on(!client.require_message_authenticator),
        allow_upstream_without_message_authenticator: on(
            !client.upstream_require_message_authenticator
        ),
        let_unenrolled_through: on(!client.rules.require_user_match),
        fallback_otp: on(client.rules.fallback_otp),
        ..ClientForm::default()
    };
    edit_page(&state, &visitor, &form, &Errors::new())
}

pub async fn edit(
    State(state): State<ConsoleState>,
    Owner(owner): Owner,
    visitor: Visitor,
    Path(name): Path<String>,
    Form(mut form): Form<ClientForm>,
) -> Response {
    form.name = name.clone();
    let mut errors = Errors::new();
    let Some(spec) = spec_of(&form, &mut errors) else {
        return edit_page(&state, &visitor, &form, &errors);
    };
    match state.radius_clients.update(&name, spec).await {
        Ok(updated) => {
            let action = format!("edit_radius_client {} {}", updated.name, updated.address);
            audit(&state, &owner, &visitor, &action, "-").await;
            Redirect::to("/admin/clients").into_response()
        }
        Err(DomainError::Invalid { field, message }) => {
            errors.insert(field, message);
            edit_page(&state, &visitor, &form, &errors)
        }
        Err(e) => failure(e),
    }
}
