//! `GET /api/v1/transactions/{id}?wait=SECONDS`: a push's outcome, long-polled.

use axum::extract::{Path, State};
use axum::Json;
use countersign_domain::push::{PushTransaction, TxStatus};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::extract::{ApiQuery, VerifyKey};
use crate::AppState;

/// The longest a long-poll is held.
pub const MAX_WAIT: u64 = 60;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitParams {
    wait: Option<u64>,
}

pub async fn show(
    State(state): State<AppState>,
    _key: VerifyKey,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<WaitParams>,
) -> Result<Json<Value>, ApiError> {
    let wait = params.wait.unwrap_or(0).min(MAX_WAIT);
    if id.starts_with("chl_") {
        return Ok(Json(wait_for_reply(&state, &id, wait).await?));
    }
    let transaction = wait_for_decision(&state, &id, wait).await?;
    Ok(Json(outcome_json(&transaction)))
}

/// Returns as soon as the push is decided, or after `wait` seconds, or at its timeout.
pub async fn wait_for_decision(
    state: &AppState,
    id: &str,
    wait: u64,
) -> Result<PushTransaction, ApiError> {
    state
        .hub
        .wait_for_decision(&state.push, id, wait)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no push transaction '{id}'")))
}

pub fn outcome_json(t: &PushTransaction) -> Value {
    match t.status {
        TxStatus::Pending => {
            json!({"result": "pending", "transaction_id": t.id, "number": t.number})
        }
        TxStatus::Accepted => json!({"result": "accepted", "transaction_id": t.id}),
        TxStatus::Rejected => {
            let reason = t.reason.clone().unwrap_or_default();
            let message = countersign_domain::Reason::parse(&reason).map(|r| r.message());
            json!({"result": "rejected", "transaction_id": t.id, "reason": reason, "message": message})
        }
    }
}

/// A two-way SMS sign-in: answered when the reply arrives (or expires).
pub async fn wait_for_reply(state: &AppState, id: &str, wait: u64) -> Result<Value, ApiError> {
    use countersign_domain::sms_reply::ReplyStatus;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(wait);
    loop {
        let waiter = state.hub.waiter(id);
        let notified = waiter.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let (status, expires_at) = state
            .codes
            .reply_status(id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no transaction '{id}'")))?;
        let now = tokio::time::Instant::now();
        match status {
            ReplyStatus::Accepted => {
                return Ok(json!({"result": "accepted", "transaction_id": id}))
            }
            ReplyStatus::Rejected(reason) => {
                return Ok(
                    json!({"result": "rejected", "transaction_id": id, "reason": reason.as_str(), "message": reason.message()}),
                )
            }
            ReplyStatus::Pending if now >= deadline => {
                return Ok(json!({"result": "pending", "transaction_id": id}))
            }
            ReplyStatus::Pending => {
                let until_expiry = (expires_at - state.push.clock().now()).max(0) as u64;
                let sleep = (deadline - now).min(
                    std::time::Duration::from_secs(until_expiry)
                        + std::time::Duration::from_millis(200),
                );
                let _ = tokio::time::timeout(sleep, notified).await;
            }
        }
    }
}
