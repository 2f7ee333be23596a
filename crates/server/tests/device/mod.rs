//! A minimal authenticator for tests: a P-256 key, activation, and signed
//! requests exactly as docs/device-api.md describes them.
#![allow(dead_code)]

use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use sha2_free::hex_sha256;

pub struct Device {
    pub id: String,
    pub base: String,
    key: EcdsaKeyPair,
    rng: SystemRandom,
    http: reqwest::Client,
    pub activation: Value,
}

/// Standard base64, as the contract uses.
pub fn b64(bytes: &[u8]) -> String {
    super::common::base64(bytes)
}

pub fn new_key() -> EcdsaKeyPair {
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("a key");
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .expect("the key parses")
}

/// `POST /device/v1/activate`; returns the status and body.
pub async fn activate_raw(
    base: &str,
    code: &str,
    key: &EcdsaKeyPair,
    pin_key: Option<&[u8]>,
) -> (u16, Value) {
    let mut body = json!({"code": code, "public_key": b64(key.public_key().as_ref()), "device_name": "test device", "platform": "test"});
    if let Some(pin_key) = pin_key {
        body["pin_key"] = json!(b64(pin_key));
    }
    let reply = reqwest::Client::new()
        .post(format!("{base}/device/v1/activate"))
        .json(&body)
        .send()
        .await
        .expect("answer");
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

impl Device {
    /// Asks for an activation of `username` with the admin `api` and activates a device with it.
    pub async fn enrol(api: &crate::common::Api, base: &str, username: &str) -> Device {
        let grant = api
            .post(&format!("/api/v1/users/{username}/activations"), json!({}))
            .await
            .expect(201, "activation")
            .clone();
        let code = grant["activation_code"]
            .as_str()
            .expect("activation_code")
            .replace(' ', "");
        Device::activate(base, &code, None).await
    }

    pub async fn activate(base: &str, code: &str, pin_key: Option<&[u8]>) -> Device {
        let key = new_key();
        let (status, body) = activate_raw(base, code, &key, pin_key).await;
        assert_eq!(status, 201, "activation: {body}");
        Device {
            id: body["device_id"].as_str().expect("device_id").to_string(),
            base: base.to_string(),
            key,
            rng: SystemRandom::new(),
            http: reqwest::Client::new(),
            activation: body,
        }
    }

    /// Headers for a request signed at `timestamp` with `nonce`.
    pub fn headers(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        timestamp: i64,
        nonce: &str,
    ) -> Vec<(&'static str, String)> {
        let text = format!(
            "{method}\n{path}\n{timestamp}\n{nonce}\n{}",
            hex_sha256(body)
        );
        let signature = self.key.sign(&self.rng, text.as_bytes()).expect("signing");
        vec![
            ("x-countersign-device", self.id.clone()),
            ("x-countersign-timestamp", timestamp.to_string()),
            ("x-countersign-nonce", nonce.to_string()),
            ("x-countersign-signature", b64(signature.as_ref())),
        ]
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: Vec<(&'static str, String)>,
    ) -> (u16, Value) {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let mut request = self.http.request(
            method.parse().expect("method"),
            format!("{}{path}", self.base),
        );
        for (name, value) in headers {
            request = request.header(name, value);
        }
        if !bytes.is_empty() {
            request = request
                .header("content-type", "application/json")
                .body(bytes);
        }
        let reply = request.send().await.expect("answer");
        let status = reply.status().as_u16();
        (status, reply.json().await.unwrap_or(Value::Null))
    }

    /// A correctly signed request with a fresh nonce.
    pub async fn signed(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let bytes = body
            .as_ref()
            .map(|b| b.to_string().into_bytes())
            .unwrap_or_default();
        let headers = self.headers(
            method,
            path,
            &bytes,
            super::common::unix_now() as i64,
            &fresh_nonce(),
        );
        self.send(method, path, body, headers).await
    }

    pub async fn answer(&self, id: &str, body: Value) -> (u16, Value) {
        self.signed(
            "POST",
            &format!("/device/v1/requests/{id}/answer"),
            Some(body),
        )
        .await
    }

    pub async fn pending(&self) -> Vec<Value> {
        let (status, body) = self.signed("GET", "/device/v1/requests", None).await;
        assert_eq!(status, 200, "pending requests: {body}");
        body["requests"].as_array().cloned().unwrap_or_default()
    }
}

pub fn fresh_nonce() -> String {
    countersign_otp::base32::encode(&countersign_otp::generate_secret(15))
}

/// PIN key and proof as the contract defines them.
pub fn pin_key(pin: &str) -> Vec<u8> {
    hmac(b"countersign-pin", pin.as_bytes())
}

pub fn pin_proof(pin_key: &[u8], id: &str) -> String {
    b64(&hmac(pin_key, format!("countersign-pin:{id}").as_bytes()))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key), data)
        .as_ref()
        .to_vec()
}

mod sha2_free {
    /// SHA-256 in lower-case hex (ring's digest, to need no other crate).
    pub fn hex_sha256(bytes: &[u8]) -> String {
        ring::digest::digest(&ring::digest::SHA256, bytes)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
