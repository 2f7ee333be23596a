//! Forward auth with real reverse proxies (../shared/recipes/OIDC.md §2):
//! nginx's `auth_request` asking `/sso/auth/request` (401 with a
//! `Location` nginx turns into the redirect) and Caddy's `forward_auth`
//! asking `/sso/auth/forward` (a redirect the proxy passes on) protect a
//! page: not signed in, the browser lands on `/sso` with the original
//! URL in `rd`; signed in there (portal password, then a TOTP code), it
//! is sent back and the proxy lets it through with `Remote-User`,
//! `Remote-Name`, `Remote-Email` and `Remote-Groups` from Countersign,
//! never the client's own; and an `rd` to another site is not followed.

mod common;

use common::sso::{query_param, sso_server, Jar, SsoUser};
use common::*;
use countersign_testkit::caddy_auth::CaddyAuth;
use countersign_testkit::nginx_auth::{NginxAuth, STATIC_PAGE};

fn have_peers() -> bool {
    let here = std::path::Path::new("/usr/sbin/nginx").exists()
        && std::path::Path::new("/usr/bin/caddy").exists();
    assert!(
        here || std::env::var_os("COUNTERSIGN_SKIP_MISSING_PEERS").is_some(),
        "nginx or caddy is missing: run scripts/test (it installs the peers)"
    );
    here
}

/// Not signed in: `url` leads to Countersign's `/sso` with `rd` = `url`.
async fn sent_to_sign_in(jar: &mut Jar, server: &Server, url: &str) {
    let hop = jar.get(url).await;
    assert!(
        matches!(hop.status, 302 | 303),
        "{url} without a session: {} {}",
        hop.status,
        hop.body
    );
    let location = hop.location();
    assert!(
        location.starts_with(&server.url("/sso")),
        "to the sign-in page: {location}"
    );
    assert_eq!(
        query_param(&location, "rd").as_deref(),
        Some(url),
        "{location}"
    );
}

/// What the echo backend saw, as one line.
fn backend_line(body: &str) -> &str {
    body.lines()
        .find(|l| l.starts_with("backend saw"))
        .unwrap_or_else(|| panic!("not the backend's answer: {body}"))
}

#[tokio::test]
async fn nginx_auth_request_protects_a_page_until_signed_in_at_sso() {
    if !have_peers() {
        return;
    }
    let db = Db::sqlite();
    let server = sso_server(&db, "127.0.0.1", &[]).await;
    let admin = server.api(&server.create_key("sso", "verify,admin"));
    let mut ned = SsoUser::create(&server, &admin, "ned").await;
    let nginx = NginxAuth::start(&server.url("/sso/auth/request"));

    let page = format!("{}/static/", nginx.base());
    let app = format!("{}/app/x?y=1&z=2", nginx.base());
    let mut jar = Jar::new();
    sent_to_sign_in(&mut jar, &server, &page).await;
    sent_to_sign_in(&mut jar, &server, &app).await;
    // (nginx redirects only on the endpoint's 401: a 302 from it would be nginx's 500.)

    let back = jar.sign_in_from(&page, "ned", &ned.next_code()).await;
    assert_eq!(back.url, page, "back on the page after /sso");
    assert_eq!(back.status, 200, "{}", back.body);
    assert!(back.body.contains(STATIC_PAGE), "{}", back.body);
    assert_eq!(back.header("Remote-User").as_deref(), Some("ned"));

    let seen = jar
        .get_with(
            &app,
            &[("Remote-User", "mallory"), ("Remote-Groups", "admins")],
        )
        .await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    let line = backend_line(&seen.body);
    assert!(
        line.starts_with("backend saw Remote-User=ned Remote-Groups= Remote-Email=ned@example.org Remote-Name=ned Example uri=/app/x?y=1&z=2"),
        "Countersign's identity, not the client's headers: {line}"
    );

    // Another browser, and the same browser after losing its cookies: back to /sso.
    let mut stranger = Jar::new();
    sent_to_sign_in(&mut stranger, &server, &page).await;
    jar.cookies.clear();
    sent_to_sign_in(&mut jar, &server, &page).await;
}

#[tokio::test]
async fn caddy_forward_auth_protects_a_page_and_gets_every_remote_header() {
    if !have_peers() {
        return;
    }
    let db = Db::sqlite();
    let server = sso_server(&db, "127.0.0.1", &[]).await;
    let admin = server.api(&server.create_key("sso", "verify,admin"));
    let mut cay = SsoUser::create(&server, &admin, "cay").await;
    let upstream = format!("127.0.0.1:{}", server.port());
    let caddy = CaddyAuth::start(&upstream, "/sso/auth/forward");

    let page = format!("{}/app/x?y=1", caddy.base());
    let mut jar = Jar::new();
    sent_to_sign_in(&mut jar, &server, &page).await;

    let back = jar.sign_in_from(&page, "cay", &cay.next_code()).await;
    assert_eq!(back.url, page, "back on the page after /sso");
    assert_eq!(back.status, 200, "{}\ncaddy:\n{}", back.body, caddy.log());
    let line = backend_line(&back.body);
    assert!(
        line.starts_with("backend saw Remote-User=cay Remote-Groups= Remote-Email=cay@example.org Remote-Name=cay Example uri=/app/x?y=1"),
        "{line}"
    );
    // Caddy 2.6 forwards a literal placeholder for a header the answer left out.
    assert!(
        !line.contains("{http."),
        "every Remote-* header is sent: {line}"
    );

    let spoofed = jar
        .get_with(
            &page,
            &[("Remote-User", "mallory"), ("Remote-Groups", "admins")],
        )
        .await;
    let line = backend_line(&spoofed.body);
    assert!(
        line.starts_with("backend saw Remote-User=cay Remote-Groups= "),
        "the client's headers are replaced: {line}"
    );
}

#[tokio::test]
async fn a_return_address_on_another_site_is_not_followed() {
    let db = Db::sqlite();
    let server = sso_server(&db, "127.0.0.1", &[]).await;
    let admin = server.api(&server.create_key("sso", "verify,admin"));
    let mut eve = SsoUser::create(&server, &admin, "eve").await;
    let mut jar = Jar::new();
    let start = server.url("/sso?rd=https%3A%2F%2Fevil.example%2Fphish");
    let end = jar.sign_in_from(&start, "eve", &eve.next_code()).await;
    assert!(
        jar.trail.iter().all(|url| !url.contains("://evil.example")),
        "never sent to another site: {:?}",
        jar.trail
    );
    assert!(
        end.url.starts_with(&server.base()),
        "stays at Countersign: {}",
        end.url
    );
    // Signed in all the same: forward auth now lets this browser through.
    let original = "http://127.0.0.1/page";
    let asked = jar
        .get_with(
            &server.url("/sso/auth/request"),
            &[("X-Original-URL", original), ("X-Original-Method", "GET")],
        )
        .await;
    assert_eq!(asked.status, 200, "signed in at /sso: {}", asked.body);
    assert_eq!(asked.header("Remote-User").as_deref(), Some("eve"));
}
