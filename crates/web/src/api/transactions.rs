//! `GET /api/v1/transactions/{id}?wait=SECONDS`: a push's or two-way SMS's
//! outcome, long-polled through the engine.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::Json;
use countersign_domain::signin::DoorRules;
use serde::Deserialize;
use serde_json::Value;

use super::verify::transaction_json;
use super::ApiState;
use crate::http::error::ApiError;
use crate::http::extract::{ApiQuery, VerifyKey};

/// The longest a long-poll is held.
pub const MAX_WAIT: u64 = 60;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitParams {
    wait: Option<u64>,
}

pub async fn show(
    State(state): State<ApiState>,
    _key: VerifyKey,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<WaitParams>,
) -> Result<Json<Value>, ApiError> {
    let wait = Duration::from_secs(params.wait.unwrap_or(0).min(MAX_WAIT));
    let step = state
        .signin
        .wait(&id, wait, &DoorRules::default())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no transaction '{id}'")))?;
    Ok(Json(transaction_json(&id, step)))
}
