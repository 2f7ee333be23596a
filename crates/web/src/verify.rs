//! `POST /api/v1/verify`: the door applications call (verify scope).

use axum::extract::State;
use axum::Json;
use countersign_domain::codes::{CodeCheckError, CodeStart};
use countersign_domain::messages::MessageKind;
use countersign_domain::push_service::{PushContext, PushStart};
use countersign_domain::{Outcome, Reason, Source, Verification};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ClientAddr, VerifyKey};
use crate::transactions::{outcome_json, wait_for_decision};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub username: String,
    /// The one-time code the user typed (method `otp`, the default).
    pub code: Option<String>,
    /// `otp` (default) or `push`.
    pub method: Option<String>,
    /// Push: what the device shows about the sign-in.
    pub context: Option<SignInContext>,
    /// Push: block until decided instead of answering `pending`.
    pub wait: Option<bool>,
    /// SMS and email codes: the challenge the code answers.
    pub transaction_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInContext {
    pub application: Option<String>,
    pub client_address: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    /// `accepted`, `rejected`, or (push) `pending`.
    pub result: &'static str,
    /// Why it was rejected: a stable reason code (docs/reason-codes.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The reason in words to show the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
}

#[utoipa::path(post, path = "/api/v1/verify", request_body = VerifyRequest, security(("bearer" = [])),
    responses((status = 200, body = VerifyResponse), (status = 404, body = ErrorBody, description = "unknown_user"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    VerifyKey(key): VerifyKey,
    client: ClientAddr,
    ApiJson(body): ApiJson<VerifyRequest>,
) -> Result<Json<Value>, ApiError> {
    let source = client.source(&key);
    if let Some(transaction_id) = &body.transaction_id {
        let code = body
            .code
            .as_deref()
            .ok_or_else(|| ApiError::invalid("missing field `code` with `transaction_id`"))?;
        return check_code(&state, &body.username, transaction_id, code, &source).await;
    }
    match body.method.as_deref().unwrap_or("otp") {
        "sms_reply" => match state.codes.start_reply(&body.username, &source).await? {
            CodeStart::Pending { transaction_id, .. } if body.wait == Some(true) => {
                let wait = crate::transactions::MAX_WAIT;
                Ok(Json(
                    crate::transactions::wait_for_reply(&state, &transaction_id, wait).await?,
                ))
            }
            CodeStart::Pending {
                transaction_id,
                message,
            }
            | CodeStart::Challenge {
                transaction_id,
                message,
            } => Ok(Json(
                json!({"result": "pending", "transaction_id": transaction_id, "message": message}),
            )),
            CodeStart::Rejected(reason) => answer(&body.username, Outcome::Rejected { reason }),
        },
        "sms" | "email" => {
            let kind = if body.method.as_deref() == Some("sms") {
                MessageKind::Sms
            } else {
                MessageKind::Email
            };
            match state.codes.start(&body.username, kind, &source).await? {
                CodeStart::Challenge {
                    transaction_id,
                    message,
                }
                | CodeStart::Pending {
                    transaction_id,
                    message,
                } => Ok(Json(
                    json!({"result": "challenge", "transaction_id": transaction_id, "message": message}),
                )),
                CodeStart::Rejected(reason) => answer(&body.username, Outcome::Rejected { reason }),
            }
        }
        "otp" => {
            let code = body.code.ok_or_else(|| {
                ApiError::invalid("missing field `code` (or set \"method\": \"push\")")
            })?;
            let request = Verification {
                username: body.username,
                code,
                source,
            };
            let outcome = state.verifier.verify(&request).await?;
            answer(&request.username, outcome)
        }
        "push" => {
            let context = body.context.map(|c| PushContext {
                application: c.application,
                client_address: c.client_address,
                number_matching: None,
            });
            match state
                .push
                .start(&body.username, context.unwrap_or_default(), &source)
                .await?
            {
                PushStart::Rejected(reason) => answer(&body.username, Outcome::Rejected { reason }),
                PushStart::Pending {
                    transaction_id,
                    number,
                } if body.wait == Some(true) => {
                    let wait = state.push.policy().timeout_seconds.max(1) as u64 + 1;
                    let decided = wait_for_decision(&state, &transaction_id, wait).await?;
                    let mut value = outcome_json(&decided);
                    value["number"] = json!(number);
                    Ok(Json(value))
                }
                PushStart::Pending {
                    transaction_id,
                    number,
                } => Ok(Json(
                    json!({"result": "pending", "transaction_id": transaction_id, "number": number}),
                )),
            }
        }
        other => Err(ApiError::invalid(format!(
            "method '{other}' is not otp, push, sms or email"
        ))),
    }
}

async fn check_code(
    state: &AppState,
    username: &str,
    id: &str,
    code: &str,
    source: &Source,
) -> Result<Json<Value>, ApiError> {
    match state.codes.check(username, id, code, source).await {
        Ok(None) => Ok(Json(json!({"result": "accepted"}))),
        Ok(Some(reason)) => Ok(Json(
            json!({"result": "rejected", "reason": reason.as_str(), "message": reason.message()}),
        )),
        Err(CodeCheckError::NotFound) => Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "unknown_transaction",
            "no code was sent with this transaction_id for this user: ask for a new code",
        )),
        Err(CodeCheckError::Domain(e)) => Err(e.into()),
    }
}

fn answer(username: &str, outcome: Outcome) -> Result<Json<Value>, ApiError> {
    match outcome {
        Outcome::Accepted { .. } => Ok(Json(json!({"result": "accepted"}))),
        Outcome::Rejected {
            reason: Reason::UnknownUser,
        } => Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "unknown_user",
            format!("no user is named '{username}': create the user first"),
        )),
        Outcome::Rejected { reason } => Ok(Json(
            json!({"result": "rejected", "reason": reason.as_str(), "message": reason.message()}),
        )),
    }
}
