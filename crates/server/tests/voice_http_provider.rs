//! `[voice] provider = "http"` through the real `countersign` binary: the
//! engine's call goes to a stand-in for the provider's REST API (Twilio's
//! Calls.json), which then calls back like the provider: it fetches the
//! TwiML from the server's `/voice/v1` route, the prompt (the greeting with
//! the account name), posts the Gather action and the status callback,
//! each signed with the auth token (computed here with ring). The API's
//! `POST /api/v1/verify` with `"method":"call","wait":true` answers
//! accepted for `#`, call_busy and call_unanswered; a forged callback is
//! refused with 403 and the server's log says why.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use common::*;
use serde_json::json;

const SID: &str = "AC00000000000000000000000000000001";
const TOKEN: &str = "server-test-auth-token";

type Statuses = Arc<Mutex<Vec<(String, u16)>>>;

fn sign(url: &str, form: &BTreeMap<String, String>) -> String {
    let data: String = std::iter::once(url.to_string())
        .chain(form.iter().map(|(k, v)| format!("{k}{v}")))
        .collect();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, TOKEN.as_bytes());
    base64::engine::general_purpose::STANDARD
        .encode(ring::hmac::sign(&key, data.as_bytes()).as_ref())
}

/// The parameters of every Twilio voice request, for this call.
fn params(created: &BTreeMap<String, String>, status: &str) -> BTreeMap<String, String> {
    let get = |k: &str| created.get(k).cloned().unwrap_or_default();
    [
        ("AccountSid", SID.to_string()),
        ("ApiVersion", "2010-04-01".into()),
        ("CallSid", "CA0000000000000000000000000000aaaa".into()),
        ("CallStatus", status.into()),
        ("Called", get("To")),
        ("Caller", get("From")),
        ("Direction", "outbound-api".into()),
        ("From", get("From")),
        ("To", get("To")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

async fn send(
    seen: &Statuses,
    url: &str,
    form: &BTreeMap<String, String>,
    sig: Option<String>,
) -> String {
    let mut req = reqwest::Client::new().post(url).form(form);
    if let Some(sig) = sig {
        req = req.header("X-Twilio-Signature", sig);
    }
    let resp = req.send().await.expect("the server answers");
    let hook = url.rsplit('/').next().unwrap_or_default().to_string();
    seen.lock()
        .expect("lock")
        .push((hook, resp.status().as_u16()));
    resp.text().await.unwrap_or_default()
}

/// The provider's part of one call, by the number called.
async fn provider(seen: Statuses, created: BTreeMap<String, String>) {
    let twiml_url = created.get("Url").cloned().unwrap_or_default();
    let status_url = created.get("StatusCallback").cloned().unwrap_or_default();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let end = match created.get("To").map(String::as_str) {
        Some("+15550000001") => {
            let form = params(&created, "in-progress");
            // First a forged fetch (wrong key), then the real one.
            send(
                &seen,
                &twiml_url,
                &form,
                Some(sign("https://elsewhere.example/", &form)),
            )
            .await;
            let twiml = send(&seen, &twiml_url, &form, Some(sign(&twiml_url, &form))).await;
            let play = twiml
                .split("<Play")
                .nth(1)
                .and_then(|p| p.split('>').nth(1))
                .and_then(|p| p.split('<').next())
                .unwrap_or_default();
            let wav = reqwest::get(play)
                .await
                .expect("prompt")
                .bytes()
                .await
                .expect("prompt body");
            // The greeting: "This is", the account name, how to approve (several seconds).
            assert!(wav.len() > 2 * 8000 * 4, "prompt of {} bytes", wav.len());
            let action = twiml
                .split("action=\"")
                .nth(1)
                .and_then(|a| a.split('"').next())
                .unwrap_or_default()
                .replace("&amp;", "&");
            let mut gather = form.clone();
            gather.insert("Digits".into(), String::new());
            gather.insert("FinishedOnKey".into(), "#".into());
            send(&seen, &action, &gather, Some(sign(&action, &gather))).await;
            "completed"
        }
        Some("+15550000002") => "busy",
        _ => "no-answer",
    };
    let done = params(&created, end);
    send(&seen, &status_url, &done, Some(sign(&status_url, &done))).await;
}

async fn calls_json(
    State(seen): State<Statuses>,
    Form(form): Form<BTreeMap<String, String>>,
) -> (StatusCode, Json<serde_json::Value>) {
    tokio::spawn(provider(seen, form));
    (
        StatusCode::CREATED,
        Json(json!({"sid": "CA0000000000000000000000000000aaaa"})),
    )
}

/// `GET .../Accounts/{sid}.json`: 200 for the right basic auth (doctor's check).
async fn account(headers: HeaderMap) -> StatusCode {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"));
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth == Some(format!("Basic {basic}").as_str()) {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_through_an_http_provider_decide_sign_ins() {
    let seen: Statuses = Arc::default();
    let fake = Router::new()
        .route("/2010-04-01/Accounts/{sid}/Calls.json", post(calls_json))
        .route("/2010-04-01/Accounts/{sid}", get(account))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let api_base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, fake).await });

    let db = Db::sqlite();
    let port = countersign_testkit::free_port();
    let public_url = format!("http://127.0.0.1:{port}/");
    let mut server = Server::with_env(
        &db,
        &[
            ("COUNTERSIGN_PUBLIC_URL", &public_url),
            ("COUNTERSIGN_VOICE_PROVIDER", "http"),
            ("COUNTERSIGN_VOICE_HTTP_API_BASE", &api_base),
            ("COUNTERSIGN_VOICE_HTTP_ACCOUNT_SID", SID),
            ("COUNTERSIGN_VOICE_HTTP_AUTH_TOKEN", TOKEN),
            ("COUNTERSIGN_VOICE_HTTP_FROM", "+15557654321"),
            ("COUNTERSIGN_VOICE_ACCOUNT_NAME", "Acme"),
            ("COUNTERSIGN_VOICE_RING_SECONDS", "5"),
            ("COUNTERSIGN_VOICE_KEY_SECONDS", "5"),
        ],
    );
    server.launch_on(port);
    let client = reqwest::Client::new();
    for _ in 0..300 {
        let up = client.get(server.url("/healthz")).send().await;
        if up.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    for (name, phone) in [
        ("alice", "+15550000001"),
        ("bob", "+15550000002"),
        ("carl", "+15550000003"),
    ] {
        admin
            .post("/api/v1/users", json!({"username": name, "phone": phone}))
            .await
            .expect(201, name);
    }
    let verify = |name: &'static str| {
        let admin = &admin;
        async move {
            let body = json!({"username": name, "method": "call", "wait": true});
            admin
                .post("/api/v1/verify", body)
                .await
                .expect(200, name)
                .clone()
        }
    };
    let (alice, bob, carl) = tokio::join!(verify("alice"), verify("bob"), verify("carl"));
    assert_eq!(alice["result"], "accepted", "#: {alice}");
    assert_eq!(bob["reason"], "call_busy", "{bob}");
    assert_eq!(carl["reason"], "call_unanswered", "{carl}");

    let mut answers = Vec::new();
    for _ in 0..100 {
        answers = seen.lock().expect("lock").clone();
        if answers.len() >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused: Vec<_> = answers.iter().filter(|a| a.1 == 403).collect();
    assert_eq!(refused, vec![&("twiml".to_string(), 403)], "{answers:?}");
    assert_eq!(
        answers.iter().filter(|a| a.1 == 200).count(),
        5,
        "{answers:?}"
    );
    let log = server.stderr();
    assert!(log.contains("voice callback refused (403)"), "{log}");
    assert!(!log.contains(TOKEN), "the auth token must not be logged");

    let metrics = server.anonymous().get("/metrics").await.text;
    assert!(
        metrics.contains("countersign_voice_callbacks_total{result=\"refused\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("countersign_calls_total{result=\"busy\"} 1"),
        "{metrics}"
    );
    let doctor = server.cli_json(&["doctor"]);
    let finding = |check: &str| {
        doctor
            .as_array()
            .and_then(|f| f.iter().find(|f| f["check"] == check))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(finding("voice.http.account")["status"], "pass", "{doctor}");
    assert_eq!(
        finding("voice.http.callbacks")["status"],
        "warn",
        "plain http public_url: {doctor}"
    );
}
