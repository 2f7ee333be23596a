//! Bulk user import (`POST /api/v1/users/import`, `countersign user
//! import`): 10,000 users with 5 bad lines, a rerun that changes nothing,
//! a changed phone that updates, token serials assigned from the pool,
//! languages, and welcome emails by the usual rule unless `no_email`.

mod common;

use common::*;
use countersign_testkit::TempDir;
use serde_json::{json, Value};

const HEADER: &str = "username,first_name,last_name,email,country_code,phone,extension,backup_country_code,backup_phone,default_method,enabled,token_serial,language\n";

/// 10,000 lines; lines 101, 2002, 4003, 6004 and 9005 (the header is line 1) are bad.
fn users_csv(changed_phone: bool) -> Vec<u8> {
    let mut text = String::from(HEADER);
    for i in 0..10_000 {
        let phone = if changed_phone && i == 7 {
            "7700900999"
        } else {
            "7700900123"
        };
        let line = match i {
            100 => format!("u{i:05},Ann,Lee,not-an-email,44,{phone},,,,Text message,yes,,\n"),
            2_000 => format!("u{i:05},Ann,Lee,,44,12,,,,Text message,yes,,\n"),
            4_002 => format!("u{i:05},Ann,Lee,,44,{phone},,,,Fax,yes,,\n"),
            6_003 => format!("u{i:05},Ann,Lee,,44,{phone},,,,OATH token,yes,NO-SUCH-TOKEN,\n"),
            9_004 => format!("u{i:05},Ann,Lee\n"),
            1 => format!(
                "u{i:05},Bo,Ek,bo@example.org,46,{phone},12,1,2025550123,OATH token,yes,SN1,sv\n"
            ),
            2 => format!("u{i:05},Cy,Ng,cy@example.org,44,{phone},,,,Mobile app,no,,de\n"),
            _ => format!("u{i:05},First{i},Last,,44,{phone},,,,Text message,yes,,\n"),
        };
        text.push_str(&line);
    }
    text.into_bytes()
}

async fn upload(api: &Api, query: &str, body: Vec<u8>) -> Reply {
    let request = api
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/users/import{query}"),
        )
        .header("content-type", "text/csv")
        .body(body)
        // 10,000 lines on a debug build that shares 2 cores with other tests.
        .timeout(std::time::Duration::from_secs(180));
    api.send(request).await
}

async fn messages(api: &Api) -> usize {
    let all = api.get("/api/v1/messages?limit=100").await;
    all.body["messages"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn ten_thousand_users_sqlite() {
    ten_thousand_users(Db::sqlite()).await;
}

#[tokio::test]
async fn ten_thousand_users_postgres() {
    ten_thousand_users(Db::postgres().await).await;
}

async fn ten_thousand_users(db: Db) {
    // Mail goes nowhere (a closed port): the welcome emails wait in the outbox.
    let env = [
        ("COUNTERSIGN_SMTP_HOST", "127.0.0.1"),
        ("COUNTERSIGN_SMTP_PORT", "9"),
        ("COUNTERSIGN_SMTP_TLS", "none"),
    ];
    let server = Server::start_with(&db, &env).await;
    let api = server.api(&server.create_key("ops", "admin"));
    let tokens = "serial,secret,type,digits,period_or_counter,algorithm\nSN1,3132333435363738393031323334353637383930,totp,6,30,sha1\n";
    let request = api
        .request(reqwest::Method::POST, "/api/v1/tokens/import")
        .header("content-type", "text/csv")
        .body(tokens);
    api.send(request).await.expect(200, "a token for the pool");

    let dry = upload(&api, "?dry_run=true", users_csv(false)).await;
    assert_eq!(dry.expect(200, "dry run")["created"], 9_995);
    assert_eq!(
        api.get("/api/v1/users/u00001").await.status,
        404,
        "a dry run creates nobody"
    );
    let started = std::time::Instant::now();
    let first = upload(&api, "", users_csv(false))
        .await
        .expect(200, "import")
        .clone();
    eprintln!("10,000 users imported in {:?}", started.elapsed());
    assert_eq!(
        (&first["created"], &first["updated"]),
        (&json!(9_995), &json!(0)),
        "{first}"
    );
    let failed: Vec<(u64, &str)> = first["failed"]
        .as_array()
        .expect("failed")
        .iter()
        .map(|f| {
            (
                f["at"].as_u64().unwrap_or(0),
                f["username"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        failed,
        [
            (102, "u00100"),
            (2_002, "u02000"),
            (4_004, "u04002"),
            (6_005, "u06003"),
            (9_006, "u09004")
        ],
        "{first}"
    );
    let reasons: Vec<&str> = first["failed"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["reason"].as_str())
        .collect();
    assert!(
        reasons[0].contains("email")
            && reasons[3].contains("NO-SUCH-TOKEN")
            && reasons[4].contains("columns"),
        "{reasons:?}"
    );

    let bo = api
        .get("/api/v1/users/u00001")
        .await
        .expect(200, "bo")
        .clone();
    assert_eq!(
        (
            &bo["display_name"],
            &bo["phone"],
            &bo["default_method"],
            &bo["language"]
        ),
        (
            &json!("Bo Ek"),
            &json!("+467700900123"),
            &json!("otp"),
            &json!("sv")
        ),
        "{bo}"
    );
    let cy = api
        .get("/api/v1/users/u00002")
        .await
        .expect(200, "cy")
        .clone();
    assert_eq!(
        (&cy["enabled"], &cy["default_method"], &cy["language"]),
        (&json!(false), &json!("push"), &json!("de")),
        "{cy}"
    );
    let pool = api.get("/api/v1/tokens?serial=SN1").await;
    assert_eq!(
        pool.expect(200, "pool")["tokens"][0]["assigned_to"],
        "u00001"
    );
    assert_eq!(
        messages(&api).await,
        1,
        "one welcome: bo has an email and a token; cy is disabled"
    );

    let again = upload(&api, "", users_csv(false))
        .await
        .expect(200, "rerun")
        .clone();
    assert_eq!(
        (&again["created"], &again["updated"], &again["unchanged"]),
        (&json!(0), &json!(0), &json!(9_995)),
        "{again}"
    );
    let changed = upload(&api, "?no_email=true", users_csv(true))
        .await
        .expect(200, "a changed phone")
        .clone();
    assert_eq!(
        (&changed["updated"], &changed["unchanged"]),
        (&json!(1), &json!(9_994)),
        "{changed}"
    );
    assert_eq!(
        api.get("/api/v1/users/u00007").await.expect(200, "u7")["phone"],
        "+447700900999"
    );
    assert_eq!(messages(&api).await, 1, "no new email");

    api.post("/api/v1/users", json!({"username": "import"}))
        .await
        .expect(201, "a user named import");
    assert_eq!(
        api.get("/api/v1/users/import")
            .await
            .expect(200, "still shown")["username"],
        "import"
    );
    let patched = api
        .patch("/api/v1/users/import", json!({"language": "fr"}))
        .await;
    assert_eq!(patched.expect(200, "still updated")["language"], "fr");
    assert_eq!(api.delete("/api/v1/users/import").await.status, 204);
}

#[tokio::test]
async fn the_cli_imports_and_refuses_a_file_without_usernames() {
    let server = Server::new(&Db::sqlite());
    let dir = TempDir::new("user-import");
    let path = dir.path().join("users.csv");
    std::fs::write(&path, format!("{HEADER}ann,Ann,Lee,ann@example.org,44,7700900123,,,,Text message,yes,,en\nbad,,,x,,,,,,,,,\n")).expect("write");
    let out = server.cli(&[
        "--json",
        "user",
        "import",
        &path.to_string_lossy(),
        "--no-email",
    ]);
    assert_eq!(out.status.code(), Some(1), "a failed line makes exit 1");
    let report: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(
        (&report["created"], &report["failed"][0]["at"]),
        (&json!(1), &json!(3)),
        "{report}"
    );
    let shown = server.cli_json(&["user", "show", "ann"]);
    assert_eq!(
        (&shown["phone"], &shown["language"]),
        (&json!("+447700900123"), &json!("en")),
        "{shown}"
    );
    std::fs::write(&path, "name,email\nann,ann@example.org\n").expect("write");
    let out = server.cli(&["user", "import", &path.to_string_lossy()]);
    assert!(
        stderr(&out).contains("no 'username' column"),
        "{}",
        stderr(&out)
    );
}
