//! A browser-like client for the console over plain HTTP requests: keeps
//! cookies, does not follow redirects, signs in (enrolling the TOTP).

use std::collections::HashMap;

use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;

use super::{totp_now, Server};

pub const PASSWORD: &str = "security test password";

/// A browser-like client: keeps cookies, does not follow redirects.
pub struct Visitor {
    http: reqwest::Client,
    base: String,
    pub cookies: HashMap<String, String>,
    /// Every `Set-Cookie` seen, as sent.
    pub set_cookies: Vec<String>,
}

pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn csrf(&self) -> String {
        between(&self.body, "name=\"csrf\" value=\"", "\"")
    }

    /// Where the answer sends the browser: its `Location`, else the URL of
    /// a page that moves on by itself (`<meta http-equiv="refresh">`).
    pub fn location(&self) -> String {
        match self.headers.get(LOCATION).and_then(|v| v.to_str().ok()) {
            Some(location) => location.to_string(),
            None => refresh_target(&self.body).unwrap_or_default(),
        }
    }
}

/// The URL a `<meta http-equiv="refresh" content="0;url=...">` moves on to.
pub fn refresh_target(body: &str) -> Option<String> {
    let content = between(body, "http-equiv=\"refresh\" content=\"0;url=", "\"");
    (!content.is_empty()).then(|| content.replace("&amp;", "&").replace("&#x2f;", "/"))
}

pub fn between(text: &str, start: &str, end: &str) -> String {
    text.split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(found, _)| found.to_string())
        .unwrap_or_default()
}

impl Visitor {
    pub fn new(base: &str) -> Visitor {
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
    pub fn same_cookies_on(&self, base: &str) -> Visitor {
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

    pub async fn get(&mut self, path: &str) -> Page {
        let builder = self.http.get(format!("{}{path}", self.base));
        self.send(builder).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let builder = self.http.post(format!("{}{path}", self.base)).form(form);
        self.send(builder).await
    }

    pub async fn post_owned(&mut self, path: &str, form: &[(&str, String)]) -> Page {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.post(path, &pairs).await
    }

    /// Signs in as `name`, enrolling the TOTP on the way; returns its seed.
    pub async fn sign_in(&mut self, name: &str) -> Vec<u8> {
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

pub fn add_admin(server: &Server, name: &str, role: &str) {
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
