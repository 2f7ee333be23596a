//! Directory sync against a real OpenLDAP slapd over LDAPS (and StartTLS):
//! 2,000 users in a group read across pages; a dry run changes nothing;
//! a change, a rename (the user keeps its id), a user leaving the group
//! (disabled) and coming back (enabled again), a new user; a user an
//! administrator disabled stays disabled; a run over the approval
//! threshold stops with nothing changed until `--approve`; errors in words.

mod common;
mod slapd;

use std::fmt::Write;
use std::process::Output;

use common::*;
use serde_json::Value;
use slapd::{person, Slapd, ADMIN_DN, ADMIN_PW, BASE, GROUP};

use countersign_testkit::smtp_sink::{plain_text, SmtpSink};

const USERS: usize = 2000;

fn uid(n: usize) -> String {
    format!("user{n:04}")
}

fn directory_env(slapd: &Slapd, url: &str) -> Vec<(String, String)> {
    [
        ("COUNTERSIGN_DIRECTORY_URL", url.to_string()),
        ("COUNTERSIGN_DIRECTORY_KIND", "ldap".into()),
        ("COUNTERSIGN_DIRECTORY_BIND_DN", ADMIN_DN.into()),
        ("COUNTERSIGN_DIRECTORY_BIND_PASSWORD", ADMIN_PW.into()),
        (
            "COUNTERSIGN_DIRECTORY_CA_FILE",
            slapd.cert().display().to_string(),
        ),
        ("COUNTERSIGN_DIRECTORY_BASE_DN", BASE.into()),
        ("COUNTERSIGN_DIRECTORY_GROUP_DN", GROUP.into()),
        ("COUNTERSIGN_DIRECTORY_DEFAULT_COUNTRY_CODE", "1".into()),
        ("COUNTERSIGN_DIRECTORY_PAGE_SIZE", "300".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn sync(server: &Server, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--json", "directory", "sync"];
    args.extend_from_slice(extra);
    let out: Output = server.cli(&args);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON from sync ({e}): {}\n{}",
            stdout(&out),
            stderr(&out)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

fn count(report: &Value, field: &str) -> u64 {
    report["report"][field].as_u64().unwrap_or(u64::MAX)
}

fn user(server: &Server, name: &str) -> Value {
    server.cli_json(&["user", "show", name])
}

fn load_users(slapd: &Slapd) {
    let mut people = String::new();
    for n in 1..=USERS + 10 {
        people.push_str(&person(&uid(n), &format!("(555) 01{n:05}")));
    }
    slapd.add(&people);
    // The first 2,000 are in the group; the last 10 are not.
    let mut group = format!("dn: {GROUP}\nobjectClass: groupOfNames\ncn: mfa-users\n");
    for n in 1..=USERS {
        let _ = writeln!(group, "member: uid={},ou=people,{BASE}", uid(n));
    }
    slapd.add(&group);
}

fn group_change(slapd: &Slapd, op: &str, users: &[usize]) {
    let mut ldif = format!("dn: {GROUP}\nchangetype: modify\n{op}: member\n");
    for n in users {
        let _ = writeln!(ldif, "member: uid={},ou=people,{BASE}", uid(*n));
    }
    slapd.modify(&ldif);
}

#[tokio::test]
async fn sync_follows_the_directory_and_waits_for_approval() {
    let slapd = Slapd::start();
    load_users(&slapd);
    let db = Db::sqlite();
    let env = directory_env(&slapd, &slapd.ldaps_url());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let server = Server::with_env(&db, &env);

    // A dry run says what would happen and changes nothing.
    let (code, dry) = sync(&server, &["--dry-run"]);
    assert_eq!(
        (code, dry["report"]["status"].as_str()),
        (0, Some("dry_run")),
        "{dry}"
    );
    assert_eq!(count(&dry, "added"), USERS as u64);
    assert!(
        !server.cli(&["user", "show", &uid(1)]).status.success(),
        "nothing created by a dry run"
    );

    // The first run: every member, across pages, phones in E.164.
    let (code, first) = sync(&server, &[]);
    assert_eq!(code, 0, "{first}");
    assert_eq!(
        (count(&first, "seen"), count(&first, "added")),
        (USERS as u64, USERS as u64)
    );
    let one = user(&server, &uid(1));
    assert_eq!(one["email"], "user0001@example.org");
    assert_eq!(one["phone"], "+15550100001");
    assert_eq!(one["display_name"], "User user0001");
    assert!(
        !server
            .cli(&["user", "show", &uid(USERS + 1)])
            .status
            .success(),
        "not in the group"
    );
    let (_, again) = sync(&server, &[]);
    assert_eq!(
        (
            count(&again, "added"),
            count(&again, "updated"),
            count(&again, "disabled")
        ),
        (0, 0, 0),
        "a second run finds nothing to do: {again}"
    );
    assert_eq!(
        again["report"]["scope"], "changes",
        "later runs read only changes"
    );
    assert!(count(&again, "seen") < USERS as u64, "{again}");

    // A change and a rename: an incremental run reads only the entries
    // changed since the last run's newest change.
    slapd.modify(&format!("dn: uid={},ou=people,{BASE}\nchangetype: modify\nreplace: mobile\nmobile: +1 555 019 9999\n", uid(2)));
    let renamed_id = user(&server, &uid(3))["id"].clone();
    slapd.rename(&uid(3), "user0003b");
    let (code, changed) = sync(&server, &[]);
    assert_eq!(code, 0, "{changed}");
    assert_eq!(
        (count(&changed, "added"), count(&changed, "updated")),
        (0, 2),
        "{changed}"
    );
    assert_eq!(changed["report"]["scope"], "changes");
    assert!(
        count(&changed, "seen") < USERS as u64 / 2,
        "only changed entries were read: {changed}"
    );

    // One leaving the group, one joining: the group's mark moved, so the run reads everyone.
    group_change(&slapd, "delete", &[4]);
    group_change(&slapd, "add", &[USERS + 1]);
    server.cli_ok(&["user", "disable", &uid(20)]);
    let (code, full) = sync(&server, &[]);
    assert_eq!(
        (
            code,
            count(&full, "added"),
            count(&full, "disabled"),
            full["report"]["scope"].as_str()
        ),
        (0, 1, 1, Some("full")),
        "{full}"
    );
    assert_eq!(user(&server, &uid(2))["phone"], "+15550199999");
    assert_eq!(
        user(&server, "user0003b")["id"],
        renamed_id,
        "a rename keeps the user"
    );
    assert_eq!(user(&server, &uid(4))["enabled"], false);
    assert_eq!(
        user(&server, &uid(20))["enabled"],
        false,
        "an administrator's disable holds"
    );
    assert_eq!(user(&server, &uid(USERS + 1))["enabled"], true);

    // Back in the group: enabled again.
    group_change(&slapd, "add", &[4]);
    let (_, back) = sync(&server, &[]);
    assert_eq!(user(&server, &uid(4))["enabled"], true, "{back}");

    // Over the threshold (5): nothing changes until approved.
    let leaving: Vec<usize> = (100..110).collect();
    group_change(&slapd, "delete", &leaving);
    let (code, held) = sync(&server, &["--full"]);
    assert_eq!(
        (code, held["report"]["status"].as_str()),
        (3, Some("awaiting_approval")),
        "{held}"
    );
    assert!(
        held["report"]["errors"].to_string().contains("--approve"),
        "{held}"
    );
    assert_eq!(user(&server, &uid(100))["enabled"], true, "nothing changed");
    let status = server.cli_json(&["directory", "status"]);
    assert_eq!(status["status"], "awaiting_approval");
    // doctor says so too, and that the service account binds.
    let out = server.cli(&["--json", "doctor"]);
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).expect("doctor JSON");
    let finding = |check: &str| {
        findings
            .iter()
            .find(|f| f["check"] == check)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(finding("directory.bind")["status"], "pass", "{findings:?}");
    let sync_finding = finding("directory.sync");
    assert_eq!(sync_finding["status"], "warn", "{findings:?}");
    assert!(sync_finding["fix"]
        .as_str()
        .unwrap_or_default()
        .contains("--approve"));
    let (code, approved) = sync(&server, &["--full", "--approve"]);
    assert_eq!((code, count(&approved, "disabled")), (0, 10), "{approved}");
    assert_eq!(user(&server, &uid(100))["enabled"], false);
}

#[tokio::test]
async fn starttls_plain_refusal_and_errors_in_words() {
    let slapd = Slapd::start();
    slapd.add(&person("solo", "+15550000001"));
    slapd.add(&format!("dn: {GROUP}\nobjectClass: groupOfNames\ncn: mfa-users\nmember: uid=solo,ou=people,{BASE}\n"));
    let db = Db::sqlite();

    // ldap:// means StartTLS (with the CA): it works.
    let env = directory_env(&slapd, &slapd.ldap_url());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut server = Server::with_env(&db, &env);
    let (code, report) = sync(&server, &[]);
    assert_eq!((code, count(&report, "added")), (0, 1), "{report}");
    // The API reports the last run for monitoring.
    server.spawn().await;
    let admin = server.api(&server.create_key("directory", "admin"));
    let status = admin.get("/api/v1/directory/status").await;
    assert_eq!(status.body["configured"], true, "{:?}", status.body);
    assert!(
        status.body["last_run"]["seen"].as_u64() == Some(1),
        "{:?}",
        status.body
    );

    // A dead first server: the next in the list serves.
    let list = format!("ldaps://127.0.0.1:1,{}", slapd.ldaps_url());
    let mut env2 = directory_env(&slapd, &list);
    env2.push(("COUNTERSIGN_DIRECTORY_TIMEOUT_SECONDS".into(), "3".into()));
    let env2: Vec<(&str, &str)> = env2.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (code, report) = sync(&Server::with_env(&db, &env2), &["--dry-run"]);
    assert_eq!(code, 0, "{report}");

    // A wrong service password and an untrusted certificate say what to fix.
    let mut wrong = directory_env(&slapd, &slapd.ldaps_url());
    wrong.retain(|(k, _)| k != "COUNTERSIGN_DIRECTORY_BIND_PASSWORD");
    wrong.push(("COUNTERSIGN_DIRECTORY_BIND_PASSWORD".into(), "nope".into()));
    let wrong: Vec<(&str, &str)> = wrong
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let out = Server::with_env(&db, &wrong).cli(&["directory", "sync"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out)
            .contains("bind as cn=admin,dc=example,dc=org refused: invalid credentials (49)"),
        "{}",
        stderr(&out)
    );
    let mut untrusted = directory_env(&slapd, &slapd.ldaps_url());
    untrusted.retain(|(k, _)| k != "COUNTERSIGN_DIRECTORY_CA_FILE");
    let untrusted: Vec<(&str, &str)> = untrusted
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let out = Server::with_env(&db, &untrusted).cli(&["directory", "sync"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("directory.ca_file"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_running_server_syncs_on_its_own_and_welcomes_synced_users() {
    let slapd = Slapd::start();
    slapd.add(&person("wendy", "+15550000777"));
    slapd.add(&format!("dn: {GROUP}\nobjectClass: groupOfNames\ncn: mfa-users\nmember: uid=wendy,ou=people,{BASE}\n"));
    let sink = SmtpSink::start().await;
    let mut env = directory_env(&slapd, &slapd.ldaps_url());
    env.extend([
        ("COUNTERSIGN_SMTP_HOST".to_string(), "127.0.0.1".to_string()),
        ("COUNTERSIGN_SMTP_PORT".into(), sink.port.to_string()),
        ("COUNTERSIGN_SMTP_TLS".into(), "none".into()),
        (
            "COUNTERSIGN_SMTP_FROM".into(),
            "Countersign <mfa@example.org>".into(),
        ),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // The first scheduled run starts with the server; wendy has a phone: complete.
    let server = Server::start_with(&Db::sqlite(), &env).await;
    let message = sink.wait_for(1, std::time::Duration::from_secs(30)).await;
    assert_eq!(message["to"], "wendy@example.org");
    assert!(
        plain_text(&message).contains("/portal/link/"),
        "the welcome carries the portal link"
    );
    assert_eq!(user(&server, "wendy")["phone"], "+15550000777");
    // The run is on /metrics, for the "sync stopped" alert.
    let metrics = server.anonymous().get("/metrics").await.text;
    assert!(
        metrics.contains("countersign_directory_last_sync_timestamp_seconds "),
        "{metrics}"
    );
    assert!(
        metrics.contains("countersign_directory_changes_total{action=\"add\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("countersign_directory_awaiting_approval 0"));
}

#[tokio::test]
async fn the_portal_takes_the_directory_password() {
    use common::console::{between, Visitor};
    let slapd = Slapd::start();
    slapd.add(&person("pia", "+15550000888"));
    slapd.add(&format!(
        "dn: {GROUP}\nobjectClass: groupOfNames\ncn: mfa-users\nmember: uid=pia,ou=people,{BASE}\n"
    ));
    let env = directory_env(&slapd, &slapd.ldaps_url());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let server = Server::start_with(&Db::sqlite(), &env).await;
    let admin = server.api(&server.create_key("portal", "verify,admin"));
    server.cli_ok(&["directory", "sync"]);
    admin
        .post("/api/v1/users/pia/tokens", serde_json::json!({}))
        .await
        .expect(201, "token");

    let mut visitor = Visitor::new(&server.base());
    let csrf = visitor.get("/portal/login").await.csrf();
    let login = |name: &'static str, password: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("username", name.to_string()),
            ("password", password.to_string()),
        ]
    };
    let wrong = visitor
        .post_owned("/portal/login", &login("pia", "not-it"))
        .await;
    let unknown = visitor
        .post_owned("/portal/login", &login("nobody", "not-it"))
        .await;
    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert_eq!(
        between(&wrong.body, "id=\"login-error\">", "<"),
        between(&unknown.body, "id=\"login-error\">", "<"),
        "the same words"
    );
    let right = visitor
        .post_owned("/portal/login", &login("pia", "pia-password"))
        .await;
    assert_eq!(right.location(), "/portal/verify", "{}", right.body);
}

#[tokio::test]
async fn the_console_shows_the_runs_and_approves_a_waiting_one() {
    use common::console::{add_admin, Visitor};
    let slapd = Slapd::start();
    let mut people = String::new();
    let mut group = format!("dn: {GROUP}\nobjectClass: groupOfNames\ncn: mfa-users\n");
    for n in 1..=8 {
        people.push_str(&person(&uid(n), &format!("+1555010000{n}")));
        let _ = writeln!(group, "member: uid={},ou=people,{BASE}", uid(n));
    }
    slapd.add(&people);
    slapd.add(&group);
    let env = directory_env(&slapd, &slapd.ldaps_url());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let server = Server::start_with(&Db::sqlite(), &env).await;
    server.cli_ok(&["directory", "sync"]);
    group_change(&slapd, "delete", &[1, 2, 3, 4, 5, 6]);
    let (code, _) = sync(&server, &["--full"]);
    assert_eq!(code, 3, "over the threshold");

    add_admin(&server, "root", "admin");
    let mut root = Visitor::new(&server.base());
    root.sign_in("root").await;
    let page = root.get("/admin/settings").await;
    assert!(page.body.contains("awaiting approval"), "{}", page.body);
    assert!(page.body.contains("id=\"directory-approve\""));
    let done = root
        .post(
            "/admin/directory/sync",
            &[("csrf", &page.csrf()), ("approve", "1")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(user(&server, &uid(1))["enabled"], false);
    assert!(root.get("/admin/settings").await.body.contains(">applied<"));
}
