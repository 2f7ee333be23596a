//! The console's audit download (`/admin/audit.csv`) defuses formulas: a
//! user name typed at a door as `=HYPERLINK(...)` (or starting with `+`,
//! `-`, `@`, tab or CR) is written with a leading `'`, so a spreadsheet
//! shows it as text.

mod common;

use common::console::{add_admin, Visitor};
use common::*;
use serde_json::json;

#[tokio::test]
async fn the_audit_csv_defuses_every_formula_start() {
    let server = Server::start(&Db::sqlite()).await;
    let api = server.api(&server.create_key("csv", "verify,admin"));
    let names = [
        "=HYPERLINK(\"http://evil.example\",\"x\")",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1+1",
    ];
    for name in names {
        let reply = api
            .post(
                "/api/v1/verify",
                json!({"username": name, "code": "123456"}),
            )
            .await;
        assert!(reply.status < 500, "verify as {name:?}: {}", reply.text);
    }
    add_admin(&server, "root", "admin");
    let mut root = Visitor::new(&server.base());
    root.sign_in("root").await;
    let csv = root.get("/admin/audit.csv").await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    for name in names {
        let defused = countersign_domain::admin::csv::field(name);
        assert!(
            defused.starts_with("'") || defused.starts_with("\"'"),
            "{defused:?}"
        );
        assert!(
            csv.body.contains(&defused),
            "{name:?} should be written as {defused:?}:\n{}",
            csv.body
        );
        for line in csv.body.lines() {
            let cells: Vec<&str> = line.split(',').collect();
            assert!(
                cells
                    .get(1)
                    .is_none_or(|cell| !cell.starts_with(['=', '+', '-', '@', '\t', '\r'])),
                "a cell starts a formula: {line:?}"
            );
        }
    }
}
