//! What the `/sso` tests share: a server whose `public_url` is its own
//! address, users with a portal password and an HOTP token, signing in at
//! `/sso` as a browser does (cookies kept, redirects not followed), and
//! asking forward auth with the headers nginx, Traefik and Caddy send.

use std::collections::HashMap;

use countersign_testkit::free_port;
use countersign_testkit::TempDir;
use serde_json::{json, Value};

use crate::common::console::{Page, Visitor};
use crate::common::*;

pub const PASSWORD: &str = "a portal password";

/// A node whose `public_url` is its own address, with `toml` as its configuration file.
pub async fn start(db: &Db, toml: &str, extra: &[(&str, &str)]) -> (Server, TempDir) {
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let dir = TempDir::new("sso-config");
    let file = dir.path().join("countersign.toml");
    std::fs::write(&file, toml).expect("config file");
    let file = file.display().to_string();
    let mut env = vec![
        ("COUNTERSIGN_PUBLIC_URL", public.as_str()),
        ("COUNTERSIGN_CONFIG", file.as_str()),
    ];
    env.extend_from_slice(extra);
    let mut server = Server::with_env(db, &env);
    server.spawn_on(port).await;
    (server, dir)
}

/// A user with an HOTP token (RFC 4226's secret; counter 0 used up by
/// the portal) who chose `PASSWORD` as portal password.
pub async fn user(server: &Server, admin: &Api, name: &str, display: &str) {
    let email = format!("{name}@example.org");
    let body = json!({"username": name, "display_name": display, "email": email});
    admin.post("/api/v1/users", body).await.expect(201, "user");
    let token = json!({"type": "hotp", "secret": RFC_SECRET_B32});
    let path = format!("/api/v1/users/{name}/tokens");
    admin.post(&path, token).await.expect(201, "token");
    let url = server.cli_json(&["user", "enrol-link", name])["url"]
        .as_str()
        .expect("url")
        .to_string();
    let link = url
        .find("/portal/link/")
        .map(|i| url[i..].to_string())
        .expect("link");
    let mut portal = Visitor::new(&server.base());
    let page = portal.get(&link).await;
    let after = portal.post(&link, &[("csrf", &page.csrf())]).await;
    assert_eq!(after.location(), "/portal/verify", "{}", after.body);
    let verify = portal.get("/portal/verify").await;
    let code = hotp(RFC_SECRET, 0);
    let done = portal
        .post(
            "/portal/verify",
            &[("csrf", &verify.csrf()), ("code", &code)],
        )
        .await;
    assert_eq!(done.location(), "/portal", "{}", done.body);
    let form = portal.get("/portal/secret/password").await;
    let fields = [
        ("csrf", form.csrf()),
        ("value", PASSWORD.into()),
        ("again", PASSWORD.into()),
    ];
    let saved = portal.post_owned("/portal/secret/password", &fields).await;
    assert_eq!(
        saved.location(),
        "/portal?notice=password_set",
        "{}",
        saved.body
    );
}

pub fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The password step at `/sso` with `rd`; returns the answer to the POST.
pub async fn password(visitor: &mut Visitor, name: &str, password: &str, rd: &str) -> Page {
    let form = visitor.get(&format!("/sso?rd={}", encoded(rd))).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let fields = [
        ("csrf", form.csrf()),
        ("username", name.to_string()),
        ("password", password.to_string()),
        ("rd", rd.to_string()),
    ];
    visitor.post_owned("/sso", &fields).await
}

/// Password, then `code` at `/sso/verify`; returns the answer to the code.
pub async fn sign_in(visitor: &mut Visitor, name: &str, code: &str, rd: &str) -> Page {
    let after = password(visitor, name, PASSWORD, rd).await;
    assert_eq!(
        (after.status, after.location()),
        (303, "/sso/verify".into()),
        "{}",
        after.body
    );
    let verify = visitor.get("/sso/verify").await;
    assert!(verify.body.contains("name=\"code\""), "{}", verify.body);
    visitor
        .post("/sso/verify", &[("csrf", &verify.csrf()), ("code", code)])
        .await
}

/// The `Cookie` header a browser holding `visitor`'s cookies sends.
pub fn cookie_header(visitor: &Visitor) -> String {
    visitor
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A forward-auth answer: status and headers (lowercase names).
pub struct Answer {
    pub status: u16,
    pub headers: HashMap<String, String>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// Asks `path` with `headers` (as a proxy does), without following redirects.
pub async fn ask(server: &Server, path: &str, headers: &[(&str, &str)]) -> Answer {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut request = client.get(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("forward auth answers");
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    Answer {
        status: response.status().as_u16(),
        headers,
    }
}

/// The audit records of `username`, newest first.
pub async fn audit(admin: &Api, username: &str) -> Vec<Value> {
    let page = admin
        .get(&format!("/api/v1/audit?username={username}"))
        .await;
    page.expect(200, "audit")["records"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A counter's value in `/metrics`.
pub async fn metric(server: &Server, line_start: &str) -> u64 {
    let text = reqwest::get(server.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
