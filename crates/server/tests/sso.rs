//! Single sign-on at `/sso` and forward auth over real sockets, on SQLite
//! and PostgreSQL: password and an OATH code, then forward auth in nginx's
//! and Traefik/Caddy's conventions (the headers those proxies send; the
//! real proxies are in sso_peers), per-host groups, `rd` to another domain
//! refused, signing out, an expired session refused and audited, the
//! cookie's `Domain` over HTTPS, and the forward-auth cache (the store is
//! not read on every check).

mod common;
mod sso_common;

use common::console::Visitor;
use common::*;
use serde_json::json;
use sso_common::*;

const HOSTS: &str = "[[sso.hosts]]\nhost = \"127.0.0.2\"\ngroups = [\"admins\"]\n";

#[tokio::test]
async fn sign_in_and_forward_auth_sqlite() {
    sign_in_and_forward_auth(Db::sqlite()).await;
}

#[tokio::test]
async fn sign_in_and_forward_auth_postgres() {
    sign_in_and_forward_auth(Db::postgres().await).await;
}

async fn sign_in_and_forward_auth(db: Db) {
    let (server, _config) = start(&db, HOSTS, &[]).await;
    let admin = server.api(&server.create_key("sso-tests", "verify,admin"));
    user(&server, &admin, "pat", "Pat Lee").await;
    let app = "http://127.0.0.1:9/app/x?y=1&z=2";
    let sign_in_url = format!("{}/sso?rd={}", server.base(), encoded(app));

    // Not signed in: nginx gets 401 with the sign-in page in Location.
    let nginx = [("x-original-url", app), ("x-original-method", "GET")];
    let refused = ask(&server, "/sso/auth/request", &nginx).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("location"), Some(sign_in_url.as_str()));

    // Traefik/Caddy: 302 for a page, 303 for a POST, 401 for XHR or non-HTML.
    let forward = |method: &'static str, accept: &'static str| {
        [
            ("x-forwarded-method", method),
            ("x-forwarded-proto", "http"),
            ("x-forwarded-host", "127.0.0.1:9"),
            ("x-forwarded-uri", "/app/x?y=1&z=2"),
            ("accept", accept),
        ]
    };
    let page = ask(
        &server,
        "/sso/auth/forward?y=1",
        &forward("GET", "text/html,*/*"),
    )
    .await;
    assert_eq!(
        (page.status, page.header("location")),
        (302, Some(sign_in_url.as_str()))
    );
    let post = ask(&server, "/sso/auth/forward", &forward("POST", "text/html")).await;
    assert_eq!(post.status, 303);
    let api = ask(&server, "/sso/auth/forward", &forward("GET", "*/*")).await;
    assert_eq!(
        (api.status, api.header("location")),
        (401, Some(sign_in_url.as_str()))
    );
    let mut xhr = forward("GET", "text/html").to_vec();
    xhr.push(("x-requested-with", "XMLHttpRequest"));
    assert_eq!(ask(&server, "/sso/auth/forward", &xhr).await.status, 401);

    // Password and code: back to the application.
    let mut browser = Visitor::new(&server.base());
    let done = sign_in(&mut browser, "pat", &hotp(RFC_SECRET, 1), app).await;
    assert_eq!(
        (done.status, done.location()),
        (200, app.to_string()),
        "{}",
        done.body
    );
    let cookie = cookie_header(&browser);
    assert!(cookie.contains("countersign_sso="), "{cookie}");
    let set = browser
        .set_cookies
        .iter()
        .rev()
        .find(|c| c.starts_with("countersign_sso="));
    let set = set.expect("a session cookie");
    assert!(
        set.contains("SameSite=Lax") && set.contains("HttpOnly"),
        "{set}"
    );
    assert!(
        !set.contains("Domain"),
        "no cookie domain configured: {set}"
    );

    // Signed in: 200 with every Remote-* header, on both conventions.
    let with = |headers: &[(&'static str, &'static str)]| {
        let mut all = headers.to_vec();
        all.push(("cookie", Box::leak(cookie.clone().into_boxed_str())));
        all
    };
    for (path, headers) in [
        ("/sso/auth/request", with(&nginx)),
        ("/sso/auth/forward", with(&forward("GET", "text/html"))),
    ] {
        let ok = ask(&server, path, &headers).await;
        assert_eq!(ok.status, 200, "{path}");
        assert_eq!(ok.header("remote-user"), Some("pat"));
        assert_eq!(ok.header("remote-name"), Some("Pat Lee"));
        assert_eq!(ok.header("remote-email"), Some("pat@example.org"));
        assert_eq!(
            ok.header("remote-groups"),
            Some(""),
            "present even when empty"
        );
    }
    let audited = audit(&admin, "pat").await;
    let signed = audited
        .iter()
        .find(|r| r["result"] == "accepted")
        .expect("the sign-in");
    assert_eq!(signed["api_key"], "sso", "{signed}");

    // A host that requires a group pat is not in: 403, audited once.
    let admin_host = [
        ("x-original-url", "http://127.0.0.2:8080/"),
        ("x-original-method", "GET"),
    ];
    for _ in 0..3 {
        assert_eq!(
            ask(&server, "/sso/auth/request", &with(&admin_host))
                .await
                .status,
            403
        );
    }
    let refusals: Vec<_> = audit(&admin, "pat")
        .await
        .into_iter()
        .filter(|r| r["reason"] == "group_required")
        .collect();
    assert_eq!(
        refusals.len(),
        1,
        "once a minute per session and host: {refusals:?}"
    );
    assert_eq!(refusals[0]["api_key"], "forward:127.0.0.2");
    assert_eq!(refusals[0]["method"], "forward_auth");

    // The common path reads memory: 200 checks, at most a few store reads.
    let reads_before = metric(&server, "countersign_forward_auth_store_reads_total").await;
    for _ in 0..200 {
        assert_eq!(
            ask(&server, "/sso/auth/request", &with(&nginx))
                .await
                .status,
            200
        );
    }
    let reads = metric(&server, "countersign_forward_auth_store_reads_total").await - reads_before;
    assert!(reads <= 2, "{reads} store reads for 200 checks");
    let allowed = metric(
        &server,
        "countersign_forward_auth_total{result=\"allowed\"}",
    )
    .await;
    assert!(allowed >= 202, "{allowed}");

    // Signed in already: /sso goes straight on; fresh=1 shows the form.
    let again = browser.get(&format!("/sso?rd={}", encoded(app))).await;
    assert_eq!((again.status, again.location()), (303, app.to_string()));
    let fresh = browser
        .get(&format!("/sso?rd={}&fresh=1", encoded(app)))
        .await;
    assert!(fresh.body.contains("name=\"password\""), "{}", fresh.body);

    // Signing out ends forward auth at once on this node.
    let page = browser.get("/sso").await;
    let out = browser
        .post("/sso/logout", &[("csrf", &page.csrf()), ("rd", app)])
        .await;
    assert_eq!((out.status, out.location()), (200, app.to_string()));
    assert_eq!(
        ask(&server, "/sso/auth/request", &with(&nginx))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn rd_to_another_domain_and_wrong_passwords_are_refused() {
    let (server, _config) = start(&Db::sqlite(), "", &[]).await;
    let admin = server.api(&server.create_key("sso-tests", "verify,admin"));
    user(&server, &admin, "pat", "Pat Lee").await;
    let evil = "http://evil.example.org/steal";

    // The same words for a wrong password and an unknown user.
    let mut browser = Visitor::new(&server.base());
    let wrong = password(&mut browser, "pat", "not the password", evil).await;
    let unknown = password(&mut browser, "nobody", "not the password", evil).await;
    assert_eq!((wrong.status, unknown.status), (401, 401));
    let words =
        |body: &str| common::console::between(body, "role=\"alert\" id=\"login-error\">", "<");
    assert_eq!(words(&wrong.body), words(&unknown.body));
    assert!(!words(&wrong.body).is_empty());
    assert!(
        !wrong.body.contains("evil.example.org"),
        "rd is dropped from the form"
    );

    // Signed in with rd elsewhere: the "signed in" page, no redirect there.
    let done = sign_in(&mut browser, "pat", &hotp(RFC_SECRET, 1), evil).await;
    assert_eq!(
        (done.status, done.location()),
        (303, "/sso".into()),
        "{}",
        done.body
    );
    let page = browser.get("/sso").await;
    assert!(page.body.contains("id=\"message\""), "{}", page.body);
    for rd in [
        evil,
        "//evil.example.org/",
        "https://127.0.0.1.evil.example.org/",
        "javascript:alert(1)",
    ] {
        let page = browser.get(&format!("/sso?rd={}", encoded(rd))).await;
        assert_eq!((page.status, page.location()), (200, String::new()), "{rd}");
    }
    let out = browser
        .get(&format!("/sso/logout?rd={}", encoded(evil)))
        .await;
    assert_eq!((out.status, out.location()), (200, String::new()));

    // Forward auth never names another domain in rd.
    let spoofed = [("x-original-url", evil), ("x-original-method", "GET")];
    let refused = ask(&server, "/sso/auth/request", &spoofed).await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.header("location"),
        Some(server.url("/sso").as_str())
    );
}

#[tokio::test]
async fn an_expired_session_is_refused_and_audited() {
    let (server, _config) = start(&Db::sqlite(), "", &[]).await;
    let admin = server.api(&server.create_key("sso-tests", "verify,admin"));
    user(&server, &admin, "pat", "Pat Lee").await;
    let mut browser = Visitor::new(&server.base());
    let app = "http://127.0.0.1:9/";
    let done = sign_in(&mut browser, "pat", &hotp(RFC_SECRET, 1), app).await;
    assert_eq!(done.location(), app, "{}", done.body);
    let cookie = cookie_header(&browser);
    let headers = [
        ("x-original-url", app),
        ("x-original-method", "GET"),
        ("cookie", cookie.as_str()),
    ];
    assert_eq!(
        ask(&server, "/sso/auth/request", &headers).await.status,
        200
    );

    // The session's last use pushed back past the idle limit (60 minutes by default).
    let db = rusqlite::Connection::open(server.data_dir().join("countersign.db")).expect("sqlite");
    let aged = db
        .execute(
            "UPDATE sessions SET last_seen_at = last_seen_at - 7200 WHERE kind = 'sso'",
            [],
        )
        .expect("age the session");
    assert_eq!(aged, 1);
    // This node trusts what it read for up to 10 s; then the store says it is over.
    tokio::time::sleep(std::time::Duration::from_millis(10_500)).await;
    assert_eq!(
        ask(&server, "/sso/auth/request", &headers).await.status,
        401
    );
    assert_eq!(
        ask(&server, "/sso/auth/request", &headers).await.status,
        401
    );
    let expired: Vec<_> = audit(&admin, "pat")
        .await
        .into_iter()
        .filter(|r| r["reason"] == "session_expired")
        .collect();
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert_eq!(expired[0]["api_key"], "forward:127.0.0.1");

    // The limits are stored settings.
    let patched = admin
        .patch(
            "/api/v1/settings",
            json!({"sso_idle_minutes": 5, "sso_absolute_hours": 2}),
        )
        .await;
    assert_eq!(patched.expect(200, "settings")["sso_idle_minutes"], 5);
    let refused = admin
        .patch("/api/v1/settings", json!({"sso_idle_minutes": 0}))
        .await;
    refused.expect_error(422, "invalid_request", "idle 0");
}

#[tokio::test]
async fn over_https_the_cookie_names_its_domain() {
    let env = [
        ("COUNTERSIGN_HTTP_BEHIND_PROXY", "true"),
        ("COUNTERSIGN_HTTP_TRUSTED_PROXIES", "127.0.0.1"),
    ];
    for (domain, name) in [
        (Some("example.org"), "__Secure-countersign_sso"),
        (None, "__Host-countersign_sso"),
    ] {
        let toml = match domain {
            Some(d) => format!("[sso]\ncookie_domain = \"{d}\"\n"),
            None => String::new(),
        };
        let dir = countersign_testkit::TempDir::new("sso-https");
        let file = dir.path().join("countersign.toml");
        std::fs::write(&file, toml).expect("config");
        let file = file.display().to_string();
        let db = Db::sqlite();
        let public = ("COUNTERSIGN_PUBLIC_URL", "https://mfa.example.org");
        let config = ("COUNTERSIGN_CONFIG", file.as_str());
        let server = Server::start_with(&db, &[env[0], env[1], public, config]).await;
        let admin = server.api(&server.create_key("sso-tests", "verify,admin"));
        user(&server, &admin, "pat", "Pat Lee").await;
        let mut browser = Visitor::new(&server.base());
        let app = "https://wiki.example.org/";
        let done = sign_in(&mut browser, "pat", &hotp(RFC_SECRET, 1), app).await;
        let expected = if domain.is_some() {
            app.to_string()
        } else {
            "/sso".to_string()
        };
        assert_eq!(
            done.location(),
            expected,
            "rd under the cookie domain only: {}",
            done.body
        );
        let set = browser
            .set_cookies
            .iter()
            .rev()
            .find(|c| c.starts_with(&format!("{name}=")));
        let set = set.unwrap_or_else(|| panic!("{name} in {:?}", browser.set_cookies));
        assert!(
            set.contains("Secure") && set.contains("SameSite=Lax"),
            "{set}"
        );
        match domain {
            Some(d) => assert!(set.contains(&format!("Domain={d}")), "{set}"),
            None => assert!(!set.contains("Domain"), "{set}"),
        }
        let cookie = cookie_header(&browser);
        let headers = [
            ("x-forwarded-method", "GET"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "wiki.example.org"),
            ("x-forwarded-uri", "/"),
            ("accept", "text/html"),
            ("cookie", cookie.as_str()),
        ];
        let ok = ask(&server, "/sso/auth/forward", &headers).await;
        assert_eq!((ok.status, ok.header("remote-user")), (200, Some("pat")));
    }
}

#[tokio::test]
async fn a_host_admits_the_groups_it_requires() {
    let (server, _config) = start(&Db::sqlite(), HOSTS, &[]).await;
    let admin = server.api(&server.create_key("sso-tests", "verify,admin"));
    user(&server, &admin, "pat", "Pat Lee").await;
    user(&server, &admin, "ada", "Ada King").await;
    // ada is in admins and users (rows as the groups' CLI and directory sync write them).
    let db = rusqlite::Connection::open(server.data_dir().join("countersign.db")).expect("sqlite");
    let ada: String = db
        .query_row("SELECT id FROM users WHERE username = 'ada'", [], |row| {
            row.get(0)
        })
        .expect("ada's id");
    for (id, name) in [("grp_admins", "admins"), ("grp_users", "users")] {
        db.execute(
            "INSERT INTO groups (id, name, name_key, created_at) VALUES (?1, ?2, ?2, 0)",
            [id, name],
        )
        .expect("group");
        db.execute(
            "INSERT INTO group_members (group_id, user_id) VALUES (?1, ?2)",
            [id, &ada],
        )
        .expect("member");
    }
    let app = "http://127.0.0.2:8080/";
    let mut answers = Vec::new();
    for name in ["ada", "pat"] {
        let mut browser = Visitor::new(&server.base());
        // 127.0.0.2 is not public_url's host and no cookie domain is set:
        // no redirect there, the "signed in" page instead.
        let done = sign_in(&mut browser, name, &hotp(RFC_SECRET, 1), app).await;
        assert_eq!(
            (done.status, done.location()),
            (303, "/sso".into()),
            "{}",
            done.body
        );
        let cookie = cookie_header(&browser);
        let headers = [
            ("x-original-url", app),
            ("x-original-method", "GET"),
            ("cookie", cookie.as_str()),
        ];
        answers.push(ask(&server, "/sso/auth/request", &headers).await);
    }
    assert_eq!(answers[0].status, 200);
    assert_eq!(answers[0].header("remote-groups"), Some("admins,users"));
    assert_eq!(answers[1].status, 403, "pat is in no group");
}

#[tokio::test]
async fn password_guesses_at_sso_share_the_portal_sign_in_limit() {
    let limit = [("COUNTERSIGN_LIMITS_SIGNIN_PER_ADDRESS", "3")];
    let (server, _config) = start(&Db::sqlite(), "", &limit).await;
    let mut browser = Visitor::new(&server.base());
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(password(&mut browser, "pat", "a guess", "").await.status);
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 429],
        "the fourth guess in a minute is refused"
    );
    let portal = browser.post("/portal/login", &[("username", "pat")]).await;
    assert_eq!(
        portal.status, 429,
        "the same bucket as the portal's sign-in"
    );
}
