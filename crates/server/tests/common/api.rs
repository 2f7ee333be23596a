//! A JSON client of the API and the answers it gets.

use serde_json::Value;

/// A JSON client of the API, with or without an API key.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    key: Option<String>,
}

/// An answer: the status, the body as text and, when it is JSON, parsed.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub text: String,
    pub body: Value,
    pub content_type: String,
}

impl Api {
    /// A client of the server at `base` (`http://127.0.0.1:PORT`).
    pub fn new(http: reqwest::Client, base: String, key: Option<String>) -> Api {
        Api { http, base, key }
    }

    /// A request with this client's Authorization header, to send with [`Api::send`].
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, format!("{}{path}", self.base));
        match &self.key {
            Some(key) => builder.bearer_auth(key),
            None => builder,
        }
    }

    pub async fn send(&self, builder: reqwest::RequestBuilder) -> Reply {
        let response = builder.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let text = response.text().await.expect("the body arrives");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            text,
            body,
            content_type,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(self.request(reqwest::Method::POST, path).json(&body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send(self.request(reqwest::Method::PATCH, path).json(&body))
            .await
    }

    pub async fn put_json(&self, path: &str, body: Value) -> Reply {
        self.send(self.request(reqwest::Method::PUT, path).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.request(reqwest::Method::DELETE, path)).await
    }

    /// `POST /api/v1/verify`, expecting 200; returns the body.
    pub async fn verify(&self, username: &str, code: &str) -> Value {
        let reply = self
            .post(
                "/api/v1/verify",
                serde_json::json!({"username": username, "code": code}),
            )
            .await;
        reply.expect(200, &format!("verify {username}")).clone()
    }
}

impl Reply {
    /// Checks the status and returns the JSON body.
    #[track_caller]
    pub fn expect(&self, status: u16, what: &str) -> &Value {
        assert_eq!(
            self.status, status,
            "{what}: unexpected status; body: {}",
            self.text
        );
        &self.body
    }

    /// Checks the status and the error shape `{"error":{"code","message"}}`.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str, what: &str) -> String {
        assert_eq!(
            self.status, status,
            "{what}: unexpected status; body: {}",
            self.text
        );
        assert!(
            self.content_type.starts_with("application/json"),
            "{what}: the error is not JSON (Content-Type '{}'): {}",
            self.content_type,
            self.text
        );
        let object = self
            .body
            .as_object()
            .unwrap_or_else(|| panic!("{what}: the body is not a JSON object: {}", self.text));
        assert_eq!(
            object.len(),
            1,
            "{what}: the error shape has only 'error': {}",
            self.text
        );
        assert_eq!(
            self.body["error"]["code"], code,
            "{what}: wrong error code: {}",
            self.text
        );
        let message = self.body["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: error.message is not a string: {}", self.text));
        assert!(!message.trim().is_empty(), "{what}: error.message is empty");
        message.to_string()
    }
}
