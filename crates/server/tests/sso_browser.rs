//! `/sso` in real headless Chromium behind a real nginx: a page nginx
//! protects with `auth_request` sends the browser to `/sso`; the user
//! signs in with the portal password, a push comes to the reference
//! authenticator (`countersign-authenticator watch --auto approve` with the
//! number the page shows), and the browser is back on the page. Then
//! another user, whose only method is a passkey (Chromium's virtual
//! authenticator), signs in with it alone. Everything runs on
//! `localhost` (WebAuthn wants a domain); screenshots at 390 and 1440 px
//! go to `docs/img/sso/`.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::passkeys::{have_chromium, local, shoot, wait_for_url, Passkeys};
use common::sso::SsoUser;
use common::*;
use countersign_testkit::free_port;
use countersign_testkit::nginx_auth::NginxAuth;
use serde_json::json;

/// A node on `http://localhost:PORT`: its `public_url` and WebAuthn origin.
async fn localhost_server(db: &Db) -> Server {
    let port = free_port();
    let public = format!("http://localhost:{port}");
    let env = [
        ("COUNTERSIGN_PUBLIC_URL", public.as_str()),
        ("COUNTERSIGN_WEBAUTHN_RP_ID", "localhost"),
        ("COUNTERSIGN_WEBAUTHN_ORIGINS", public.as_str()),
    ];
    let mut server = Server::with_env(db, &env);
    server.spawn_on(port).await;
    server
}

fn authenticator(store: &Path, args: &[&str]) -> String {
    let out = Command::new(authenticator_bin())
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .expect("the authenticator runs");
    assert!(
        out.status.success(),
        "authenticator {args:?}: {}",
        stderr(&out)
    );
    stdout(&out)
}

#[tokio::test]
async fn an_nginx_protected_page_by_password_and_push_then_by_passkey() {
    if !have_chromium() || !Path::new("/usr/sbin/nginx").exists() {
        return;
    }
    let db = Db::sqlite();
    let server = localhost_server(&db).await;
    let admin = server.api(&server.create_key("sso", "verify,admin"));
    let nginx = NginxAuth::start(&format!(
        "http://127.0.0.1:{}/sso/auth/request",
        server.port()
    ));
    let page = format!("http://localhost:{}/static/", nginx.port());
    let keys = Passkeys::start(1440, 900).await;

    password_and_push(&keys, &server, &admin, &page).await;
    keys.browser.delete_cookies().await.expect("sign out");
    passkey_alone(&keys, &server, &admin, &page).await;
    keys.browser.close().await;
}

async fn password_and_push(keys: &Passkeys, server: &Server, admin: &Api, page: &str) {
    let browser = &keys.browser;
    // A user with a portal password and the reference authenticator.
    SsoUser::create(server, admin, "pat").await;
    let grant = admin
        .post("/api/v1/users/pat/activations", json!({}))
        .await
        .expect(201, "activation")
        .clone();
    let code = grant["activation_code"]
        .as_str()
        .expect("code")
        .replace(' ', "");
    let dir = countersign_testkit::TempDir::new("sso-authenticator");
    let store = dir.path().join("store.json");
    let url = server.base();
    authenticator(
        &store,
        &[
            "activate",
            "--url",
            &url,
            "--code",
            &code,
            "--name",
            "Pat's phone",
        ],
    );

    browser.goto(page).await.expect("the protected page");
    let at = wait_for_url(browser, "/sso", 10).await;
    assert!(at.contains("rd="), "the original URL travels in rd: {at}");
    browser.find("#username").await.expect("the sign-in form");
    shoot(browser, "sso", "nginx-sign-in", &[390, 1440]).await;
    browser.fill("#username", "pat").await.expect("name");
    browser
        .fill("#password", common::sso::PASSWORD)
        .await
        .expect("password");
    browser.click_and_load("#sign-in").await.expect("sign in");
    wait_for_url(browser, "/sso/verify", 10).await;
    let number = browser
        .text("#push-number")
        .await
        .expect("the number to pick");
    shoot(browser, "sso", "nginx-verify-push", &[390, 1440]).await;
    authenticator(
        &store,
        &[
            "watch",
            "--auto",
            "approve",
            "--number",
            number.trim(),
            "--once",
        ],
    );
    back_on_the_page(browser, page).await;
    let records = admin.get("/api/v1/audit?username=pat&limit=10").await;
    let text = records.text.clone();
    assert!(
        text.contains("\"push\"") && text.contains("accepted"),
        "the push sign-in is audited: {text}"
    );
}

async fn passkey_alone(keys: &Passkeys, server: &Server, admin: &Api, page: &str) {
    let browser = &keys.browser;
    // A user whose first and only method is a passkey, added at the portal.
    admin
        .post(
            "/api/v1/users",
            json!({"username": "kim", "display_name": "Kim Lee"}),
        )
        .await
        .expect(201, "kim");
    let printed = server.cli_json(&["user", "enrol-link", "kim"])["url"]
        .as_str()
        .expect("url")
        .to_string();
    let at = printed.find("/portal/link/").expect("a portal link");
    browser
        .goto(&local(server, &printed[at..]))
        .await
        .expect("link");
    browser.click_and_load("#use-link").await.expect("use link");
    wait_for_url(browser, "/portal/enrol", 10).await;
    browser
        .goto(&local(server, "/portal/passkeys"))
        .await
        .expect("passkeys");
    browser.fill("#passkey-name", "Laptop").await.expect("name");
    keys.click_until("#add-passkey", "notice=passkey_added")
        .await;
    assert_eq!(keys.credentials().await.len(), 1, "one resident credential");
    keys.browser
        .delete_cookies()
        .await
        .expect("out of the portal");

    browser.goto(page).await.expect("the protected page");
    wait_for_url(browser, "/sso", 10).await;
    browser
        .find("#passkey-sign-in")
        .await
        .expect("a passkey sign-in is offered");
    keys.click_until("#passkey-sign-in", "/static/").await;
    back_on_the_page(browser, page).await;
    let records = admin.get("/api/v1/audit?username=kim&limit=10").await;
    assert!(
        records.text.contains("webauthn"),
        "the passkey sign-in is audited: {}",
        records.text
    );
}

async fn back_on_the_page(browser: &countersign_testkit::browser::Browser, page: &str) {
    for _ in 0..300 {
        let url = browser.current_url().await.unwrap_or_default();
        let source = browser.source().await.unwrap_or_default();
        if url == page && source.contains("secret static page") {
            shoot(browser, "sso", "nginx-back-on-the-page", &[1440]).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = browser.current_url().await.unwrap_or_default();
    let source = browser.source().await.unwrap_or_default();
    panic!("not back on {page} in 30 s; at {url}:\n{source}");
}
