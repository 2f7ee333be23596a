//! The HTTP calls the load generator makes, over kept-alive connections.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::{Client, StatusCode, Url};
use serde::Deserialize;
use serde_json::json;

use crate::loopback;

/// What one verification came back as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Accepted,
    /// Rejected with the server's reason code.
    Rejected(String),
    /// An HTTP status other than 200.
    Http(u16),
    /// No HTTP answer: connect, timeout, body or decode failures.
    Transport(&'static str),
}

#[derive(Deserialize)]
struct VerifyBody<'a> {
    result: &'a str,
    reason: Option<&'a str>,
}

#[derive(Deserialize)]
struct TokenBody {
    counter: Option<u64>,
}

#[derive(Deserialize)]
struct TokenList {
    tokens: Vec<TokenBody>,
}

/// One client: its pool keeps a connection per worker alive between requests.
#[derive(Debug, Clone)]
pub struct Api {
    http: Client,
    base: Url,
}

impl Api {
    pub fn new(url: &str, api_key: &str, pool_size: usize, timeout: Duration) -> Result<Self> {
        let base = loopback::parse(url)?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", api_key.trim()))
            .context("the API key holds characters that cannot go in an HTTP header")?;
        auth.set_sensitive(true);
        let headers = HeaderMap::from_iter([(AUTHORIZATION, auth)]);
        let http = Client::builder()
            .default_headers(headers)
            .pool_max_idle_per_host(pool_size)
            .pool_idle_timeout(None)
            .tcp_nodelay(true)
            .timeout(timeout)
            .no_proxy()
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Self { http, base })
    }

    fn endpoint(&self, path: &str) -> Result<Url> {
        self.base
            .join(path)
            .with_context(|| format!("cannot form a URL for {path}"))
    }

    pub async fn verify(&self, url: &Url, username: &str, code: &str) -> Answer {
        let body = json!({"username": username, "code": code});
        let response = match self.http.post(url.clone()).json(&body).send().await {
            Ok(response) => response,
            Err(e) => return Answer::Transport(transport_kind(&e)),
        };
        let status = response.status();
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => return Answer::Transport(transport_kind(&e)),
        };
        if status != StatusCode::OK {
            return Answer::Http(status.as_u16());
        }
        match serde_json::from_slice::<VerifyBody>(&bytes) {
            Ok(VerifyBody {
                result: "accepted", ..
            }) => Answer::Accepted,
            Ok(VerifyBody {
                result: "rejected",
                reason,
            }) => Answer::Rejected(reason.unwrap_or("none").to_string()),
            _ => Answer::Transport("unexpected body"),
        }
    }

    pub fn verify_url(&self) -> Result<Url> {
        self.endpoint("/api/v1/verify")
    }

    pub async fn create_user(&self, username: &str) -> Result<()> {
        let url = self.endpoint("/api/v1/users")?;
        let response = self
            .http
            .post(url)
            .json(&json!({"username": username}))
            .send()
            .await?;
        expect(
            response,
            StatusCode::CREATED,
            &format!("creating user {username}"),
        )
        .await?;
        Ok(())
    }

    /// Adds an HOTP token with this seed; fails unless its counter starts at 0.
    pub async fn create_hotp_token(&self, username: &str, secret_base32: &str) -> Result<()> {
        let url = self.endpoint(&format!("/api/v1/users/{username}/tokens"))?;
        let body = json!({"type": "hotp", "secret": secret_base32, "digits": crate::codes::DIGITS});
        let response = self.http.post(url).json(&body).send().await?;
        let bytes = expect(
            response,
            StatusCode::CREATED,
            &format!("adding a token to {username}"),
        )
        .await?;
        let token: TokenBody =
            serde_json::from_slice(&bytes).context("the token answer is not the expected JSON")?;
        if token.counter != Some(0) {
            bail!(
                "the new token of {username} starts at counter {:?}, not 0",
                token.counter
            );
        }
        Ok(())
    }

    /// The next counter of the user's only HOTP token.
    pub async fn next_counter(&self, username: &str) -> Result<u64> {
        let url = self.endpoint(&format!("/api/v1/users/{username}/tokens"))?;
        let response = self.http.get(url).send().await?;
        let bytes = expect(
            response,
            StatusCode::OK,
            &format!("listing the tokens of {username}"),
        )
        .await?;
        let list: TokenList =
            serde_json::from_slice(&bytes).context("the token list is not the expected JSON")?;
        match list.tokens.as_slice() {
            [TokenBody { counter: Some(counter) }] => Ok(*counter),
            _ => bail!("{username} should have exactly one HOTP token: was it made by verify-load --setup?"),
        }
    }
}

/// The body of an answer with the wanted status, or an error quoting the server.
async fn expect(response: reqwest::Response, wanted: StatusCode, doing: &str) -> Result<Vec<u8>> {
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .with_context(|| format!("{doing}: reading the answer"))?;
    if status != wanted {
        let text = String::from_utf8_lossy(&bytes);
        bail!(
            "{doing}: the server answered {status}: {}",
            text.chars().take(300).collect::<String>()
        );
    }
    Ok(bytes.to_vec())
}

fn transport_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "other"
    }
}
