//! The console's defences, over plain HTTP requests: a POST without the
//! right `csrf` field is refused (403); the strict CSP and the other
//! security headers are on every page; cookies are HttpOnly and
//! SameSite=Strict, and `Secure` with the `__Host-` prefix over HTTPS;
//! roles gate what they should; a secret shows once; sessions live in the
//! store, so signing out (or expiry) on one node holds on the other.

mod common;
mod pki;

use std::collections::HashMap;

use common::*;
use countersign_testkit::TempDir;
use pki::{text, write_pem, Leaf, Serving};
use reqwest::header::{HeaderMap, CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;

const PASSWORD: &str = "security test password";

/// A browser-like client: keeps cookies, does not follow redirects.
struct Visitor {
    http: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
    /// Every `Set-Cookie` seen, as sent.
    set_cookies: Vec<String>,
}

struct Page {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn csrf(&self) -> String {
        between(&self.body, "name=\"csrf\" value=\"", "\"")
    }

    fn location(&self) -> String {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
}

fn between(text: &str, start: &str, end: &str) -> String {
    text.split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(found, _)| found.to_string())
        .unwrap_or_default()
}

impl Visitor {
    fn new(base: &str) -> Visitor {
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .danger_accept_invalid_certs(true)
            .build()
            .expect("client");
        Visitor {
            http,
            base: base.trim_end_matches('/').to_string(),
            cookies: HashMap::new(),
            set_cookies: Vec::new(),
        }
    }

    /// Another visitor holding the same cookies, talking to `base`.
    fn same_cookies_on(&self, base: &str) -> Visitor {
        let mut other = Visitor::new(base);
        other.cookies = self.cookies.clone();
        other
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, builder: reqwest::RequestBuilder) -> Page {
        let response = builder
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for value in headers.get_all(SET_COOKIE) {
            let value = value.to_str().unwrap_or_default().to_string();
            if let Some((name, rest)) = value.split_once('=') {
                let cookie_value = rest.split(';').next().unwrap_or_default();
                match value.contains("Max-Age=0") {
                    true => self.cookies.remove(name),
                    false => self.cookies.insert(name.into(), cookie_value.into()),
                };
            }
            self.set_cookies.push(value);
        }
        let body = response.text().await.unwrap_or_default();
        Page {
            status,
            headers,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let builder = self.http.get(format!("{}{path}", self.base));
        self.send(builder).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let builder = self.http.post(format!("{}{path}", self.base)).form(form);
        self.send(builder).await
    }

    /// Signs in as `name`, enrolling the TOTP on the way; returns its seed.
    async fn sign_in(&mut self, name: &str) -> Vec<u8> {
        let login = self.get("/admin/login").await;
        let csrf = login.csrf();
        let after = self
            .post(
                "/admin/login",
                &[("csrf", &csrf), ("username", name), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(after.status, 303, "{}", after.body);
        assert_eq!(after.location(), "/admin/enrol");
        let enrol = self.get("/admin/enrol").await;
        let secret = between(&enrol.body, "id=\"secret\">", "<");
        let seed = countersign_otp::base32::decode(&secret).expect("base32 secret");
        let code = totp_now(&seed);
        let done = self
            .post("/admin/enrol", &[("csrf", &enrol.csrf()), ("code", &code)])
            .await;
        assert_eq!(
            (done.status, done.location()),
            (303, "/admin".into()),
            "{}",
            done.body
        );
        seed
    }
}

fn add_admin(server: &Server, name: &str, role: &str) {
    let file = server.data_dir().join(format!("{name}.password"));
    std::fs::write(&file, PASSWORD).expect("password file");
    server.cli_ok(&[
        "admin",
        "add",
        name,
        "--role",
        role,
        "--password-file",
        &file.to_string_lossy(),
    ]);
}

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
            "UPDATE console_sessions SET last_seen_at = last_seen_at - 3600",
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
