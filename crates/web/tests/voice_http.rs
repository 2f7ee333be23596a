//! The HTTP voice provider end to end: `HttpCaller` posts the call to a
//! stand-in for the provider's REST API (Twilio's Calls.json), which then
//! does what the provider does: fetches the TwiML from the real
//! `/voice/v1` routes, fetches the prompt, posts the Gather action and the
//! status callback, each form as Twilio's documentation lists it and signed
//! with the test's auth token (computed here with ring, not with the code
//! under test). `#` is accepted; busy and no-answer come back as such; a
//! missing or wrong signature is refused with 403 and changes nothing.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Form, Json, Router};
use base64::Engine;
use countersign_voice::http::{HttpCaller, HttpConfig};
use countersign_voice::{CallOutcome, Language, Prompts};
use countersign_web::voice::{router, VoiceDoor};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "test-auth-token-0f1e2d";

/// What the stand-in provider saw and got.
#[derive(Default)]
struct Seen {
    created: Vec<BTreeMap<String, String>>,
    answers: Vec<(String, u16)>,
}

type Shared = Arc<Mutex<Seen>>;

/// X-Twilio-Signature as Twilio's documentation defines it.
fn twilio_signature(token: &str, url: &str, form: &BTreeMap<String, String>) -> String {
    let mut data = url.to_string();
    for (k, v) in form {
        data.push_str(k);
        data.push_str(v);
    }
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, token.as_bytes());
    base64::engine::general_purpose::STANDARD
        .encode(ring::hmac::sign(&key, data.as_bytes()).as_ref())
}

/// The parameters Twilio sends with every voice request (its "Twilio's
/// request to your application" table), for this call.
fn call_params(created: &BTreeMap<String, String>, status: &str) -> BTreeMap<String, String> {
    let to = created.get("To").cloned().unwrap_or_default();
    let from = created.get("From").cloned().unwrap_or_default();
    [
        ("AccountSid", SID.to_string()),
        ("ApiVersion", "2010-04-01".into()),
        ("CallSid", "CA5e2a0c6bbd4f4aa1b1b2b7c7a0a0f001".into()),
        ("CallStatus", status.into()),
        ("Called", to.clone()),
        ("Caller", from.clone()),
        ("Direction", "outbound-api".into()),
        ("From", from),
        ("To", to),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// One signed (or not) POST like the provider's; records the status.
async fn post_as_provider(
    seen: &Shared,
    url: &str,
    form: &BTreeMap<String, String>,
    signature: Option<String>,
) -> String {
    let mut req = reqwest::Client::new().post(url).form(form);
    if let Some(sig) = signature {
        req = req.header("X-Twilio-Signature", sig);
    }
    let resp = req.send().await.expect("the server answers the provider");
    let status = resp.status().as_u16();
    let what = url.rsplit('/').next().unwrap_or_default().to_string();
    seen.lock().expect("lock").answers.push((what, status));
    resp.text().await.unwrap_or_default()
}

fn attr<'a>(xml: &'a str, name: &str) -> &'a str {
    let start = xml
        .find(&format!("{name}=\""))
        .map(|i| i + name.len() + 2)
        .unwrap_or(0);
    let end = xml[start..].find('"').map(|i| start + i).unwrap_or(start);
    &xml[start..end]
}

/// What the provider does after taking the call, chosen by the number called.
async fn play(seen: Shared, created: BTreeMap<String, String>) {
    let url = created.get("Url").cloned().unwrap_or_default();
    let status_url = created.get("StatusCallback").cloned().unwrap_or_default();
    let to = created.get("To").cloned().unwrap_or_default();
    let signed = |u: &str, f: &BTreeMap<String, String>| Some(twilio_signature(TOKEN, u, f));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let final_status = match to.as_str() {
        "+15550000001" | "+15550000004" => {
            if to == "+15550000004" {
                // A forged fetch and a forged status: refused, nothing changes.
                let form = call_params(&created, "in-progress");
                post_as_provider(&seen, &url, &form, None).await;
                post_as_provider(
                    &seen,
                    &url,
                    &form,
                    signed(&url, &call_params(&created, "ringing")),
                )
                .await;
                let done = call_params(&created, "completed");
                post_as_provider(
                    &seen,
                    &status_url,
                    &done,
                    Some(twilio_signature("wrong", &status_url, &done)),
                )
                .await;
            }
            let form = call_params(&created, "in-progress");
            let twiml = post_as_provider(&seen, &url, &form, signed(&url, &form)).await;
            assert!(
                twiml.contains("<Gather") && twiml.contains("finishOnKey=\"#\""),
                "{twiml}"
            );
            let play_url = twiml
                .split("<Play")
                .nth(1)
                .and_then(|p| p.split('>').nth(1))
                .and_then(|p| p.split('<').next())
                .unwrap_or_default()
                .to_string();
            let audio = reqwest::get(&play_url)
                .await
                .expect("prompt fetched")
                .bytes()
                .await
                .expect("body");
            assert!(
                audio.starts_with(b"RIFF") && audio.len() > 8000,
                "prompt of {} bytes",
                audio.len()
            );
            let action = attr(&twiml, "action").replace("&amp;", "&");
            let mut gather = form.clone();
            gather.insert("Digits".into(), String::new());
            gather.insert("FinishedOnKey".into(), "#".into());
            gather.insert("msg".into(), "Gather End".into());
            let answer = post_as_provider(&seen, &action, &gather, signed(&action, &gather)).await;
            assert!(answer.contains("<Hangup/>"), "{answer}");
            "completed"
        }
        "+15550000002" => "busy",
        _ => "no-answer",
    };
    let done = call_params(&created, final_status);
    post_as_provider(&seen, &status_url, &done, signed(&status_url, &done)).await;
}

async fn calls_json(
    State(seen): State<Shared>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> (StatusCode, Json<serde_json::Value>) {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"));
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if sid != SID || auth != Some(&format!("Basic {basic}")) {
        let body = serde_json::json!({"code": 20003, "message": "Authenticate", "status": 401});
        return (StatusCode::UNAUTHORIZED, Json(body));
    }
    seen.lock().expect("lock").created.push(form.clone());
    tokio::spawn(play(seen.clone(), form));
    let body = serde_json::json!({"sid": "CA5e2a0c6bbd4f4aa1b1b2b7c7a0a0f001", "status": "queued"});
    (StatusCode::CREATED, Json(body))
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn setup(token: &str) -> (HttpCaller, Shared) {
    let seen: Shared = Arc::default();
    let provider = Router::new()
        .route("/2010-04-01/Accounts/{sid}/Calls.json", post(calls_json))
        .with_state(seen.clone());
    let api_base = serve(provider).await;
    // The server's address is known once it listens; the caller is built
    // with it as public_url, and the routes with the caller's webhooks.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let public_url = format!("http://{}/", listener.local_addr().expect("addr"));
    let caller = HttpCaller::new(HttpConfig {
        api_base,
        account_sid: SID.into(),
        auth_token: token.into(),
        from: "+15557654321".into(),
        public_url: public_url.clone(),
        ring_timeout: Duration::from_secs(5),
        key_timeout: Duration::from_secs(5),
        ..HttpConfig::default()
    })
    .expect("caller");
    let app: Router = router(Some(VoiceDoor {
        hooks: caller.webhooks(),
        public_url,
    }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (caller, seen)
}

/// The provider's script goes on after the call is settled (the Gather
/// settles it; the status callback comes later): wait for its `n` requests.
async fn answers(seen: &Shared, n: usize) -> Vec<u16> {
    for _ in 0..100 {
        let got: Vec<u16> = seen
            .lock()
            .expect("lock")
            .answers
            .iter()
            .map(|a| a.1)
            .collect();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    seen.lock()
        .expect("lock")
        .answers
        .iter()
        .map(|a| a.1)
        .collect()
}

fn greeting() -> countersign_voice::Prompt {
    Prompts::builtin()
        .expect("prompts")
        .greeting(Language::En, "Acme", false)
}

#[tokio::test]
async fn pound_is_accepted_and_the_provider_got_the_call_as_documented() {
    let (caller, seen) = setup(TOKEN).await;
    let report = caller
        .call("+15550000001", &greeting())
        .await
        .expect("call");
    assert_eq!(report.outcome, CallOutcome::Keys("#".into()), "{report:#?}");
    assert_eq!(answers(&seen, 3).await, vec![200, 200, 200]);
    let seen = seen.lock().expect("lock");
    let created = &seen.created[0];
    assert_eq!(created.get("To").map(String::as_str), Some("+15550000001"));
    assert_eq!(
        created.get("From").map(String::as_str),
        Some("+15557654321")
    );
    assert_eq!(created.get("Method").map(String::as_str), Some("POST"));
    let url = created.get("Url").cloned().unwrap_or_default();
    assert!(
        url.ends_with("/twiml") && url.contains("/voice/v1/calls/"),
        "{url}"
    );
    assert!(created
        .get("StatusCallback")
        .is_some_and(|s| s.ends_with("/status")));
    assert_eq!(caller.webhooks().in_flight(), 0);
}

#[tokio::test]
async fn busy_and_no_answer() {
    let (caller, _seen) = setup(TOKEN).await;
    let busy = caller
        .call("+15550000002", &greeting())
        .await
        .expect("call");
    assert_eq!(busy.outcome, CallOutcome::Busy, "{busy:#?}");
    let none = caller
        .call("+15550000003", &greeting())
        .await
        .expect("call");
    assert_eq!(none.outcome, CallOutcome::Unanswered, "{none:#?}");
}

#[tokio::test]
async fn forged_callbacks_are_refused_with_403() {
    let (caller, seen) = setup(TOKEN).await;
    let report = caller
        .call("+15550000004", &greeting())
        .await
        .expect("call");
    // The forged "completed" changed nothing: the signed Gather decided.
    assert_eq!(report.outcome, CallOutcome::Keys("#".into()), "{report:#?}");
    assert_eq!(answers(&seen, 6).await, vec![403, 403, 403, 200, 200, 200]);
}

#[tokio::test]
async fn a_wrong_account_is_a_failed_call_in_words() {
    let (caller, _seen) = setup("not-the-token").await;
    let report = caller
        .call("+15550000001", &greeting())
        .await
        .expect("call");
    let CallOutcome::Failed { reason, .. } = &report.outcome else {
        panic!("{report:#?}");
    };
    assert!(
        reason.contains("HTTP 401") && reason.contains("auth_token"),
        "{reason}"
    );
}
