//! The console's door on the shared session guard ([`crate::sessions`]):
//! administrators' sessions, the console's cookies and pages, and the
//! extractors that gate roles.

use crate::console::ConsoleState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::HeaderMap;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use countersign_domain::model::admin::{Admin, Role};
use countersign_domain::model::session::Level;
use countersign_domain::sessions::Live;
use countersign_domain::DomainError;

use crate::sessions::{Places, Refusal, SessionDoor, Visit, CONSOLE};
use crate::AppState;

/// The console under `/admin`.
pub struct ConsoleDoor;

impl SessionDoor for ConsoleDoor {
    type Subject = Admin;
    const PLACES: &'static Places = &CONSOLE;

    fn refused(_: &AppState, _: &HeaderMap, why: Refusal) -> Response {
        let message = match why {
            Refusal::TooLarge => "The form is too large.",
            Refusal::Forged => "This form has expired or did not come from the console. Go back, reload the page and try again.",
        };
        super::page::error_page(why.status(), "Not accepted", message, None)
    }

    fn failure(_: &AppState, _: &HeaderMap, e: DomainError) -> Response {
        super::page::failure(e)
    }
}

/// Who is asking the console, as the guard found out.
pub type Visitor = Visit<ConsoleDoor>;

/// Every console request passes here (see [`crate::sessions::guard()`]).
pub async fn console_guard(state: State<AppState>, request: Request, next: Next) -> Response {
    crate::sessions::guard::<ConsoleDoor>(state, request, next).await
}

/// A fully signed-in administrator; anyone else is sent to sign in.
pub struct Staff(pub Live<Admin>);

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        let live = visitor
            .at(&[Level::SignedIn])
            .map_err(IntoResponse::into_response)?;
        Ok(Staff(live))
    }
}

impl Staff {
    /// Helpdesk and admins change users; auditors only read.
    pub fn may_edit_users(&self) -> bool {
        self.0.subject.role != Role::Auditor
    }
}

/// A signed-in administrator who may change users (admin, helpdesk); an
/// auditor gets 403.
pub struct Editor(pub Staff);

impl FromRequestParts<AppState> for Editor {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let staff = Staff::from_request_parts(parts, state).await?;
        match staff.may_edit_users() {
            true => Ok(Editor(staff)),
            false => Err(forbidden()),
        }
    }
}

/// A signed-in administrator with the `admin` role (settings, API keys,
/// RADIUS clients); helpdesk and auditors get 403.
pub struct Owner(pub Staff);

impl FromRequestParts<AppState> for Owner {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let staff = Staff::from_request_parts(parts, state).await?;
        match staff.0.subject.role {
            Role::Admin => Ok(Owner(staff)),
            _ => Err(forbidden()),
        }
    }
}

fn forbidden() -> Response {
    super::page::error_page(
        StatusCode::FORBIDDEN,
        "Not allowed",
        "Your role does not allow this. Ask an administrator with the admin role.",
        None,
    )
}

/// Audits an administrator's action; a failure to audit is logged, not shown.
pub async fn audit(
    state: &impl AsRef<ConsoleState>,
    staff: &Staff,
    visitor: &Visitor,
    action: &str,
    target: &str,
) {
    let address = visitor.address.clone();
    if let Err(e) = state
        .as_ref()
        .sessions
        .admins
        .record_action(&staff.0, action, target, address)
        .await
    {
        tracing::error!(error = %e, action, "console action could not be audited");
    }
}
