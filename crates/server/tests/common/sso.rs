//! What the `/sso` tests share: a node whose `public_url` is known before
//! it starts (the issuer), users with a portal password (the first factor
//! of users without a directory) and a TOTP token, and a browser-like
//! client ([`Jar`]) whose cookies follow the browser's rule that ports do
//! not matter: a cookie Countersign sets on 127.0.0.1 goes to the proxy
//! on 127.0.0.1 too. It fills Countersign's sign-in forms (`username`,
//! `password`, `code`) wherever a redirect chain leads.

use std::collections::HashMap;

use countersign_otp::Algorithm;
use countersign_testkit::free_port;
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::json;

use super::console::{between, Visitor};
use super::{totp_now, unix_now, Api, Db, Server};

/// The portal password every SSO test user gets.
pub const PASSWORD: &str = "an sso password";

/// A node on a port chosen ahead with `public_url` `http://HOST:PORT`
/// (`HOST` 127.0.0.1, or localhost for WebAuthn), plus `extra` settings.
pub async fn sso_server(db: &Db, host: &str, extra: &[(&str, &str)]) -> Server {
    let port = free_port();
    let public = format!("http://{host}:{port}");
    let mut env = vec![("COUNTERSIGN_PUBLIC_URL", public.as_str())];
    env.extend_from_slice(extra);
    let mut server = Server::with_env(db, &env);
    server.spawn_on(port).await;
    server
}

/// A user who can sign in at `/sso`: a portal password and a TOTP token.
pub struct SsoUser {
    pub name: String,
    pub seed: Vec<u8>,
    /// The last TOTP step used (by the portal set-up); the next sign-in takes a later one.
    step: u64,
}

impl SsoUser {
    /// Creates `name` (display name, email) with a TOTP token, and sets its
    /// portal password through a one-time link and the token's code.
    pub async fn create(server: &Server, admin: &Api, name: &str) -> SsoUser {
        admin
            .post(
                "/api/v1/users",
                json!({"username": name, "display_name": format!("{name} Example"),
                       "email": format!("{name}@example.org")}),
            )
            .await
            .expect(201, "user");
        let token = admin
            .post(&format!("/api/v1/users/{name}/tokens"), json!({}))
            .await
            .expect(201, "token")
            .clone();
        let secret = token["secret"].as_str().expect("secret");
        let seed = countersign_otp::base32::decode(secret).expect("base32");
        let step = unix_now() / 30;
        set_portal_password(
            server,
            name,
            &countersign_otp::hotp(&seed, step, 6, Algorithm::Sha1),
        )
        .await;
        SsoUser {
            name: name.to_string(),
            seed,
            step,
        }
    }

    /// A code the verifier has not seen: a step after the last one used
    /// (inside the window of one step either side of now).
    pub fn next_code(&mut self) -> String {
        let now = unix_now() / 30;
        self.step = (self.step + 1).max(now.saturating_sub(1));
        assert!(
            self.step <= now + 1,
            "too many codes for {} in one minute",
            self.name
        );
        countersign_otp::hotp(&self.seed, self.step, 6, Algorithm::Sha1)
    }

    /// The current code (for a user who has not used one yet).
    pub fn current_code(&self) -> String {
        totp_now(&self.seed)
    }
}

async fn set_portal_password(server: &Server, name: &str, code: &str) {
    let url = server.cli_json(&["user", "enrol-link", name])["url"]
        .as_str()
        .expect("url")
        .to_string();
    let path = url
        .find("/portal/link/")
        .map(|i| url[i..].to_string())
        .expect("a portal link");
    let mut visitor = Visitor::new(&server.base());
    let page = visitor.get(&path).await;
    let after = visitor.post(&path, &[("csrf", &page.csrf())]).await;
    assert_eq!(after.location(), "/portal/verify", "{}", after.body);
    let verify = visitor.get("/portal/verify").await;
    let done = visitor
        .post(
            "/portal/verify",
            &[("csrf", &verify.csrf()), ("code", code)],
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
}

/// One answer as the [`Jar`] saw it.
pub struct Hop {
    pub url: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Hop {
    /// Where the answer sends the browser: its `Location`, else the URL of
    /// a page that moves on by itself (`<meta http-equiv="refresh">`, what
    /// `/sso` answers a form with when the way on leaves its origin).
    pub fn location(&self) -> String {
        let location = match self.headers.get(LOCATION).and_then(|v| v.to_str().ok()) {
            Some(location) => location.to_string(),
            None => super::console::refresh_target(&self.body).unwrap_or_default(),
        };
        join(&self.url, &location)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// `reference` (absolute, or a path) resolved against `base`.
pub fn join(base: &str, reference: &str) -> String {
    if reference.is_empty() || reference.contains("://") {
        return reference.to_string();
    }
    let origin_end = base
        .find("://")
        .and_then(|at| base[at + 3..].find('/').map(|slash| at + 3 + slash))
        .unwrap_or(base.len());
    if reference.starts_with('/') {
        return format!("{}{reference}", &base[..origin_end]);
    }
    let path_end = base
        .rfind('/')
        .filter(|&i| i >= origin_end)
        .unwrap_or(base.len());
    format!("{}/{reference}", &base[..path_end])
}

/// A browser-like client on 127.0.0.1/localhost: every cookie goes to every
/// port (as in browsers), redirects are not followed by themselves.
pub struct Jar {
    http: reqwest::Client,
    pub cookies: HashMap<String, String>,
    /// Every URL requested, in order.
    pub trail: Vec<String>,
}

impl Default for Jar {
    fn default() -> Self {
        Self::new()
    }
}

impl Jar {
    pub fn new() -> Jar {
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("client");
        Jar {
            http,
            cookies: HashMap::new(),
            trail: Vec::new(),
        }
    }

    async fn send(&mut self, url: &str, builder: reqwest::RequestBuilder) -> Hop {
        self.trail.push(url.to_string());
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let builder = if cookie.is_empty() {
            builder
        } else {
            builder.header(COOKIE, cookie)
        };
        let response = builder
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for value in headers.get_all(SET_COOKIE) {
            let value = value.to_str().unwrap_or_default();
            if let Some((name, rest)) = value.split_once('=') {
                let cookie_value = rest.split(';').next().unwrap_or_default().to_string();
                let gone = value.contains("Max-Age=0") || cookie_value.is_empty();
                match gone {
                    true => self.cookies.remove(name),
                    false => self.cookies.insert(name.to_string(), cookie_value),
                };
            }
        }
        let body = response.text().await.unwrap_or_default();
        Hop {
            url: url.to_string(),
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, url: &str) -> Hop {
        self.get_with(url, &[]).await
    }

    /// A GET with extra request headers (e.g. `Accept: text/html`, a spoofed `Remote-User`).
    pub async fn get_with(&mut self, url: &str, headers: &[(&str, &str)]) -> Hop {
        let mut builder = self.http.get(url).header("Accept", "text/html");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        self.send(url, builder).await
    }

    pub async fn post(&mut self, url: &str, form: &[(String, String)]) -> Hop {
        let builder = self.http.post(url).form(form);
        self.send(url, builder).await
    }

    /// From `start`, follows redirects and fills every sign-in form
    /// (`username`, `password`, `code`; hidden fields kept) until an answer
    /// that is neither a redirect nor a sign-in form; returns it.
    pub async fn sign_in_from(&mut self, start: &str, user: &str, code: &str) -> Hop {
        let mut hop = self.get(start).await;
        for _ in 0..10 {
            if (300..400).contains(&hop.status)
                || super::console::refresh_target(&hop.body).is_some()
            {
                let next = hop.location();
                hop = self.get(&next).await;
                continue;
            }
            let Some(form) = sign_in_form(&hop.body) else {
                return hop;
            };
            let filled: Vec<(String, String)> = form
                .fields
                .iter()
                .map(|(name, value)| {
                    let value = match name.as_str() {
                        "username" => user.to_string(),
                        "password" => PASSWORD.to_string(),
                        "code" => code.to_string(),
                        _ => value.clone(),
                    };
                    (name.clone(), value)
                })
                .collect();
            let action = join(&hop.url, &form.action);
            let action = if form.action.is_empty() {
                hop.url.clone()
            } else {
                action
            };
            hop = self.post(&action, &filled).await;
        }
        panic!("no end to the sign-in at {}: {}", hop.url, hop.body);
    }
}

/// A form on a page: its action and its input fields (name, value).
pub struct Form {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

/// The first form asking for `username`, `password` or `code`.
pub fn sign_in_form(page: &str) -> Option<Form> {
    forms(page).into_iter().find(|form| {
        form.fields
            .iter()
            .any(|(name, _)| matches!(name.as_str(), "username" | "password" | "code"))
    })
}

/// Every `<form>` of a page with its `<input>` fields (not buttons, checkboxes, radios).
pub fn forms(page: &str) -> Vec<Form> {
    page.split("<form")
        .skip(1)
        .map(|chunk| {
            let chunk = chunk.split("</form>").next().unwrap_or_default();
            let head = chunk.split('>').next().unwrap_or_default();
            let action = html_unescape(&attribute(head, "action").unwrap_or_default());
            let fields = chunk
                .split("<input")
                .skip(1)
                .filter_map(|input| {
                    let tag = input.split('>').next().unwrap_or_default();
                    let kind = attribute(tag, "type").unwrap_or_default().to_lowercase();
                    if matches!(kind.as_str(), "submit" | "button" | "checkbox" | "radio") {
                        return None;
                    }
                    let name = attribute(tag, "name")?;
                    let value = html_unescape(&attribute(tag, "value").unwrap_or_default());
                    Some((name, value))
                })
                .collect();
            Form { action, fields }
        })
        .collect()
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let quoted = between(tag, &format!(" {name}=\""), "\"");
    if !quoted.is_empty() || tag.contains(&format!(" {name}=\"\"")) {
        return Some(quoted);
    }
    None
}

fn html_unescape(text: &str) -> String {
    text.replace("&amp;", "&")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// The query parameter `name` of `url`, percent-decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}
