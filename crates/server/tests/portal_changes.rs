//! Changes in the portal that could take an account over: a password
//! change asks for the current password (not after a sign-in by link, an
//! administrator's reset); a new email address is told to the old one,
//! and every other session of the user ends.

mod common;

use std::time::Duration;

use common::console::Visitor;
use common::*;
use countersign_testkit::smtp_sink::{digits_in, plain_text, SmtpSink};
use serde_json::json;

const PASSWORD: &str = "a portal password";
const NEW_PASSWORD: &str = "another portal password";

/// Answers the second factor with the HOTP code `counter`.
async fn second_factor(visitor: &mut Visitor, counter: u64) {
    let verify = visitor.get("/portal/verify").await;
    let code = hotp(RFC_SECRET, counter);
    let done = visitor
        .post(
            "/portal/verify",
            &[("csrf", &verify.csrf()), ("code", &code)],
        )
        .await;
    assert_eq!(done.location(), "/portal", "{}", done.body);
}

async fn by_link(server: &Server) -> Visitor {
    let url = server.cli_json(&["user", "enrol-link", "pat"])["url"]
        .as_str()
        .expect("url")
        .to_string();
    let path = &url[url.find("/portal/link/").expect("a link")..];
    let mut visitor = Visitor::new(&server.base());
    let page = visitor.get(path).await;
    let after = visitor.post(path, &[("csrf", &page.csrf())]).await;
    assert_eq!(after.location(), "/portal/verify", "{}", after.body);
    second_factor(&mut visitor, 0).await;
    visitor
}

async fn by_password(server: &Server, counter: u64) -> Visitor {
    let mut visitor = Visitor::new(&server.base());
    let token = visitor.get("/portal/login").await.csrf();
    let form = [
        ("csrf", token.as_str()),
        ("username", "pat"),
        ("password", PASSWORD),
    ];
    let after = visitor.post("/portal/login", &form).await;
    assert_eq!(after.location(), "/portal/verify", "{}", after.body);
    second_factor(&mut visitor, counter).await;
    visitor
}

async fn set_password(visitor: &mut Visitor, form: &[(&str, &str)]) -> common::console::Page {
    let token = visitor.get("/portal/secret/password").await.csrf();
    let mut fields = vec![("csrf", token.as_str())];
    fields.extend_from_slice(form);
    visitor.post("/portal/secret/password", &fields).await
}

#[tokio::test]
async fn password_changes_need_the_current_one_and_contact_changes_tell_the_old_address() {
    let sink = SmtpSink::start().await;
    let port = sink.port.to_string();
    let smtp = [
        ("COUNTERSIGN_SMTP_HOST", "127.0.0.1"),
        ("COUNTERSIGN_SMTP_PORT", port.as_str()),
        ("COUNTERSIGN_SMTP_TLS", "none"),
        ("COUNTERSIGN_EMAIL_WELCOME", "false"),
    ];
    let server = Server::start_with(&Db::sqlite(), &smtp).await;
    let admin = server.api(&server.create_key("changes", "verify,admin"));
    let user = json!({"username": "pat", "email": "old@example.org"});
    admin.post("/api/v1/users", user).await.expect(201, "pat");
    let token = json!({"type": "hotp", "secret": RFC_SECRET_B32});
    admin
        .post("/api/v1/users/pat/tokens", token)
        .await
        .expect(201, "hotp");

    // Signed in by link: the first password needs no current one.
    let mut first = by_link(&server).await;
    let page = first.get("/portal/secret/password").await;
    assert!(!page.body.contains("id=\"current\""), "{}", page.body);
    let saved = set_password(&mut first, &[("value", PASSWORD), ("again", PASSWORD)]).await;
    assert_eq!(
        saved.location(),
        "/portal?notice=password_set",
        "{}",
        saved.body
    );

    // Signed in by password: a change asks for the current password.
    let mut second = by_password(&server, 1).await;
    let page = second.get("/portal/secret/password").await;
    assert!(page.body.contains("id=\"current\""), "{}", page.body);
    let change = [("value", NEW_PASSWORD), ("again", NEW_PASSWORD)];
    let missing = set_password(&mut second, &change).await;
    assert_eq!(missing.status, 422);
    assert!(
        missing.body.contains("id=\"current-error\""),
        "{}",
        missing.body
    );
    let mut wrong = vec![("current", "not my password")];
    wrong.extend_from_slice(&change);
    assert_eq!(set_password(&mut second, &wrong).await.status, 422);
    let mut right = vec![("current", PASSWORD)];
    right.extend_from_slice(&change);
    let changed = set_password(&mut second, &right).await;
    assert_eq!(
        changed.location(),
        "/portal?notice=password_set",
        "{}",
        changed.body
    );

    // A new email address from the first session: confirmed by the code
    // sent to it, then the old address is told and the second session ends.
    let page = first.get("/portal/email").await;
    let form = [("csrf", page.csrf()), ("address", "new@example.org".into())];
    let sent = first.post_owned("/portal/email", &form).await;
    assert_eq!(sent.location(), "/portal/email", "{}", sent.body);
    let confirm = sink.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(confirm["to"], "new@example.org");
    let code = digits_in(&plain_text(&confirm), 6).expect("a code");
    let page = first.get("/portal/email").await;
    let form = [("csrf", page.csrf()), ("code", code)];
    let done = first.post_owned("/portal/email/confirm", &form).await;
    assert_eq!(
        done.location(),
        "/portal?notice=email_changed",
        "{}",
        done.body
    );
    let notice = sink.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(notice["to"], "old@example.org");
    let text = plain_text(&notice);
    assert!(text.contains("n•••@example.org"), "{text}");
    assert!(
        !text.contains("new@example.org"),
        "the new address is masked: {text}"
    );
    assert_eq!(first.get("/portal").await.status, 200, "this session stays");
    let ended = second.get("/portal").await;
    assert_eq!(ended.status, 303, "the other session ended");
    assert!(
        ended.location().starts_with("/portal/login"),
        "{}",
        ended.location()
    );
}

#[tokio::test]
async fn contact_codes_count_towards_the_send_limits_across_sessions() {
    let limit = [
        ("COUNTERSIGN_CODES_PER_DESTINATION_PER_HOUR", "1"),
        ("COUNTERSIGN_EMAIL_WELCOME", "false"),
    ];
    let server = Server::start_with(&Db::sqlite(), &limit).await;
    let admin = server.api(&server.create_key("limits", "verify,admin"));
    admin
        .post("/api/v1/users", json!({"username": "pat"}))
        .await
        .expect(201, "pat");
    let token = json!({"type": "hotp", "secret": RFC_SECRET_B32});
    admin
        .post("/api/v1/users/pat/tokens", token)
        .await
        .expect(201, "hotp");
    let mut first = by_link(&server).await;
    set_password(&mut first, &[("value", PASSWORD), ("again", PASSWORD)]).await;
    // A new sign-in starts a new session's count; the store's does not.
    let mut second = by_password(&server, 1).await;
    for (visitor, status) in [(&mut first, 303), (&mut second, 422)] {
        let page = visitor.get("/portal/phone").await;
        let form = [("csrf", page.csrf()), ("address", "+441632960777".into())];
        let sent = visitor.post_owned("/portal/phone", &form).await;
        assert_eq!(sent.status, status, "{}", sent.body);
        if status == 422 {
            assert!(sent.body.contains("too many codes"), "{}", sent.body);
        }
    }
    let metrics = server.anonymous().get("/metrics").await.text;
    assert!(
        metrics.contains("countersign_code_sends_refused_total{limit=\"per_destination\"} 1"),
        "{metrics}"
    );
}
