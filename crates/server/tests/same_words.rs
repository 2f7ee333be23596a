//! No enumeration at the doors where nobody has proved anything yet: with
//! generic refusals on (the shipped default), RADIUS (real radclient), the
//! portal and the console answer an unknown name, a wrong code or password,
//! a locked and a disabled account in the same words, in the same time; the
//! audit trail keeps the exact reasons. And a method whose channel is not
//! configured is never started: a phone-only user without an SMS gateway is
//! told no "code sent" by `/api/v1/verify` or the portal.

mod common;
mod radius_peers;

use std::time::{Duration, Instant};

use common::console::{add_admin, between, Visitor};
use common::*;
use radius_peers::*;
use serde_json::json;

const SECRET: &str = "vpn-shared-secret-0123";
const GENERIC: (&str, &str) = ("COUNTERSIGN_VERIFY_GENERIC_REFUSALS", "true");
const WORDS: &str = "Sign-in failed.";

fn pap(user: &str, password: &str) -> String {
    format!("User-Name = \"{user}\", User-Password = \"{password}\", Message-Authenticator = 0x00")
}

#[tokio::test]
async fn radius_answers_an_unknown_user_like_a_wrong_code() {
    let db = Db::sqlite();
    let client = [
        "--name",
        "vpn",
        "--address",
        "127.0.0.1",
        "--secret",
        SECRET,
    ];
    let node = RadiusNode::start_with(
        &db,
        &[GENERIC, ("COUNTERSIGN_VERIFY_LOCKOUT_THRESHOLD", "2")],
        &[&client],
    )
    .await;
    for name in ["alice", "locked", "off"] {
        node.user_with_token(name, "totp").await;
    }
    node.api
        .patch("/api/v1/users/off", json!({"enabled": false}))
        .await
        .expect(200, "disabled");
    let wrong = wrong_code(RFC_SECRET, 1);
    for _ in 0..2 {
        radclient(node.port, SECRET, &pap("locked", &wrong)).await;
    }
    let right = totp_now(RFC_SECRET);
    let tries = [
        ("nobody", right.clone()),
        ("alice", wrong.clone()),
        ("locked", right.clone()),
        ("off", right.clone()),
    ];
    let mut words = Vec::new();
    for (name, code) in &tries {
        let answer = radclient(node.port, SECRET, &pap(name, code)).await;
        answer.expect("Access-Reject", name);
        words.push(answer.reply_message().to_string());
    }
    assert!(words[0].starts_with(WORDS), "{words:?}");
    assert!(
        words.iter().all(|w| *w == words[0]),
        "one answer: {words:#?}"
    );
    // The reasons are in the audit trail.
    audit_record(
        &node.audit("nobody").await,
        "rejected",
        Some("unknown_user"),
    );
    audit_record(&node.audit("alice").await, "rejected", Some("code_invalid"));
    audit_record(
        &node.audit("locked").await,
        "rejected",
        Some("user_locked_out"),
    );
    audit_record(&node.audit("off").await, "rejected", Some("user_disabled"));
}

/// The portal's error line for one sign-in.
async fn portal_words(visitor: &mut Visitor, name: &str, password: &str) -> String {
    let token = visitor.get("/portal/login").await.csrf();
    let form = [
        ("csrf", token.as_str()),
        ("username", name),
        ("password", password),
    ];
    let page = visitor.post("/portal/login", &form).await;
    assert_eq!(page.status, 401, "{name}: {}", page.body);
    between(&page.body, "id=\"login-error\">", "<")
}

/// The console's error line for one sign-in.
async fn console_words(visitor: &mut Visitor, name: &str, password: &str) -> String {
    let token = visitor.get("/admin/login").await.csrf();
    let form = [
        ("csrf", token.as_str()),
        ("username", name),
        ("password", password),
    ];
    let page = visitor.post("/admin/login", &form).await;
    assert_eq!(page.status, 401, "{name}: {}", page.body);
    between(&page.body, "role=\"alert\">", "<")
}

#[tokio::test]
async fn portal_and_console_show_one_page_for_unknown_locked_disabled_and_wrong() {
    let server = Server::start_with(
        &Db::sqlite(),
        &[GENERIC, ("COUNTERSIGN_VERIFY_LOCKOUT_THRESHOLD", "2")],
    )
    .await;
    let admin = server.api(&server.create_key("words", "verify,admin"));
    for name in ["pat", "locked", "off"] {
        admin
            .post("/api/v1/users", json!({"username": name}))
            .await
            .expect(201, name);
    }
    admin
        .patch("/api/v1/users/off", json!({"enabled": false}))
        .await
        .expect(200, "disabled");
    let mut guest = Visitor::new(&server.base());
    for _ in 0..2 {
        portal_words(&mut guest, "locked", "wrong password").await;
    }
    let mut seen = Vec::new();
    for name in ["nobody", "pat", "locked", "off"] {
        seen.push(portal_words(&mut guest, name, "wrong password").await);
    }
    assert!(seen[0].starts_with(WORDS), "{seen:?}");
    assert!(seen.iter().all(|w| *w == seen[0]), "portal: {seen:#?}");

    add_admin(&server, "root", "admin");
    add_admin(&server, "held", "admin");
    let mut visitor = Visitor::new(&server.base());
    for _ in 0..2 {
        console_words(&mut visitor, "held", "wrong password").await;
    }
    let mut seen = Vec::new();
    for name in ["nobody", "root", "held"] {
        seen.push(console_words(&mut visitor, name, "wrong password").await);
    }
    assert!(seen[0].starts_with(WORDS), "{seen:?}");
    assert!(seen.iter().all(|w| *w == seen[0]), "console: {seen:#?}");
    let audit = admin.get("/api/v1/audit?username=locked").await;
    let reasons = audit.body.to_string();
    assert!(reasons.contains("user_locked_out"), "{reasons}");
}

#[tokio::test]
async fn the_console_answers_unknown_names_in_the_time_of_wrong_passwords() {
    let server = Server::start_with(
        &Db::sqlite(),
        &[GENERIC, ("COUNTERSIGN_VERIFY_LOCKOUT_THRESHOLD", "1000")],
    )
    .await;
    add_admin(&server, "root", "admin");
    let mut visitor = Visitor::new(&server.base());
    let mut timings = [Vec::new(), Vec::new()];
    for round in 0..40 {
        for (i, name) in ["root".to_string(), format!("nobody{round}")]
            .iter()
            .enumerate()
        {
            let started = Instant::now();
            console_words(&mut visitor, name, "wrong password").await;
            timings[i].push(started.elapsed());
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (known, unknown) = (median(&mut timings[0]), median(&mut timings[1]));
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    println!("console median answer: wrong password {known:?}, unknown name {unknown:?} (ratio {ratio:.2})");
    assert!(
        (0.8..=1.25).contains(&ratio),
        "medians within 20%: {known:?} vs {unknown:?}"
    );
}

#[tokio::test]
async fn a_phone_only_user_without_an_sms_gateway_is_told_no_code_was_sent() {
    let server = Server::start(&Db::sqlite()).await; // no [sms]
    let admin = server.api(&server.create_key("channels", "verify,admin"));
    admin
        .post(
            "/api/v1/users",
            json!({"username": "phil", "phone": "+441632960123"}),
        )
        .await
        .expect(201, "phone-only user");
    let answer = admin
        .post("/api/v1/verify", json!({"username": "phil"}))
        .await
        .expect(200, "verify")
        .clone();
    assert_eq!(answer["result"], "rejected", "{answer}");
    assert_eq!(answer["reason"], "no_method", "{answer}");
    assert!(!answer.to_string().contains("sent"), "{answer}");
    let named = admin
        .post(
            "/api/v1/verify",
            json!({"username": "phil", "method": "sms"}),
        )
        .await
        .expect(200, "verify sms")
        .clone();
    assert_eq!(named["reason"], "no_method", "{named}");
    assert!(
        server.stderr().contains("configure an SMS gateway"),
        "the log tells the operator the fix"
    );
    // The portal: the link signs phil in, and no code is said to be sent.
    let url = server.cli_json(&["user", "enrol-link", "phil"])["url"]
        .as_str()
        .expect("url")
        .to_string();
    let path = &url[url.find("/portal/link/").expect("a link")..];
    let mut visitor = Visitor::new(&server.base());
    let page = visitor.get(path).await;
    let after = visitor.post(path, &[("csrf", &page.csrf())]).await;
    assert_ne!(after.location(), "/portal/verify", "{}", after.body);
    assert!(!after.body.contains("Code sent"), "{}", after.body);
    let sent = admin.get("/api/v1/messages").await;
    assert!(
        !sent.text.contains("+441632960123"),
        "nothing queued: {}",
        sent.text
    );
}
