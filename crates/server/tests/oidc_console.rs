//! The console's OpenID clients page in real headless Chromium: an
//! administrator adds a client (the secret shown once, and it works at the
//! token endpoint's client authentication), sees a wrong redirect URI
//! refused next to the field, edits the redirect URIs, groups, algorithm
//! and lifetimes (read back from `/api/v1/oidc/clients`), gives it a new
//! secret (the old one stops working) and removes it. Screenshots at 390
//! and 1440 px go to `docs/img/console/`.

mod common;

use common::console::{add_admin, PASSWORD as ADMIN_PASSWORD};
use common::passkeys::{have_chromium, shoot, wait_for_url};
use common::*;
use countersign_testkit::browser::Browser;

async fn sign_in(browser: &Browser, server: &Server, name: &str) {
    browser
        .goto(&server.url("/admin/login"))
        .await
        .expect("login");
    browser.fill("#username", name).await.expect("name");
    browser
        .fill("#password", ADMIN_PASSWORD)
        .await
        .expect("password");
    browser
        .click_and_load("button[type=submit]")
        .await
        .expect("continue");
    wait_for_url(browser, "/admin/enrol", 5).await;
    let secret = browser.text("#secret").await.expect("secret");
    let seed = countersign_otp::base32::decode(&secret).expect("base32");
    browser.fill("#code", &totp_now(&seed)).await.expect("code");
    browser
        .click_and_load("form[action='/admin/enrol'] button")
        .await
        .expect("sign in");
}

/// The token endpoint's answer to a made-up code with these credentials:
/// 401 `invalid_client` for a wrong secret, 400 `invalid_grant` for a right one.
async fn token_endpoint_status(server: &Server, client_id: &str, secret: &str) -> u16 {
    let reply = reqwest::Client::new()
        .post(server.url("/sso/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "not-a-code"),
            ("redirect_uri", "https://app.example.org/cb"),
        ])
        .send()
        .await
        .expect("token endpoint");
    reply.status().as_u16()
}

#[tokio::test]
async fn openid_clients_in_the_console() {
    if !have_chromium() {
        return;
    }
    let db = Db::sqlite();
    let server = common::sso::sso_server(&db, "127.0.0.1", &[]).await;
    add_admin(&server, "ada", "admin");
    let api = server.api(&server.create_key("oidc", "verify,admin"));
    let browser = Browser::start(1440, 900).await.expect("chromium");
    sign_in(&browser, &server, "ada").await;

    browser
        .goto(&server.url("/admin/oidc"))
        .await
        .expect("page");
    browser
        .find("#no-oidc-clients")
        .await
        .expect("empty at first");
    // A redirect URI that is not a URL: refused next to the field, nothing saved.
    browser.fill("#o-name", "wiki").await.expect("name");
    browser.fill("#o-redirect", "not a url").await.expect("uri");
    browser
        .click_and_load("#add-oidc-client")
        .await
        .expect("add");
    let error = browser
        .text("#o-redirect-error")
        .await
        .expect("the field's error");
    assert!(!error.is_empty());
    let listed = api.get("/api/v1/oidc/clients").await;
    assert_eq!(
        listed.body["clients"].as_array().map(Vec::len),
        Some(0),
        "{}",
        listed.text
    );

    browser
        .fill("#o-redirect", "https://wiki.example.org/oidc/callback")
        .await
        .expect("uri");
    shoot(&browser, "console", "oidc-add", &[390, 1440]).await;
    browser
        .click_and_load("#add-oidc-client")
        .await
        .expect("add");
    let secret = browser
        .text("#oidc-client-secret")
        .await
        .expect("the secret, shown once");
    assert_eq!(browser.text("#oidc-client-id").await.expect("id"), "wiki");
    assert_eq!(
        browser.text("#oidc-issuer").await.expect("issuer"),
        server.base()
    );
    shoot(&browser, "console", "oidc-secret", &[390, 1440]).await;
    assert_eq!(
        token_endpoint_status(&server, "wiki", &secret).await,
        400,
        "the shown secret authenticates the client (the code is what is wrong)"
    );
    assert_eq!(
        token_endpoint_status(&server, "wiki", "not-the-secret-at-all-0123456789").await,
        401
    );

    // Not shown again: the list has no secret.
    browser.click_and_load("#back-to-oidc").await.expect("back");
    assert!(
        !browser.source().await.expect("page").contains(&secret),
        "the secret is not on the list"
    );

    // Edit: two redirect URIs, a group, RS256, lifetimes, refresh tokens.
    browser.click_and_load("#edit-wiki").await.expect("edit");
    browser
        .fill(
            "#o-redirect",
            "https://wiki.example.org/oidc/callback\nhttps://wiki2.example.org/oidc/callback",
        )
        .await
        .expect("second uri");
    browser
        .fill("#o-groups", "wiki-users")
        .await
        .expect("group");
    browser
        .execute(
            "document.getElementById('o-alg').value = 'RS256'; return 1",
            vec![],
        )
        .await
        .expect("RS256");
    browser.fill("#o-id-life", "600").await.expect("lifetime");
    browser.fill("#o-rt-life", "86400").await.expect("refresh");
    shoot(&browser, "console", "oidc-edit", &[390, 1440]).await;
    browser
        .click_and_load("#save-oidc-client")
        .await
        .expect("save");
    wait_for_url(&browser, "/admin/oidc", 5).await;
    let client = api.get("/api/v1/oidc/clients/wiki").await;
    let body = &client.body;
    assert_eq!(
        body["redirect_uris"],
        serde_json::json!([
            "https://wiki.example.org/oidc/callback",
            "https://wiki2.example.org/oidc/callback"
        ]),
        "{}",
        client.text
    );
    assert_eq!(
        body["allowed_groups"],
        serde_json::json!(["wiki-users"]),
        "{}",
        client.text
    );
    assert_eq!(body["signing_alg"], "RS256", "{}", client.text);
    assert_eq!(body["id_token_seconds"], 600, "{}", client.text);
    assert_eq!(body["refresh_token_seconds"], 86400, "{}", client.text);
    shoot(&browser, "console", "oidc-list", &[390, 1440]).await;

    // A new secret: shown once, the old one refused from now on.
    let yes = "window.confirm = () => true; return 1";
    browser.execute(yes, vec![]).await.expect("confirm");
    browser
        .click_and_load("#rotate-wiki")
        .await
        .expect("rotate");
    let rotated = browser
        .text("#oidc-client-secret")
        .await
        .expect("the new secret");
    assert_ne!(rotated, secret);
    assert_eq!(
        token_endpoint_status(&server, "wiki", &secret).await,
        401,
        "the old secret"
    );
    assert_eq!(
        token_endpoint_status(&server, "wiki", &rotated).await,
        400,
        "the new secret"
    );

    // Remove.
    browser
        .goto(&server.url("/admin/oidc"))
        .await
        .expect("page");
    browser.execute(yes, vec![]).await.expect("confirm");
    browser
        .click_and_load("#remove-wiki")
        .await
        .expect("remove");
    browser.find("#no-oidc-clients").await.expect("gone");
    assert_eq!(api.get("/api/v1/oidc/clients/wiki").await.status, 404);
    browser.close().await;
}
