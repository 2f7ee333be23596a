//! `watch`: print each sign-in request as it comes; with `--auto`, answer it.

use std::path::Path;
use std::process::ExitCode;

use countersign_authenticator::api::{Answer, ClientError, Device, SignInRequest};
use countersign_authenticator::store::Store;
use countersign_authenticator::watch::{WatchEvent, Watcher};
use countersign_authenticator::{answer_body, open_device};
use serde_json::json;

use super::answer::print_result;
use super::{describe, exit_for, AutoAnswer, Output};

/// The options of `watch`.
pub struct How {
    pub auto: Option<AutoAnswer>,
    pub number: Option<u32>,
    pub pin: Option<String>,
    pub once: bool,
}

pub async fn run(store_path: &Path, how: How, out: Output) -> anyhow::Result<ExitCode> {
    let store = Store::load(store_path)?;
    let device = open_device(&store)?;
    if !out.json {
        eprintln!(
            "Watching for sign-in requests for {} at {} (Ctrl-C to stop)",
            store.user, store.server_url
        );
    }
    let mut watcher = Watcher::new(&device);
    loop {
        match watcher.next().await? {
            WatchEvent::Notice(text) => eprintln!("note: {text}"),
            WatchEvent::Request(request) => {
                let took = handle(&device, &request, &how, out).await?;
                if how.once {
                    return Ok(exit_for(took));
                }
            }
        }
    }
}

/// Prints one request and answers it with --auto; whether all went as meant.
async fn handle(
    device: &Device,
    request: &SignInRequest,
    how: &How,
    out: Output,
) -> anyhow::Result<bool> {
    let Some(auto) = how.auto else {
        if out.json {
            out.json_line(&json!({ "request": request }));
        } else {
            println!("{}", describe(request));
            println!(
                "  answer with: countersign-authenticator approve|deny|fraud {}",
                request.id
            );
        }
        return Ok(true);
    };
    if !out.json {
        println!("{}", describe(request));
    }
    let answer = auto.answer();
    if let Some(missing) = missing_for(answer, request, how) {
        report_skip(request, missing, out);
        return Ok(false);
    }
    let body = answer_body(answer, &request.id, how.number, how.pin.as_deref());
    match device.answer(&request.id, &body).await {
        Ok(result) => {
            if out.json {
                out.json_line(&json!({ "request": request, "answer": answer, "result": result }));
            } else {
                print_result(&request.id, answer, &result, out);
            }
            Ok(result.took(answer))
        }
        Err(e) if e.is_permanent() => Err(e.into()),
        Err(e) => {
            report_error(request, answer, &e, out);
            Ok(false)
        }
    }
}

/// What an automatic approval lacks to be right, if anything.
fn missing_for(answer: Answer, request: &SignInRequest, how: &How) -> Option<&'static str> {
    if answer != Answer::Approve {
        return None;
    }
    if request.number_matching && how.number.is_none() {
        return Some("it needs the number shown on the sign-in screen: give --number N");
    }
    if request.pin_required && how.pin.is_none() {
        return Some("it needs the PIN: give --pin PIN");
    }
    None
}

fn report_skip(request: &SignInRequest, why: &str, out: Output) {
    if out.json {
        out.json_line(&json!({ "request": request, "skipped": why }));
    } else {
        eprintln!("request {} not answered: {why}", request.id);
    }
}

fn report_error(request: &SignInRequest, answer: Answer, error: &ClientError, out: Output) {
    if out.json {
        out.json_line(&json!({ "request": request, "answer": answer, "error": error.to_string() }));
    } else {
        eprintln!(
            "request {}: the answer ({answer}) was not taken: {error}",
            request.id
        );
    }
}
