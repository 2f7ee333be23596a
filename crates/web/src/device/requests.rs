//! `GET /device/v1/requests` and `POST /device/v1/requests/{id}/answer`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use countersign_device_proto::{Answer as WireAnswer, AnswerBody, AnswerResult, PendingList};
use countersign_domain::methods::push::{Answer, AnswerError};

use super::signed::Signed;
use super::DeviceState;
use crate::http::error::ApiError;
use crate::push_hub::sign_in_request;

pub async fn list(
    State(state): State<DeviceState>,
    signed: Signed,
) -> Result<Json<PendingList>, ApiError> {
    let pending = state.push.pending_for(&signed.device).await?;
    Ok(Json(PendingList {
        requests: pending.iter().map(sign_in_request).collect(),
    }))
}

pub async fn answer(
    State(state): State<DeviceState>,
    Path(id): Path<String>,
    signed: Signed,
) -> Result<Json<AnswerResult>, ApiError> {
    // An answer other than approve, deny or fraud is refused while reading (422).
    let body: AnswerBody = signed.json()?;
    let answer = match body.answer {
        WireAnswer::Approve => Answer::Approve,
        WireAnswer::Deny => Answer::Deny,
        WireAnswer::Fraud => Answer::Fraud,
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
        Ok(None) => Ok(Json(AnswerResult::accepted())),
        Ok(Some(reason)) => Ok(Json(AnswerResult::rejected(
            reason.as_str(),
            reason.message(),
        ))),
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
