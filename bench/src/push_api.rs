//! The HTTP side of push-load: the admin and verify API over a pooled
//! client, and the device's signed requests (docs/device-api.md).

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::distributions::Alphanumeric;
use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::{Client, Url};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::Value;

/// A device of the benchmark: one per user, with its own P-256 key.
pub struct Device {
    pub id: String,
    pub username: String,
    key: EcdsaKeyPair,
}

impl Device {
    /// The four headers of a request signed now with a fresh nonce.
    pub fn signed_headers(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<[(&'static str, String); 4]> {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("the clock is before 1970")?
            .as_secs();
        let nonce: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(24)
            .map(char::from)
            .collect();
        let text = format!(
            "{method}\n{path}\n{timestamp}\n{nonce}\n{}",
            hex_sha256(body)
        );
        let signature = self
            .key
            .sign(&SystemRandom::new(), text.as_bytes())
            .map_err(|_| anyhow::anyhow!("cannot sign with the device key"))?;
        Ok([
            ("x-countersign-device", self.id.clone()),
            ("x-countersign-timestamp", timestamp.to_string()),
            ("x-countersign-nonce", nonce),
            (
                "x-countersign-signature",
                STANDARD.encode(signature.as_ref()),
            ),
        ])
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn new_key() -> Result<EcdsaKeyPair> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|_| anyhow::anyhow!("cannot make a P-256 key"))?;
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .map_err(|_| anyhow::anyhow!("cannot read back the P-256 key"))
}

/// The server's API, loopback only; every call answers (status, JSON body).
#[derive(Clone)]
pub struct Api {
    http: Client,
    base: Url,
    pub address: SocketAddr,
}

impl Api {
    pub fn new(url: &str, api_key: &str, timeout: Duration) -> Result<Self> {
        let base = Url::parse(url).with_context(|| format!("--url '{url}' is not a URL"))?;
        if base.scheme() != "http" {
            bail!("--url must be http://: push-load talks plain HTTP on loopback");
        }
        let address = base
            .socket_addrs(|| Some(80))
            .context("cannot resolve --url")?
            .into_iter()
            .next()
            .context("--url resolves to no address")?;
        if !address.ip().is_loopback() {
            bail!("--url must be a loopback address (127.0.0.1 or ::1), not {address}");
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", api_key.trim()))
            .context("the API key cannot go in an HTTP header")?;
        auth.set_sensitive(true);
        let http = Client::builder()
            .default_headers(HeaderMap::from_iter([(AUTHORIZATION, auth)]))
            .pool_max_idle_per_host(1024)
            .tcp_nodelay(true)
            .timeout(timeout)
            .no_proxy()
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Self {
            http,
            base,
            address,
        })
    }

    fn endpoint(&self, path: &str) -> Result<Url> {
        self.base
            .join(path)
            .with_context(|| format!("cannot form a URL for {path}"))
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<(u16, Value)> {
        let request = self.http.post(self.endpoint(path)?).json(body);
        answer(request).await
    }

    /// A GET that may be held by the server for up to `hold`.
    pub async fn get(&self, path: &str, hold: Duration) -> Result<(u16, Value)> {
        let request = self
            .http
            .get(self.endpoint(path)?)
            .timeout(hold + Duration::from_secs(5));
        answer(request).await
    }

    /// A POST signed by `device`, as an authenticator sends it.
    pub async fn signed_post(
        &self,
        device: &Device,
        path: &str,
        body: &Value,
    ) -> Result<(u16, Value)> {
        let bytes = body.to_string().into_bytes();
        let mut request = self
            .http
            .post(self.endpoint(path)?)
            .header("content-type", "application/json");
        for (name, value) in device.signed_headers("POST", path, &bytes)? {
            request = request.header(name, value);
        }
        answer(request.body(bytes)).await
    }

    /// A user of its own, an activation code, and the device activated with it.
    pub async fn enroll(&self, username: &str) -> Result<Device> {
        let (status, body) = self
            .post("/api/v1/users", &serde_json::json!({"username": username}))
            .await?;
        if status != 201 {
            bail!("creating user {username}: HTTP {status} {body}");
        }
        let path = format!("/api/v1/users/{username}/activations");
        let (status, body) = self.post(&path, &Value::Null).await?;
        let code: String = match (status, body["activation_code"].as_str()) {
            (201, Some(code)) => code.chars().filter(char::is_ascii_digit).collect(),
            _ => bail!("activation for {username}: HTTP {status} {body}"),
        };
        let key = new_key()?;
        let activation = serde_json::json!({
            "code": code,
            "public_key": STANDARD.encode(key.public_key().as_ref()),
            "device_name": "push-load",
            "platform": "bench",
        });
        let (status, body) = self.post("/device/v1/activate", &activation).await?;
        match (status, body["device_id"].as_str()) {
            (201, Some(id)) => Ok(Device {
                id: id.to_string(),
                username: username.to_string(),
                key,
            }),
            _ => bail!("activating the device of {username}: HTTP {status} {body}"),
        }
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Result<(u16, Value)> {
    let response = request.send().await.map_err(describe)?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.map_err(describe)?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok((status, body))
}

fn describe(e: reqwest::Error) -> anyhow::Error {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "transport"
    };
    anyhow::anyhow!("{kind}: {e}")
}
