//! A revoked API key stops working at once on every node. On PostgreSQL
//! nodes cache verified keys; the revocation (here by the CLI, another
//! process) tells every node through NOTIFY, and the very next request
//! with the key is refused on both.

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_stops_working_at_once_on_two_postgres_nodes() {
    let db = Db::postgres().await;
    let first = Server::start(&db).await;
    let second = Server::start(&db).await;
    for node in [&first, &second] {
        wait_for_log(node, "listening for API key revocations").await;
    }
    let key = first.create_key("billing", "verify,admin");
    let other = first.create_key("ops", "admin");
    for round in 0..3 {
        // Used on both nodes, so both have it cached once they listen.
        for node in [&first, &second] {
            node.api(&key)
                .get("/api/v1/users")
                .await
                .expect(200, &format!("the live key works (round {round})"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let revoked = second.cli_json(&["apikey", "revoke", "billing"]);
    assert_eq!(revoked, serde_json::json!({"revoked": "billing"}));
    for (name, node) in [("first", &first), ("second", &second)] {
        node.api(&key).get("/api/v1/users").await.expect_error(
            401,
            "unauthorized",
            &format!("the revoked key on the {name} node"),
        );
        node.api(&other)
            .get("/api/v1/users")
            .await
            .expect(200, "another key still works");
    }
}

/// Waits until the node's log says it hears revocations (so it caches keys).
async fn wait_for_log(node: &Server, line: &str) {
    for _ in 0..500 {
        if node.stderr().contains(line) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the node never logged '{line}':\n{}", node.stderr());
}
