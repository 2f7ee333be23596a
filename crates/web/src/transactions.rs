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
