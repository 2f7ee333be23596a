//! The portal over plain HTTP requests: every setting that gates a feature,
//! both ways; its defences (CSRF, cookies that never open `/admin`, links
//! used once, the same answer in the same time for unknown users and wrong
//! passwords); bad input on every form answered next to the field with
//! nothing saved; and the user's language from Accept-Language.

mod common;

use std::time::{Duration, Instant};

use common::console::{add_admin, between, Visitor};
use common::*;
use serde_json::json;

const PASSWORD: &str = "a portal password";

/// The link's path for `user`, made by the CLI.
fn link_path(server: &Server, user: &str) -> String {
    let url = server.cli_json(&["user", "enrol-link", user])["url"]
        .as_str()
        .expect("url")
        .to_string();
    url.find("/portal/link/")
        .map(|i| url[i..].to_string())
        .expect("a portal link")
}

/// Opens the link and presses its button; returns where it led.
async fn use_link(visitor: &mut Visitor, path: &str) -> common::console::Page {
    let page = visitor.get(path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    visitor.post(path, &[("csrf", &page.csrf())]).await
}

/// A user with a TOTP token, signed in through a link and the code, with a portal password.
async fn signed_in(server: &Server, admin: &Api, name: &str) -> (Visitor, Vec<u8>) {
    admin
        .post("/api/v1/users", json!({"username": name}))
        .await
        .expect(201, "user");
    let token = admin
        .post(&format!("/api/v1/users/{name}/tokens"), json!({}))
        .await
        .expect(201, "token")
        .clone();
    let seed =
        countersign_otp::base32::decode(token["secret"].as_str().expect("secret")).expect("base32");
    let mut visitor = Visitor::new(&server.base());
    let after = use_link(&mut visitor, &link_path(server, name)).await;
    assert_eq!(after.location(), "/portal/verify", "{}", after.body);
    let verify = visitor.get("/portal/verify").await;
    let done = visitor
        .post(
            "/portal/verify",
            &[("csrf", &verify.csrf()), ("code", &totp_now(&seed))],
        )
        .await;
    assert_eq!(done.location(), "/portal", "{}", done.body);
    let form = visitor.get("/portal/secret/password").await;
    let saved = visitor
        .post(
            "/portal/secret/password",
            &[
                ("csrf", &form.csrf()),
                ("value", PASSWORD),
                ("again", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        saved.location(),
        "/portal?notice=password_set",
        "{}",
        saved.body
    );
    (visitor, seed)
}

async fn set(admin: &Api, setting: &str, on: bool) {
    admin
        .patch("/api/v1/settings", json!({ setting: on }))
        .await
        .expect(200, setting);
}

async fn csrf(visitor: &mut Visitor) -> String {
    visitor.get("/portal").await.csrf()
}

#[tokio::test]
async fn each_setting_gates_its_feature_both_ways() {
    let server = Server::start(&Db::sqlite()).await;
    let admin = server.api(&server.create_key("rules", "verify,admin"));
    let (mut pat, _) = signed_in(&server, &admin, "pat").await;

    // (setting, page to open) for the pages the settings gate.
    for (setting, path) in [
        ("allow_token_enrolment", "/portal/totp"),
        ("allow_phone_change", "/portal/phone"),
        ("allow_email_change", "/portal/email"),
    ] {
        set(&admin, setting, false).await;
        assert_eq!(pat.get(path).await.status, 403, "{setting} off: {path}");
        set(&admin, setting, true).await;
        assert_eq!(pat.get(path).await.status, 200, "{setting} on: {path}");
    }
    set(&admin, "allow_app_activation", false).await;
    let token = csrf(&mut pat).await;
    assert!(!pat
        .get("/portal")
        .await
        .body
        .contains("id=\"activate-app\""));
    assert_eq!(
        pat.post("/portal/app", &[("csrf", &token)]).await.status,
        403
    );
    set(&admin, "allow_app_activation", true).await;
    assert!(pat
        .get("/portal")
        .await
        .body
        .contains("id=\"activate-app\""));
    let started = pat.post("/portal/app", &[("csrf", &token)]).await;
    assert_eq!(started.location(), "/portal/app", "{}", started.body);
    assert!(pat
        .get("/portal/app")
        .await
        .body
        .contains("id=\"activation-code\""));

    // Method choice: the default can be picked only while choice is allowed.
    admin
        .patch("/api/v1/users/pat", json!({"email": "pat@example.org"}))
        .await
        .expect(200, "email");
    set(&admin, "allow_method_choice", false).await;
    let form = [("csrf", token.as_str()), ("method", "email")];
    assert_eq!(pat.post("/portal/method", &form).await.status, 403);
    set(&admin, "allow_method_choice", true).await;
    let chosen = pat.post("/portal/method", &form).await;
    assert_eq!(chosen.location(), "/portal?notice=method_changed");
    assert_eq!(
        admin.get("/api/v1/users/pat").await.body["default_method"],
        "email"
    );
    admin
        .patch(
            "/api/v1/users/pat",
            json!({"email": null, "default_method": null}),
        )
        .await
        .expect(200, "back to the token only");

    // The last method stays unless the policy lets it go.
    let tokens = admin.get("/api/v1/users/pat/tokens").await;
    let id = tokens.body["tokens"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let remove = format!("/portal/tokens/{id}/remove");
    let kept = pat.post(&remove, &[("csrf", &token)]).await;
    assert_eq!(kept.location(), "/portal?notice=cannot_remove_last");
    assert_eq!(
        admin.get("/api/v1/users/pat/tokens").await.body["tokens"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    set(&admin, "allow_remove_last_method", true).await;
    let gone = pat.post(&remove, &[("csrf", &token)]).await;
    assert_eq!(gone.location(), "/portal?notice=removed");
    assert_eq!(
        admin.get("/api/v1/users/pat/tokens").await.body["tokens"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );

    // PIN length follows the setting.
    admin
        .patch("/api/v1/settings", json!({"pin_min_length": 6}))
        .await
        .expect(200, "pin length");
    let pin = |p: &'static str| {
        [
            ("csrf", token.clone()),
            ("value", p.to_string()),
            ("again", p.to_string()),
        ]
    };
    let short = pat.post_owned("/portal/secret/pin", &pin("2468")).await;
    assert_eq!(short.status, 422);
    assert!(between(&short.body, "id=\"value-error\" role=\"alert\">", "<").contains("6 digits"));
    let ok = pat.post_owned("/portal/secret/pin", &pin("739184")).await;
    assert_eq!(ok.location(), "/portal?notice=pin_changed");

    // User enrolment: a user with no method gets in to enrol only while it is on.
    admin
        .post("/api/v1/users", json!({"username": "newbie"}))
        .await
        .expect(201, "newbie");
    let mut newbie = Visitor::new(&server.base());
    set(&admin, "allow_user_enrolment", false).await;
    let refused = use_link(&mut newbie, &link_path(&server, "newbie")).await;
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("turned off"), "{}", refused.body);
    assert_eq!(newbie.get("/portal").await.location(), "/portal/login");
    set(&admin, "allow_user_enrolment", true).await;
    let admitted = use_link(&mut newbie, &link_path(&server, "newbie")).await;
    assert_eq!(admitted.location(), "/portal/enrol");
    // ... and then must enrol before anything else.
    assert_eq!(newbie.get("/portal").await.location(), "/portal/enrol");
    assert_eq!(
        newbie.get("/portal/phone").await.location(),
        "/portal/enrol"
    );
    assert_eq!(newbie.get("/portal/totp").await.status, 200);
}

#[tokio::test]
async fn defences_csrf_cookies_links_and_enumeration() {
    let server = Server::start(&Db::sqlite()).await;
    let admin = server.api(&server.create_key("rules", "verify,admin"));
    add_admin(&server, "root", "admin");
    let (mut pat, _) = signed_in(&server, &admin, "pat").await;

    // Every POST needs the session's csrf field.
    assert_eq!(pat.post("/portal/logout", &[]).await.status, 403);
    assert_eq!(
        pat.post(
            "/portal/secret/pin",
            &[("csrf", "forged"), ("value", "739184"), ("again", "739184")]
        )
        .await
        .status,
        403
    );
    let mut stranger = Visitor::new(&server.base());
    assert_eq!(
        stranger
            .post(
                "/portal/login",
                &[("username", "pat"), ("password", PASSWORD)]
            )
            .await
            .status,
        403
    );

    // Headers and cookies as in the console.
    let home = pat.get("/portal").await;
    let csp = home
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(pat
        .set_cookies
        .iter()
        .filter(|c| c.starts_with("countersign_portal="))
        .all(|c| c.contains("HttpOnly") && c.contains("SameSite=Strict")));

    // A portal session never opens the console.
    let console = pat.get("/admin").await;
    assert_eq!(
        (console.status, console.location()),
        (303, "/admin/login".to_string())
    );
    assert_eq!(pat.get("/admin/users").await.location(), "/admin/login");

    // A link works once; a used or unknown link says so.
    admin
        .post("/api/v1/users", json!({"username": "once"}))
        .await
        .expect(201, "user");
    let path = link_path(&server, "once");
    let mut first = Visitor::new(&server.base());
    assert_eq!(
        use_link(&mut first, &path).await.location(),
        "/portal/enrol"
    );
    let mut second = Visitor::new(&server.base());
    let page = second.get(&path).await;
    assert_eq!(page.status, 410);
    assert!(page.body.contains("already used"), "{}", page.body);
    let unknown = second
        .get("/portal/link/abcdefghijkmnpqrstuvwxyz23456789")
        .await;
    assert_eq!(unknown.status, 410);
    assert!(unknown.body.contains("not valid"));

    // Unknown users and wrong passwords: the same answer in the same time.
    admin
        .patch("/api/v1/settings", json!({"lockout_threshold": 1000}))
        .await
        .expect(200, "no lockout");
    let mut guesser = Visitor::new(&server.base());
    let token = guesser.get("/portal/login").await.csrf();
    let mut timings = [Vec::new(), Vec::new()];
    let mut answers = [String::new(), String::new()];
    for round in 0..100 {
        for (i, name) in ["pat", &format!("nobody{round}")].into_iter().enumerate() {
            let started = Instant::now();
            let page = guesser
                .post(
                    "/portal/login",
                    &[
                        ("csrf", &token),
                        ("username", name),
                        ("password", "wrong guess!"),
                    ],
                )
                .await;
            timings[i].push(started.elapsed());
            assert_eq!(page.status, 401);
            answers[i] = between(&page.body, "id=\"login-error\">", "<");
        }
    }
    assert_eq!(answers[0], answers[1], "the same words");
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (known, unknown) = (median(&mut timings[0]), median(&mut timings[1]));
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    println!(
        "median answer: wrong password {known:?}, unknown user {unknown:?} (ratio {ratio:.2})"
    );
    assert!(
        (0.8..=1.25).contains(&ratio),
        "medians within 20%: {known:?} vs {unknown:?}"
    );
}

#[tokio::test]
async fn bad_input_is_answered_next_to_the_field_and_saves_nothing() {
    let server = Server::start(&Db::sqlite()).await;
    let admin = server.api(&server.create_key("rules", "verify,admin"));
    let (mut pat, _) = signed_in(&server, &admin, "pat").await;
    let token = csrf(&mut pat).await;

    let empty = pat.post("/portal/login", &[("csrf", &token)]).await;
    assert!(
        empty.status == 303 || empty.status == 422,
        "signed in users are sent home or told"
    );
    let mut fresh = Visitor::new(&server.base());
    let login = fresh.get("/portal/login").await.csrf();
    let blank = fresh
        .post("/portal/login", &[("csrf", &login), ("username", "pat")])
        .await;
    assert_eq!(blank.status, 422);
    assert!(blank.body.contains("id=\"login-error\""));

    for (value, again, field) in [
        ("1234", "1234", "value"),
        ("2468", "2469", "again"),
        ("12ab", "12ab", "value"),
    ] {
        let page = pat
            .post(
                "/portal/secret/pin",
                &[("csrf", &token), ("value", value), ("again", again)],
            )
            .await;
        assert_eq!(page.status, 422, "{value}/{again}");
        assert!(
            page.body.contains(&format!("id=\"{field}-error\"")),
            "{value}: {}",
            page.body
        );
    }
    let short = pat
        .post(
            "/portal/secret/password",
            &[("csrf", &token), ("value", "short"), ("again", "short")],
        )
        .await;
    assert_eq!(short.status, 422);
    for (kind, bad) in [("phone", "call me maybe"), ("email", "not-an-address")] {
        let page = pat
            .post(
                &format!("/portal/{kind}"),
                &[("csrf", &token), ("address", bad)],
            )
            .await;
        assert_eq!(page.status, 422, "{kind}");
        assert!(
            page.body.contains("id=\"address-error\""),
            "{kind}: {}",
            page.body
        );
    }
    let nothing = pat
        .post(
            "/portal/phone/confirm",
            &[("csrf", &token), ("code", "123456")],
        )
        .await;
    assert_eq!(nothing.status, 422);
    let user = admin.get("/api/v1/users/pat").await;
    assert!(
        user.body["phone"].is_null() && user.body["email"].is_null(),
        "nothing saved: {:?}",
        user.body
    );
    let home = pat.get("/portal").await.body;
    assert!(home.contains("<dt>PIN</dt><dd>not set"), "no PIN saved");

    let totp = pat.get("/portal/totp").await;
    let wrong = pat
        .post("/portal/totp", &[("csrf", &totp.csrf()), ("code", "12")])
        .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(
        admin.get("/api/v1/users/pat/tokens").await.body["tokens"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let rename = pat
        .post(
            "/portal/tokens/tok_nonesuch/rename",
            &[("csrf", &token), ("name", "x")],
        )
        .await;
    assert_eq!(rename.status, 404);
    assert_eq!(pat.get("/portal/secret/other").await.status, 404);
    assert_eq!(pat.get("/portal/nonesuch").await.status, 404);
    // Last: the server closes the connection after refusing the body.
    let huge = "x".repeat(200_000);
    assert_eq!(
        pat.post("/portal/secret/pin", &[("csrf", &token), ("value", &huge)])
            .await
            .status,
        413
    );
}

#[tokio::test]
async fn users_try_their_method_and_name_their_tokens() {
    let server = Server::start(&Db::sqlite()).await;
    let admin = server.api(&server.create_key("rules", "verify,admin"));
    let (mut pat, seed) = signed_in(&server, &admin, "pat").await;
    let token = csrf(&mut pat).await;
    // The sign-in above used this step's code; the next step's is within the window.
    let next = countersign_otp::totp(
        &seed,
        unix_now() + 30,
        30,
        6,
        countersign_otp::Algorithm::Sha1,
    );
    let started = pat.post("/portal/test", &[("csrf", &token)]).await;
    assert_eq!(started.location(), "/portal/test", "{}", started.body);
    let page = pat.get("/portal/test").await;
    assert!(
        page.body.contains("id=\"send-code\""),
        "a code form: {}",
        page.body
    );
    let wrong = pat
        .post(
            "/portal/test/code",
            &[("csrf", &token), ("code", &wrong_code(&seed, 1))],
        )
        .await;
    assert!(wrong.body.contains("did not work"), "{}", wrong.body);
    pat.post("/portal/test", &[("csrf", &token)]).await;
    let worked = pat
        .post("/portal/test/code", &[("csrf", &token), ("code", &next)])
        .await;
    assert!(worked.body.contains("It works"), "{}", worked.body);
    let audit = admin.get("/api/v1/audit?username=pat").await;
    let records = audit.body["records"].as_array().expect("records");
    assert!(
        records
            .iter()
            .any(|r| r["api_key"] == "portal" && r["result"] == "accepted" && r["method"] == "otp"),
        "the test is audited as a portal sign-in: {records:?}"
    );

    let tokens = admin.get("/api/v1/users/pat/tokens").await;
    let id = tokens.body["tokens"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let renamed = pat
        .post(
            &format!("/portal/tokens/{id}/rename"),
            &[("csrf", &token), ("name", "Key fob")],
        )
        .await;
    assert_eq!(renamed.location(), "/portal?notice=renamed");
    assert!(pat.get("/portal").await.body.contains("Key fob"));
    let blank = pat
        .post(
            &format!("/portal/tokens/{id}/rename"),
            &[("csrf", &token), ("name", "  ")],
        )
        .await;
    assert_eq!(blank.status, 422);
    assert_eq!(
        pat.post(
            "/portal/widgets/x/rename",
            &[("csrf", &token), ("name", "x")]
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn pages_speak_the_browsers_language() {
    let server = Server::start(&Db::sqlite()).await;
    let http = reqwest::Client::new();
    let page = |lang: &'static str| {
        http.get(server.url("/portal/login"))
            .header("accept-language", lang)
            .send()
    };
    let german = page("de-DE,de;q=0.9,en;q=0.5")
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(
        german.contains("<html lang=\"de\">") && german.contains("Benutzername"),
        "{german}"
    );
    let english = page("fr-FR,en;q=0.5")
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(english.contains("<html lang=\"en\">") && english.contains("Username"));
}

#[tokio::test]
async fn an_administrators_templates_replace_the_built_in_ones() {
    let dir = countersign_testkit::TempDir::new("portal-templates");
    std::fs::write(
        dir.path().join("login.html"),
        "{% extends \"base.html\" %}{% block main %}<p id=\"ours\">Sign in to Example Corp: {{ t.username }}</p>{% endblock %}",
    )
    .expect("template");
    let path = dir.path().to_string_lossy().to_string();
    let server = Server::start_with(
        &Db::sqlite(),
        &[("COUNTERSIGN_PORTAL_TEMPLATES", path.as_str())],
    )
    .await;
    let page = reqwest::get(server.url("/portal/login"))
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(
        page.contains("<p id=\"ours\">Sign in to Example Corp: Username</p>"),
        "{page}"
    );

    // A template with a mistake stops the start, naming the file.
    std::fs::write(dir.path().join("home.html"), "{% if %}").expect("broken");
    let broken = Server::with_env(
        &Db::sqlite(),
        &[("COUNTERSIGN_PORTAL_TEMPLATES", path.as_str())],
    );
    let out = broken.command().arg("serve").output().expect("run");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("home.html"), "{}", stderr(&out));
}
