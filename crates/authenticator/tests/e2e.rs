//! End to end: the real `countersign` server (a process, SQLite) and this
//! authenticator (a process): activation by link, push approved with the
//! right number through `watch --auto approve`, denied, wrong number,
//! offline codes; over HTTPS with a self-signed certificate, activation
//! through the pin and refusal of any other key.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::admin::Admin;
use common::cli::{run, stderr, stdout, BIN};
use common::LeafPin;
use countersign_authenticator::tls::SpkiPin;
use countersign_testkit::pki::Leaf;
use countersign_testkit::server::Countersign;
use countersign_testkit::TempDir;
use serde_json::{json, Value};

const PUSH_LIMITS: [(&str, &str); 2] = [
    ("COUNTERSIGN_PUSH_PER_MINUTE", "60"),
    ("COUNTERSIGN_PUSH_PER_HOUR", "100"),
];

#[tokio::test]
async fn activate_then_approve_deny_and_codes() {
    let mut server = Countersign::new(&PUSH_LIMITS);
    server.start();
    let admin = Admin::new(&server, None);
    let grant = admin.activation_for("alice").await;
    let dir = TempDir::new("e2e");
    let store = dir.join("store.json").to_string_lossy().into_owned();
    let cli = |args: Vec<String>| {
        let mut all = vec!["--store".to_owned(), store.clone()];
        all.extend(args);
        all
    };
    let args = |list: &[&str]| cli(list.iter().map(|s| s.to_string()).collect());

    let uri = grant["activation_uri"].as_str().expect("activation_uri");
    let out = run_owned(&args(&["--json", "activate", uri, "--name", "e2e"]), &dir).await;
    assert!(out.status.success(), "activate: {}", stderr(&out));
    let activated: Value = serde_json::from_str(stdout(&out).trim()).expect("JSON");
    assert_eq!(activated["user"], "alice");

    // Approve with the number the sign-in screen shows.
    let (id, number) = admin.push().await;
    let n = number.to_string();
    let out = run_owned(
        &args(&[
            "--json", "watch", "--auto", "approve", "--number", &n, "--once",
        ]),
        &dir,
    )
    .await;
    assert!(out.status.success(), "watch: {}", stderr(&out));
    let line: Value = serde_json::from_str(stdout(&out).trim()).expect("JSON line");
    assert_eq!(line["request"]["id"], id.as_str());
    assert_eq!(line["request"]["application"], "VPN");
    assert_eq!(admin.outcome(&id).await["result"], "accepted");

    // Deny, with the watch already following the stream when the push comes.
    let mut watch = tokio::process::Command::new(BIN)
        .args(args(&["--json", "watch", "--auto", "deny", "--once"]))
        .env("HOME", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start watch");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (id, _) = admin.push().await;
    let outcome = admin.outcome(&id).await;
    assert_eq!(
        (outcome["result"].as_str(), outcome["reason"].as_str()),
        (Some("rejected"), Some("push_denied"))
    );
    let status = tokio::time::timeout(Duration::from_secs(20), watch.wait())
        .await
        .expect("watch exits")
        .expect("status");
    assert!(status.success());

    // A wrong number is refused, and the command says so.
    let (id, number) = admin.push().await;
    let wrong = ((number + 1) % 100).to_string();
    let out = run_owned(&args(&["approve", &id, "--number", &wrong]), &dir).await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(admin.outcome(&id).await["reason"], "number_mismatch");
    let again = run_owned(&args(&["deny", &id]), &dir).await;
    assert_eq!(again.status.code(), Some(3), "an answer is taken once");

    // Nothing pending now; the offline code is one the server accepts.
    let out = run_owned(&args(&["--json", "pending"]), &dir).await;
    assert_eq!(
        serde_json::from_str::<Value>(stdout(&out).trim()).expect("JSON")["requests"],
        json!([])
    );
    let out = run_owned(&args(&["--json", "code"]), &dir).await;
    let code: Value = serde_json::from_str(stdout(&out).trim()).expect("JSON");
    let verdict = admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "code": code["code"]}),
        )
        .await;
    assert_eq!(verdict["result"], "accepted", "{verdict}");
}

async fn run_owned(args: &[String], dir: &TempDir) -> std::process::Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&refs, &[], dir.path()).await
}

#[tokio::test]
async fn https_with_a_self_signed_certificate_through_the_pin() {
    let dir = TempDir::new("e2e-tls");
    let leaf = Leaf::self_signed(&["localhost", "127.0.0.1"]);
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, leaf.cert.pem()).expect("cert");
    std::fs::write(&key, leaf.key.serialize_pem()).expect("key");
    let (cert_s, key_s) = (
        cert.to_string_lossy().into_owned(),
        key.to_string_lossy().into_owned(),
    );
    let mut server = Countersign::new(&[
        ("COUNTERSIGN_TLS_CERT", &cert_s),
        ("COUNTERSIGN_TLS_KEY", &key_s),
    ]);
    server.start();
    let pin = SpkiPin::parse(&leaf.pin()).expect("pin");
    let admin = Admin::new(&server, Some(pin));
    let grant = admin.activation_for("alice").await;
    let uri = grant["activation_uri"]
        .as_str()
        .expect("activation_uri")
        .to_owned();
    assert!(
        uri.contains("&pin=sha256%2F"),
        "the link carries the pin: {uri}"
    );
    let store = dir.join("store.json").to_string_lossy().into_owned();

    // Without the pin, the system roots do not trust it, and it says why.
    let roots = dir.join("roots.pem");
    std::fs::write(&roots, Leaf::self_signed(&["other"]).cert.pem()).expect("roots");
    let code = grant["activation_code"].as_str().expect("code");
    let url = grant["url"].as_str().expect("url");
    let out = run(
        &["--store", &store, "activate", "--url", url, "--code", code],
        &[
            ("SSL_CERT_FILE", &roots.to_string_lossy()),
            ("SSL_CERT_DIR", "/nonexistent"),
        ],
        dir.path(),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("self-signed") && stderr(&out).contains("carries the pin"),
        "{}",
        stderr(&out)
    );

    // A link whose pin names another key is refused before anything is sent.
    let other = Leaf::self_signed(&["localhost"]).pin();
    let wrong = uri.replace(&encode_pin(&leaf.pin()), &encode_pin(&other));
    assert_ne!(wrong, uri);
    let out = run(&["--store", &store, "activate", &wrong], &[], dir.path()).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("does not match the pin from activation"),
        "{}",
        stderr(&out)
    );

    // The real link works (the code was not used up), and so do signed calls.
    let out = run(&["--store", &store, "activate", &uri], &[], dir.path()).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["--store", &store, "--json", "pending"], &[], dir.path()).await;
    assert!(out.status.success(), "{}", stderr(&out));
}

fn encode_pin(pin: &str) -> String {
    pin.replace('/', "%2F")
        .replace('+', "%2B")
        .replace('=', "%3D")
}

#[tokio::test]
async fn pin_mode_and_fraud_report() {
    let mut env = PUSH_LIMITS.to_vec();
    env.push(("COUNTERSIGN_PUSH_PIN_REQUIRED", "true"));
    let mut server = Countersign::new(&env);
    server.start();
    let admin = Admin::new(&server, None);
    let grant = admin.activation_for("alice").await;
    let uri = grant["activation_uri"].as_str().expect("activation_uri");
    let dir = TempDir::new("e2e-pin");
    let store = dir.join("store.json").to_string_lossy().into_owned();
    let cli = |list: &[&str]| {
        let mut all = vec!["--store".to_owned(), store.clone()];
        all.extend(list.iter().map(|s| s.to_string()));
        all
    };

    // Without a PIN the server refuses, and the error says what to do.
    let out = run_owned(&cli(&["activate", uri]), &dir).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--pin PIN"), "{}", stderr(&out));
    let out = run_owned(&cli(&["activate", uri, "--pin", "2468"]), &dir).await;
    assert!(out.status.success(), "{}", stderr(&out));

    // A wrong PIN is refused; the right one approves.
    let (id, number) = admin.push().await;
    let n = number.to_string();
    let out = run_owned(
        &cli(&["approve", &id, "--number", &n, "--pin", "1357"]),
        &dir,
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert_eq!(admin.outcome(&id).await["reason"], "pin_incorrect");
    let (id, number) = admin.push().await;
    let n = number.to_string();
    let out = run_owned(
        &cli(&[
            "watch", "--auto", "approve", "--number", &n, "--pin", "2468", "--once",
        ]),
        &dir,
    )
    .await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(admin.outcome(&id).await["result"], "accepted");

    // Fraud: reported, and the user is blocked.
    let (id, _) = admin.push().await;
    let out = run_owned(&cli(&["fraud", &id]), &dir).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(admin.outcome(&id).await["reason"], "fraud_reported");
    let (_, user) = admin
        .call(reqwest::Method::GET, "/api/v1/users/alice", None)
        .await;
    assert_eq!(user["enabled"], false, "{user}");
}
