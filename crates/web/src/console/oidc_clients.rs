//! OpenID Connect clients (admin role only), over the domain's
//! `OidcClients` (the one the CLI and `/api/v1/oidc/clients` use): list,
//! add (the secret shown once), edit redirect URIs, post-logout URIs,
//! groups, algorithm and lifetimes, rotate the secret (shown once),
//! remove. The secret is never stored or shown again.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use countersign_domain::model::oidc::SigningAlg;
use countersign_domain::oidc::{ClientPatch, ClientSpec, ClientView, ClientWithSecret};
use countersign_domain::DomainError;
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use super::guard::{audit, Owner, Visitor};
use super::page::{base, failure, render};
use super::ConsoleState;
use crate::AppState;

/// The page's routes, under `/admin`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oidc", get(list).post(add))
        .route("/oidc/{name}/edit", get(edit_form).post(edit))
        .route("/oidc/{name}/rotate-secret", post(rotate_secret))
        .route("/oidc/{name}/remove", post(remove))
}

/// The form as typed: lists one per line, lifetimes in seconds.
#[derive(Deserialize, Serialize, Default)]
pub struct OidcClientForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    #[serde(default)]
    allowed_groups: String,
    #[serde(default)]
    signing_alg: String,
    #[serde(default)]
    id_token_seconds: String,
    #[serde(default)]
    access_token_seconds: String,
    /// Empty: no refresh tokens.
    #[serde(default)]
    refresh_token_seconds: String,
    public: Option<String>,
}

type Errors = BTreeMap<String, String>;

/// What the form means, or the fields in error.
struct Parsed {
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    allowed_groups: Vec<String>,
    signing_alg: SigningAlg,
    id_token_seconds: Option<i64>,
    access_token_seconds: Option<i64>,
    refresh_token_seconds: Option<i64>,
}

fn lines(text: &str) -> Vec<String> {
    text.split(['\n', ',', ' '])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn seconds(field: &str, text: &str, errors: &mut Errors) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<i64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            errors.insert(field.into(), "a number of seconds, more than 0".into());
            None
        }
    }
}

fn parse(form: &OidcClientForm, errors: &mut Errors) -> Option<Parsed> {
    let alg = match form.signing_alg.trim() {
        "" => Some(SigningAlg::parse("ES256").expect("ES256 is known")),
        text => SigningAlg::parse(text),
    };
    if alg.is_none() {
        errors.insert("signing_alg".into(), "choose ES256 or RS256".into());
    }
    let redirect_uris = lines(&form.redirect_uris);
    if redirect_uris.is_empty() {
        errors.insert("redirect_uris".into(), "at least one redirect URI".into());
    }
    let parsed = Parsed {
        redirect_uris,
        post_logout_redirect_uris: lines(&form.post_logout_redirect_uris),
        allowed_groups: lines(&form.allowed_groups),
        signing_alg: alg?,
        id_token_seconds: seconds("id_token_seconds", &form.id_token_seconds, errors),
        access_token_seconds: seconds("access_token_seconds", &form.access_token_seconds, errors),
        refresh_token_seconds: seconds(
            "refresh_token_seconds",
            &form.refresh_token_seconds,
            errors,
        ),
    };
    errors.is_empty().then_some(parsed)
}

fn status_of(errors: &Errors) -> StatusCode {
    match errors.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

pub async fn list(State(state): State<ConsoleState>, _owner: Owner, visitor: Visitor) -> Response {
    let form = OidcClientForm {
        signing_alg: "ES256".into(),
        ..OidcClientForm::default()
    };
    page(&state, &visitor, &form, &Errors::new()).await
}

async fn page(
    state: &ConsoleState,
    visitor: &Visitor,
    form: &OidcClientForm,
    errors: &Errors,
) -> Response {
    let clients = match state.oidc_clients.list().await {
        Ok(clients) => clients,
        Err(e) => return failure(e),
    };
    let issuer = issuer(state);
    let ctx = context! { title => "OpenID clients", clients => Serde(&clients), form => Serde(form),
    form_action => "/admin/oidc", editing => false, errors => Serde(errors), issuer => issuer,
    ..base(state, visitor, "oidc") };
    render(status_of(errors), "oidc_clients.html", ctx)
}

/// The issuer relying parties are given: `public_url` (empty when unset).
fn issuer(state: &ConsoleState) -> String {
    let url = state.address.public_url.clone().unwrap_or_default();
    url.trim_end_matches('/').to_string()
}

/// The secret, on a page of its own, once.
fn shown_once(
    state: &ConsoleState,
    visitor: &Visitor,
    made: &ClientWithSecret,
    what: &str,
) -> Response {
    let ctx = context! { title => what, client => Serde(&made.client), secret => made.client_secret.clone(),
    issuer => issuer(state), ..base(state, visitor, "oidc") };
    let mut response = render(StatusCode::OK, "oidc_secret.html", ctx);
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

pub async fn add(
    State(state): State<ConsoleState>,
    Owner(owner): Owner,
    visitor: Visitor,
    Form(form): Form<OidcClientForm>,
) -> Response {
    let mut errors = Errors::new();
    let Some(parsed) = parse(&form, &mut errors) else {
        return page(&state, &visitor, &form, &errors).await;
    };
    let spec = ClientSpec {
        name: form.name.trim().to_string(),
        redirect_uris: parsed.redirect_uris,
        post_logout_redirect_uris: parsed.post_logout_redirect_uris,
        public: form.public.is_some(),
        scopes: None,
        allowed_groups: parsed.allowed_groups,
        signing_alg: Some(parsed.signing_alg),
        id_token_seconds: parsed.id_token_seconds,
        access_token_seconds: parsed.access_token_seconds,
        refresh_token_seconds: parsed.refresh_token_seconds,
    };
    match state.oidc_clients.add(spec, None).await {
        Ok(made) => {
            let action = format!("add_oidc_client {}", made.client.name);
            audit(&state, &owner, &visitor, &action, "-").await;
            shown_once(&state, &visitor, &made, "OpenID client added")
        }
        Err(DomainError::Invalid { field, message }) => {
            errors.insert(field_of(&field), message);
            page(&state, &visitor, &form, &errors).await
        }
        Err(DomainError::Conflict(message)) => {
            errors.insert("name".into(), message);
            page(&state, &visitor, &form, &errors).await
        }
        Err(e) => failure(e),
    }
}

/// The form field a domain error names (`redirect_uris[0]` is `redirect_uris`).
fn field_of(field: &str) -> String {
    field.split(['[', '.']).next().unwrap_or(field).to_string()
}

fn form_of(client: &ClientView) -> OidcClientForm {
    let config = &client.config;
    let number = |n: i64| n.to_string();
    OidcClientForm {
        name: client.name.clone(),
        redirect_uris: config.redirect_uris.join("\n"),
        post_logout_redirect_uris: config.post_logout_redirect_uris.join("\n"),
        allowed_groups: config.allowed_groups.join("\n"),
        signing_alg: config.signing_alg.as_str().into(),
        id_token_seconds: number(config.id_token_seconds),
        access_token_seconds: number(config.access_token_seconds),
        refresh_token_seconds: config.refresh_token_seconds.map(number).unwrap_or_default(),
        public: client.public.then(|| "on".to_string()),
    }
}

fn edit_page(
    state: &ConsoleState,
    visitor: &Visitor,
    form: &OidcClientForm,
    errors: &Errors,
) -> Response {
    let action = format!("/admin/oidc/{}/edit", super::users::encode(&form.name));
    let ctx = context! { title => "Edit OpenID client", form => Serde(form), errors => Serde(errors),
    form_action => action, editing => true, ..base(state, visitor, "oidc") };
    render(status_of(errors), "oidc_client_edit.html", ctx)
}

pub async fn edit_form(
    State(state): State<ConsoleState>,
    _owner: Owner,
    visitor: Visitor,
    Path(name): Path<String>,
) -> Response {
    match state.oidc_clients.get(&name).await {
        Ok(client) => edit_page(&state, &visitor, &form_of(&client), &Errors::new()),
        Err(e) => failure(e),
    }
}

pub async fn edit(
    State(state): State<ConsoleState>,
    Owner(owner): Owner,
    visitor: Visitor,
    Path(name): Path<String>,
    Form(mut form): Form<OidcClientForm>,
) -> Response {
    form.name = name.clone();
    let mut errors = Errors::new();
    let Some(parsed) = parse(&form, &mut errors) else {
        return edit_page(&state, &visitor, &form, &errors);
    };
    let patch = ClientPatch {
        redirect_uris: Some(parsed.redirect_uris),
        post_logout_redirect_uris: Some(parsed.post_logout_redirect_uris),
        scopes: None,
        allowed_groups: Some(parsed.allowed_groups),
        signing_alg: Some(parsed.signing_alg),
        id_token_seconds: parsed.id_token_seconds,
        access_token_seconds: parsed.access_token_seconds,
        refresh_token_seconds: Some(parsed.refresh_token_seconds),
    };
    match state.oidc_clients.update(&name, patch).await {
        Ok(updated) => {
            let action = format!("edit_oidc_client {}", updated.name);
            audit(&state, &owner, &visitor, &action, "-").await;
            Redirect::to("/admin/oidc").into_response()
        }
        Err(DomainError::Invalid { field, message }) => {
            errors.insert(field_of(&field), message);
            edit_page(&state, &visitor, &form, &errors)
        }
        Err(e) => failure(e),
    }
}

pub async fn rotate_secret(
    State(state): State<ConsoleState>,
    Owner(owner): Owner,
    visitor: Visitor,
    Path(name): Path<String>,
) -> Response {
    match state.oidc_clients.rotate_secret(&name, None).await {
        Ok(made) => {
            let action = format!("rotate_oidc_client_secret {name}");
            audit(&state, &owner, &visitor, &action, "-").await;
            shown_once(&state, &visitor, &made, "New client secret")
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
    match state.oidc_clients.remove(&name).await {
        Ok(()) => {
            let action = format!("remove_oidc_client {name}");
            audit(&state, &owner, &visitor, &action, "-").await;
            Redirect::to("/admin/oidc").into_response()
        }
        Err(e) => failure(e),
    }
}
