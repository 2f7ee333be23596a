//! Groups synced from a real OpenLDAP slapd (memberof overlay): the sync
//! group's members and each member's groups, a group nested in another
//! followed; directory groups are read-only at the API and the CLI; a
//! membership change in the directory makes the next run full and is
//! followed; a group emptied stays, a group deleted leaves; a local group
//! with a directory group's name keeps its own members and the run says
//! why the directory's is not synced; a rule on a group (nested member
//! included) refuses a method. The Samba AD side (nested groups)
//! is in `directory_ad.rs`.

mod common;
mod slapd;

use common::*;
use serde_json::{json, Value};
use slapd::{person, Slapd, ADMIN_DN, ADMIN_PW, BASE, GROUP};

fn group_dn(cn: &str) -> String {
    format!("cn={cn},ou=groups,{BASE}")
}

fn user_dn(uid: &str) -> String {
    format!("uid={uid},ou=people,{BASE}")
}

/// A groupOfNames whose members are these DNs.
fn group(cn: &str, members: &[String]) -> String {
    let mut ldif = format!(
        "dn: {}\nobjectClass: groupOfNames\ncn: {cn}\n",
        group_dn(cn)
    );
    for m in members {
        ldif.push_str(&format!("member: {m}\n"));
    }
    ldif.push('\n');
    ldif
}

fn sync(server: &Server) -> (i32, Value) {
    let out = server.cli(&["--json", "directory", "sync"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON from sync ({e}): {}\n{}",
            stdout(&out),
            stderr(&out)
        )
    });
    (out.status.code().unwrap_or(-1), json["report"].clone())
}

/// (name, source, members) of every group, by name.
fn groups(server: &Server) -> Vec<(String, String, Vec<String>)> {
    let list = server.cli_json(&["group", "list"]);
    let mut all = Vec::new();
    for g in list.as_array().cloned().unwrap_or_default() {
        let name = g["name"].as_str().unwrap_or_default().to_string();
        let shown = server.cli_json(&["group", "members", &name]);
        let members = shown["members"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|u| u.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        all.push((
            name,
            g["source"].as_str().unwrap_or_default().to_string(),
            members,
        ));
    }
    all
}

fn dir(name: &str, members: &[&str]) -> (String, String, Vec<String>) {
    let members = members.iter().map(|m| m.to_string()).collect();
    (name.to_string(), "directory".to_string(), members)
}

#[tokio::test]
async fn groups_follow_the_directory() {
    let slapd = Slapd::start();
    let mut people = String::new();
    for uid in ["alice", "bob", "carol", "dave"] {
        people.push_str(&person(uid, "+15550000001"));
    }
    slapd.add(&people);
    // mfa-users is the sync group; ops is nested in admins; dave is in ops
    // but not synced; "collide" is also a local group's name.
    let mut groups_ldif = group("ops", &[user_dn("bob"), user_dn("dave")]);
    groups_ldif.push_str(&group("admins", &[user_dn("alice"), group_dn("ops")]));
    groups_ldif.push_str(&group("collide", &[user_dn("carol")]));
    let synced = ["alice", "bob", "carol"].map(user_dn);
    groups_ldif.push_str(&format!(
        "dn: {GROUP}\nobjectClass: groupOfNames\ncn: mfa-users\n{}\n",
        synced
            .iter()
            .map(|m| format!("member: {m}\n"))
            .collect::<String>()
    ));
    slapd.add(&groups_ldif);
    let env = slapd.server_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut server = Server::with_env(&Db::sqlite(), &env);
    server.cli_ok(&["group", "add", "collide"]);
    server.cli_ok(&["group", "add", "local-only"]);

    let (code, first) = sync(&server);
    assert_eq!(code, 2, "the collision is an error of the run: {first}");
    assert!(
        first["errors"]
            .to_string()
            .contains("a local group is named collide"),
        "{first}"
    );
    assert_eq!(
        (first["groups"].as_u64(), first["groups_added"].as_u64()),
        (Some(4), Some(3)),
        "{first}"
    );
    assert_eq!(
        groups(&server),
        [
            dir("admins", &["alice", "bob"]),
            ("collide".into(), "local".into(), vec![]),
            ("local-only".into(), "local".into(), vec![]),
            dir("mfa-users", &["alice", "bob", "carol"]),
            dir("ops", &["bob"]),
        ],
        "nested ops counts for admins; dave is not synced"
    );

    // Read-only at the API and the CLI, in words.
    server.spawn().await;
    let api = server.api(&server.create_key("groups", "verify,admin"));
    let bob = api.get("/api/v1/users/bob").await;
    assert_eq!(
        bob.expect(200, "bob")["groups"],
        json!(["admins", "mfa-users", "ops"])
    );
    let refused = api
        .post(
            "/api/v1/groups/admins/members",
            json!({"username": "carol"}),
        )
        .await
        .expect_error(409, "conflict", "a directory group's members");
    assert!(refused.contains("kept by the directory sync"), "{refused}");
    api.delete("/api/v1/groups/ops").await.expect_error(
        409,
        "conflict",
        "removing a directory group",
    );
    let cli = server.cli(&["group", "members", "admins", "--remove", "alice"]);
    assert!(
        !cli.status.success() && stderr(&cli).contains("in the directory"),
        "{}",
        stderr(&cli)
    );

    group_rule(&api).await;

    // Nothing changed: a run of changes, groups as they were.
    let (_, quiet) = sync(&server);
    assert_eq!(quiet["scope"], "changes", "{quiet}");

    // Bob leaves ops, carol joins admins: a group changed, so the run is full.
    slapd.modify(&format!(
        "dn: {}\nchangetype: modify\ndelete: member\nmember: {}\n\n\
         dn: {}\nchangetype: modify\nadd: member\nmember: {}\n",
        group_dn("ops"),
        user_dn("bob"),
        group_dn("admins"),
        user_dn("carol")
    ));
    let (_, moved) = sync(&server);
    assert_eq!(moved["scope"], "full", "{moved}");
    let now = groups(&server);
    assert!(now.contains(&dir("admins", &["alice", "carol"])), "{now:?}");
    assert!(
        now.contains(&dir("ops", &[])),
        "ops stays, with no synced member: {now:?}"
    );
    let bob = api.get("/api/v1/users/bob").await;
    assert_eq!(bob.body["groups"], json!(["mfa-users"]));

    // ops deleted in the directory: it leaves.
    slapd.modify(&format!(
        "dn: {}\nchangetype: modify\ndelete: member\nmember: {}\n\ndn: {}\nchangetype: delete\n",
        group_dn("admins"),
        group_dn("ops"),
        group_dn("ops")
    ));
    let (_, deleted) = sync(&server);
    assert_eq!(
        (
            deleted["scope"].as_str(),
            deleted["groups_removed"].as_u64()
        ),
        (Some("full"), Some(1)),
        "{deleted}"
    );
    let names: Vec<String> = groups(&server).into_iter().map(|g| g.0).collect();
    assert_eq!(names, ["admins", "collide", "local-only", "mfa-users"]);
    let _ = (ADMIN_DN, ADMIN_PW);
}

/// A rule on admins (bob is in it only through ops, nested) allows push
/// alone: alice's and bob's codes are refused, carol's accepted.
async fn group_rule(api: &Api) {
    for name in ["alice", "bob", "carol"] {
        let token = json!({"type": "hotp", "secret": RFC_SECRET_B32});
        api.post(&format!("/api/v1/users/{name}/tokens"), token)
            .await
            .expect(201, name);
    }
    let rule = json!({"name": "admins-push-only", "groups": ["admins"], "outcome": "allow",
        "methods": ["push"]});
    api.post("/api/v1/rules", rule)
        .await
        .expect(201, "the rule");
    for (name, result) in [
        ("alice", "rejected"),
        ("bob", "rejected"),
        ("carol", "accepted"),
    ] {
        let answer = api.verify(name, &hotp(RFC_SECRET, 0)).await;
        assert_eq!(answer["result"], result, "{name}: {answer}");
        if result == "rejected" {
            assert_eq!(answer["reason"], "method_not_allowed", "{name}: {answer}");
        }
    }
    let gone = api.delete("/api/v1/rules/admins-push-only").await;
    assert_eq!(gone.status, 204, "{}", gone.text);
}
