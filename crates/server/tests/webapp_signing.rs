//! The web app's request signing against `countersign-device-proto`: in
//! real headless Chromium, the app's own module (`/app/device.js`, as the
//! server serves it) signs requests with a WebCrypto key through its
//! ordinary calls (`pending`, `answer`, `call`), with `fetch` held back and
//! the clock fixed; Rust then rebuilds each canonical text with the crate
//! and verifies the signature with ring. The full round trip against the
//! server is `webapp.rs`'s; this pins the JavaScript to the crate.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::*;
use countersign_device_proto::{
    canonical_string, nonce_well_formed, timestamp_fresh, CLOCK_WINDOW_SECS, SIGNED_HEADERS,
};
use countersign_testkit::browser::Browser;
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};
use serde_json::{json, Value};

/// Unix seconds the page's clock is fixed to (`Date.now()` in ms, mid-second).
const NOW: i64 = 1_700_000_000;

/// Signs through the app's calls; `fetch` records instead of sending.
const SIGN: &str = r#"
const [nowMs, done] = arguments;
(async () => {
  const device = await import("/app/device.js");
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const account = { server: location.origin + "/", device_id: "dev_browser", privateKey: keys.privateKey };
  const sent = [];
  const [realFetch, realNow] = [window.fetch, Date.now];
  window.fetch = async (url, init) => {
    sent.push({ url: String(url), method: init.method, headers: init.headers, body: init.body === undefined ? null : init.body });
    return new Response(JSON.stringify({ requests: [], result: "accepted" }), { status: 200, headers: { "content-type": "application/json" } });
  };
  Date.now = () => nowMs;
  try {
    await device.pending(account);
    await device.answer(account, "txn_é 1/x", "approve", "42", "1234");
    await device.call(account, "PUT", "/device/v1/webpush", { endpoint: "https://push.example/é", keys: { p256dh: "BA", auth: "AA" } });
    await device.call(account, "GET", "/device/v1/requests?q=a b&é=1");
  } finally {
    window.fetch = realFetch;
    Date.now = realNow;
  }
  const publicKey = device.b64(await crypto.subtle.exportKey("raw", keys.publicKey));
  return { origin: location.origin, publicKey, sent };
})().then(done, (e) => done({ error: String((e && e.stack) || e) }));
"#;

#[tokio::test]
async fn the_web_apps_signatures_verify_with_the_crate() {
    let db = Db::sqlite();
    let server = Server::start(&db).await;
    let browser = Browser::start(800, 600).await.expect("browser starts");
    browser
        .goto(&server.url("/app"))
        .await
        .expect("opens the app");
    let out = browser
        .execute_async(SIGN, vec![json!(NOW * 1000 + 999)])
        .await
        .expect("the script runs");
    browser.close().await;
    assert!(out.get("error").is_none(), "the page failed: {out}");

    let origin = out["origin"].as_str().expect("origin");
    let public = STANDARD
        .decode(out["publicKey"].as_str().expect("publicKey"))
        .expect("base64 public key");
    let key = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public.as_slice());
    let sent = out["sent"].as_array().expect("sent");
    let lines: Vec<String> = sent
        .iter()
        .map(|request| verified(&key, origin, request))
        .collect();
    // What the app put on the request line, as the server will see it.
    assert_eq!(
        lines,
        [
            "GET /device/v1/requests",
            "POST /device/v1/requests/txn_%C3%A9%201%2Fx/answer",
            "PUT /device/v1/webpush",
            "GET /device/v1/requests?q=a%20b&%C3%A9=1",
        ]
    );
    // The signed body is the UTF-8 the app sent.
    assert!(sent[2]["body"]
        .as_str()
        .is_some_and(|b| b.contains("push.example/é")));
    let nonces: std::collections::HashSet<&str> = sent
        .iter()
        .filter_map(|r| r["headers"]["x-countersign-nonce"].as_str())
        .collect();
    assert_eq!(nonces.len(), sent.len(), "a fresh nonce every time");
}

/// Checks one recorded request with the crate and ring; its request line.
fn verified(key: &UnparsedPublicKey<&[u8]>, origin: &str, request: &Value) -> String {
    let url = request["url"].as_str().expect("url");
    let path = url.strip_prefix(origin).expect("same origin");
    let method = request["method"].as_str().expect("method");
    let body = request["body"].as_str().unwrap_or_default();
    let headers = request["headers"].as_object().expect("headers");
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    for name in SIGNED_HEADERS {
        assert!(headers.contains_key(name), "{method} {path} lacks {name}");
    }
    assert_eq!(header("x-countersign-device"), "dev_browser");
    let (timestamp, nonce) = (
        header("x-countersign-timestamp"),
        header("x-countersign-nonce"),
    );
    assert_eq!(timestamp, NOW.to_string(), "whole seconds, rounded down");
    assert!(timestamp_fresh(timestamp, NOW + CLOCK_WINDOW_SECS));
    assert!(!timestamp_fresh(timestamp, NOW + CLOCK_WINDOW_SECS + 1));
    assert!(nonce_well_formed(nonce), "{nonce}");
    let signature = STANDARD
        .decode(header("x-countersign-signature"))
        .expect("base64 signature");
    assert_eq!(signature.len(), 64, "r‖s, not DER");

    let text = canonical_string(method, path, timestamp, nonce, body.as_bytes());
    key.verify(text.as_bytes(), &signature)
        .unwrap_or_else(|_| panic!("{method} {path}: the crate's text does not verify:\n{text}"));
    let other = canonical_string(method, path, timestamp, nonce, b"x");
    assert!(key.verify(other.as_bytes(), &signature).is_err());
    assert_eq!(headers.contains_key("content-type"), !body.is_empty());
    format!("{method} {path}")
}
