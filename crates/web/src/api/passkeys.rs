//! `/api/v1/users/{username}/passkeys` (admin scope): registering,
//! listing and removing passkeys. The ceremony runs in the user's browser:
//! the application gives `options` to
//! `PublicKeyCredential.parseCreationOptionsFromJSON`, calls
//! `navigator.credentials.create` and posts `credential.toJSON()` back.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use countersign_domain::methods::passkeys::{PasskeyView, Passkeys};
use countersign_domain::ports::clock::rfc3339;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::ApiState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{AdminKey, ApiJson, ApiQuery};

/// A registration started: give `options` to the browser.
#[derive(Debug, Serialize, ToSchema)]
pub struct CeremonyView {
    /// Post the browser's answer to `/api/v1/users/{username}/passkeys/{ceremony_id}`.
    pub ceremony_id: String,
    /// `PublicKeyCredentialCreationOptionsJSON` (WebAuthn Level 3), what
    /// `PublicKeyCredential.parseCreationOptionsFromJSON` takes.
    #[schema(value_type = Object)]
    pub options: Value,
}

/// Starting a registration; the body may be empty (`{}`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BeginRegistration {
    /// The name the authenticator shows for the account (default: the
    /// user's display name, else the username).
    pub display_name: Option<String>,
}

/// `?name=`: what to call the new passkey.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameQuery {
    pub name: Option<String>,
}

/// A registered passkey (never its public key).
#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyJson {
    /// base64url; the id `DELETE .../passkeys/{credential_id}` takes.
    pub credential_id: String,
    pub name: String,
    /// The authenticator model's AAGUID (all zero when not told).
    pub aaguid: String,
    /// `es256`, `eddsa` or `rs256`.
    pub algorithm: String,
    pub transports: Vec<String>,
    pub sign_count: u32,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub discoverable: Option<bool>,
    /// `none`, `self_attestation`, `certified` or `unverified`.
    pub attestation: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

impl From<PasskeyView> for PasskeyJson {
    fn from(v: PasskeyView) -> Self {
        let algorithm = serde_json::to_value(v.algorithm)
            .ok()
            .and_then(|a| a.as_str().map(str::to_string))
            .unwrap_or_default();
        PasskeyJson {
            credential_id: v.credential_id,
            name: v.name,
            aaguid: v.aaguid.to_string(),
            algorithm,
            transports: v.transports,
            sign_count: v.sign_count,
            backup_eligible: v.backup_eligible,
            backup_state: v.backup_state,
            discoverable: v.discoverable,
            attestation: v.attestation.to_string(),
            created_at: rfc3339(v.created_at),
            last_used_at: v.last_used_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyList {
    pub passkeys: Vec<PasskeyJson>,
}

fn passkeys(state: &ApiState) -> Result<&Passkeys, ApiError> {
    state.signin.passkeys().ok_or_else(|| {
        ApiError::invalid(
            "passkeys are off on this server: set webauthn.rp_id and webauthn.origins \
             (or an https public_url); `countersign doctor` says what is wrong",
        )
    })
}

#[utoipa::path(post, path = "/api/v1/users/{username}/passkeys", operation_id = "begin_passkey_registration",
    request_body = BeginRegistration, security(("bearer" = [])),
    responses((status = 201, body = CeremonyView), (status = 404, body = ErrorBody)))]
pub async fn begin(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(username): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<CeremonyView>), ApiError> {
    let begin: BeginRegistration = match body.iter().all(u8::is_ascii_whitespace) {
        true => BeginRegistration::default(),
        false => serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request(
                "malformed_json",
                format!("the body is not the JSON expected: {e}"),
            )
        })?,
    };
    let display = begin.display_name;
    let ceremony = passkeys(&state)?
        .begin_registration(&username, display.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CeremonyView {
            ceremony_id: ceremony.ceremony_id,
            options: ceremony.options,
        }),
    ))
}

#[utoipa::path(post, path = "/api/v1/users/{username}/passkeys/{ceremony_id}", operation_id = "finish_passkey_registration",
    request_body(content = Object, description = "The browser's RegistrationResponseJSON (`credential.toJSON()`), \
        or `{\"credential\": RegistrationResponseJSON, \"name\": \"...\"}`; the name may also come as `?name=`."),
    params(("name" = Option<String>, Query, description = "What to call the passkey (default `Passkey`)")),
    security(("bearer" = [])),
    responses((status = 201, body = PasskeyJson), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn finish(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path((username, ceremony_id)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<NameQuery>,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<PasskeyJson>), ApiError> {
    let (response, name) = match body.get("credential") {
        Some(credential) if credential.is_object() => {
            let name = body.get("name").and_then(Value::as_str).map(str::to_string);
            (credential.clone(), name.or(query.name))
        }
        _ => (body, query.name),
    };
    let view = passkeys(&state)?
        .finish_registration(&username, &ceremony_id, &response, name)
        .await?;
    tracing::info!(user = %username, credential = %view.credential_id, "passkey registered over the API");
    Ok((StatusCode::CREATED, Json(view.into())))
}

#[utoipa::path(get, path = "/api/v1/users/{username}/passkeys", operation_id = "list_passkeys", security(("bearer" = [])),
    responses((status = 200, body = PasskeyList), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(username): Path<String>,
) -> Result<Json<PasskeyList>, ApiError> {
    let views = passkeys(&state)?.list(&username).await?;
    Ok(Json(PasskeyList {
        passkeys: views.into_iter().map(PasskeyJson::from).collect(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/users/{username}/passkeys/{credential_id}", operation_id = "remove_passkey", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "the user's last method")))]
pub async fn remove(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path((username, credential_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    passkeys(&state)?.remove(&username, &credential_id).await?;
    tracing::info!(user = %username, credential = %credential_id, "passkey removed over the API");
    Ok(StatusCode::NO_CONTENT)
}
