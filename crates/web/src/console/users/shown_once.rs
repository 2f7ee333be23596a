//! What an administrator hands to a user, shown once and never cached: a
//! new TOTP token, an authenticator activation, a portal sign-in link.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use countersign_domain::admin::accounts::TokenSpec;
use countersign_domain::DomainError;
use minijinja::{context, Value};

use crate::console::guard::{audit, Editor, Visitor};
use crate::console::page::{base, failure, render, when};
use crate::console::ConsoleState;

pub async fn add_totp(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    let (_, enrolment) = match state
        .accounts
        .add_token(&username, TokenSpec::default())
        .await
    {
        Ok(added) => added,
        Err(e) => return failure(e),
    };
    let Some(enrolment) = enrolment else {
        return failure(DomainError::invalid("token", "no seed was generated"));
    };
    audit(&state, &staff, &visitor, "add_totp", &username).await;
    let qr = countersign_otp::qr::svg(&enrolment.otpauth_uri).unwrap_or_default();
    let items = vec![
        context! { label => "Secret", value => enrolment.secret },
        context! { label => "otpauth URI", value => enrolment.otpauth_uri },
    ];
    shown_once(&state, &visitor, &username, "New TOTP token",
        "Scan the QR code with the user's authenticator app (Google, Microsoft, Countersign…), or type the secret.", qr, items)
}

pub async fn activation(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
    headers: HeaderMap,
) -> Response {
    let grant = match state.push.create_activation(&username).await {
        Ok(grant) => grant,
        Err(e) => return failure(e),
    };
    audit(&state, &staff, &visitor, "new_activation", &username).await;
    let url = state.address.url(&headers);
    // The phone's camera opens the web app from this link; the code rides
    // in the fragment, which browsers never send to the server.
    let app_link = countersign_domain::methods::push::activation::app_url(&url, &grant.code);
    let qr = countersign_otp::qr::svg(&app_link).unwrap_or_default();
    let items = vec![
        context! { label => "Activation code", value => grant.grouped() },
        context! { label => "Server URL", value => url.clone() },
        context! { label => "Web app link", value => app_link },
        context! { label => "Command-line authenticator", value => state.address.activation_uri(&url, &grant.code) },
        context! { label => "Expires", value => when(grant.expires_at) },
    ];
    shown_once(&state, &visitor, &username, "New authenticator activation",
        "Scan the QR code with the phone's camera: it opens the Countersign app, which activates itself. Or type the code and the server URL into the app.", qr, items)
}

/// A one-time link that signs the user in to the portal, shown once.
pub async fn enrol_link(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    let made = async {
        let user = state.accounts.user(&username).await?;
        let by = format!("console:{}", staff.0.subject.name);
        state.portal.create_link(&user, &by).await
    }
    .await;
    let (url, expires_at) = match made {
        Ok(made) => made,
        Err(e) => return failure(e),
    };
    audit(&state, &staff, &visitor, "enrol_link", &username).await;
    let items = vec![
        context! { label => "Portal sign-in link", value => url.clone() },
        context! { label => "Expires", value => when(expires_at) },
    ];
    shown_once(&state, &visitor, &username, "Portal sign-in link",
        "Send this link to the user only (it signs them in to the portal, where they set up their methods and a password). It works once; opening it shows a button, so mail scanners do not use it up.",
        countersign_otp::qr::svg(&url).unwrap_or_default(), items)
}

fn shown_once(
    state: &ConsoleState,
    visitor: &Visitor,
    username: &str,
    title: &str,
    explain: &str,
    qr_svg: String,
    items: Vec<Value>,
) -> Response {
    let ctx = context! { title => title, explain => explain, qr_svg => qr_svg, items => items,
    username => username, ..base(state, visitor, "users") };
    let mut response = render(StatusCode::OK, "shown_once.html", ctx);
    // Never from a cache: the page holds a secret.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}
