//! The console's defences, over plain HTTP requests: a POST without the
//! right `csrf` field is refused (403); the strict CSP and the other
//! security headers are on every page; cookies are HttpOnly and
//! SameSite=Strict, and `Secure` with the `__Host-` prefix over HTTPS;
//! roles gate what they should; a secret shows once; sessions live in the
//! store, so signing out (or expiry) on one node holds on the other.

mod common;

use common::console::{add_admin, between, Visitor, PASSWORD};
use common::*;
use countersign_testkit::pki::{text, write_pem, Leaf};
use countersign_testkit::serving::Serving;
use countersign_testkit::TempDir;
use reqwest::header::CONTENT_SECURITY_POLICY;

#[tokio::test]
async fn csrf_headers_roles_and_secrets() {
    let server = Server::start(&Db::sqlite()).await;
    add_admin(&server, "root", "admin");
    add_admin(&server, "helen", "helpdesk");
    add_admin(&server, "otto", "auditor");
    let mut root = Visitor::new(&server.base());

    // The sign-in form itself needs its csrf (bound to the pre-session cookie).
    let login = root.get("/admin/login").await;
    let refused = root
        .post(
            "/admin/login",
            &[("username", "root"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(refused.status, 403, "login without csrf");
    let forged = root
        .post(
            "/admin/login",
            &[
                ("csrf", "forged"),
                ("username", "root"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, 403, "login with a wrong csrf");
    assert!(!login.csrf().is_empty());
    root.sign_in("root").await;

    // Cookie flags over HTTP: HttpOnly, SameSite=Strict, no Secure, no __Host-.
    let session_cookie = root
        .set_cookies
        .iter()
        .rev()
        .find(|c| c.starts_with("countersign_session="))
        .expect("a session cookie")
        .clone();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session_cookie.contains(flag), "{session_cookie}");
    }
    assert!(!session_cookie.contains("Secure"), "{session_cookie}");

    // Every page: the CSP and the other headers.
    for path in [
        "/admin",
        "/admin/users",
        "/admin/users/new",
        "/admin/audit",
        "/admin/keys",
        "/admin/settings",
        "/admin/clients",
        "/admin/messages",
        "/admin/diagnostics",
        "/admin/login",
        "/admin/users/nobody",
    ] {
        let page = root.get(path).await;
        let csp = page
            .headers
            .get(CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: CSP '{csp}'"
        );
        assert_eq!(page.headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(page.headers["cache-control"], "no-store", "{path}");
    }

    // A signed-in POST without (or with a stale) csrf: 403, nothing made.
    let form = root.get("/admin/users/new").await;
    let no_csrf = root
        .post("/admin/users/new", &[("username", "mallory")])
        .await;
    assert_eq!(no_csrf.status, 403);
    let bad_csrf = root
        .post(
            "/admin/users/new",
            &[("csrf", "x"), ("username", "mallory")],
        )
        .await;
    assert_eq!(bad_csrf.status, 403);
    assert_eq!(root.get("/admin/users/mallory").await.status, 404);
    let made = root
        .post(
            "/admin/users/new",
            &[("csrf", &form.csrf()), ("username", "alice")],
        )
        .await;
    assert_eq!(
        (made.status, made.location()),
        (303, "/admin/users/alice".into())
    );

    // A TOTP secret and an API key show once, never again.
    let user = root.get("/admin/users/alice").await;
    let added = root
        .post("/admin/users/alice/tokens", &[("csrf", &user.csrf())])
        .await;
    let secret = between(
        &added.body,
        "<dt>Secret</dt><dd><code class=\"secret\">",
        "<",
    );
    assert!(secret.len() >= 16, "{}", added.body);
    let keys = root.get("/admin/keys").await;
    let created = root
        .post(
            "/admin/keys",
            &[("csrf", &keys.csrf()), ("name", "vpn"), ("verify", "on")],
        )
        .await;
    let key = between(&created.body, "id=\"api-key\">", "<");
    assert!(key.starts_with("cs_"), "{}", created.body);
    // Used once, the key shows when.
    let vpn = server.api(&key);
    vpn.post(
        "/api/v1/verify",
        serde_json::json!({"username": "alice", "code": "123456"}),
    )
    .await;
    let listed = root.get("/admin/keys").await;
    let row = between(&listed.body, "<td>vpn</td>", "</tr>");
    assert!(
        !row.contains("never") && row.contains("UTC"),
        "last used: {row}"
    );
    for path in [
        "/admin/users/alice",
        "/admin/keys",
        "/admin",
        "/admin/audit",
    ] {
        let page = root.get(path).await;
        assert!(
            !page.body.contains(&secret) && !page.body.contains(&key),
            "{path} shows a secret again"
        );
    }
    // ...and what the administrators did is in the audit.
    let audit = root.get("/admin/audit?result=admin").await;
    for action in ["create_user", "add_totp", "create_api_key vpn"] {
        assert!(audit.body.contains(action), "audit lacks {action}");
    }
    assert!(audit.body.contains("console:root"));

    // Helpdesk: users yes; keys (and settings, clients) no.
    let mut helen = Visitor::new(&server.base());
    helen.sign_in("helen").await;
    assert_eq!(helen.get("/admin/users/new").await.status, 200);
    for path in ["/admin/keys", "/admin/settings", "/admin/clients"] {
        assert_eq!(helen.get(path).await.status, 403, "helpdesk on {path}");
    }
    let page = helen.get("/admin/users/alice").await;
    let csrf = page.csrf();
    let posted = helen
        .post(
            "/admin/keys",
            &[("csrf", &csrf), ("name", "x"), ("admin", "on")],
        )
        .await;
    assert_eq!(posted.status, 403);
    let settings = helen
        .post(
            "/admin/settings",
            &[
                ("csrf", &csrf),
                ("lockout_threshold", "1"),
                ("lockout_minutes", "1"),
            ],
        )
        .await;
    assert_eq!(settings.status, 403);
    let clients = helen
        .post(
            "/admin/clients",
            &[("csrf", &csrf), ("name", "x"), ("address", "10.0.0.1")],
        )
        .await;
    assert_eq!(clients.status, 403);
    assert!(
        !page.body.contains("/admin/keys\""),
        "no link to what helpdesk cannot open"
    );

    // Auditor: reads, changes nothing.
    let mut otto = Visitor::new(&server.base());
    otto.sign_in("otto").await;
    let page = otto.get("/admin/users/alice").await;
    assert_eq!(page.status, 200);
    let unlock = otto
        .post("/admin/users/alice/unlock", &[("csrf", &page.csrf())])
        .await;
    assert_eq!(unlock.status, 403);
    assert_eq!(otto.get("/admin/users/new").await.status, 403);
}

#[tokio::test]
async fn sessions_hold_across_two_nodes() {
    let db = Db::postgres().await;
    let nodes = Server::start_together(&db, 2, &[]).await;
    add_admin(&nodes[0], "root", "admin");
    let mut on_a = Visitor::new(&nodes[0].base());
    on_a.sign_in("root").await;
    let mut on_b = on_a.same_cookies_on(&nodes[1].base());
    assert_eq!(
        on_b.get("/admin/users").await.status,
        200,
        "node B knows the session"
    );

    // Signed out on A: refused on B.
    let page = on_a.get("/admin").await;
    let out = on_a.post("/admin/logout", &[("csrf", &page.csrf())]).await;
    assert_eq!((out.status, out.location()), (303, "/admin/login".into()));
    let refused = on_b.get("/admin/users").await;
    assert_eq!(
        (refused.status, refused.location()),
        (303, "/admin/login?ended=out".into())
    );

    // An idle session (its last use pushed back an hour in the store) is refused on either node.
    let mut again = Visitor::new(&nodes[1].base());
    // Only the password step: a session waiting for its code is enough here.
    let seed_login = again.get("/admin/login").await;
    let csrf = seed_login.csrf();
    let step = again
        .post(
            "/admin/login",
            &[
                ("csrf", &csrf),
                ("username", "root"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let error = between(&step.body, "role=\"alert\">", "<");
    assert_eq!(step.location(), "/admin/login/code", "{error}");
    let url = db.url().expect("a PostgreSQL URL").to_string();
    let aged = std::process::Command::new("psql")
        .args([
            &url,
            "-qc",
            "UPDATE sessions SET last_seen_at = last_seen_at - 3600",
        ])
        .output()
        .expect("psql runs");
    assert!(aged.status.success(), "psql: {}", stderr(&aged));
    let mut on_a = again.same_cookies_on(&nodes[0].base());
    let expired = on_a.get("/admin/login/code").await;
    assert_eq!(
        expired.location(),
        "/admin/login?ended=idle",
        "an idle session is over"
    );
    let login = on_a.get(&expired.location()).await;
    assert!(login.body.contains("without activity"), "{}", login.body);
}

#[tokio::test]
async fn cookies_over_https_are_secure_and_host_prefixed() {
    let dir = TempDir::new("console-tls");
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
    visitor.sign_in("root").await;
    let session = visitor
        .set_cookies
        .iter()
        .rev()
        .find(|c| c.starts_with("__Host-countersign_session="))
        .expect("a __Host- session cookie over HTTPS")
        .clone();
    for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(session.contains(flag), "{session}");
    }
    assert!(!session.contains("Domain"), "{session}");
    assert_eq!(visitor.get("/admin/users").await.status, 200);
}

#[tokio::test]
async fn wrong_passwords_lock_and_the_cli_recovers() {
    let server = Server::start(&Db::sqlite()).await;
    add_admin(&server, "root", "admin");
    let mut root = Visitor::new(&server.base());
    root.sign_in("root").await;

    // A lost phone: the second factor is forgotten and every session ends.
    let reset = server.cli_json(&["admin", "reset-second-factor", "root"]);
    assert_eq!(reset["sessions_ended"], 1, "{reset}");
    let ended = root.get("/admin/users").await;
    assert_eq!(ended.location(), "/admin/login?ended=out");

    // Wrong passwords count like wrong codes: ten lock the administrator,
    // and then even the right password is refused.
    let mut guesser = Visitor::new(&server.base());
    let csrf = guesser.get("/admin/login").await.csrf();
    for _ in 0..10 {
        let page = guesser
            .post(
                "/admin/login",
                &[
                    ("csrf", &csrf),
                    ("username", "root"),
                    ("password", "not the password"),
                ],
            )
            .await;
        assert_eq!(page.status, 401);
    }
    let locked = guesser
        .post(
            "/admin/login",
            &[
                ("csrf", &csrf),
                ("username", "root"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(locked.status, 401);
    assert!(locked.body.contains("locked"), "{}", locked.body);
    let audit = server.cli_json(&["user", "list"]);
    assert!(
        !audit.to_string().contains("admin/"),
        "principals are not users: {audit}"
    );

    // Unlocked from the CLI, the next sign-in enrols a new authenticator.
    server.cli_ok(&["admin", "unlock", "root"]);
    let mut again = Visitor::new(&server.base());
    again.sign_in("root").await;
}

#[tokio::test]
async fn bulk_disable_runs_in_the_background_with_progress() {
    let server = Server::start(&Db::sqlite()).await;
    add_admin(&server, "root", "admin");
    let api = server.api(&server.create_key("bulk", "admin"));
    for n in 0..230 {
        api.post(
            "/api/v1/users",
            serde_json::json!({"username": format!("bulk-{n:03}")}),
        )
        .await
        .expect(201, "user");
    }
    api.post("/api/v1/users", serde_json::json!({"username": "keeper"}))
        .await
        .expect(201, "user");
    let mut root = Visitor::new(&server.base());
    root.sign_in("root").await;
    let list = root.get("/admin/users?q=bulk-").await;
    assert!(
        list.body.contains("bulk-disable"),
        "the button shows for a search"
    );
    let started = root
        .post(
            "/admin/users/bulk",
            &[
                ("csrf", &list.csrf()),
                ("q", "bulk-"),
                ("action", "disable"),
            ],
        )
        .await;
    assert_eq!(started.status, 303);
    let job = started.location();
    assert!(job.starts_with("/admin/jobs/job_"), "{job}");
    // Other pages answer while it runs; the job page ends finished.
    assert_eq!(root.get("/admin/users").await.status, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let page = loop {
        let page = root.get(&job).await;
        if page.body.contains("data-finished=\"true\"") {
            break page;
        }
        assert!(std::time::Instant::now() < deadline, "{}", page.body);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(page.body.contains("230 user(s) disabled"), "{}", page.body);
    let user = api.get("/api/v1/users/bulk-229").await;
    assert_eq!(user.expect(200, "user")["enabled"], false);
    let keeper = api.get("/api/v1/users/keeper").await;
    assert_eq!(
        keeper.expect(200, "keeper")["enabled"],
        true,
        "outside the search"
    );
}

#[tokio::test]
async fn welcome_email_preview_sends_nothing_until_asked() {
    let server = Server::start(&Db::sqlite()).await;
    add_admin(&server, "root", "admin");
    add_admin(&server, "otto", "auditor");
    let api = server.api(&server.create_key("welcome", "admin"));
    api.post(
        "/api/v1/users",
        serde_json::json!({"username": "wendy", "email": "wendy@example.org"}),
    )
    .await
    .expect(201, "wendy");
    api.post(
        "/api/v1/users/wendy/tokens",
        serde_json::json!({"type": "totp"}),
    )
    .await
    .expect(201, "wendy's token");
    api.post("/api/v1/users", serde_json::json!({"username": "nomail"}))
        .await
        .expect(201, "nomail");
    let mut root = Visitor::new(&server.base());
    root.sign_in("root").await;
    let queued = |body: &str| body.matches("(welcome)").count();
    let before = queued(&root.get("/admin/messages").await.body);

    let preview = root.get("/admin/users/wendy/welcome").await;
    assert_eq!(preview.status, 200);
    assert!(
        preview.body.contains("id=\"welcome-subject\""),
        "{}",
        preview.body
    );
    assert!(
        preview.body.contains("an example"),
        "no live activation code: {}",
        preview.body
    );
    assert!(preview.body.contains("wendy@example.org"));
    assert_eq!(
        queued(&root.get("/admin/messages").await.body),
        before,
        "a preview sends nothing"
    );

    let sent = root
        .post("/admin/users/wendy/welcome", &[("csrf", &preview.csrf())])
        .await;
    assert_eq!(sent.location(), "/admin/messages?status=queued");
    assert_eq!(queued(&root.get("/admin/messages").await.body), before + 1);

    // A test to an address typed on the settings page; a bad one is refused there.
    let settings = root.get("/admin/settings").await;
    let bad = root
        .post(
            "/admin/settings/welcome-test",
            &[("csrf", &settings.csrf()), ("to", "nope")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("test-to-error"), "{}", bad.body);
    let test = root
        .post(
            "/admin/settings/welcome-test",
            &[("csrf", &settings.csrf()), ("to", "admin@example.org")],
        )
        .await;
    assert_eq!(test.location(), "/admin/messages?status=queued");
    let messages = root.get("/admin/messages").await.body;
    assert!(messages.contains("(test)") && messages.contains("admin@example.org"));

    // Without an address it says why, and sending is refused.
    let none = root.get("/admin/users/nomail/welcome").await;
    assert!(none.body.contains("no email address"), "{}", none.body);
    let refused = root
        .post("/admin/users/nomail/welcome", &[("csrf", &none.csrf())])
        .await;
    assert_eq!(refused.status, 409);

    let mut otto = Visitor::new(&server.base());
    otto.sign_in("otto").await;
    let page = otto.get("/admin/users/wendy/welcome").await;
    assert!(!page.body.contains("send-welcome"), "auditors cannot send");
    let posted = otto
        .post("/admin/users/wendy/welcome", &[("csrf", &page.csrf())])
        .await;
    assert_eq!(posted.status, 403);
}
