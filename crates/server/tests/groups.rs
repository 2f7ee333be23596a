//! Local groups through every door that keeps them: the API
//! (`/api/v1/groups`: create, list with counts, show, members added and
//! removed, delete; a taken name, an unknown user, a member twice, each
//! refused in words), the CLI (`countersign group add|members|remove|list`)
//! and the console (the groups page, a new group, a member added and
//! removed by an editor, read-only for an auditor). A user's groups are
//! in the user API view and on the console's user page. Directory groups
//! are in `directory_groups.rs`.

mod common;

use common::console::{add_admin, Visitor};
use common::*;
use serde_json::{json, Value};

fn names(list: &Value) -> Vec<(String, i64)> {
    list["groups"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .map(|g| {
                    let name = g["name"].as_str().unwrap_or_default().to_string();
                    (name, g["member_count"].as_i64().unwrap_or(-1))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn local_groups_through_the_api_the_cli_and_the_console() {
    let db = Db::sqlite();
    let server = Server::start(&db).await;
    let api = server.api(&server.create_key("groups", "verify,admin"));
    for name in ["alice", "bob"] {
        api.post("/api/v1/users", json!({ "username": name }))
            .await
            .expect(201, name);
    }

    // The API: made, named without case, members added and removed.
    let made = api
        .post("/api/v1/groups", json!({"name": "Contractors"}))
        .await;
    assert_eq!(made.expect(201, "create")["source"], "local");
    api.post("/api/v1/groups", json!({"name": "contractors"}))
        .await
        .expect_error(409, "conflict", "the same name in another case");
    api.post("/api/v1/groups", json!({"name": " "}))
        .await
        .expect_error(422, "invalid_request", "a blank name");
    let added = api
        .post(
            "/api/v1/groups/contractors/members",
            json!({"username": "alice"}),
        )
        .await;
    assert_eq!(added.expect(201, "add alice")["members"], json!(["alice"]));
    api.post(
        "/api/v1/groups/Contractors/members",
        json!({"username": "alice"}),
    )
    .await
    .expect_error(409, "conflict", "alice twice");
    api.post(
        "/api/v1/groups/Contractors/members",
        json!({"username": "nobody"}),
    )
    .await
    .expect_error(404, "not_found", "an unknown user");
    api.post("/api/v1/groups/nothing/members", json!({"username": "bob"}))
        .await
        .expect_error(404, "not_found", "an unknown group");
    api.post("/api/v1/groups", json!({"name": "Admins"}))
        .await
        .expect(201, "admins");
    api.post(
        "/api/v1/groups/Admins/members",
        json!({"username": "alice"}),
    )
    .await
    .expect(201, "alice an admin");
    let list = api.get("/api/v1/groups").await;
    assert_eq!(
        names(list.expect(200, "list")),
        [("Admins".to_string(), 1), ("Contractors".to_string(), 1)]
    );
    let alice = api.get("/api/v1/users/alice").await;
    assert_eq!(
        alice.expect(200, "alice")["groups"],
        json!(["Admins", "Contractors"])
    );
    let users = api.get("/api/v1/users").await;
    assert!(
        users.body["users"][0].get("groups").is_none(),
        "lists leave groups out: {}",
        users.body
    );
    let gone = api.delete("/api/v1/groups/Contractors/members/alice").await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    api.delete("/api/v1/groups/Contractors/members/alice")
        .await
        .expect_error(404, "not_found", "not a member any more");
    let shown = api.get("/api/v1/groups/contractors").await;
    assert_eq!(shown.expect(200, "show")["members"], json!([]));

    // The CLI: the same groups.
    server.cli_ok(&["group", "add", "Auditors"]);
    let members = server.cli_json(&[
        "group", "members", "Auditors", "--add", "bob", "--add", "alice",
    ]);
    assert_eq!(members["members"], json!(["alice", "bob"]));
    let members = server.cli_json(&["group", "members", "auditors", "--remove", "alice"]);
    assert_eq!(members["members"], json!(["bob"]));
    let twice = server.cli(&["group", "add", "AUDITORS"]);
    assert!(!twice.status.success());
    assert!(
        stderr(&twice).contains("already exists"),
        "{}",
        stderr(&twice)
    );
    let listed = server.cli_json(&["group", "list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(3), "{listed}");
    server.cli_ok(&["group", "remove", "auditors"]);
    api.get("/api/v1/groups/Auditors")
        .await
        .expect_error(404, "not_found", "removed by the CLI");
    assert_eq!(api.delete("/api/v1/groups/Contractors").await.status, 204);

    console_groups(&server).await;
}

async fn console_groups(server: &Server) {
    add_admin(server, "desk", "helpdesk");
    add_admin(server, "reader", "auditor");
    let mut desk = Visitor::new(&server.base());
    desk.sign_in("desk").await;
    let page = desk.get("/admin/groups").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(">Admins</a>"), "{}", page.body);
    let made = desk
        .post_owned(
            "/admin/groups",
            &[("csrf", page.csrf()), ("name", "Office".into())],
        )
        .await;
    assert_eq!(made.location(), "/admin/groups/Office", "{}", made.body);
    let office = desk.get("/admin/groups/Office").await;
    let form = [("csrf", office.csrf()), ("username", "bob".to_string())];
    let added = desk.post_owned("/admin/groups/Office/members", &form).await;
    assert_eq!(added.location(), "/admin/groups/Office", "{}", added.body);
    let office = desk.get("/admin/groups/Office").await;
    assert!(office.body.contains("id=\"member-1\""), "{}", office.body);
    let unknown = [("csrf", office.csrf()), ("username", "nobody".to_string())];
    let refused = desk
        .post_owned("/admin/groups/Office/members", &unknown)
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("nobody"), "{}", refused.body);
    let user = desk.get("/admin/users/bob").await;
    assert!(
        user.body
            .contains("href=\"/admin/groups/Office\">Office</a>"),
        "the user page lists the groups: {}",
        user.body
    );
    let removed = desk
        .post_owned(
            "/admin/groups/Office/members/bob/remove",
            &[("csrf", office.csrf())],
        )
        .await;
    assert_eq!(removed.location(), "/admin/groups/Office");
    assert!(desk
        .get("/admin/groups/Office")
        .await
        .body
        .contains("id=\"no-members\""));

    // An auditor reads, and cannot change.
    let mut reader = Visitor::new(&server.base());
    reader.sign_in("reader").await;
    let page = reader.get("/admin/groups").await;
    assert!(!page.body.contains("id=\"create-group\""), "{}", page.body);
    let refused = reader
        .post_owned(
            "/admin/groups",
            &[("csrf", page.csrf()), ("name", "Nope".into())],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
}
