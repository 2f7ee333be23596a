//! The user form: a new user, or a user's profile and methods edited;
//! every field checked at once, each error shown next to its field.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use countersign_domain::model::user::{self, NewUser, UserPatch};
use countersign_domain::signin::Method;
use countersign_domain::DomainError;
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use super::{blank, see_user, FieldErrors};
use crate::console::guard::{audit, Editor, Visitor};
use crate::console::page::{base, failure, render};
use crate::console::ConsoleState;

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
    allow_call: Option<String>,
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
            allow_call: has(Method::Call),
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
            (&self.allow_call, Method::Call),
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
    state: &ConsoleState,
    visitor: &Visitor,
    form: &UserForm,
    errors: &FieldErrors,
    editing: bool,
) -> Response {
    let status = match errors.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let methods = ["", "otp", "push", "sms", "email", "sms_reply", "call"];
    let title = if editing { "Edit user" } else { "New user" };
    let ctx = context! { title => title, form => Serde(form),
    errors => Serde(errors), editing => editing,
    methods => methods, ..base(state, visitor, "users") };
    render(status, "user_form.html", ctx)
}

pub async fn new_form(
    State(state): State<ConsoleState>,
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
    State(state): State<ConsoleState>,
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

pub async fn edit_form(
    State(state): State<ConsoleState>,
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
    State(state): State<ConsoleState>,
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
