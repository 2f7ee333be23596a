//! API keys (admin role only): list, create (the key shown once), revoke.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::model::apikey::Scope;
use countersign_domain::DomainError;
use minijinja::{context, Value};
use serde::Deserialize;

use super::guard::{audit, Owner, Visitor};
use super::page::{base, failure, render, when};
use super::ConsoleState;

#[derive(Deserialize, Default)]
pub struct KeyForm {
    #[serde(default)]
    name: String,
    verify: Option<String>,
    admin: Option<String>,
}

pub async fn list(State(state): State<ConsoleState>, _owner: Owner, visitor: Visitor) -> Response {
    keys_page(&state, &visitor, &KeyForm::default(), None).await
}

async fn keys_page(
    state: &ConsoleState,
    visitor: &Visitor,
    form: &KeyForm,
    error: Option<(&str, String)>,
) -> Response {
    let keys = match state.api_keys.list().await {
        Ok(keys) => keys,
        Err(e) => return failure(e),
    };
    let rows: Vec<Value> = keys
        .iter()
        .map(|k| {
            context! { name => k.name.clone(), prefix => k.prefix.clone(), scopes => Scope::join(&k.scopes),
            created_at => when(k.created_at), revoked_at => k.revoked_at.map(when),
            last_used_at => k.last_used_at.map(when) }
        })
        .collect();
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let (field, message) = error.unzip();
    let ctx = context! { title => "API keys", keys => rows, name => form.name.clone(),
    error_field => field, error => message, ..base(state, visitor, "keys") };
    render(status, "keys.html", ctx)
}

pub async fn create(
    State(state): State<ConsoleState>,
    Owner(owner): Owner,
    visitor: Visitor,
    Form(form): Form<KeyForm>,
) -> Response {
    let mut scopes = Vec::new();
    if form.verify.is_some() {
        scopes.push(Scope::Verify);
    }
    if form.admin.is_some() {
        scopes.push(Scope::Admin);
    }
    if scopes.is_empty() {
        let message = "choose at least one scope".to_string();
        return keys_page(&state, &visitor, &form, Some(("scopes", message))).await;
    }
    match state.api_keys.create(&form.name, scopes).await {
        Ok((key, plain)) => {
            let action = format!("create_api_key {}", key.name);
            audit(&state, &owner, &visitor, &action, "-").await;
            let ctx = context! { title => "New API key", name => key.name, key => plain,
            ..base(&state, &visitor, "keys") };
            render(StatusCode::CREATED, "key_created.html", ctx)
        }
        Err(DomainError::Invalid { message, .. }) | Err(DomainError::Conflict(message)) => {
            keys_page(&state, &visitor, &form, Some(("name", message))).await
        }
        Err(e) => failure(e),
    }
}

pub async fn revoke(
    State(state): State<ConsoleState>,
    Owner(owner): Owner,
    visitor: Visitor,
    Path(name): Path<String>,
) -> Response {
    match state.api_keys.revoke(&name).await {
        Ok(()) => {
            let action = format!("revoke_api_key {name}");
            audit(&state, &owner, &visitor, &action, "-").await;
            Redirect::to("/admin/keys").into_response()
        }
        Err(e) => failure(e),
    }
}
