//! What the passkey tests share: a server whose WebAuthn origins are known
//! before it starts (`http://localhost:PORT`, RP ID `localhost`), headless
//! Chromium with a CDP virtual authenticator (ctap2, internal, resident
//! keys, user verification), screenshots copied into `docs/img/`, and a
//! test application: a tiny HTTP server on another port whose page runs
//! the API's passkey flows and whose backend calls `/api/v1` with its key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use countersign_testkit::browser::Browser;
use countersign_testkit::free_port;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{Db, Server};

/// Whether Chromium is here (scripts/test installs it).
pub fn have_chromium() -> bool {
    let here = Path::new("/usr/lib/chromium/chromium").exists();
    if !here {
        eprintln!("chromium is not installed (scripts/test installs it): skipped");
    }
    here
}

/// A server on a port chosen ahead, its own `http://localhost:PORT` and
/// `more` allowed as WebAuthn origins, RP ID `localhost`.
pub async fn passkey_server(db: &Db, more: &[String], extra: &[(&str, &str)]) -> Server {
    let port = free_port();
    let mut origins = vec![format!("http://localhost:{port}")];
    origins.extend(more.iter().cloned());
    let origins = origins.join(",");
    let mut env = vec![
        ("COUNTERSIGN_WEBAUTHN_RP_ID", "localhost"),
        ("COUNTERSIGN_WEBAUTHN_ORIGINS", origins.as_str()),
    ];
    env.extend_from_slice(extra);
    let mut server = Server::with_env(db, &env);
    server.spawn_on(port).await;
    server
}

/// `path` on the server as the browser must name it for WebAuthn (localhost, not 127.0.0.1).
pub fn local(server: &Server, path: &str) -> String {
    format!("http://localhost:{}{path}", server.port())
}

/// Headless Chromium with one virtual authenticator.
pub struct Passkeys {
    pub browser: Browser,
    pub authenticator: String,
}

impl Passkeys {
    pub async fn start(width: u32, height: u32) -> Passkeys {
        let browser = Browser::start(width, height).await.expect("chromium");
        browser
            .cdp("WebAuthn.enable", json!({}))
            .await
            .expect("WebAuthn.enable");
        let added = browser
            .cdp(
                "WebAuthn.addVirtualAuthenticator",
                json!({"options": {"protocol": "ctap2", "transport": "internal",
                    "hasResidentKey": true, "hasUserVerification": true,
                    "isUserVerified": true, "automaticPresenceSimulation": true}}),
            )
            .await
            .expect("virtual authenticator");
        let authenticator = added["authenticatorId"]
            .as_str()
            .expect("authenticatorId")
            .to_string();
        Passkeys {
            browser,
            authenticator,
        }
    }

    /// The credentials the virtual authenticator holds (id, rpId, privateKey, signCount, ...).
    pub async fn credentials(&self) -> Vec<Value> {
        let value = self
            .browser
            .cdp(
                "WebAuthn.getCredentials",
                json!({"authenticatorId": self.authenticator}),
            )
            .await
            .expect("getCredentials");
        value["credentials"].as_array().cloned().unwrap_or_default()
    }

    /// Puts `credential` back with another signature counter (a clone that is behind).
    pub async fn set_counter(&self, credential: &Value, count: u32) {
        let id = &credential["credentialId"];
        let cdp = |cmd: &'static str, params: Value| self.browser.cdp(cmd, params);
        cdp(
            "WebAuthn.removeCredential",
            json!({"authenticatorId": self.authenticator, "credentialId": id}),
        )
        .await
        .expect("removeCredential");
        let mut copy = credential.clone();
        copy["signCount"] = json!(count);
        cdp(
            "WebAuthn.addCredential",
            json!({"authenticatorId": self.authenticator, "credential": copy}),
        )
        .await
        .expect("addCredential");
    }

    /// Clicks `css` and waits until the page is another one whose URL
    /// contains `part` (a passkey form submits itself after the ceremony).
    pub async fn click_until(&self, css: &str, part: &str) -> String {
        const MARK: &str = "window.__passkey_old_page = true; return true";
        self.browser.execute(MARK, vec![]).await.expect("mark");
        self.browser.click(css).await.expect(css);
        for _ in 0..150 {
            let left = self
                .browser
                .execute("return window.__passkey_old_page === undefined && document.readyState === 'complete'", vec![])
                .await;
            let url = self.browser.current_url().await.unwrap_or_default();
            if left == Ok(Value::Bool(true)) && url.contains(part) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let url = self.browser.current_url().await.unwrap_or_default();
        let page = self.browser.source().await.unwrap_or_default();
        panic!("{css} did not lead to {part} in 15 s; at {url}:\n{page}");
    }
}

pub async fn wait_for_url(browser: &Browser, part: &str, seconds: u64) -> String {
    for _ in 0..seconds * 10 {
        let url = browser.current_url().await.unwrap_or_default();
        if url.contains(part) {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = browser.current_url().await.unwrap_or_default();
    let page = browser.source().await.unwrap_or_default();
    panic!("the page did not reach {part} in {seconds} s; it is at {url}:\n{page}");
}

/// Screenshots at 1440 and 390 px wide, copied to `docs/img/DIR/NAME-WIDTH.png`.
pub async fn shoot(browser: &Browser, dir: &str, name: &str, widths: &[u32]) -> Vec<PathBuf> {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/img")
        .join(dir);
    std::fs::create_dir_all(&docs).expect("docs/img");
    let mut written = Vec::new();
    for &width in widths {
        let height = if width < 600 { 844 } else { 900 };
        browser
            .set_window_size(width, height)
            .await
            .expect("resize");
        tokio::time::sleep(Duration::from_millis(150)).await;
        let png = browser
            .screenshot(&format!("{dir}-{name}-{width}"))
            .await
            .expect("screenshot");
        let to = docs.join(format!("{name}-{width}.png"));
        std::fs::copy(&png, &to).expect("copy the screenshot into docs/img");
        written.push(to);
    }
    browser.set_window_size(1440, 900).await.expect("resize");
    written
}

/// The test application: `GET /` is its page, `POST /api/PATH` its backend,
/// which forwards the JSON body to the server's `/api/v1/PATH` with its key.
pub struct App {
    pub port: u16,
}

impl App {
    /// The origin the browser sees: `http://localhost:PORT`.
    pub fn origin(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    pub async fn start(port: u16, server_base: String, key: String) -> App {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
        let http = reqwest::Client::new();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (http, base, key) = (http.clone(), server_base.clone(), key.clone());
                tokio::spawn(async move {
                    let _ = serve(socket, &http, &base, &key).await;
                });
            }
        });
        App { port }
    }
}

/// One request of the test application (connection: close).
async fn serve(
    mut socket: TcpStream,
    http: &reqwest::Client,
    base: &str,
    key: &str,
) -> std::io::Result<()> {
    let (head, body) = read_request(&mut socket).await?;
    let first = head.lines().next().unwrap_or_default().to_string();
    let mut parts = first.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let (status, kind, answer) = match (method, path.strip_prefix("/api/")) {
        ("POST", Some(rest)) | ("DELETE", Some(rest)) => {
            let url = format!("{base}/api/v1/{rest}");
            let request = match method {
                "DELETE" => http.delete(url),
                _ => http.post(url).header("content-type", "application/json"),
            };
            let reply = request.bearer_auth(key).body(body).send().await;
            match reply {
                Ok(reply) => (
                    reply.status().as_u16(),
                    "application/json",
                    reply.text().await.unwrap_or_default(),
                ),
                Err(e) => (502, "text/plain", e.to_string()),
            }
        }
        _ => (200, "text/html; charset=utf-8", APP_PAGE.to_string()),
    };
    let text = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
        answer.len()
    );
    socket.write_all(text.as_bytes()).await
}

async fn read_request(socket: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let length = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = socket.read(&mut chunk).await?;
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok((head, buf[end + 4..].to_vec()));
        }
    }
    Ok((String::from_utf8_lossy(&buf).to_string(), Vec::new()))
}

/// The application's page: what docs/webauthn.md shows an application doing.
/// `register(username, name)` and `signIn(username)` resolve to
/// `{status, body}` of the application's last call to the API.
const APP_PAGE: &str = r#"<!doctype html><html><head><meta charset="utf-8"><title>An application</title></head>
<body><h1>An application</h1><p id="result">-</p><script>
async function call(path, body, method) {
  const r = await fetch('/api/' + path, {method: method || 'POST', headers: {'content-type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body)});
  const text = await r.text();
  let json = null; try { json = JSON.parse(text); } catch (e) { json = text; }
  return {status: r.status, body: json};
}
async function register(username, name) {
  const user = 'users/' + encodeURIComponent(username) + '/passkeys';
  const begun = await call(user, {});
  if (begun.status >= 300) return begun;
  const cred = await navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(begun.body.options)});
  return call(user + '/' + begun.body.ceremony_id + '?name=' + encodeURIComponent(name), cred.toJSON());
}
async function begin(username) {
  return call('verify', {username: username, method: 'webauthn'});
}
async function assert(started) {
  const a = await navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(started.body.options)});
  return a.toJSON();
}
async function signIn(username) {
  const started = await begin(username);
  if (started.body.result !== 'challenge') return started;
  const assertion = await assert(started);
  window.last = {username: username, transaction_id: started.body.transaction_id, assertion: assertion};
  const done = await call('verify', window.last);
  document.getElementById('result').textContent = done.body.result;
  return done;
}
</script></body></html>"#;
