//! `pending`, `approve`, `deny`, `fraud`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use countersign_authenticator::api::{Answer, AnswerResult, ClientError, Device};
use countersign_authenticator::store::Store;
use countersign_authenticator::{answer_body, open_device};
use serde_json::json;

use super::{describe, exit_for, Output};

fn device(store_path: &Path) -> anyhow::Result<Device> {
    let store = Store::load(store_path)?;
    Ok(open_device(&store)?)
}

pub async fn pending(store_path: &Path, out: Output) -> anyhow::Result<ExitCode> {
    let device = device(store_path)?;
    let requests = device
        .pending()
        .await
        .context("cannot list pending requests")?;
    if out.json {
        out.json_line(&json!({ "requests": requests }));
    } else if requests.is_empty() {
        println!("No sign-in requests are waiting.");
    } else {
        for request in &requests {
            println!("{}", describe(request));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn approve(
    store_path: &Path,
    id: &str,
    number: Option<u32>,
    pin: Option<&str>,
    out: Output,
) -> anyhow::Result<ExitCode> {
    let device = device(store_path)?;
    send(&device, id, Answer::Approve, number, pin, out).await
}

pub async fn deny_or_fraud(
    store_path: &Path,
    id: &str,
    fraud: bool,
    out: Output,
) -> anyhow::Result<ExitCode> {
    let device = device(store_path)?;
    let answer = if fraud { Answer::Fraud } else { Answer::Deny };
    send(&device, id, answer, None, None, out).await
}

async fn send(
    device: &Device,
    id: &str,
    answer: Answer,
    number: Option<u32>,
    pin: Option<&str>,
    out: Output,
) -> anyhow::Result<ExitCode> {
    let body = answer_body(answer, id, number, pin);
    match device.answer(id, &body).await {
        Ok(result) => {
            print_result(id, answer, &result, out);
            Ok(exit_for(result.took(answer)))
        }
        Err(ClientError::Api { code, message, .. }) if out.json => {
            out.json_line(&json!({ "id": id, "answer": answer, "error": { "code": code, "message": message } }));
            Ok(exit_for(false))
        }
        Err(e @ ClientError::Api { .. }) => {
            eprintln!("error: the answer ({answer}) to request {id} was refused: {e}");
            Ok(exit_for(false))
        }
        Err(e) => Err(e)
            .with_context(|| format!("the answer ({answer}) to request {id} was not delivered")),
    }
}

/// Prints what the server made of an answer.
pub fn print_result(id: &str, answer: Answer, result: &AnswerResult, out: Output) {
    if out.json {
        out.json_line(&json!({
            "id": id,
            "answer": answer,
            "result": result.result,
            "reason": result.reason,
            "message": result.message,
        }));
    } else {
        println!("request {id}: {answer} -> {result}");
    }
}
