//! `POST /api/v1/tokens/import` and the pool over HTTP: 10,000 tokens with
//! 3 bad lines, an idempotent rerun, bad files refused in the error shape,
//! and a pool token assigned (proven by a code) that then verifies.

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn csv_of_10000_sqlite() {
    csv_of_10000(Db::sqlite()).await;
}

#[tokio::test]
async fn csv_of_10000_postgres() {
    csv_of_10000(Db::postgres().await).await;
}

#[tokio::test]
async fn bad_files_and_assignment_sqlite() {
    bad_files_and_assignment(Db::sqlite()).await;
}

const HEX: &str = "3132333435363738393031323334353637383930";

async fn upload(api: &Api, query: &str, content_type: &str, body: Vec<u8>) -> Reply {
    let request = api
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/tokens/import{query}"),
        )
        .header("content-type", content_type)
        .body(body)
        // 10,000 lines on a debug build that shares 2 cores with other tests.
        .timeout(std::time::Duration::from_secs(180));
    api.send(request).await
}

/// 10,000 lines, of which lines 1,001, 5,002 and 9,003 (counting the header) are bad.
fn big_csv() -> Vec<u8> {
    let mut text = String::from("serial,secret,type,digits,period_or_counter,algorithm\n");
    for i in 0..10_000 {
        let line = match i {
            999 => format!("T{i:05},not a secret!,totp,6,30,sha1\n"),
            5_000 => format!("T{i:05},{HEX},totp,6,45,sha1\n"),
            9_001 => format!("T{i:05},{HEX},totp\n"),
            _ => format!("T{i:05},{HEX},totp,6,30,SHA256\n"),
        };
        text.push_str(&line);
    }
    text.into_bytes()
}

async fn csv_of_10000(db: Db) {
    let server = Server::start(&db).await;
    let api = server.api(&server.create_key("ops", "admin"));
    let dry = upload(&api, "?dry_run=true", "text/csv", big_csv()).await;
    assert_eq!(dry.expect(200, "dry run")["imported"], 9_997);
    let page = api.get("/api/v1/tokens?limit=5").await;
    assert_eq!(
        page.expect(200, "list")["tokens"],
        json!([]),
        "a dry run imports nothing"
    );
    let started = std::time::Instant::now();
    let reply = upload(&api, "", "text/csv", big_csv()).await;
    let report = reply.expect(200, "import").clone();
    eprintln!("10,000 tokens imported in {:?}", started.elapsed());
    assert_eq!(
        (&report["imported"], &report["duplicates"]),
        (&json!(9_997), &json!(0)),
        "{report}"
    );
    let failed: Vec<(u64, &str)> = report["failed"]
        .as_array()
        .expect("failed")
        .iter()
        .map(|f| {
            (
                f["at"].as_u64().unwrap_or(0),
                f["serial"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        failed,
        [(1_001, "T00999"), (5_002, "T05000"), (9_003, "T09001")]
    );
    let again = upload(&api, "", "text/csv", big_csv()).await;
    let again = again.expect(200, "rerun");
    assert_eq!(
        (&again["imported"], &again["duplicates"]),
        (&json!(0), &json!(9_997)),
        "{again}"
    );
    let found = api.get("/api/v1/tokens?serial=T0999&unassigned=true").await;
    let tokens = found.expect(200, "search")["tokens"]
        .as_array()
        .expect("tokens")
        .clone();
    assert_eq!(tokens.len(), 10, "T09990..T09999");
    assert_eq!(
        (
            &tokens[0]["serial"],
            &tokens[0]["algorithm"],
            &tokens[0]["assigned_to"]
        ),
        (&json!("T09990"), &json!("SHA256"), &Value::Null)
    );
    assert!(tokens[0].get("secret").is_none(), "never the seed");
}

async fn bad_files_and_assignment(db: Db) {
    let server = Server::start(&db).await;
    let key = server.create_key("ops", "admin,verify");
    let api = server.api(&key);
    too_large(&server, &key).await;
    let cut = b"<?xml version=\"1.0\"?><KeyContainer Version=\"1.0\"><KeyPackage>".to_vec();
    let reply = upload(&api, "", "application/pskc+xml", cut).await;
    reply.expect_error(422, "import_refused", "truncated XML");
    let xxe = b"<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><KeyContainer Version=\"1.0\">&e;</KeyContainer>";
    let message = upload(&api, "", "application/pskc+xml", xxe.to_vec())
        .await
        .expect_error(422, "import_refused", "DTD");
    assert!(
        message.contains("DTD") && !message.contains("root:"),
        "{message}"
    );
    let mut latin1 = b"serial,secret,type,digits,period_or_counter,algorithm\n".to_vec();
    latin1.extend_from_slice(b"caf\xe9,3132333435363738393031323334353637383930,totp,6,30,sha1\n");
    latin1
        .extend_from_slice(format!("P1,{HEX},totp,6,30,sha1\nP2,{HEX},hotp,6,0,sha1\n").as_bytes());
    let reply = upload(&api, "", "text/csv", latin1).await;
    let report = reply.expect(200, "a non-UTF-8 line");
    assert_eq!(report["imported"], 2);
    assert!(
        report["failed"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("UTF-8"),
        "{report}"
    );
    let encrypted = std::fs::read(format!(
        "{}/../otp/tests/data/rfc6030/figure6.pskcxml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("figure 6");
    upload(&api, "", "application/pskc+xml", encrypted)
        .await
        .expect_error(422, "import_refused", "no key given");

    api.post("/api/v1/users", json!({"username": "kim"}))
        .await
        .expect(201, "user");
    let wrong = api
        .post(
            "/api/v1/users/kim/tokens",
            json!({"serial": "P1", "code": wrong_code(RFC_SECRET, 1)}),
        )
        .await;
    wrong.expect_error(422, "invalid_request", "a wrong proof");
    let mixed = api
        .post(
            "/api/v1/users/kim/tokens",
            json!({"serial": "P1", "digits": 8}),
        )
        .await;
    mixed.expect_error(422, "invalid_request", "serial with other fields");
    let assigned = api
        .post(
            "/api/v1/users/kim/tokens",
            json!({"serial": "P1", "code": totp_now(RFC_SECRET)}),
        )
        .await;
    assert_eq!(assigned.expect(201, "assign")["serial"], "P1");
    let taken = api
        .post("/api/v1/users/kim/tokens", json!({"serial": "P1"}))
        .await;
    taken.expect_error(409, "conflict", "already assigned");
    api.post("/api/v1/users/kim/tokens", json!({"serial": "P2"}))
        .await
        .expect(201, "assign HOTP");
    let verdict = api.verify("kim", &hotp(RFC_SECRET, 0)).await;
    assert_eq!(verdict["result"], "accepted", "{verdict}");
    let replay = api.verify("kim", &hotp(RFC_SECRET, 0)).await;
    assert_eq!(replay["result"], "rejected", "{replay}");
    let listed = api.get("/api/v1/tokens?serial=P").await;
    let listed = listed.expect(200, "pool")["tokens"].clone();
    assert_eq!(
        (&listed[0]["assigned_to"], &listed[1]["assigned_to"]),
        (&json!("kim"), &json!("kim")),
        "{listed}"
    );
    let reply = api
        .send(api.request(reqwest::Method::POST, "/api/v1/tokens/P2/unassign"))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let reply = api
        .send(api.request(reqwest::Method::POST, "/api/v1/tokens/P2/unassign"))
        .await;
    reply.expect_error(409, "conflict", "not assigned");
    let free = api.get("/api/v1/tokens?unassigned=true").await;
    assert_eq!(free.expect(200, "free")["tokens"][0]["serial"], "P2");
}

/// A 100 MB upload is refused from its Content-Length, before the body.
async fn too_large(server: &Server, key: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.url("").trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let head = format!(
        "POST /api/v1/tokens/import HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
        100 * 1024 * 1024
    );
    socket.write_all(head.as_bytes()).await.expect("head");
    socket
        .write_all(&vec![b'a'; 65_536])
        .await
        .expect("some of the body");
    let mut answer = vec![0u8; 4096];
    let n = socket.read(&mut answer).await.expect("an answer");
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("body_too_large") && answer.contains("split it"),
        "{answer}"
    );
}
