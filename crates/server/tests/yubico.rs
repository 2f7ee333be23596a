//! YubiKeys (Yubico OTP): a key imported from the personalization tool's
//! log, with OTPs made by the independent `yubiotp` package (scripts/test's
//! venv), is accepted once per OTP through the API and RADIUS (radclient);
//! replays, older counters and another key's OTPs are rejected; PIN + OTP
//! works; a key is enrolled by its AES key and a first OTP.

mod common;
mod radius_peers;

use std::path::Path;
use std::process::Command;

use common::*;
use countersign_testkit::{python, TempDir};
use radius_peers::*;
use serde_json::json;

const KEY: &str = "ecde18dbe76fbd0c33330f1c354871db";
const UID: &str = "8792ebfe26cc";
const PUBLIC: &str = "vvccccfhcbvd";
const SECRET: &str = "yubi-radius-secret-01";

/// `count` OTPs from yubiotp for (key, private id, public id) at usage counter `usage`.
fn otps(key: &str, uid: &str, public: &str, usage: u32, session: u32, count: u32) -> Vec<String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/yubiotp_make.py");
    let out = Command::new(python())
        .args([
            script,
            key,
            uid,
            public,
            &usage.to_string(),
            &session.to_string(),
            &count.to_string(),
        ])
        .output()
        .expect("python with yubiotp (scripts/test installs it)");
    assert!(out.status.success(), "yubiotp: {}", stderr(&out));
    stdout(&out).lines().map(str::to_string).collect()
}

fn log_file(dir: &Path) -> String {
    let path = dir.join("configuration_log.csv");
    let line =
        format!("Yubico OTP,12/03/2026 10:00,1,{PUBLIC},{UID},{KEY},,,0,0,0,0,0,0,0,0,0,0\n");
    std::fs::write(&path, line).expect("write");
    path.display().to_string()
}

#[tokio::test]
async fn imported_yubikey_through_the_api_and_radius() {
    let dir = TempDir::new("yubico");
    let secret_path = secret_file(dir.path(), "nas.secret", SECRET);
    let node = RadiusNode::start(
        &Db::sqlite(),
        &[&[
            "--name",
            "nas",
            "--address",
            "127.0.0.1/32",
            "--secret-file",
            &secret_path,
        ]],
    )
    .await;
    let server = &node.server;
    let report = server.cli_json(&[
        "token",
        "import",
        &log_file(dir.path()),
        "--format",
        "yubico",
    ]);
    assert_eq!(report["imported"], 1, "{report}");
    server.cli_ok(&["user", "add", "yuki"]);
    server.cli_ok(&["token", "assign", "yuki", PUBLIC]);
    let api = &node.api;
    let verify = |code: String| async move { api.verify("yuki", &code).await };

    let made = otps(KEY, UID, PUBLIC, 5, 0, 4);
    let first = verify(made[0].clone()).await;
    assert_eq!(first["result"], "accepted", "{first}");
    assert_eq!(
        node.audit("yuki").await[0]["method"],
        "yubico",
        "the audit names the method"
    );
    assert_eq!(
        verify(made[0].clone()).await["reason"],
        "code_reused",
        "a replay"
    );
    assert_eq!(
        verify(made[2].clone()).await["result"],
        "accepted",
        "a later touch"
    );
    assert_eq!(
        verify(made[1].clone()).await["reason"],
        "code_reused",
        "an older session counter"
    );
    let older = otps(KEY, UID, PUBLIC, 4, 10, 1);
    assert_eq!(
        verify(older[0].clone()).await["reason"],
        "code_reused",
        "an older usage counter"
    );
    let wrong = otps("00112233445566778899aabbccddeeff", UID, PUBLIC, 9, 0, 1);
    assert_eq!(
        verify(wrong[0].clone()).await["reason"],
        "code_invalid",
        "another key"
    );
    let other_uid = otps(KEY, "000000000000", PUBLIC, 9, 0, 1);
    assert_eq!(
        verify(other_uid[0].clone()).await["reason"],
        "code_invalid",
        "another private id"
    );

    let pap = |code: &str| {
        format!("User-Name = \"yuki\", User-Password = \"{code}\", Message-Authenticator = 0x00")
    };
    radclient(node.port, SECRET, &pap(&made[3]))
        .await
        .expect("Access-Accept", "an OTP over RADIUS");
    radclient(node.port, SECRET, &pap(&made[3]))
        .await
        .expect("Access-Reject", "the same OTP again");

    api.put_json("/api/v1/users/yuki/pin", json!({"pin": "2468"}))
        .await
        .expect(204, "set a PIN");
    let next = otps(KEY, UID, PUBLIC, 6, 0, 2);
    assert_eq!(
        verify(next[0].clone()).await["reason"],
        "code_malformed",
        "the PIN is needed now"
    );
    assert_eq!(
        verify(format!("2468{}", next[1])).await["result"],
        "accepted",
        "PIN + OTP"
    );
    let later = otps(KEY, UID, PUBLIC, 7, 0, 1);
    radclient(node.port, SECRET, &pap(&format!("1357{}", later[0])))
        .await
        .expect("Access-Reject", "a wrong PIN");
}

#[tokio::test]
async fn a_yubikey_is_enrolled_by_its_key_and_a_first_otp() {
    let server = Server::start(&Db::sqlite()).await;
    let api = server.api(&server.create_key("ops", "admin,verify"));
    api.post("/api/v1/users", json!({"username": "kai"}))
        .await
        .expect(201, "user");
    let key = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let made = otps(key, "a1b2c3d4e5f6", "cccccbdefghi", 1, 0, 3);
    let wrong_key = json!({"type": "YubiCo", "secret": KEY, "code": made[0]});
    api.post("/api/v1/users/kai/tokens", wrong_key)
        .await
        .expect_error(422, "invalid_request", "the OTP is another key's");
    let body = json!({"type": "yubico", "secret": key, "code": made[0]});
    let token = api
        .post("/api/v1/users/kai/tokens", body.clone())
        .await
        .expect(201, "enrol")
        .clone();
    assert_eq!(
        (&token["type"], &token["serial"]),
        (&json!("yubico"), &json!("cccccbdefghi")),
        "{token}"
    );
    api.post("/api/v1/users/kai/tokens", body)
        .await
        .expect_error(409, "conflict", "the same key twice");
    assert_eq!(
        api.verify("kai", &made[0]).await["reason"],
        "code_reused",
        "the enrolment OTP is used up"
    );
    assert_eq!(api.verify("kai", &made[1]).await["result"], "accepted");
    let view = api.get("/api/v1/users/kai/tokens").await;
    assert!(!view.text.contains(key), "never the key");
}
