//! The README walkthrough against a spawned server: an API key from the
//! CLI, a user, a TOTP token enrolled from the server's answer, a valid code
//! accepted once, a replay and a wrong code rejected, and the audit trail.
//! Then codes from `oathtool`, and an HOTP token with RFC 4226 vectors,
//! look-ahead and resync.

mod common;

use common::*;
use countersign_otp::uri::KeyUri;
use countersign_otp::{base32, Kind};
use serde_json::{json, Value};

#[tokio::test]
async fn walkthrough_sqlite() {
    walkthrough(Db::sqlite()).await;
}

#[tokio::test]
async fn walkthrough_postgres() {
    walkthrough(Db::postgres().await).await;
}

#[tokio::test]
async fn hotp_sqlite() {
    hotp_token(Db::sqlite()).await;
}

#[tokio::test]
async fn hotp_postgres() {
    hotp_token(Db::postgres().await).await;
}

async fn walkthrough(db: Db) {
    let server = Server::start(&db).await;
    let key = server.create_key("walkthrough", "verify,admin");
    let api = server.api(&key);

    let created = api
        .post(
            "/api/v1/users",
            json!({"username": "alice", "email": "alice@example.org"}),
        )
        .await;
    let user = created.expect(201, "create alice");
    assert_eq!(user["username"], "alice");
    assert_eq!(user["email"], "alice@example.org");
    assert_eq!(user["enabled"], true);
    assert_eq!(user["locked_until"], Value::Null);

    let reply = api
        .post("/api/v1/users/alice/tokens", json!({"type": "totp"}))
        .await;
    let token = reply.expect(201, "add a TOTP token").clone();
    let token_id = token["id"].as_str().expect("token id").to_string();
    assert_eq!(token["type"], "totp");
    let secret_text = token["secret"]
        .as_str()
        .expect("the generated secret is shown once");
    let secret = base32::decode(secret_text).expect("the secret is base32");
    assert_eq!(secret.len(), 20, "a generated seed has 160 bits");
    let uri_text = token["otpauth_uri"].as_str().expect("otpauth_uri");
    let uri = KeyUri::parse(uri_text).unwrap_or_else(|e| panic!("{uri_text} does not parse: {e}"));
    assert_eq!(uri.kind, Kind::Totp);
    assert_eq!(uri.issuer.as_deref(), Some("Countersign"));
    assert_eq!(uri.account, "alice");
    assert_eq!(uri.secret, secret, "the URI and the secret field agree");
    assert_eq!((uri.digits, uri.period), (6, 30));
    let svg = token["qr_svg"].as_str().expect("qr_svg");
    assert!(
        svg.trim_start().starts_with("<svg"),
        "qr_svg is an SVG: {}",
        &svg[..svg.len().min(80)]
    );

    let listed = api.get("/api/v1/users/alice/tokens").await;
    let tokens = listed.expect(200, "list tokens")["tokens"]
        .as_array()
        .expect("tokens")
        .clone();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["id"], token_id.as_str());
    for hidden in ["secret", "otpauth_uri", "qr_svg"] {
        assert!(
            tokens[0].get(hidden).is_none(),
            "the list must not show {hidden}: {}",
            tokens[0]
        );
    }
    assert!(
        !listed.text.contains(secret_text),
        "the list leaks the secret"
    );

    let code = totp_now(&secret);
    assert_eq!(
        api.verify("alice", &code).await,
        json!({"result": "accepted"})
    );
    let replay = api.verify("alice", &code).await;
    assert_eq!(
        (&replay["result"], &replay["reason"]),
        (&json!("rejected"), &json!("code_reused")),
        "{replay}"
    );
    let wrong = api.verify("alice", &wrong_code(&secret, 1)).await;
    assert_eq!(
        (&wrong["result"], &wrong["reason"]),
        (&json!("rejected"), &json!("code_invalid")),
        "{wrong}"
    );

    let audit = api.get("/api/v1/audit?username=alice").await;
    let records = audit.expect(200, "audit")["records"]
        .as_array()
        .expect("records")
        .clone();
    let seen: Vec<(&str, Option<&str>)> = records
        .iter()
        .map(|r| (r["result"].as_str().expect("result"), r["reason"].as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("rejected", Some("code_invalid")),
            ("rejected", Some("code_reused")),
            ("accepted", None)
        ],
        "newest first: {records:?}"
    );
    for record in &records {
        assert_eq!(record["username"], "alice");
        assert_eq!(record["api_key"], "walkthrough");
        assert_eq!(record["source_address"], "127.0.0.1");
        assert_eq!(record["method"], "otp");
    }
    assert_eq!(
        records[2]["token_id"],
        token_id.as_str(),
        "the accepted record names the token"
    );
    assert!(
        !audit.text.contains(&code),
        "the audit trail must not hold the code"
    );

    oathtool_code_is_accepted(&api).await;
}

/// A second user's code, computed by the reference implementation.
async fn oathtool_code_is_accepted(api: &Api) {
    api.post("/api/v1/users", json!({"username": "bob"}))
        .await
        .expect(201, "create bob");
    let token = api
        .post("/api/v1/users/bob/tokens", json!({"type": "totp"}))
        .await;
    let secret = token.expect(201, "bob's token")["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    let output = std::process::Command::new("oathtool")
        .args(["--totp", "-b", &secret])
        .output()
        .unwrap_or_else(|e| {
            panic!("oathtool is needed for this test (apt-get install oathtool): {e}")
        });
    assert!(
        output.status.success(),
        "oathtool failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let code = String::from_utf8(output.stdout)
        .expect("oathtool prints text")
        .trim()
        .to_string();
    assert_eq!(code.len(), 6, "oathtool printed '{code}'");
    assert_eq!(
        api.verify("bob", &code).await,
        json!({"result": "accepted"}),
        "oathtool's code {code}"
    );
}

async fn hotp_token(db: Db) {
    let server = Server::start(&db).await;
    let api = server.api(&server.create_key("hotp", "verify,admin"));
    api.post("/api/v1/users", json!({"username": "carol"}))
        .await
        .expect(201, "create carol");
    let reply = api
        .post(
            "/api/v1/users/carol/tokens",
            // The spellings of otpauth URIs and oathtool, accepted in any case.
            json!({"type": "HOTP", "algorithm": "SHA1", "secret": RFC_SECRET_B32}),
        )
        .await;
    let token = reply
        .expect(
            201,
            "add an HOTP token with a given secret, type and algorithm in capitals",
        )
        .clone();
    assert_eq!(token["type"], "hotp");
    assert_eq!(token["counter"], 0);
    for absent in ["secret", "otpauth_uri", "qr_svg"] {
        assert!(
            token.get(absent).is_none(),
            "a given secret is not echoed ({absent}): {token}"
        );
    }
    let id = token["id"].as_str().expect("token id").to_string();

    // RFC 4226 Appendix D: counter 0 -> 755224, 1 -> 287082.
    let expect = |reply: Value, reason: Option<&str>, what: &str| match reason {
        None => assert_eq!(reply, json!({"result": "accepted"}), "{what}"),
        Some(reason) => assert_eq!(
            (&reply["result"], reply["reason"].as_str()),
            (&json!("rejected"), Some(reason)),
            "{what}: {reply}"
        ),
    };
    expect(api.verify("carol", "755224").await, None, "counter 0");
    expect(api.verify("carol", "287082").await, None, "counter 1");
    expect(
        api.verify("carol", "755224").await,
        Some("code_reused"),
        "counter 0 again",
    );
    // The next expected counter is 2; 7 is 5 ahead, inside the default look-ahead of 10.
    expect(
        api.verify("carol", &hotp(RFC_SECRET, 7)).await,
        None,
        "counter 7",
    );
    expect(
        api.verify("carol", &hotp(RFC_SECRET, 100)).await,
        Some("code_invalid"),
        "counter 100 is beyond the look-ahead",
    );

    let path = format!("/api/v1/users/carol/tokens/{id}/resync");
    let resync = api
        .post(
            &path,
            json!({"code1": hotp(RFC_SECRET, 100), "code2": hotp(RFC_SECRET, 101)}),
        )
        .await;
    assert_eq!(resync.status, 204, "resync: {}", resync.text);
    expect(
        api.verify("carol", &hotp(RFC_SECRET, 101)).await,
        Some("code_reused"),
        "counter 101 was used by the resync",
    );
    expect(
        api.verify("carol", &hotp(RFC_SECRET, 102)).await,
        None,
        "counter 102 after the resync",
    );
    let listed = api.get("/api/v1/users/carol/tokens").await;
    assert_eq!(
        listed.expect(200, "list")["tokens"][0]["counter"],
        103,
        "next counter: {}",
        listed.text
    );

    let bad = api
        .post(
            &path,
            json!({"code1": hotp(RFC_SECRET, 200), "code2": hotp(RFC_SECRET, 202)}),
        )
        .await;
    bad.expect_error(
        422,
        "invalid_request",
        "resync with codes that are not consecutive",
    );
}
