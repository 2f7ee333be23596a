//! The application API of a running `countersign`, as an administrator.

use std::time::Duration;

use countersign_authenticator::tls::{self, SpkiPin, Trust};
use serde_json::{json, Value};

use countersign_testkit::server::Countersign;

/// The application API, as an administrator.
pub struct Admin {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Admin {
    pub fn new(server: &Countersign, pin: Option<SpkiPin>) -> Admin {
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(30));
        if let Some(pin) = pin {
            let (config, _) = tls::client_config(&Trust::Pinned(pin)).expect("TLS config");
            builder = builder.use_preconfigured_tls(config);
        }
        Admin {
            http: builder.build().expect("client"),
            base: server.base(),
            key: server
                .cli_ok(&["apikey", "create", "--name", "t", "--scope", "verify,admin"])
                .trim()
                .to_owned(),
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = request.send().await.expect("call the server");
        let status = reply.status().as_u16();
        (status, reply.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let (status, reply) = self.call(reqwest::Method::POST, path, Some(body)).await;
        assert!(
            (200..300).contains(&status),
            "POST {path}: {status} {reply}"
        );
        reply
    }

    /// A user and an activation link for them.
    pub async fn activation_for(&self, user: &str) -> Value {
        self.post("/api/v1/users", json!({ "username": user }))
            .await;
        self.post(&format!("/api/v1/users/{user}/activations"), json!({}))
            .await
    }

    /// A push for alice: (transaction id, number).
    pub async fn push(&self) -> (String, u32) {
        let body = json!({"username": "alice", "method": "push",
            "context": {"application": "VPN", "client_address": "203.0.113.5"}});
        let reply = self.post("/api/v1/verify", body).await;
        assert_eq!(reply["result"], "pending", "{reply}");
        let id = reply["transaction_id"].as_str().expect("id").to_owned();
        (id, reply["number"].as_u64().expect("number") as u32)
    }

    pub async fn outcome(&self, id: &str) -> Value {
        let path = format!("/api/v1/transactions/{id}?wait=20");
        self.call(reqwest::Method::GET, &path, None).await.1
    }
}
