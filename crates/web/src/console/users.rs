//! Users: search, create, edit, and the user page with its actions
//! (unlock, enable/disable, one-time bypass, add TOTP, new activation).

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::admin::accounts::TokenSpec;
use countersign_domain::model::audit::AuditQuery;
use countersign_domain::model::user::{self, NewUser, UserPatch};
use countersign_domain::signin::Method;
use countersign_domain::{Clock, DomainError, SystemClock, User, UserQuery};
use minijinja::value::Serde;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::audit::record_rows;
use super::guard::{audit, Editor, Staff, Visitor};
use super::page::{base, failure, render, when};
use crate::AppState;

const PAGE: u32 = 100;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    after: Option<String>,
    partial: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    visitor: Visitor,
    Query(query): Query<ListQuery>,
) -> Response {
    let q = query.q.trim().to_string();
    let found = state
        .store
        .list_users(&UserQuery {
            query: Some(q.clone()).filter(|q| !q.is_empty()),
            limit: PAGE,
            after: query.after.clone(),
            locked_at: None,
        })
        .await;
    let users = match found {
        Ok(users) => users,
        Err(e) => return failure(e.into()),
    };
    let now = SystemClock.now();
    let next = (users.len() as u32 == PAGE)
        .then(|| users.last().map(|u| u.username.clone()))
        .flatten();
    let rows: Vec<Value> = users
        .iter()
        .map(|u| {
            context! { username => u.username.clone(), display_name => u.display_name.clone(),
            email => u.email.clone(), enabled => u.enabled, locked => u.is_locked(now) }
        })
        .collect();
    let may_edit = staff.may_edit_users();
    let ctx = context! { title => "Users", users => rows, q => q, next => next, may_edit => may_edit,
    ..base(&state, &visitor, "users") };
    let template = match query.partial {
        Some(_) => "users_table.html",
        None => "users.html",
    };
    render(StatusCode::OK, template, ctx)
}

/// What was typed into the user form, kept when it is shown again.
#[derive(Deserialize, Serialize, Default, Clone)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    default_method: String,
    /// `default`, `on` or `off`.
    #[serde(default)]
    welcome_email: String,
    allow_otp: Option<String>,
    allow_push: Option<String>,
    allow_sms: Option<String>,
    allow_email: Option<String>,
    allow_sms_reply: Option<String>,
}

impl UserForm {
    fn from_allowed(allowed: Option<&[Method]>) -> Self {
        let has = |m: Method| {
            allowed
                .is_some_and(|list| list.contains(&m))
                .then(|| "on".to_string())
        };
        Self {
            allow_otp: has(Method::Otp),
            allow_push: has(Method::Push),
            allow_sms: has(Method::Sms),
            allow_email: has(Method::Email),
            allow_sms_reply: has(Method::SmsReply),
            ..Self::default()
        }
    }

    /// The ticked methods; none ticked lifts the restriction.
    fn allowed(&self) -> Option<Vec<Method>> {
        let ticked = [
            (&self.allow_otp, Method::Otp),
            (&self.allow_push, Method::Push),
            (&self.allow_sms, Method::Sms),
            (&self.allow_email, Method::Email),
            (&self.allow_sms_reply, Method::SmsReply),
        ];
        let list: Vec<Method> = ticked
            .iter()
            .filter(|(on, _)| on.is_some())
            .map(|(_, m)| *m)
            .collect();
        (!list.is_empty()).then_some(list)
    }

    fn welcome(&self) -> Option<bool> {
        match self.welcome_email.as_str() {
            "on" => Some(true),
            "off" => Some(false),
            _ => None,
        }
    }
}

type FieldErrors = BTreeMap<&'static str, String>;

fn blank(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// Every field checked at once, so every error shows next to its field.
fn check(form: &UserForm, creating: bool) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let mut note = |field: &'static str, result: Result<(), DomainError>| {
        if let Err(DomainError::Invalid { message, .. }) = result {
            errors.insert(field, message);
        }
    };
    if creating {
        note("username", user::validate_username(form.username.trim()));
    }
    if let Some(name) = blank(&form.display_name) {
        note("display_name", user::validate_display_name(&name));
    }
    if let Some(email) = blank(&form.email) {
        note("email", user::validate_email(&email));
    }
    if let Some(phone) = blank(&form.phone) {
        note("phone", user::normalize_phone(&phone).map(|_| ()));
    }
    if !creating && blank(&form.default_method).is_some_and(|m| Method::parse(&m).is_none()) {
        errors.insert("default_method", "choose one of the listed methods".into());
    }
    errors
}

fn form_page(
    state: &AppState,
    visitor: &Visitor,
    form: &UserForm,
    errors: &FieldErrors,
    editing: bool,
) -> Response {
    let status = match errors.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let methods = ["", "otp", "push", "sms", "email", "sms_reply"];
    let title = if editing { "Edit user" } else { "New user" };
    let ctx = context! { title => title, form => Serde(form),
    errors => Serde(errors), editing => editing,
    methods => methods, ..base(state, visitor, "users") };
    render(status, "user_form.html", ctx)
}

pub async fn new_form(
    State(state): State<AppState>,
    _editor: Editor,
    visitor: Visitor,
) -> Response {
    form_page(
        &state,
        &visitor,
        &UserForm::default(),
        &FieldErrors::new(),
        false,
    )
}

pub async fn create(
    State(state): State<AppState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Form(form): Form<UserForm>,
) -> Response {
    let mut errors = check(&form, true);
    if errors.is_empty() {
        let new = NewUser {
            username: form.username.trim().to_string(),
            display_name: blank(&form.display_name),
            email: blank(&form.email),
            phone: blank(&form.phone),
        };
        match state.accounts.create_user(new).await {
            Ok(created) => {
                let _ = state.welcome.consider(&created.username).await;
                audit(&state, &staff, &visitor, "create_user", &created.username).await;
                return see_user(&created.username);
            }
            Err(DomainError::Conflict(message)) => {
                errors.insert("username", message);
            }
            Err(DomainError::Invalid { field, message }) => {
                errors.insert(field_name(&field), message);
            }
            Err(e) => return failure(e),
        }
    }
    form_page(&state, &visitor, &form, &errors, false)
}

fn field_name(field: &str) -> &'static str {
    [
        "username",
        "display_name",
        "email",
        "phone",
        "default_method",
        "allowed_methods",
    ]
    .into_iter()
    .find(|f| *f == field)
    .unwrap_or("username")
}

fn see_user(username: &str) -> Response {
    Redirect::to(&format!("/admin/users/{}", encode(username))).into_response()
}

pub fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

pub async fn edit_form(
    State(state): State<AppState>,
    _editor: Editor,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    match state.accounts.user(&username).await {
        Ok(u) => {
            let form = UserForm {
                username: u.username.clone(),
                display_name: u.display_name.unwrap_or_default(),
                email: u.email.unwrap_or_default(),
                phone: u.phone.unwrap_or_default(),
                default_method: u.default_method.map_or("", |m| m.as_str()).to_string(),
                welcome_email: match u.welcome_email {
                    Some(true) => "on",
                    Some(false) => "off",
                    None => "default",
                }
                .to_string(),
                ..UserForm::from_allowed(u.allowed_methods.as_deref())
            };
            form_page(&state, &visitor, &form, &FieldErrors::new(), true)
        }
        Err(e) => failure(e),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
    Form(mut form): Form<UserForm>,
) -> Response {
    form.username = username.clone();
    let mut errors = check(&form, false);
    if errors.is_empty() {
        let patch = UserPatch {
            display_name: Some(blank(&form.display_name)),
            email: Some(blank(&form.email)),
            phone: Some(blank(&form.phone)),
            default_method: Some(blank(&form.default_method).and_then(|m| Method::parse(&m))),
            allowed_methods: Some(form.allowed()),
            welcome_email: Some(form.welcome()),
            ..UserPatch::default()
        };
        match state.accounts.update_user(&username, patch).await {
            Ok(updated) => {
                let _ = state.welcome.consider(&updated.username).await;
                audit(&state, &staff, &visitor, "edit_user", &updated.username).await;
                return see_user(&updated.username);
            }
            Err(DomainError::Invalid { field, message }) => {
                errors.insert(field_name(&field), message);
            }
            Err(e) => return failure(e),
        }
    }
    form_page(&state, &visitor, &form, &errors, true)
}

#[derive(Deserialize, Serialize, Default)]
pub struct BypassForm {
    #[serde(default)]
    seconds: String,
    #[serde(default)]
    reason: String,
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    user_page(
        &state,
        &staff,
        &visitor,
        &username,
        None,
        FieldErrors::new(),
    )
    .await
}

async fn user_page(
    state: &AppState,
    staff: &Staff,
    visitor: &Visitor,
    username: &str,
    bypass_form: Option<&BypassForm>,
    bypass_errors: FieldErrors,
) -> Response {
    match user_context(state, username).await {
        Ok(ctx) => {
            let status = match bypass_errors.is_empty() {
                true => StatusCode::OK,
                false => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let page = context! { bypass_form => Serde(bypass_form),
            bypass_errors => Serde(&bypass_errors),
            may_edit => staff.may_edit_users(), ..ctx };
            let ctx = minijinja::value::merge_maps([page, base(state, visitor, "users")]);
            render(status, "user.html", ctx)
        }
        Err(e) => failure(e),
    }
}

async fn user_context(state: &AppState, username: &str) -> Result<Value, DomainError> {
    let u: User = state.accounts.user(username).await?;
    let now = SystemClock.now();
    let tokens: Vec<Value> = state
        .accounts
        .tokens(username)
        .await?
        .iter()
        .map(|t| {
            context! { type => t.kind.to_string(), digits => t.digits, created_at => when(t.created_at),
            last_used_at => t.last_used_at.map(when) }
        })
        .collect();
    let devices: Vec<Value> = state
        .push
        .devices(username)
        .await?
        .iter()
        .map(|d| {
            context! { name => d.name.clone(), platform => d.platform.clone(), pin => d.pin,
            created_at => when(d.created_at), last_seen_at => d.last_seen_at.map(when) }
        })
        .collect();
    let records = state
        .store
        .query_audit(&AuditQuery {
            username: Some(u.username.clone()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await?;
    Ok(context! {
        title => u.username.clone(),
        locked_until => u.locked_until.filter(|t| *t > now).map(when),
        bypass_until => u.bypass_until.filter(|t| *t > now).map(when),
        pin_set => u.pin_hash.is_some(),
        tokens => tokens, devices => devices, records => record_rows(&records),
        user => context! { username => u.username.clone(), display_name => u.display_name.clone(),
            email => u.email.clone(), phone => u.phone.clone(), enabled => u.enabled,
            failed_attempts => u.failed_attempts, bypass_reason => u.bypass_reason.clone(),
            default_method => u.default_method.map(|m| m.as_str()),
            allowed_methods => u.allowed_methods.as_deref().map(countersign_domain::model::method::join_list) },
    })
}

/// Runs a change to the user, audits it and shows the user page again.
async fn act(
    state: &AppState,
    staff: &Staff,
    visitor: &Visitor,
    action: &str,
    change: impl std::future::Future<Output = Result<User, DomainError>>,
) -> Response {
    match change.await {
        Ok(user) => {
            audit(state, staff, visitor, action, &user.username).await;
            see_user(&user.username)
        }
        Err(e) => failure(e),
    }
}

pub async fn unlock(
    State(state): State<AppState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    let change = state.accounts.unlock(&username);
    act(&state, &staff, &visitor, "unlock", change).await
}

pub async fn enable(
    State(state): State<AppState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    let change = state.accounts.set_enabled(&username, true);
    act(&state, &staff, &visitor, "enable", change).await
}

pub async fn disable(
    State(state): State<AppState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    let change = state.accounts.set_enabled(&username, false);
    act(&state, &staff, &visitor, "disable", change).await
}

pub async fn bypass(
    State(state): State<AppState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
    Form(form): Form<BypassForm>,
) -> Response {
    let mut errors = FieldErrors::new();
    match form.seconds.trim().parse::<i64>() {
        Ok(seconds) => match state
            .accounts
            .grant_bypass(&username, seconds, &form.reason)
            .await
        {
            Ok(user) => {
                let what = format!("bypass {seconds}s: {}", form.reason.trim());
                audit(&state, &staff, &visitor, &what, &user.username).await;
                return see_user(&user.username);
            }
            Err(DomainError::Invalid { field, message }) => {
                let field = if field == "seconds" {
                    "seconds"
                } else {
                    "reason"
                };
                errors.insert(field, message);
            }
            Err(e) => return failure(e),
        },
        Err(_) => {
            errors.insert("seconds", "a whole number of seconds, e.g. 300".into());
        }
    }
    user_page(&state, &staff, &visitor, &username, Some(&form), errors).await
}

pub async fn add_totp(
    State(state): State<AppState>,
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
    State(state): State<AppState>,
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
    let url = crate::activations::service_url(&state, &headers);
    // The phone's camera opens the web app from this link; the code rides
    // in the fragment, which browsers never send to the server.
    let app_link = countersign_domain::methods::push::activation::app_url(&url, &grant.code);
    let qr = countersign_otp::qr::svg(&app_link).unwrap_or_default();
    let items = vec![
        context! { label => "Activation code", value => grant.grouped() },
        context! { label => "Server URL", value => url.clone() },
        context! { label => "Web app link", value => app_link },
        context! { label => "Command-line authenticator", value => crate::activation_uri(&url, &grant.code, state.tls_pin.as_deref()) },
        context! { label => "Expires", value => when(grant.expires_at) },
    ];
    shown_once(&state, &visitor, &username, "New authenticator activation",
        "Scan the QR code with the phone's camera: it opens the Countersign app, which activates itself. Or type the code and the server URL into the app.", qr, items)
}

/// A one-time link that signs the user in to the portal, shown once.
pub async fn enrol_link(
    State(state): State<AppState>,
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
    state: &AppState,
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

pub async fn delete(
    State(state): State<AppState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    match state.accounts.delete_user(&username).await {
        Ok(()) => {
            audit(&state, &staff, &visitor, "delete_user", &username).await;
            Redirect::to("/admin/users").into_response()
        }
        Err(e) => failure(e),
    }
}
