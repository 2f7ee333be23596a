//! Passkeys over the API against an independent WebAuthn client: the PyPI
//! `soft-webauthn` software authenticator (on Python `fido2`), run as a
//! subprocess (tests/python/passkey_device.py). Registration through
//! `POST /api/v1/users/{u}/passkeys` and `.../{ceremony_id}`, sign-in
//! through `POST /api/v1/verify` with `"method": "webauthn"` and then
//! `transaction_id` + `assertion`: accepted, a replayed assertion, an
//! expired challenge, a removed credential and a counter going backwards
//! each refused with its reason. soft-webauthn does not verify the user
//! (UV flag clear), so user verification is first seen refused, then set
//! to `preferred`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use common::*;
use serde_json::{json, Value};

/// soft-webauthn behind a pipe.
struct Device {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    origin: String,
}

impl Device {
    fn start(origin: &str) -> Device {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/passkey_device.py"
        );
        let mut child = Command::new(countersign_testkit::python())
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run python with soft-webauthn (scripts/test installs it in its venv)");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Device {
            child,
            stdin,
            stdout,
            origin: origin.to_string(),
        }
    }

    fn ask(&mut self, request: Value) -> Value {
        writeln!(self.stdin, "{request}").expect("write to the device");
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("read from the device");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("device answered {line:?}: {e}"))
    }

    fn create(&mut self, options: &Value) -> Value {
        let origin = self.origin.clone();
        self.ask(json!({"op": "create", "options": options, "origin": origin}))
    }

    fn get(&mut self, options: &Value) -> Value {
        let origin = self.origin.clone();
        self.ask(json!({"op": "get", "options": options, "origin": origin}))
    }

    fn set_count(&mut self, count: u32) {
        self.ask(json!({"op": "set_count", "count": count}));
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `POST /api/v1/verify` with `"method": "webauthn"`: the transaction and options.
async fn challenge(api: &Api, username: &str) -> (String, Value) {
    let reply = api
        .post(
            "/api/v1/verify",
            json!({"username": username, "method": "webauthn"}),
        )
        .await;
    let body = reply.expect(200, "a passkey challenge").clone();
    assert_eq!(body["result"], "challenge", "{body}");
    assert_eq!(body["method"], "webauthn", "{body}");
    let id = body["transaction_id"].as_str().expect("transaction_id");
    (id.to_string(), body["options"].clone())
}

async fn settle(api: &Api, username: &str, id: &str, assertion: &Value) -> Value {
    let body = json!({"username": username, "transaction_id": id, "assertion": assertion});
    api.post("/api/v1/verify", body)
        .await
        .expect(200, "an answer")
        .clone()
}

async fn set(api: &Api, settings: Value) {
    api.patch("/api/v1/settings", settings.clone())
        .await
        .expect(200, &format!("settings {settings}"));
}

#[tokio::test]
async fn passkeys_with_soft_webauthn_sqlite() {
    passkeys(Db::sqlite()).await;
}

#[tokio::test]
async fn passkeys_with_soft_webauthn_postgres() {
    passkeys(Db::postgres().await).await;
}

async fn passkeys(db: Db) {
    let server = Server::start(&db).await;
    let api = server.api(&server.create_key("passkeys", "verify,admin"));
    // No public_url: the RP ID is localhost and the origin http://localhost:PORT.
    let origin = format!("http://localhost:{}", server.port());
    let mut device = Device::start(&origin);
    api.post("/api/v1/users", json!({"username": "alice"}))
        .await
        .expect(201, "create alice");

    // soft-webauthn verifies no user: refused while it is required (the default).
    let begun = api.post("/api/v1/users/alice/passkeys", json!({})).await;
    let begun = begun.expect(201, "start a registration").clone();
    let ceremony = begun["ceremony_id"].as_str().expect("ceremony_id");
    let path = format!("/api/v1/users/alice/passkeys/{ceremony}");
    let refused = api.post(&path, device.create(&begun["options"])).await;
    let message = refused.expect_error(422, "invalid_request", "no user verification");
    assert!(message.contains("user_verification_missing"), "{message}");
    set(&api, json!({"webauthn_user_verification": "preferred"})).await;

    // Registration: options for parseCreationOptionsFromJSON, then the answer.
    let begun = api.post("/api/v1/users/alice/passkeys", json!({})).await;
    let begun = begun.expect(201, "start a registration").clone();
    let options = &begun["options"];
    assert_eq!(options["rp"]["id"], "localhost", "{begun}");
    assert_eq!(
        options["authenticatorSelection"]["residentKey"],
        "preferred"
    );
    assert_eq!(options["attestation"], "none");
    let ceremony = begun["ceremony_id"].as_str().expect("ceremony_id");
    let response = device.create(options);
    let path = format!("/api/v1/users/alice/passkeys/{ceremony}?name=Soft%20key");
    let made = api
        .post(&path, response.clone())
        .await
        .expect(201, "register")
        .clone();
    assert_eq!(made["name"], "Soft key");
    let credential = made["credential_id"]
        .as_str()
        .expect("credential_id")
        .to_string();
    api.post(&path, response)
        .await
        .expect_error(422, "invalid_request", "a ceremony is used once");
    let listed = api.get("/api/v1/users/alice/passkeys").await;
    assert_eq!(
        listed.expect(200, "list")["passkeys"][0]["credential_id"],
        credential
    );

    // With user verification required again, its assertions are refused.
    set(&api, json!({"webauthn_user_verification": "required"})).await;
    let (id, options) = challenge(&api, "alice").await;
    assert_eq!(options["allowCredentials"][0]["id"], credential);
    let refused = settle(&api, "alice", &id, &device.get(&options)).await;
    assert_eq!(refused["reason"], "user_verification_missing", "{refused}");
    set(&api, json!({"webauthn_user_verification": "preferred"})).await;

    // Accepted, then the same assertion again is a replay.
    let (id, options) = challenge(&api, "alice").await;
    let assertion = device.get(&options);
    let accepted = settle(&api, "alice", &id, &assertion).await;
    assert_eq!(accepted["result"], "accepted", "{accepted}");
    let replayed = settle(&api, "alice", &id, &assertion).await;
    assert_eq!(replayed["reason"], "code_reused", "{replayed}");

    // A counter going backwards: a clone of the key.
    let (id, options) = challenge(&api, "alice").await;
    device.set_count(0);
    let cloned = settle(&api, "alice", &id, &device.get(&options)).await;
    assert_eq!(cloned["reason"], "credential_cloned", "{cloned}");
    device.set_count(100);

    // An expired challenge.
    set(&api, json!({"webauthn_challenge_seconds": 1})).await;
    let (id, options) = challenge(&api, "alice").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let expired = settle(&api, "alice", &id, &device.get(&options)).await;
    assert_eq!(expired["reason"], "challenge_expired", "{expired}");
    api.patch(
        "/api/v1/settings",
        json!({"webauthn_challenge_seconds": 300}),
    )
    .await
    .expect(200, "five-minute challenges");

    // A removed credential (alice keeps a token, so it is not her last method).
    api.post("/api/v1/users/alice/tokens", json!({"type": "totp"}))
        .await
        .expect(201, "a token besides the passkey");
    let (id, options) = challenge(&api, "alice").await;
    let path = format!("/api/v1/users/alice/passkeys/{credential}");
    api.delete(&path).await.expect(204, "remove the passkey");
    let removed = settle(&api, "alice", &id, &device.get(&options)).await;
    assert_eq!(removed["reason"], "passkey_unknown", "{removed}");

    // Bad input answers the API's error shape.
    api.post(
        "/api/v1/verify",
        json!({"username": "alice", "transaction_id": "wan_nope", "assertion": {}}),
    )
    .await
    .expect_error(404, "unknown_transaction", "an unknown transaction");
    let audit = api
        .get("/api/v1/audit?username=alice")
        .await
        .expect(200, "audit")
        .clone();
    let methods: Vec<&str> = audit["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|r| r["method"].as_str())
        .collect();
    assert!(methods.iter().all(|m| *m == "webauthn"), "{methods:?}");
    assert_eq!(methods.len(), 6, "{audit}");
    let metrics = server.anonymous().get("/metrics").await.text;
    for line in [
        "countersign_passkey_registrations_total{result=\"accepted\"} 1",
        "countersign_passkey_registrations_total{result=\"refused\"} 2",
        "countersign_passkey_verifications_total{result=\"accepted\"} 1",
        "countersign_passkey_verifications_total{result=\"credential_cloned\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
}
