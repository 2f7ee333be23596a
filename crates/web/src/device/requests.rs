//! `GET /device/v1/requests` and `POST /device/v1/requests/{id}/answer`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use countersign_domain::methods::push::{Answer, AnswerError};
use serde::Deserialize;
use serde_json::{json, Value};

use super::signed::Signed;
use super::DeviceState;
use crate::http::error::ApiError;
use crate::push_hub::event_json;

pub async fn list(
    State(state): State<DeviceState>,
    signed: Signed,
) -> Result<Json<Value>, ApiError> {
    let pending = state.push.pending_for(&signed.device).await?;
    Ok(Json(
        json!({"requests": pending.iter().map(event_json).collect::<Vec<_>>()}),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    answer: String,
    number: Option<i64>,
    pin_proof: Option<String>,
}

pub async fn answer(
    State(state): State<DeviceState>,
    Path(id): Path<String>,
    signed: Signed,
) -> Result<Json<Value>, ApiError> {
    let body: AnswerBody = signed.json()?;
    let answer = match body.answer.as_str() {
        "approve" => Answer::Approve,
        "deny" => Answer::Deny,
        "fraud" => Answer::Fraud,
        other => {
            return Err(ApiError::invalid(format!(
                "answer '{other}' is not approve, deny or fraud"
            )))
        }
    };
    match state
        .push
        .answer(
            &signed.device,
            &id,
            answer,
            body.number,
            body.pin_proof.as_deref(),
        )
        .await
    {
        Ok(None) => Ok(Json(json!({"result": "accepted"}))),
        Ok(Some(reason)) => Ok(Json(
            json!({"result": "rejected", "reason": reason.as_str(), "message": reason.message()}),
        )),
        Err(AnswerError::NotFound) => Err(ApiError::not_found(
            "no such sign-in request for this device",
        )),
        Err(AnswerError::AlreadyAnswered) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_answered",
            "this sign-in request was already answered or has timed out",
        )),
        Err(AnswerError::Domain(e)) => Err(e.into()),
    }
}
