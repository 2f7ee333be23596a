//! Sign-in rules through the real doors (issue 28), on PostgreSQL: a group
//! rule allowing only push for group A and only TOTP for group B, each
//! refused the other's method through the API and RADIUS (radclient); a
//! trusted network skipping the second factor at the API and RADIUS while
//! the same user from another address is asked; a rule scoped to one RADIUS
//! client only (a second NAS on 127.0.0.2); `/api/v1/rules` validation,
//! order and the tester. The deny-by-time-window rule is tested on the
//! engine's fixed clock (crates/testkit/tests/engine/rules.rs) and here
//! through the tester's `at`.

mod common;
mod device;
mod radius_peers;

use std::time::Duration;

use common::*;
use countersign_domain::model::group::Group;
use countersign_domain::ports::{GroupStore, UserStore};
use countersign_radius::{attr, Attribute, Code};
use countersign_store::{open, SqlStore, StoreOptions};
use device::Device;
use radius_peers::*;
use serde_json::{json, Value};

const SECRET: &str = "vpn-shared-secret-0123";

fn client(name: &str, address: &str) -> Vec<String> {
    [
        "--name",
        name,
        "--address",
        address,
        "--secret",
        SECRET,
        "--flow",
        "challenge",
    ]
    .map(String::from)
    .to_vec()
}

async fn store_of(db: &Db) -> SqlStore {
    let options = StoreOptions {
        url: db.url().expect("PostgreSQL").to_string(),
        max_connections: 2,
        acquire_timeout: countersign_store::ACQUIRE_TIMEOUT,
        migrate: false,
    };
    open(&options).await.expect("open the store")
}

/// Puts `username` in the local group `group` (the groups API is helper
/// work of its own; the store's port is what it calls).
async fn join(store: &SqlStore, group: &str, username: &str) {
    let found = store.group_by_name(group).await.expect("read");
    let group = match found {
        Some(g) => g,
        None => {
            let g = Group::local(group, 0);
            store.create_group(&g).await.expect("create group");
            g
        }
    };
    let user = store
        .user_by_name(username)
        .await
        .expect("read")
        .expect("user");
    store
        .add_group_member(&group.id, &user.id)
        .await
        .expect("member");
}

fn access(user: &str, password: &str, calling: Option<&str>) -> String {
    let calling = calling.map_or(String::new(), |c| format!(", Calling-Station-Id = \"{c}\""));
    format!("User-Name = \"{user}\", User-Password = \"{password}\"{calling}, Message-Authenticator = 0x00")
}

async fn node(db: &Db, clients: &[Vec<String>]) -> RadiusNode {
    let clients: Vec<Vec<&str>> = clients
        .iter()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    let refs: Vec<&[&str]> = clients.iter().map(Vec::as_slice).collect();
    RadiusNode::start_with(db, &[("COUNTERSIGN_RADIUS_HOLD_SECONDS", "2")], &refs).await
}

#[tokio::test]
async fn group_rules_refuse_each_group_the_others_method_at_the_api_and_radius() {
    let db = Db::postgres().await;
    let node = node(&db, &[client("vpn", "127.0.0.1")]).await;
    let store = store_of(&db).await;
    for user in ["anna", "bert"] {
        node.user_with_token(user, "totp").await;
        let _phone = Device::enrol(&node.api, &node.server.base(), user).await;
    }
    join(&store, "group-a", "anna").await;
    join(&store, "group-b", "bert").await;
    node.api
        .post("/api/v1/rules", json!({"name": "a-push", "groups": ["group-a"], "outcome": "allow", "methods": ["push"]}))
        .await
        .expect(201, "rule a-push");
    node.api
        .post("/api/v1/rules", json!({"name": "b-totp", "groups": ["group-b"], "outcome": "allow", "methods": ["otp"]}))
        .await
        .expect(201, "rule b-totp");

    // The API: anna's TOTP code and bert's push are refused; anna's push runs.
    let anna = node.api.verify("anna", &totp_now(RFC_SECRET)).await;
    assert_eq!(anna["reason"], "method_not_allowed", "{anna}");
    let bert_push = node
        .api
        .post(
            "/api/v1/verify",
            json!({"username": "bert", "method": "push"}),
        )
        .await;
    assert_eq!(
        bert_push.expect(200, "bert push")["reason"],
        "method_not_allowed"
    );
    let anna_push = node
        .api
        .post(
            "/api/v1/verify",
            json!({"username": "anna", "method": "push"}),
        )
        .await;
    assert_eq!(anna_push.expect(200, "anna push")["result"], "pending");
    let record = audit_record(
        &node.audit("anna").await,
        "rejected",
        Some("method_not_allowed"),
    )
    .clone();
    assert_eq!(record["rule"], "a-push", "{record}");

    // RADIUS (challenge flow, no first factor): the method words.
    let code = radclient(node.port, SECRET, &access("anna", "code", None)).await;
    code.expect("Access-Reject", "anna asks for the code prompt");
    assert!(
        code.reply_message().contains("method_not_allowed"),
        "{}",
        code.output
    );
    let push = radclient(node.port, SECRET, &access("bert", "push", None)).await;
    push.expect("Access-Reject", "bert asks for a push");
    assert!(
        push.reply_message().contains("method_not_allowed"),
        "{}",
        push.output
    );
    let first = radclient(node.port, SECRET, &access("bert", "", None)).await;
    first.expect("Access-Challenge", "bert is asked for his code");
    let state = first.attr("State").expect("a State");
    let answer = format!(
        "User-Name = \"bert\", User-Password = \"{}\", State = {state}, Message-Authenticator = 0x00",
        totp_now(RFC_SECRET)
    );
    radclient(node.port, SECRET, &answer)
        .await
        .expect("Access-Accept", "bert's code");
}

#[tokio::test]
async fn a_trusted_network_skips_the_second_factor_only_from_there() {
    let db = Db::postgres().await;
    let node = node(&db, &[client("vpn", "127.0.0.1")]).await;
    node.user_with_token("carl", "totp").await;
    let _phone = Device::enrol(&node.api, &node.server.base(), "carl").await;
    node.api
        .post("/api/v1/rules", json!({"name": "office", "networks": ["10.1.0.0/16", "2001:db8::/32"], "outcome": "skip_second_factor"}))
        .await
        .expect(201, "rule office");

    // The API: the caller reports the user's address.
    let push = |address: &str| json!({"username": "carl", "method": "push", "context": {"client_address": address}});
    let inside = node.api.post("/api/v1/verify", push("10.1.2.3")).await;
    let inside = inside.expect(200, "from the office").clone();
    assert_eq!(
        (inside["result"].as_str(), inside["reason"].as_str()),
        (Some("accepted"), Some("trusted_network")),
        "{inside}"
    );
    let outside = node.api.post("/api/v1/verify", push("203.0.113.5")).await;
    assert_eq!(outside.expect(200, "from elsewhere")["result"], "pending");
    let record = audit_record(
        &node.audit("carl").await,
        "accepted",
        Some("trusted_network"),
    )
    .clone();
    assert_eq!(record["rule"], "office", "{record}");

    // RADIUS: the address the NAS reports in Calling-Station-Id.
    radclient(node.port, SECRET, &access("carl", "", Some("10.1.40.2")))
        .await
        .expect("Access-Accept", "from the office, no second factor");
    let asked = radclient(
        node.port,
        SECRET,
        &access("carl", "code", Some("198.51.100.7")),
    )
    .await;
    asked.expect("Access-Challenge", "from elsewhere: asked for the code");
    // The NAS itself is 127.0.0.1: a rule on it only matches with network_of door.
    let nas_rule = json!({"name": "nas", "networks": ["127.0.0.0/8"], "outcome": "deny"});
    node.api
        .post("/api/v1/rules", nas_rule)
        .await
        .expect(201, "rule nas");
    radclient(
        node.port,
        SECRET,
        &access("carl", "code", Some("198.51.100.7")),
    )
    .await
    .expect("Access-Challenge", "the NAS's address is not the user's");
    let by_door = json!({"name": "nas", "networks": ["127.0.0.0/8"], "network_of": "door", "outcome": "deny", "position": 0});
    node.api
        .put_json("/api/v1/rules/nas", by_door)
        .await
        .expect(200, "network_of door");
    let denied = radclient(
        node.port,
        SECRET,
        &access("carl", "code", Some("10.1.40.2")),
    )
    .await;
    denied.expect("Access-Reject", "the rule on the NAS's address, first");
    let record = audit_record(
        &node.audit("carl").await,
        "rejected",
        Some("denied_by_rule"),
    )
    .clone();
    assert_eq!(record["rule"], "nas", "{record}");
}

#[tokio::test]
async fn a_rule_scoped_to_one_radius_client_leaves_the_other_alone() {
    let db = Db::postgres().await;
    let node = node(
        &db,
        &[client("vpn", "127.0.0.1"), client("wifi", "127.0.0.2")],
    )
    .await;
    node.user_with_token("dora", "totp").await;
    node.api
        .post(
            "/api/v1/rules",
            json!({"name": "no-wifi", "doors": ["radius:wifi"], "outcome": "deny"}),
        )
        .await
        .expect(201, "rule no-wifi");
    radclient(node.port, SECRET, &access("dora", "", None))
        .await
        .expect("Access-Challenge", "the vpn client is not in the rule");
    let wifi = Nas::bind("127.0.0.2", node.port, SECRET).await;
    let request = wifi.request(7, "dora", "", Vec::new());
    let answer = wifi.ask(&request, Duration::from_secs(5)).await;
    assert_eq!(
        answer.code,
        Code::AccessReject,
        "{}",
        reply_message(&answer)
    );
    let record = audit_record(
        &node.audit("dora").await,
        "rejected",
        Some("denied_by_rule"),
    )
    .clone();
    assert_eq!(
        (record["rule"].as_str(), record["api_key"].as_str()),
        (Some("no-wifi"), Some("radius:wifi"))
    );
    // Framed-IP-Address stands in when Calling-Station-Id is a MAC.
    node.api
        .post("/api/v1/rules", json!({"name": "lab", "networks": ["172.16.0.0/12"], "outcome": "skip_second_factor", "position": 0}))
        .await
        .expect(201, "rule lab");
    let extra = vec![
        Attribute::new(attr::CALLING_STATION_ID, "00-11-22-33-44-55"),
        Attribute::new(attr::FRAMED_IP_ADDRESS, vec![172, 16, 0, 9]),
    ];
    let request = wifi.request(8, "dora", "", extra);
    let answer = wifi.ask(&request, Duration::from_secs(5)).await;
    assert_eq!(
        answer.code,
        Code::AccessAccept,
        "{}",
        reply_message(&answer)
    );
}

fn error_of(reply: &Reply) -> String {
    reply.body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn rules_are_checked_ordered_and_tested() {
    let db = Db::postgres().await;
    let node = node(&db, &[client("vpn", "127.0.0.1")]).await;
    node.user_with_token("erik", "totp").await;
    let bad: [(Value, &str); 7] = [
        (
            json!({"name": "x", "networks": ["10.0.0.0/33"], "outcome": "deny"}),
            "10.0.0.0/33",
        ),
        (
            json!({"name": "x", "hours": "8-18", "outcome": "deny"}),
            "time window",
        ),
        (
            json!({"name": "x", "hours": "08:00-18:00", "time_zone": "Mars/Base", "outcome": "deny"}),
            "time zone",
        ),
        (
            json!({"name": "x", "methods": ["carrier-pigeon"], "outcome": "allow"}),
            "carrier-pigeon",
        ),
        (
            json!({"name": "x", "doors": ["smtp:x"], "outcome": "deny"}),
            "door",
        ),
        (json!({"name": "bad name", "outcome": "deny"}), "rule name"),
        (json!({"name": "x", "outcome": "maybe"}), "outcome"),
    ];
    for (body, words) in bad {
        let reply = node.api.post("/api/v1/rules", body.clone()).await;
        assert!(
            reply.status == 422 || reply.status == 400,
            "{body}: {}",
            reply.status
        );
        assert!(
            error_of(&reply).contains(words),
            "{body}: {}",
            error_of(&reply)
        );
    }
    let nights = json!({"name": "nights", "hours": "22:00-06:00", "time_zone": "Europe/Berlin", "outcome": "deny"});
    node.api
        .post("/api/v1/rules", nights.clone())
        .await
        .expect(201, "nights");
    node.api
        .post("/api/v1/rules", nights)
        .await
        .expect_error(409, "conflict", "a duplicate name");
    let first = json!({"name": "vpn-push", "doors": ["radius:*"], "outcome": "allow", "methods": ["push"], "position": 0});
    node.api
        .post("/api/v1/rules", first)
        .await
        .expect(201, "vpn-push");
    let listed = node.api.get("/api/v1/rules").await;
    let names: Vec<&str> = listed.expect(200, "list")["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["vpn-push", "nights"]);
    node.api
        .get("/api/v1/rules/nights")
        .await
        .expect(200, "show");

    // The tester: 23:30 in Berlin is in the window, at the API door.
    let at_night = json!({"username": "erik", "door": "api:radius-tests", "address": "192.0.2.1", "at": "2026-12-07T22:30:00Z"});
    let told = node
        .api
        .post("/api/v1/rules/test", at_night)
        .await
        .expect(200, "test")
        .clone();
    assert_eq!(
        (
            told["rule"].as_str(),
            told["decision"].as_str(),
            told["reason"].as_str()
        ),
        (Some("nights"), Some("rejected"), Some("denied_by_rule")),
        "{told}"
    );
    let by_day = json!({"username": "erik", "door": "api:radius-tests", "address": "192.0.2.1", "at": "2026-12-07T10:00:00Z"});
    let told = node
        .api
        .post("/api/v1/rules/test", by_day)
        .await
        .expect(200, "test")
        .clone();
    assert_eq!(
        (told["rule"].clone(), told["method"].as_str()),
        (Value::Null, Some("otp")),
        "{told}"
    );
    let vpn = json!({"username": "erik", "door": "radius:vpn", "address": "192.0.2.1", "at": "2026-12-07T10:00:00Z"});
    let told = node
        .api
        .post("/api/v1/rules/test", vpn)
        .await
        .expect(200, "test")
        .clone();
    assert_eq!(
        (told["rule"].as_str(), told["reason"].as_str()),
        (Some("vpn-push"), Some("method_not_allowed")),
        "{told}"
    );
    node.api
        .delete("/api/v1/rules/vpn-push")
        .await
        .expect(204, "remove");
    node.api
        .delete("/api/v1/rules/vpn-push")
        .await
        .expect_error(404, "not_found", "gone");
}

/// Rules changed on one PostgreSQL node are obeyed on the other within 10
/// seconds (each node re-reads them every 5); the CLI edits the same list.
#[tokio::test]
async fn rules_changed_on_one_node_are_obeyed_on_the_other_within_ten_seconds() {
    let db = Db::postgres().await;
    let nodes = Server::start_together(&db, 2, &[]).await;
    let key = nodes[0].create_key("rules", "verify,admin");
    let (a, b) = (nodes[0].api(&key), nodes[1].api(&key));
    a.post("/api/v1/users", json!({"username": "fred"}))
        .await
        .expect(201, "fred");
    a.post(
        "/api/v1/users/fred/tokens",
        json!({"type": "hotp", "secret": RFC_SECRET_B32}),
    )
    .await
    .expect(201, "token");
    let code = |n| json!({"username": "fred", "code": hotp(RFC_SECRET, n)});
    let verdict = |reply: Reply| reply.expect(200, "verify").clone();
    assert_eq!(
        verdict(b.post("/api/v1/verify", code(0)).await)["result"],
        "accepted"
    );

    let deny = json!({"name": "stop-rules-key", "doors": ["api:rules"], "outcome": "deny"});
    a.post("/api/v1/rules", deny).await.expect(201, "on node A");
    assert_eq!(
        verdict(a.post("/api/v1/verify", code(1)).await)["reason"],
        "denied_by_rule",
        "node A at once"
    );
    // Polled with a user who has no token (no_method, never counted), so
    // node B takes no code while it has not read the rule yet.
    a.post("/api/v1/users", json!({"username": "gina"}))
        .await
        .expect(201, "gina");
    let probe = json!({"username": "gina", "code": "123456"});
    let changed = std::time::Instant::now();
    loop {
        let there = verdict(b.post("/api/v1/verify", probe.clone()).await);
        if there["reason"] == "denied_by_rule" {
            break;
        }
        assert_eq!(there["reason"], "no_method", "{there}");
        assert!(
            changed.elapsed() < Duration::from_secs(10),
            "node B still ignores the rule"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        verdict(b.post("/api/v1/verify", code(1)).await)["reason"],
        "denied_by_rule"
    );
    // Removed with the CLI on node A: node B lets fred in again within 10 s.
    let listed = nodes[0].cli_json(&["rule", "list"]);
    assert_eq!(listed[0]["name"], "stop-rules-key", "{listed}");
    nodes[0].cli_ok(&["rule", "remove", "stop-rules-key"]);
    let removed = std::time::Instant::now();
    loop {
        let there = verdict(b.post("/api/v1/verify", probe.clone()).await);
        if there["reason"] == "no_method" {
            break;
        }
        assert!(
            removed.elapsed() < Duration::from_secs(10),
            "node B still denies: {there}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        verdict(b.post("/api/v1/verify", code(1)).await)["result"],
        "accepted"
    );
    let told = nodes[1].cli_json(&[
        "rule",
        "test",
        "fred",
        "--door",
        "api:rules",
        "--address",
        "10.0.0.1",
    ]);
    assert_eq!(
        (told["decision"].as_str(), told["method"].as_str()),
        (Some("second_factor"), Some("otp")),
        "{told}"
    );
}
