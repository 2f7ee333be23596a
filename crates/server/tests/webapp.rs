//! The authenticator web app (`/app`) in real headless Chromium at 390×844
//! over WebDriver, against the real server: activation from the API's
//! link, requests over the event stream, number matching, deny, fraud, PIN
//! mode, a second account by the typed code, an account of another server
//! (CORS), the offline code, the key's non-extractability, no activation
//! code left anywhere, the service worker's push handler, and the app
//! loading from the worker's cache once the server is gone. Screenshots go
//! to `$CARGO_TARGET_DIR/browser-artifacts/app-*.png`.

mod common;

use std::time::Duration;

use common::*;
use countersign_testkit::browser::Browser;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(15);

/// An activation of `username`: (app_url, the 16 digits).
async fn activation(admin: &Api, server: &Server, username: &str) -> (String, String) {
    let body = admin
        .post(&format!("/api/v1/users/{username}/activations"), json!({}))
        .await
        .expect(201, "activation")
        .clone();
    let code = body["activation_code"]
        .as_str()
        .expect("code")
        .replace(' ', "");
    let app_url = body["app_url"].as_str().expect("app_url").to_string();
    assert_eq!(app_url, format!("{}/app#code={code}", server.base()));
    assert!(body["app_qr_svg"]
        .as_str()
        .expect("app_qr_svg")
        .starts_with("<svg"));
    (app_url, code)
}

async fn push(admin: &Api, username: &str) -> (String, Option<i64>) {
    let body = admin
        .post(
            "/api/v1/verify",
            json!({"username": username, "method": "push",
                   "context": {"application": "VPN", "client_address": "203.0.113.5"}}),
        )
        .await
        .expect(200, "push")
        .clone();
    assert_eq!(body["result"], "pending", "{body}");
    (
        body["transaction_id"].as_str().expect("id").to_string(),
        body["number"].as_i64(),
    )
}

async fn outcome(admin: &Api, id: &str) -> Value {
    admin
        .get(&format!("/api/v1/transactions/{id}?wait=10"))
        .await
        .expect(200, "long-poll")
        .clone()
}

/// Waits until the request `id` is on screen (it came over the event stream).
async fn request_shown(browser: &Browser, id: &str) {
    browser
        .wait_for(&format!("#request[data-id='{id}']"), WAIT)
        .await
        .expect("the request appears in the app");
}

async fn wait_text(browser: &Browser, css: &str, needle: &str) -> String {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let text = browser.text(css).await.unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{css} never said '{needle}' (last: '{text}')"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Everything the page can read of its own storage, as text.
const STORAGE_DUMP: &str = r#"
const done = arguments[arguments.length - 1];
(async () => {
  const db = await new Promise((ok, no) => { const r = indexedDB.open("countersign"); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  const rows = await new Promise((ok) => { const r = db.transaction("accounts").objectStore("accounts").getAll(); r.onsuccess = () => ok(r.result); });
  db.close();
  const caches_ = [];
  for (const name of await caches.keys()) for (const req of await (await caches.open(name)).keys()) caches_.push(req.url);
  return JSON.stringify({ rows, local: { ...localStorage }, session: { ...sessionStorage }, url: location.href, history: history.length, caches: caches_ });
})().then(done, (e) => done("error: " + e));
"#;

/// Tries to export every key the app holds; each attempt must fail.
const EXPORT_KEYS: &str = r#"
const done = arguments[arguments.length - 1];
(async () => {
  const db = await new Promise((ok, no) => { const r = indexedDB.open("countersign"); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  const rows = await new Promise((ok) => { const r = db.transaction("accounts").objectStore("accounts").getAll(); r.onsuccess = () => ok(r.result); });
  db.close();
  const results = [];
  for (const row of rows) {
    for (const [what, key, format] of [["device", row.privateKey, "pkcs8"], ["device", row.privateKey, "jwk"], ["oath", row.seed && row.seed.key, "raw"]]) {
      try { await crypto.subtle.exportKey(format, key); results.push(`${what}/${format}: exported`); }
      catch (e) { results.push(`${what}/${format}: ${e.name}`); }
    }
    results.push(`extractable=${row.privateKey.extractable}`);
  }
  return results;
})().then(done, (e) => done(["error: " + e]));
"#;

const WORKER: &str = r#"
const done = arguments[arguments.length - 1];
navigator.serviceWorker.ready.then((r) => done({ script: r.active && r.active.scriptURL, scope: r.scope, controlled: !!navigator.serviceWorker.controller }), (e) => done({ error: String(e) }));
"#;

/// Headless Chromium with a phone's viewport: 390×844 CSS pixels, touch.
async fn phone() -> Browser {
    let browser = Browser::start(390, 844).await.expect("browser starts");
    browser
        .cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
        )
        .await
        .expect("phone metrics");
    browser
}

/// Hands the service worker a push message with the body the server
/// encrypts (`ServiceWorker.deliverPushMessage`). The profile is new, so
/// the app's registration is among the first ids.
async fn deliver_push(browser: &Browser, origin: &str, id: &str) {
    let data = json!({"transaction_id": id, "label": "Sign-in request (Countersign)"}).to_string();
    let mut last = String::new();
    for registration in 0..5 {
        let params =
            json!({"origin": origin, "registrationId": registration.to_string(), "data": data});
        match browser
            .cdp("ServiceWorker.deliverPushMessage", params)
            .await
        {
            Ok(_) => return,
            Err(e) => last = e,
        }
    }
    panic!("no service worker registration took the push message: {last}");
}

const NOTIFICATIONS: &str = r#"
const done = arguments[arguments.length - 1];
navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((ns) => done(ns.map((n) => [n.title, n.tag])), (e) => done(String(e)));
"#;

#[tokio::test]
async fn the_web_app_activates_answers_and_works_offline() {
    let db = Db::sqlite();
    let mut server = Server::start_with(&db, &[("COUNTERSIGN_PUSH_PER_MINUTE", "60")]).await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    let browser = phone().await;
    let code = activate_from_the_link(&browser, &server, &admin).await;
    notifications(&browser, &server, &admin).await;
    keys_and_worker(&browser, &server).await;
    answers(&browser, &admin).await;
    let bob_code = second_account_in_pin_mode(&browser, &server, &admin).await;
    fraud_blocks_the_user(&browser, &admin).await;
    no_activation_code_left(&browser, &server, [&code, &bob_code]).await;
    // Remove bob's account from the phone.
    browser.click("#remove-1").await.expect("removes");
    wait_text(&browser, "#result", "Removed bob").await;
    assert_eq!(
        browser.find_all(".account").await.expect("accounts").len(),
        1
    );

    let (_other_db, _other) = account_of_another_server(&browser).await;
    offline(&browser, &mut server).await;
    browser.close().await;
}

/// Opens the API's activation link and activates; returns the code.
async fn activate_from_the_link(browser: &Browser, server: &Server, admin: &Api) -> String {
    admin
        .post(
            "/api/v1/users",
            json!({"username": "alice", "display_name": "Alice Example"}),
        )
        .await
        .expect(201, "alice");
    let (app_url, code) = activation(admin, server, "alice").await;
    browser.goto(&app_url).await.expect("opens the link");
    let viewport = browser
        .execute("return [innerWidth, innerHeight]", vec![])
        .await
        .expect("viewport");
    assert_eq!(viewport, json!([390, 844]), "a phone-sized viewport");
    browser
        .wait_for("#activate", WAIT)
        .await
        .expect("the activation screen");
    let url = browser.current_url().await.expect("url");
    assert!(!url.contains(&code), "the code left the address bar: {url}");
    browser.screenshot("app-activate").await.expect("shot");
    browser.click("#activate").await.expect("activates");
    wait_text(browser, "#result", "Activated").await;
    let account = wait_text(browser, ".account", "alice").await;
    assert!(account.contains("Alice Example"), "{account}");
    browser.screenshot("app-account").await.expect("shot");

    code
}

async fn notifications(browser: &Browser, server: &Server, admin: &Api) {
    // Notifications: no push service is reachable from here, so subscribing
    // fails, and the app says so instead of pretending.
    browser
        .cdp(
            "Browser.grantPermissions",
            json!({"permissions": ["notifications"], "origin": server.base()}),
        )
        .await
        .expect("notification permission");
    browser
        .click("#notify-0")
        .await
        .expect("turns notifications on");
    wait_text(browser, "#result", "Turning notifications on").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let said = loop {
        let text = browser.text("#result").await.unwrap_or_default();
        // An empty text is a redraw between finding and reading: read again.
        let settled = !text.is_empty() && !text.contains("Turning");
        if settled || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        said.contains("push service"),
        "the app tells why notifications are not on: {said}"
    );
    assert!(browser.find("#notify-0").await.is_ok(), "the button stays");

    // Web Push as the browser hands it to the service worker, decrypted
    // (DevTools delivers it in place of a push service): the worker shows
    // a notification for the request and the open app shows the request.
    let (id, _) = push(admin, "alice").await;
    browser
        .cdp("ServiceWorker.enable", json!({}))
        .await
        .expect("the ServiceWorker domain");
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        deliver_push(browser, &server.base(), &id).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let shown = browser
            .execute_async(NOTIFICATIONS, vec![])
            .await
            .expect("notifications");
        if shown == json!([["Sign-in request (Countersign)", id]]) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no notification: {shown}"
        );
    }
    request_shown(browser, &id).await;
    browser.click("#deny").await.expect("denies");
    assert_eq!(outcome(admin, &id).await["reason"], "push_denied");
}

async fn keys_and_worker(browser: &Browser, server: &Server) {
    // The private key cannot leave the browser.
    let exported = browser
        .execute_async(EXPORT_KEYS, vec![])
        .await
        .expect("export attempts");
    let exported: Vec<String> = serde_json::from_value(exported).expect("strings");
    assert_eq!(exported.len(), 4, "{exported:?}");
    for line in &exported {
        assert!(
            line.ends_with("InvalidAccessError") || line == "extractable=false",
            "{line}"
        );
    }

    // The service worker controls the app.
    let worker = browser.execute_async(WORKER, vec![]).await.expect("worker");
    assert!(
        worker["script"]
            .as_str()
            .is_some_and(|s| s.ends_with("/app/sw.js")),
        "{worker}"
    );
    assert_eq!(worker["scope"], format!("{}/app", server.base()));
}

/// Number matching (right and wrong), deny, and the offline code.
async fn answers(browser: &Browser, admin: &Api) {
    // Approve with number matching: the request comes over the event stream.
    let (id, number) = push(admin, "alice").await;
    let number = number.expect("number matching is on by default");
    request_shown(browser, &id).await;
    assert_eq!(browser.text("#req-application").await.expect("app"), "VPN");
    assert_eq!(
        browser.text("#req-address").await.expect("address"),
        "203.0.113.5"
    );
    assert!(browser
        .text("#req-account")
        .await
        .expect("account")
        .contains("alice"));
    browser
        .fill("#number", &number.to_string())
        .await
        .expect("types the number");
    browser.screenshot("app-request").await.expect("shot");
    browser.click("#approve").await.expect("approves");
    assert_eq!(outcome(admin, &id).await["result"], "accepted");
    wait_text(browser, "#result", "Approved").await;
    browser.screenshot("app-approved").await.expect("shot");

    // A wrong number is refused.
    let (id, number) = push(admin, "alice").await;
    request_shown(browser, &id).await;
    let wrong = if number == Some(10) { 11 } else { 10 };
    browser
        .fill("#number", &wrong.to_string())
        .await
        .expect("types");
    browser.click("#approve").await.expect("approves");
    assert_eq!(outcome(admin, &id).await["reason"], "number_mismatch");
    wait_text(browser, "#result", "not the number").await;

    // Deny.
    let (id, _) = push(admin, "alice").await;
    request_shown(browser, &id).await;
    browser.click("#deny").await.expect("denies");
    assert_eq!(outcome(admin, &id).await["reason"], "push_denied");
    wait_text(browser, "#result", "Denied").await;

    // The offline code is accepted by /api/v1/verify.
    let shown = browser.text("#code-0").await.expect("a code");
    assert_eq!(shown.len(), 6, "{shown}");
    assert_eq!(admin.verify("alice", &shown).await["result"], "accepted");
    assert!(browser
        .text("#remaining-0")
        .await
        .expect("countdown")
        .ends_with("s left"));
}

/// Returns bob's activation code.
async fn second_account_in_pin_mode(browser: &Browser, server: &Server, admin: &Api) -> String {
    // A second account, in PIN mode, by the typed code.
    admin
        .post("/api/v1/users", json!({"username": "bob"}))
        .await
        .expect(201, "bob");
    admin
        .patch("/api/v1/users/bob", json!({"push_pin_required": true}))
        .await
        .expect(200, "PIN mode for bob");
    let (_, bob_code) = activation(admin, server, "bob").await;
    browser.click("#add").await.expect("add an account");
    browser.wait_for("#code", WAIT).await.expect("the form");
    browser.fill("#code", &bob_code).await.expect("types");
    browser
        .fill("#device-name", "Bob's phone")
        .await
        .expect("names");
    browser.click("#activate").await.expect("activates");
    wait_text(browser, "#activate-problem", "PIN").await;
    browser
        .fill("#new-pin", "2468")
        .await
        .expect("chooses a PIN");
    browser.screenshot("app-choose-pin").await.expect("shot");
    browser.click("#activate").await.expect("activates");
    wait_text(browser, "#result", "for bob").await;
    assert_eq!(
        browser.find_all(".account").await.expect("accounts").len(),
        2
    );
    browser.screenshot("app-two-accounts").await.expect("shot");

    let (id, number) = push(admin, "bob").await;
    request_shown(browser, &id).await;
    browser
        .fill("#number", &number.expect("number").to_string())
        .await
        .expect("number");
    browser.fill("#pin", "1357").await.expect("wrong PIN");
    browser.click("#approve").await.expect("approves");
    assert_eq!(outcome(admin, &id).await["reason"], "pin_incorrect");
    wait_text(browser, "#result", "PIN was wrong").await;
    let (id, number) = push(admin, "bob").await;
    request_shown(browser, &id).await;
    browser
        .fill("#number", &number.expect("number").to_string())
        .await
        .expect("number");
    browser.fill("#pin", "2468").await.expect("PIN");
    browser.screenshot("app-request-pin").await.expect("shot");
    browser.click("#approve").await.expect("approves");
    assert_eq!(outcome(admin, &id).await["result"], "accepted");

    bob_code
}

async fn fraud_blocks_the_user(browser: &Browser, admin: &Api) {
    // "This wasn't me": refused, and alice is blocked.
    let (id, _) = push(admin, "alice").await;
    request_shown(browser, &id).await;
    browser.click("#fraud").await.expect("reports");
    assert_eq!(outcome(admin, &id).await["reason"], "fraud_reported");
    wait_text(browser, "#result", "Reported").await;
    let alice = admin.get("/api/v1/users/alice").await;
    assert_eq!(alice.expect(200, "alice")["enabled"], false);
}

async fn no_activation_code_left(browser: &Browser, server: &Server, codes: [&String; 2]) {
    // Nothing holds an activation code after use.
    let dump = browser
        .execute_async(STORAGE_DUMP, vec![])
        .await
        .expect("storage");
    let dump = dump.as_str().expect("text").to_string();
    assert!(!dump.starts_with("error"), "{dump}");
    for secret in codes {
        assert!(
            !dump.contains(secret.as_str()),
            "storage holds a code: {dump}"
        );
        assert!(
            !dump.contains(&secret[8..]),
            "storage holds half a code: {dump}"
        );
        assert!(
            !server.stderr().contains(&secret[8..]),
            "the server log holds a code"
        );
    }
}

/// The other server stays up (its database too) until the test ends.
async fn account_of_another_server(browser: &Browser) -> (Db, Server) {
    // An account of another server: the app calls it across origins (CORS,
    // also for the event stream).
    let other_db = Db::sqlite();
    let other = Server::start(&other_db).await;
    let other_admin = other.api(&other.create_key("admin", "verify,admin"));
    other_admin
        .post("/api/v1/users", json!({"username": "carol"}))
        .await
        .expect(201, "carol");
    let (_, carol_code) = activation(&other_admin, &other, "carol").await;
    browser.click("#add").await.expect("add an account");
    browser.wait_for("#server", WAIT).await.expect("the form");
    browser
        .fill("#server", &format!("{}/", other.base()))
        .await
        .expect("types the server");
    browser
        .fill("#code", &carol_code)
        .await
        .expect("types the code");
    browser.click("#activate").await.expect("activates");
    wait_text(browser, "#result", "for carol").await;
    let (id, number) = push(&other_admin, "carol").await;
    request_shown(browser, &id).await;
    browser
        .fill("#number", &number.expect("number").to_string())
        .await
        .expect("number");
    browser.click("#approve").await.expect("approves");
    assert_eq!(outcome(&other_admin, &id).await["result"], "accepted");

    // The administrator removes carol's phone: the app says what to do.
    let devices = other_admin.get("/api/v1/users/carol/devices").await;
    let carol_device = devices.expect(200, "devices")["devices"][0]["id"]
        .as_str()
        .expect("carol's device")
        .to_string();
    let removed = other_admin
        .delete(&format!("/api/v1/users/carol/devices/{carol_device}"))
        .await;
    assert_eq!(removed.status, 204);

    (other_db, other)
}

async fn offline(browser: &Browser, server: &mut Server) {
    // The server is gone: the app still loads from the worker's cache,
    // shows the offline code and says what is wrong.
    server.stop();
    browser
        .goto(&format!("{}/app", server.base()))
        .await
        .expect("reloads");
    wait_text(browser, ".account", "alice").await;
    let offline = browser.text("#code-0").await.expect("an offline code");
    assert_eq!(offline.len(), 6);
    wait_text(
        browser,
        "#problem-0",
        "does not trust the server's certificate",
    )
    .await;
    wait_text(browser, "#problem-1", "removed from the server").await;
    browser.screenshot("app-offline").await.expect("shot");
}

#[tokio::test]
async fn on_iphone_safari_shows_the_code_to_type_in_the_home_screen_app() {
    let db = Db::sqlite();
    let server = Server::start(&db).await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    admin
        .post("/api/v1/users", json!({"username": "alice"}))
        .await
        .expect(201, "alice");
    let (app_url, code) = activation(&admin, &server, "alice").await;
    let browser = phone().await;
    browser
        .cdp(
            "Emulation.setUserAgentOverride",
            json!({"userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"}),
        )
        .await
        .expect("an iPhone's user agent");
    browser.goto(&app_url).await.expect("opens the link");
    let hint = wait_text(&browser, "#ios-hint", "Add to Home Screen").await;
    let grouped: Vec<&str> = (0..4).map(|i| &code[i * 4..i * 4 + 4]).collect();
    assert!(hint.contains(&grouped.join(" ")), "{hint}");
    assert!(!browser.current_url().await.expect("url").contains(&code));
    browser.screenshot("app-ios-hint").await.expect("shot");
    browser.close().await;

    // The CLI's activation has the link too.
    let cli = server.cli_json(&["device", "activation", "alice"]);
    assert!(
        cli["app_url"]
            .as_str()
            .is_some_and(|u| u.contains("/app#code=")),
        "{cli}"
    );
    assert!(cli["app_qr_svg"]
        .as_str()
        .is_some_and(|q| q.starts_with("<svg")));
}

#[tokio::test]
async fn app_files_are_served_with_their_types_and_a_strict_policy() {
    let db = Db::sqlite();
    let server = Server::start(&db).await;
    let http = reqwest::Client::new();
    for (path, kind) in [
        ("/app", "text/html; charset=utf-8"),
        ("/app/main.js", "text/javascript; charset=utf-8"),
        ("/app/sw.js", "text/javascript; charset=utf-8"),
        ("/app/app.css", "text/css; charset=utf-8"),
        ("/app/manifest.webmanifest", "application/manifest+json"),
        ("/app/icon-192.png", "image/png"),
        ("/app/icon.svg", "image/svg+xml"),
    ] {
        let reply = http.get(server.url(path)).send().await.expect("answer");
        assert_eq!(reply.status(), 200, "{path}");
        let headers = reply.headers();
        assert_eq!(headers["content-type"], kind, "{path}");
        let csp = headers["content-security-policy"].to_str().expect("csp");
        assert!(csp.starts_with("default-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
    }
    let manifest: Value = http
        .get(server.url("/app/manifest.webmanifest"))
        .send()
        .await
        .expect("manifest")
        .json()
        .await
        .expect("json");
    assert_eq!(manifest["display"], "standalone");
    assert!(manifest["icons"].as_array().expect("icons").len() >= 2);
    let missing = http
        .get(server.url("/app/nothing.js"))
        .send()
        .await
        .expect("answer");
    assert_eq!(missing.status(), 404);

    // CORS: another origin may call the device API (no credentials).
    let preflight = http
        .request(reqwest::Method::OPTIONS, server.url("/device/v1/events"))
        .header("origin", "https://other.example")
        .header("access-control-request-method", "GET")
        .header(
            "access-control-request-headers",
            "x-countersign-device,x-countersign-signature",
        )
        .send()
        .await
        .expect("preflight");
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .expect("text");
    assert!(allowed.contains("x-countersign-signature"), "{allowed}");
    // A stream request from a browser is refused with the CORS header (not
    // served by the lean path, which would lack it).
    let refused = http
        .get(server.url("/device/v1/events"))
        .header("origin", "https://other.example")
        .send()
        .await
        .expect("answer");
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.headers()["access-control-allow-origin"], "*");
}
