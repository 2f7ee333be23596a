//! Active Directory specifics against a real Samba AD domain controller
//! (one DC for the whole scenario: provisioning costs most of the time):
//! objectGUID is the key (a rename keeps the user; the link holds the GUID
//! as AD writes it), accounts disabled in AD are disabled here and enabled
//! again, nested groups count and leaving one disables, a user deleted
//! from AD is disabled by the next full run, phones become E.164, an
//! incremental run reads only what changed since (uSNChanged), a plain
//! domain user is enough as the service account, and the password as
//! first factor over RADIUS (real radclient), at the portal and through
//! the LDAP bind proxy (real ldapsearch, `ad_proxy/`) takes the UPN, and is
//! refused for an account disabled in AD.

mod ad_proxy;
mod common;
mod radius_peers;
mod samba;

use std::time::{Duration, Instant};

use common::*;
use radius_peers::*;
use samba::{dn, Samba, BASE, DOMAIN};
use serde_json::{json, Value};

const SVC_PW: &str = "Svc!Pass1";
const ALICE_PW: &str = "Al1ce!Pass";
const SECRET: &str = "vpn-shared-secret-0123";

/// The directory's people: a service account (a plain domain user), alice
/// and carol (disabled) in mfa-users, bob only in mfa-admins (nested in
/// mfa-users), dave in neither.
fn populate(samba: &Samba) {
    let started = Instant::now();
    samba.user_create("svc-mfa", SVC_PW, &[]);
    samba.user_create(
        "alice",
        ALICE_PW,
        &[
            "--given-name=Alice",
            "--surname=Archer",
            &format!("--mail-address=alice@{DOMAIN}"),
        ],
    );
    samba.user_create(
        "bob",
        "B0b!Pass1",
        &[&format!("--mail-address=bob@{DOMAIN}")],
    );
    samba.user_create("carol", "C4rol!Pass", &[]);
    samba.user_create("dave", "D4ve!Pass", &[]);
    samba.group_add("mfa-users");
    samba.group_add("mfa-admins");
    samba.group_add_members("mfa-users", "alice,carol,mfa-admins");
    samba.group_add_members("mfa-admins", "bob");
    samba.user_disable("carol");
    // Phones as people type them: national, 00-prefixed, with an extension.
    samba.modify(&format!(
        "dn: {}\nchangetype: modify\nreplace: mobile\nmobile: (555) 000-0001\n-\nreplace: displayName\ndisplayName: Alice Archer\n\n\
         dn: {}\nchangetype: modify\nreplace: telephoneNumber\ntelephoneNumber: 0044 20 7946 0958\n\n\
         dn: {}\nchangetype: modify\nreplace: mobile\nmobile: +1 555 000 0003 x12\n",
        dn("alice"),
        dn("bob"),
        dn("carol")
    ));
    eprintln!(
        "samba: users, groups and phones in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn directory_env(samba: &Samba) -> Vec<(String, String)> {
    [
        ("COUNTERSIGN_DIRECTORY_URL", samba.ldaps_url()),
        ("COUNTERSIGN_DIRECTORY_KIND", "ad".into()),
        ("COUNTERSIGN_DIRECTORY_BIND_DN", dn("svc-mfa")),
        ("COUNTERSIGN_DIRECTORY_BIND_PASSWORD", SVC_PW.into()),
        (
            "COUNTERSIGN_DIRECTORY_CA_FILE",
            samba.cert().display().to_string(),
        ),
        // The domain root: AD answers continuation references there too.
        ("COUNTERSIGN_DIRECTORY_BASE_DN", BASE.into()),
        ("COUNTERSIGN_DIRECTORY_GROUP_DN", dn("mfa-users")),
        ("COUNTERSIGN_DIRECTORY_DEFAULT_COUNTRY_CODE", "1".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// `countersign directory sync EXTRA`: its report, after checking it applied.
fn sync(server: &Server, extra: &[&str]) -> Value {
    let mut args = vec!["--json", "directory", "sync"];
    args.extend_from_slice(extra);
    let out = server.cli(&args);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON from sync ({e}): {}\n{}",
            stdout(&out),
            stderr(&out)
        )
    });
    assert!(
        out.status.success(),
        "sync failed: {json}\n{}",
        stderr(&out)
    );
    assert_eq!(json["report"]["status"], "applied", "{json}");
    assert_eq!(json["report"]["errors"], json!([]), "{json}");
    json["report"].clone()
}

/// (scope, seen, added, updated, disabled) of a run.
fn counts(report: &Value) -> (String, u64, u64, u64, u64) {
    let n = |field: &str| report[field].as_u64().unwrap_or(u64::MAX);
    (
        report["scope"].as_str().unwrap_or_default().to_string(),
        n("seen"),
        n("added"),
        n("updated"),
        n("disabled"),
    )
}

fn user(server: &Server, name: &str) -> Value {
    server.cli_json(&["user", "show", name])
}

/// The members of the group `name`, by username.
fn members(server: &Server, name: &str) -> Vec<String> {
    let shown = server.cli_json(&["group", "members", name]);
    assert_eq!(shown["source"], "directory", "{shown}");
    shown["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|u| u.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The directory's unique id the store keeps for `user_id`.
fn external_id(server: &Server, user_id: &str) -> String {
    let db = rusqlite::Connection::open(server.data_dir().join("countersign.db"))
        .expect("the server's SQLite database");
    db.query_row(
        "SELECT external_id FROM directory_links WHERE user_id = ?1",
        [user_id],
        |row| row.get(0),
    )
    .expect("a directory link")
}

#[tokio::test]
async fn active_directory_sync_and_first_factor() {
    let Some(samba) = Samba::start() else {
        return;
    };
    populate(&samba);
    let env = directory_env(&samba);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let server = Server::with_env(&Db::sqlite(), &env);
    sync_follows_active_directory(&samba, &server);
    radius_takes_the_ad_password(&samba, &env).await;
}

fn sync_follows_active_directory(samba: &Samba, server: &Server) {
    // The first run reads everyone: the nested member too, not dave.
    let first = sync(server, &[]);
    assert_eq!(counts(&first), ("full".into(), 3, 3, 0, 0), "{first}");
    let alice = user(server, "alice");
    assert_eq!(
        (&alice["email"], &alice["phone"], &alice["display_name"]),
        (
            &json!("alice@cs.test"),
            &json!("+15550000001"),
            &json!("Alice Archer")
        ),
        "{alice}"
    );
    assert_eq!(
        user(server, "bob")["phone"],
        "+442079460958",
        "nested, and 00 read as +"
    );
    let carol = user(server, "carol");
    assert_eq!(
        (&carol["enabled"], &carol["phone"]),
        (&json!(false), &json!("+15550000003"))
    );
    assert!(
        !server.cli(&["user", "show", "dave"]).status.success(),
        "not in the group"
    );
    let alice_id = alice["id"].as_str().expect("id").to_string();
    let guid = samba.guid(&dn("alice"));
    assert_eq!(
        external_id(server, &alice_id),
        guid,
        "objectGUID as AD writes it"
    );

    // The groups came too: mfa-admins, nested in mfa-users, counts for both.
    assert_eq!(
        members(server, "mfa-users"),
        ["alice", "bob", "carol"],
        "{first}"
    );
    assert_eq!(members(server, "mfa-admins"), ["bob"], "{first}");
    assert_eq!(first["groups"], 2, "{first}");

    // doctor binds as the service account too.
    let out = server.cli(&["--json", "doctor"]);
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).expect("doctor JSON");
    let bind = findings.iter().find(|f| f["check"] == "directory.bind");
    assert_eq!(
        bind.map(|f| &f["status"]),
        Some(&json!("pass")),
        "{findings:?}"
    );

    // Nothing changed: an incremental run reads nothing.
    assert_eq!(counts(&sync(server, &[])), ("changes".into(), 0, 0, 0, 0));

    // One change: the incremental run reads that entry only.
    samba.modify(&format!(
        "dn: {}\nchangetype: modify\nreplace: mobile\nmobile: 555-000-0009\n",
        dn("alice")
    ));
    let changed = sync(server, &[]);
    assert_eq!(
        counts(&changed),
        ("changes".into(), 1, 0, 1, 0),
        "{changed}"
    );
    assert_eq!(user(server, "alice")["phone"], "+15550000009");

    // A rename (sAMAccountName, UPN and CN): the same user, by objectGUID.
    samba.user_rename("alice", "alicia");
    let renamed = sync(server, &[]);
    assert_eq!(
        counts(&renamed),
        ("changes".into(), 1, 0, 1, 0),
        "{renamed}"
    );
    let alicia = user(server, "alicia");
    assert_eq!(
        alicia["id"],
        alice_id.as_str(),
        "a rename keeps the user: {alicia}"
    );
    assert_eq!(alicia["phone"], "+15550000009", "and what it had");
    assert!(!server.cli(&["user", "show", "alice"]).status.success());
    assert_eq!(external_id(server, &alice_id), guid);

    // Disabled in AD (userAccountControl bit 2): disabled here; enabled again.
    samba.user_disable("alicia");
    samba.user_enable("carol");
    let disabled = sync(server, &[]);
    assert_eq!(
        counts(&disabled),
        ("changes".into(), 2, 0, 2, 1),
        "{disabled}"
    );
    assert_eq!(user(server, "alicia")["enabled"], false);
    assert_eq!(
        user(server, "carol")["enabled"],
        true,
        "enabled in AD: enabled here"
    );
    samba.user_enable("alicia");
    sync(server, &[]);
    assert_eq!(user(server, "alicia")["enabled"], true);

    // Leaving the nested group moves the nested group's mark: a full run, bob disabled.
    samba.group_remove_members("mfa-admins", "bob");
    let left = sync(server, &[]);
    assert_eq!(counts(&left), ("full".into(), 2, 0, 0, 1), "{left}");
    assert_eq!(user(server, "bob")["enabled"], false);
    assert_eq!(
        members(server, "mfa-users"),
        ["alicia", "carol"],
        "bob left"
    );
    let empty: Vec<String> = Vec::new();
    assert_eq!(
        members(server, "mfa-admins"),
        empty,
        "the nested group stays, empty"
    );
    samba.group_add_members("mfa-admins", "bob");
    let back = sync(server, &[]);
    assert_eq!(back["scope"], "full", "{back}");
    assert_eq!(
        user(server, "bob")["enabled"],
        true,
        "back in the nested group"
    );
    assert_eq!(members(server, "mfa-admins"), ["bob"]);

    // Deleted from AD: no mark a plain service account reads moves (Samba
    // keeps the group's uSNChanged; the tombstone is under CN=Deleted
    // Objects), so the next incremental run cannot see it; a full run
    // (daily, or --full) disables carol.
    samba.tool(&["user", "delete", "carol"]);
    let unseen = sync(server, &[]);
    assert_eq!(counts(&unseen), ("changes".into(), 0, 0, 0, 0), "{unseen}");
    assert_eq!(user(server, "carol")["enabled"], true);
    let gone = sync(server, &["--full"]);
    assert_eq!(counts(&gone), ("full".into(), 2, 0, 0, 1), "{gone}");
    assert_eq!(user(server, "carol")["enabled"], false);
}

fn pap(user: &str, password: &str) -> String {
    format!("User-Name = \"{user}\", User-Password = \"{password}\", Message-Authenticator = 0x00")
}

async fn radius_takes_the_ad_password(samba: &Samba, env: &[(&str, &str)]) {
    let client = [
        "--name",
        "vpn",
        "--address",
        "127.0.0.1",
        "--secret",
        SECRET,
        "--flow",
        "challenge",
        "--first-factor",
        "ldap",
    ];
    // The same node is an LDAP bind proxy in front of the DC too.
    let proxy = ad_proxy::config();
    let file = proxy.file.display().to_string();
    let mut env = env.to_vec();
    env.push(("COUNTERSIGN_CONFIG", file.as_str()));
    let node = RadiusNode::start_with(&Db::sqlite(), &env, &[&client]).await;
    // The node's own first scheduled sync creates the users.
    let deadline = Instant::now() + PATIENCE;
    while node.api.get("/api/v1/users/alicia").await.status != 200 {
        assert!(
            Instant::now() < deadline,
            "the start-up sync never created alicia"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    node.api
        .post(
            "/api/v1/users/alicia/tokens",
            json!({"type": "totp", "secret": RFC_SECRET_B32}),
        )
        .await
        .expect(201, "a token for alicia");

    // The UPN as the name (the user is alicia, by sAMAccountName): password, then code.
    let upn = format!("alicia@{DOMAIN}");
    let first = radclient(node.port, SECRET, &pap(&upn, ALICE_PW)).await;
    first.expect("Access-Challenge", "the AD password, by UPN");
    let state = first.attr("State").expect("a State").to_string();
    let code = totp_now(RFC_SECRET);
    let second = format!("User-Name = \"{upn}\", User-Password = \"{code}\", State = {state}, Message-Authenticator = 0x00");
    radclient(node.port, SECRET, &second)
        .await
        .expect("Access-Accept", "the code after the UPN's password");

    // A wrong password: rejected and counted against alicia.
    radclient(node.port, SECRET, &pap(&upn, "Wr0ng!Pass"))
        .await
        .expect("Access-Reject", "a wrong AD password");
    let failed = node.api.get("/api/v1/users/alicia").await;
    assert_eq!(failed.body["failed_attempts"], 1, "{:?}", failed.body);

    // The portal takes the UPN and the AD password too.
    let mut visitor = common::console::Visitor::new(&node.server.base());
    let csrf = visitor.get("/portal/login").await.csrf();
    let form = [
        ("csrf", csrf),
        ("username", upn.clone()),
        ("password", ALICE_PW.to_string()),
    ];
    let signed_in = visitor.post_owned("/portal/login", &form).await;
    assert_eq!(signed_in.location(), "/portal/verify", "{}", signed_in.body);

    // Disabled in AD and not synced yet: AD itself refuses the bind (data 533).
    samba.user_disable("alicia");
    assert!(
        !samba.binds("alicia", ALICE_PW),
        "AD refuses a disabled account"
    );
    radclient(node.port, SECRET, &pap(&upn, ALICE_PW))
        .await
        .expect("Access-Reject", "a disabled AD account");
    node.wait_log("AD data 533: account disabled").await;
    assert_eq!(
        node.api.get("/api/v1/users/alicia").await.body["enabled"],
        true,
        "still enabled here: the refusal was AD's"
    );

    // The LDAP bind proxy: bob by UPN, his AD password and a code.
    ad_proxy::binds_by_upn(
        &proxy,
        &node.api,
        "bob",
        &format!("bob@{DOMAIN}"),
        "B0b!Pass1",
    )
    .await;
    groups_from_ad_drive_a_rule(&node.api).await;
}

/// Bob is in mfa-users only through mfa-admins (nested): a rule on
/// mfa-users that allows push alone refuses his code; one on mfa-admins
/// that denies refuses him outright; dropped, his code is accepted again.
async fn groups_from_ad_drive_a_rule(api: &Api) {
    let user = api.get("/api/v1/users/bob").await;
    assert_eq!(
        user.body["groups"],
        json!(["mfa-admins", "mfa-users"]),
        "{}",
        user.text
    );
    let rule = json!({"name": "users-push-only", "groups": ["mfa-users"], "outcome": "allow",
        "methods": ["push"]});
    api.post("/api/v1/rules", rule)
        .await
        .expect(201, "a group rule");
    let refused = api.verify("bob", &hotp(RFC_SECRET, 2)).await;
    assert_eq!(
        (&refused["result"], &refused["reason"]),
        (&json!("rejected"), &json!("method_not_allowed")),
        "the nested group's rule: {refused}"
    );
    let deny = json!({"name": "admins-denied", "groups": ["mfa-admins"], "outcome": "deny",
        "position": 0});
    api.post("/api/v1/rules", deny)
        .await
        .expect(201, "a deny rule");
    let denied = api.verify("bob", &hotp(RFC_SECRET, 3)).await;
    assert_eq!(denied["reason"], "denied_by_rule", "{denied}");
    for name in ["admins-denied", "users-push-only"] {
        let gone = api.delete(&format!("/api/v1/rules/{name}")).await;
        assert_eq!(gone.status, 204, "{}", gone.text);
    }
    let accepted = api.verify("bob", &hotp(RFC_SECRET, 4)).await;
    assert_eq!(accepted["result"], "accepted", "{accepted}");
}
