//! `POST /api/v1/verify`: the door applications call (verify scope). A
//! translation table: the request becomes one engine attempt, the engine's
//! step becomes the JSON answer.

use std::time::Duration;

use axum::extract::State;
use axum::Json;
use countersign_domain::methods::push::PushContext;
use countersign_domain::signin::{AnswerError, Attempt, DoorRules, Method, Step};
use countersign_domain::Reason;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::ApiState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ClientAddr, VerifyKey};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub username: String,
    /// The code the user typed: an OATH code or a YubiKey's OTP (implies
    /// `otp` or `yubico` when no method is named), or with `transaction_id`
    /// the texted or emailed code.
    pub code: Option<String>,
    /// `otp`, `yubico`, `push`, `sms`, `sms_reply` or `email`. Absent: `otp`
    /// (`yubico` for a YubiKey's OTP) when a code is given, else the user's
    /// default method.
    pub method: Option<String>,
    /// Push: what the device shows about the sign-in.
    pub context: Option<SignInContext>,
    /// Push and two-way SMS: block until decided instead of answering `pending`.
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
    /// `accepted`, `rejected`, `challenge` (enter a code) or `pending` (push, two-way SMS).
    pub result: &'static str,
    /// Why it was rejected: a stable reason code (docs/reason-codes.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The reason, or what to do next, in words to show the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Challenge and pending: the method that runs (`otp`, `push`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<&'static str>,
    /// Challenge and pending: pass it back with the code, or poll `/api/v1/transactions/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Push with number matching: the number to show on the sign-in screen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/verify", operation_id = "verify", request_body = VerifyRequest, security(("bearer" = [])),
    responses((status = 200, body = VerifyResponse), (status = 404, body = ErrorBody, description = "unknown_user"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn verify(
    State(state): State<ApiState>,
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
        let step = state
            .signin
            .answer(&body.username, transaction_id, code, &source)
            .await
            .map_err(answer_error)?;
        return step_json(&body.username, step);
    }
    let method = body
        .method
        .as_deref()
        .map(|m| {
            Method::parse(m).ok_or_else(|| {
                ApiError::invalid(format!("method '{m}' is not {}", Method::listed()))
            })
        })
        .transpose()?;
    if method == Some(Method::Otp) && body.code.is_none() {
        return Err(ApiError::invalid(
            "missing field `code` (or set \"method\": \"push\")",
        ));
    }
    let attempt = Attempt {
        username: body.username.clone(),
        method,
        code: body.code,
        context: body
            .context
            .map_or_else(PushContext::default, |c| PushContext {
                application: c.application,
                client_address: c.client_address,
                number_matching: None,
            }),
        source,
        rules: DoorRules::default(),
        ..Attempt::default()
    };
    let step = state.signin.start(&attempt).await?;
    match step {
        Step::Pending {
            transaction_id,
            number,
            method: step_method,
            ..
        } if body.wait == Some(true) => {
            let wait = match step_method {
                Method::SmsReply => super::transactions::MAX_WAIT,
                m => state.signin.pending_seconds(m) + 1,
            };
            let wait = Duration::from_secs(wait);
            let decided = state
                .signin
                .wait(&transaction_id, wait, &DoorRules::default())
                .await?
                .ok_or_else(|| ApiError::not_found(format!("no transaction '{transaction_id}'")))?;
            let mut value = transaction_json(&transaction_id, decided);
            if number.is_some() {
                value["number"] = json!(number);
            }
            Ok(Json(value))
        }
        step => step_json(&body.username, step),
    }
}

fn answer_error(e: AnswerError) -> ApiError {
    match e {
        AnswerError::NotFound => ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "unknown_transaction",
            "no code was sent with this transaction_id for this user: ask for a new code",
        ),
        AnswerError::Domain(e) => e.into(),
    }
}

/// The answer to a new sign-in; an unknown user is a 404 like every other missing resource.
fn step_json(username: &str, step: Step) -> Result<Json<Value>, ApiError> {
    if step == Step::rejected(Reason::UnknownUser) {
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "unknown_user",
            format!("no user is named '{username}': create the user first"),
        ));
    }
    let value = match step {
        // The method that answered is in the audit trail; the answer stays as it always was.
        Step::Accepted { reason, .. } => json!({
            "result": "accepted",
            "reason": reason.map(Reason::as_str),
        }),
        Step::Rejected { reason } => {
            json!({"result": "rejected", "reason": reason.as_str(), "message": reason.message()})
        }
        Step::Challenge {
            transaction_id,
            method,
            prompt,
        } => json!({
            "result": "challenge", "method": method.as_str(),
            "transaction_id": transaction_id, "message": prompt,
        }),
        Step::Pending {
            transaction_id,
            method,
            number,
            prompt,
        } => {
            let mut value = json!({"result": "pending", "method": method.as_str(),
                "transaction_id": transaction_id, "message": prompt});
            if method == Method::Push {
                value["number"] = json!(number);
            }
            value
        }
    };
    Ok(Json(without_nulls(value)))
}

/// A transaction's standing, as `GET /api/v1/transactions/{id}` answers it.
pub fn transaction_json(transaction_id: &str, step: Step) -> Value {
    let mut value = match step {
        Step::Accepted { .. } => json!({"result": "accepted"}),
        Step::Rejected { reason } => {
            json!({"result": "rejected", "reason": reason.as_str(), "message": reason.message()})
        }
        Step::Pending { method, number, .. } => {
            let mut value = json!({"result": "pending"});
            if method == Method::Push {
                value["number"] = json!(number);
            }
            value
        }
        Step::Challenge { method, prompt, .. } => {
            json!({"result": "challenge", "method": method.as_str(), "message": prompt})
        }
    };
    value["transaction_id"] = json!(transaction_id);
    value
}

/// Optional fields are left out rather than sent as null.
fn without_nulls(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.retain(|key, v| !v.is_null() || key == "number");
    }
    value
}
