//! Browsers that come over HTTPS get `Secure` session cookies with the
//! `__Host-` prefix and `Strict-Transport-Security`, whether Countersign
//! serves TLS itself or sits behind a TLS proxy (`http.behind_proxy` with
//! an https `public_url`); over plain HTTP neither.

mod common;

use common::console::{add_admin, Visitor};
use common::*;
use countersign_testkit::pki::{text, write_pem, Leaf};
use countersign_testkit::serving::Serving;
use countersign_testkit::TempDir;
use reqwest::header::STRICT_TRANSPORT_SECURITY;

/// The session cookie's `Set-Cookie` as sent, after signing in as root.
async fn signed_in_session_cookie(visitor: &mut Visitor) -> String {
    visitor.sign_in("root").await;
    visitor
        .set_cookies
        .iter()
        .rev()
        .find(|c| c.contains("countersign_session="))
        .expect("a session cookie")
        .clone()
}

fn hsts(page: &common::console::Page) -> Option<String> {
    page.headers
        .get(STRICT_TRANSPORT_SECURITY)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[tokio::test]
async fn behind_a_tls_proxy_cookies_are_secure_and_hsts_is_sent() {
    // The proxy is this test on 127.0.0.1, speaking plain HTTP to the node
    // as a TLS-terminating proxy does.
    let server = Server::start_with(
        &Db::sqlite(),
        &[
            ("COUNTERSIGN_HTTP_BEHIND_PROXY", "true"),
            ("COUNTERSIGN_HTTP_TRUSTED_PROXIES", "127.0.0.1"),
            ("COUNTERSIGN_PUBLIC_URL", "https://mfa.example.org"),
        ],
    )
    .await;
    add_admin(&server, "root", "admin");
    let mut visitor = Visitor::new(&server.base());
    let login = visitor.get("/admin/login").await;
    assert_eq!(
        hsts(&login).as_deref(),
        Some("max-age=31536000"),
        "HSTS with the default max-age (one year)"
    );
    let pre = visitor.set_cookies.first().cloned().unwrap_or_default();
    assert!(pre.starts_with("__Host-countersign_login="), "{pre}");
    let session = signed_in_session_cookie(&mut visitor).await;
    assert!(
        session.starts_with("__Host-countersign_session="),
        "{session}"
    );
    for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(session.contains(flag), "{flag} missing: {session}");
    }
    assert!(!session.contains("Domain"), "{session}");
    let users = visitor.get("/admin/users").await;
    assert_eq!(users.status, 200, "the __Host- cookie is read back");
    let health = reqwest::get(server.url("/healthz")).await.expect("healthz");
    assert_eq!(
        health
            .headers()
            .get(STRICT_TRANSPORT_SECURITY)
            .map(|v| v.as_bytes()),
        Some(&b"max-age=31536000"[..]),
        "every answer carries HSTS, not only the console's"
    );

    let mut portal = Visitor::new(&server.base());
    portal.get("/portal/login").await;
    let cookie = portal.set_cookies.first().cloned().unwrap_or_default();
    assert!(
        cookie.starts_with("__Host-countersign_portal_login=") && cookie.contains("Secure"),
        "the portal's cookies too: {cookie}"
    );
}

#[tokio::test]
async fn hsts_max_age_is_a_setting_and_plain_http_gets_none() {
    let server = Server::start_with(
        &Db::sqlite(),
        &[
            ("COUNTERSIGN_HTTP_BEHIND_PROXY", "true"),
            ("COUNTERSIGN_HTTP_TRUSTED_PROXIES", "127.0.0.1"),
            ("COUNTERSIGN_PUBLIC_URL", "https://mfa.example.org"),
            ("COUNTERSIGN_HTTP_HSTS_MAX_AGE_SECONDS", "600"),
        ],
    )
    .await;
    let mut visitor = Visitor::new(&server.base());
    let login = visitor.get("/admin/login").await;
    assert_eq!(hsts(&login).as_deref(), Some("max-age=600"));

    // Plain HTTP without a TLS proxy: neither HSTS nor Secure cookies.
    let plain = Server::start(&Db::sqlite()).await;
    let mut visitor = Visitor::new(&plain.base());
    let login = visitor.get("/admin/login").await;
    assert_eq!(hsts(&login), None, "no HSTS over plain HTTP");
    let pre = visitor.set_cookies.first().cloned().unwrap_or_default();
    assert!(
        pre.starts_with("countersign_login=") && !pre.contains("Secure"),
        "{pre}"
    );
}

#[tokio::test]
async fn served_tls_keeps_secure_cookies_and_sends_hsts() {
    let dir = TempDir::new("https-cookies");
    let leaf = Leaf::self_signed(&["localhost"]);
    let cert = write_pem(dir.path(), "cert.pem", &[leaf.pem()]);
    let key = write_pem(dir.path(), "key.pem", &[leaf.key_pem()]);
    let (cert, key) = (text(&cert), text(&key));
    let server = Server::with_env(
        &Db::sqlite(),
        &[
            ("COUNTERSIGN_TLS_CERT", cert.as_str()),
            ("COUNTERSIGN_TLS_KEY", key.as_str()),
        ],
    );
    add_admin(&server, "root", "admin");
    let serving = Serving::start(|_| server.command(), "127.0.0.1", "https");
    let mut visitor = Visitor::new(&format!("https://127.0.0.1:{}", serving.port));
    let login = visitor.get("/admin/login").await;
    assert_eq!(hsts(&login).as_deref(), Some("max-age=31536000"));
    let session = signed_in_session_cookie(&mut visitor).await;
    assert!(
        session.starts_with("__Host-countersign_session=") && session.contains("Secure"),
        "{session}"
    );
}

#[tokio::test]
async fn doctor_warns_behind_a_proxy_without_an_https_public_url() {
    let server = Server::with_env(
        &Db::sqlite(),
        &[
            ("COUNTERSIGN_HTTP_BEHIND_PROXY", "true"),
            ("COUNTERSIGN_HTTP_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    );
    let output = server.cli(&["--json", "doctor"]);
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("doctor --json prints JSON");
    let chain = report
        .as_array()
        .and_then(|all| all.iter().find(|f| f["check"] == "certificate.chain"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(chain["status"], "warn", "{chain}");
    assert!(
        chain["message"]
            .as_str()
            .unwrap_or("")
            .contains("without Secure")
            && chain["fix"].as_str().unwrap_or("").contains("public_url"),
        "{chain}"
    );
}
