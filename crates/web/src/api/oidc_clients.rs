//! `/api/v1/oidc/clients` (admin scope): the OpenID Provider's relying
//! parties. The secret is in the answer to create and rotate-secret only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use countersign_domain::model::oidc::SigningAlg;
use countersign_domain::oidc::{ClientPatch, ClientSpec, ClientView, ClientWithSecret};
use countersign_domain::ports::clock::rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{AdminKey, ApiJson};

/// A client (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct OidcClientJson {
    /// The name, which relying parties send as `client_id`.
    pub name: String,
    pub client_id: String,
    /// No secret; PKCE (S256) required.
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    /// Only members of these groups may use it; empty: everyone.
    pub allowed_groups: Vec<String>,
    /// `ES256` (default) or `RS256`.
    pub signing_alg: String,
    pub id_token_seconds: i64,
    pub access_token_seconds: i64,
    /// Refresh tokens are issued, living this long after sign-in, when set.
    pub refresh_token_seconds: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// A client just created, or its secret rotated: the secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct OidcClientWithSecret {
    #[serde(flatten)]
    pub client: OidcClientJson,
    /// `null` for public clients.
    pub client_secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OidcClientList {
    pub clients: Vec<OidcClientJson>,
}

/// A new client; leave `client_secret` out to have one made.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOidcClient {
    pub name: String,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    pub public: bool,
    /// At least 32 characters.
    pub client_secret: Option<String>,
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub allowed_groups: Vec<String>,
    pub signing_alg: Option<String>,
    pub id_token_seconds: Option<i64>,
    pub access_token_seconds: Option<i64>,
    pub refresh_token_seconds: Option<i64>,
}

/// Changes: only the fields given change (`refresh_token_seconds: null` turns refresh tokens off).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchOidcClient {
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub scopes: Option<Vec<String>>,
    pub allowed_groups: Option<Vec<String>>,
    pub signing_alg: Option<String>,
    pub id_token_seconds: Option<i64>,
    pub access_token_seconds: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub refresh_token_seconds: Option<Option<i64>>,
}

/// A field given as `null` is `Some(None)`; left out, `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// `{"client_secret": "..."}` to set a chosen secret; an empty body makes one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
    pub client_secret: Option<String>,
}

fn alg(text: Option<String>) -> Result<Option<SigningAlg>, ApiError> {
    text.map(|t| {
        SigningAlg::parse(&t).ok_or_else(|| ApiError::invalid("signing_alg: ES256 or RS256"))
    })
    .transpose()
}

impl From<ClientView> for OidcClientJson {
    fn from(v: ClientView) -> Self {
        let c = v.config;
        OidcClientJson {
            name: v.name,
            client_id: v.client_id,
            public: v.public,
            redirect_uris: c.redirect_uris,
            post_logout_redirect_uris: c.post_logout_redirect_uris,
            scopes: c.scopes,
            allowed_groups: c.allowed_groups,
            signing_alg: c.signing_alg.as_str().to_string(),
            id_token_seconds: c.id_token_seconds,
            access_token_seconds: c.access_token_seconds,
            refresh_token_seconds: c.refresh_token_seconds,
            created_at: rfc3339(v.created_at),
            updated_at: rfc3339(v.updated_at),
        }
    }
}

impl From<ClientWithSecret> for OidcClientWithSecret {
    fn from(v: ClientWithSecret) -> Self {
        OidcClientWithSecret {
            client: v.client.into(),
            client_secret: v.client_secret,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/oidc/clients", operation_id = "list_oidc_clients", security(("bearer" = [])),
    responses((status = 200, body = OidcClientList)))]
pub async fn list(
    State(state): State<ApiState>,
    _key: AdminKey,
) -> Result<Json<OidcClientList>, ApiError> {
    let clients = state.oidc_clients.list().await?;
    Ok(Json(OidcClientList {
        clients: clients.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/oidc/clients", operation_id = "create_oidc_client", request_body = CreateOidcClient,
    security(("bearer" = [])), responses((status = 201, body = OidcClientWithSecret), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<ApiState>,
    _key: AdminKey,
    ApiJson(body): ApiJson<CreateOidcClient>,
) -> Result<(StatusCode, Json<OidcClientWithSecret>), ApiError> {
    let spec = ClientSpec {
        name: body.name,
        redirect_uris: body.redirect_uris,
        post_logout_redirect_uris: body.post_logout_redirect_uris,
        public: body.public,
        scopes: body.scopes,
        allowed_groups: body.allowed_groups,
        signing_alg: alg(body.signing_alg)?,
        id_token_seconds: body.id_token_seconds,
        access_token_seconds: body.access_token_seconds,
        refresh_token_seconds: body.refresh_token_seconds,
    };
    let made = state.oidc_clients.add(spec, body.client_secret).await?;
    tracing::info!(client = %made.client.name, "OpenID client created over the API");
    Ok((StatusCode::CREATED, Json(made.into())))
}

#[utoipa::path(get, path = "/api/v1/oidc/clients/{name}", operation_id = "show_oidc_client", security(("bearer" = [])),
    responses((status = 200, body = OidcClientJson), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(name): Path<String>,
) -> Result<Json<OidcClientJson>, ApiError> {
    Ok(Json(state.oidc_clients.get(&name).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/oidc/clients/{name}", operation_id = "update_oidc_client", request_body = PatchOidcClient,
    security(("bearer" = [])), responses((status = 200, body = OidcClientJson), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<PatchOidcClient>,
) -> Result<Json<OidcClientJson>, ApiError> {
    let patch = ClientPatch {
        redirect_uris: body.redirect_uris,
        post_logout_redirect_uris: body.post_logout_redirect_uris,
        scopes: body.scopes,
        allowed_groups: body.allowed_groups,
        signing_alg: alg(body.signing_alg)?,
        id_token_seconds: body.id_token_seconds,
        access_token_seconds: body.access_token_seconds,
        refresh_token_seconds: body.refresh_token_seconds,
    };
    Ok(Json(state.oidc_clients.update(&name, patch).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/oidc/clients/{name}", operation_id = "remove_oidc_client", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.oidc_clients.remove(&name).await?;
    tracing::info!(client = %name, "OpenID client removed over the API");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/oidc/clients/{name}/rotate-secret", operation_id = "rotate_oidc_client_secret",
    request_body = RotateSecret, security(("bearer" = [])),
    responses((status = 200, body = OidcClientWithSecret), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rotate_secret(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<OidcClientWithSecret>, ApiError> {
    let rotate: RotateSecret = match body.iter().all(u8::is_ascii_whitespace) {
        true => RotateSecret::default(),
        false => serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request(
                "malformed_json",
                format!("the body is not the JSON expected: {e}"),
            )
        })?,
    };
    let made = state
        .oidc_clients
        .rotate_secret(&name, rotate.client_secret)
        .await?;
    tracing::info!(client = %name, "OpenID client secret rotated over the API");
    Ok(Json(made.into()))
}
