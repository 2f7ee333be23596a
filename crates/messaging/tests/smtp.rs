//! Mail through a real SMTP server (aiosmtpd), parsed back as MIME by
//! Python's email package.

use base64::Engine as _;
use countersign_messaging::{check_attachments, Email, Mailer, SendError, SmtpConfig, SmtpTls};
use countersign_testkit::smtp_sink::{parse_mime, SinkTls, SmtpSink};
use countersign_testkit::{free_port, TempDir};
use serde_json::Value;

/// The start of a PNG; the bytes only have to arrive unchanged.
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

fn config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "Countersign <mfa@example.org>".into(),
        timeout_seconds: 10,
    }
}

fn email(to: &str) -> Email {
    Email {
        to: to.into(),
        subject: "Your code".into(),
        text: "Your code is 123456".into(),
        ..Email::default()
    }
}

fn part<'a>(mail: &'a Value, content_type: &str) -> &'a Value {
    mail["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["content_type"] == content_type)
        .unwrap_or_else(|| panic!("no {content_type} part in {mail:#}"))
}

fn decoded(part: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(part["base64"].as_str().unwrap())
        .unwrap()
}

#[tokio::test]
async fn a_mail_with_attachment_and_inline_qr_arrives_as_valid_mime() {
    let sink = SmtpSink::start().await;
    let files = TempDir::new("attachments");
    let guide = files.path().join("guide.pdf");
    let pdf = b"%PDF-1.4 not really a PDF \x00\x01\x02 binary".to_vec();
    std::fs::write(&guide, &pdf).unwrap();
    let mail = Email {
        to: "Jürgen Müller <juergen@example.org>".into(),
        subject: "Willkommen bei Countersign, Jürgen".into(),
        text: "Hallo Jürgen,\nyour activation code is 4711-0815.".into(),
        html: Some(r#"<p>Hallo J&uuml;rgen</p><img src="cid:qr" alt="QR">"#.into()),
        attachments: vec![guide],
        inline_png: Some(("qr".into(), PNG.to_vec())),
    };
    let mailer = Mailer::new(config(sink.port)).unwrap();
    mailer.send(&mail).await.unwrap();

    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let (eml, envelope) = &messages[0];
    assert_eq!(envelope["mail_from"], "mfa@example.org");
    assert_eq!(
        envelope["rcpt_tos"],
        serde_json::json!(["juergen@example.org"])
    );
    let parsed = parse_mime(eml);
    assert_eq!(parsed["defects"], serde_json::json!([]), "{parsed:#}");
    assert_eq!(parsed["subject"], "Willkommen bei Countersign, Jürgen");
    assert_eq!(parsed["to"], "Jürgen Müller <juergen@example.org>");
    assert_eq!(parsed["from"], "Countersign <mfa@example.org>");
    assert_eq!(parsed["mime_version"], "1.0");
    assert!(
        parsed["message_id"].is_string() && parsed["date"].is_string(),
        "{parsed:#}"
    );
    let types: Vec<&str> = parsed["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["content_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "multipart/related",
            "text/html",
            "image/png",
            "application/pdf"
        ]
    );
    let text = part(&parsed, "text/plain")["text"].as_str().unwrap();
    assert!(
        text.contains("Hallo Jürgen,\nyour activation code is 4711-0815."),
        "{text:?}"
    );
    let html = part(&parsed, "text/html")["text"].as_str().unwrap();
    assert!(html.contains(r#"<img src="cid:qr""#), "{html}");
    let qr = part(&parsed, "image/png");
    assert_eq!(qr["content_id"], "<qr>");
    assert_eq!(qr["disposition"], "inline");
    assert_eq!(decoded(qr), PNG);
    let attachment = part(&parsed, "application/pdf");
    assert_eq!(attachment["filename"], "guide.pdf");
    assert_eq!(attachment["disposition"], "attachment");
    assert_eq!(attachment["transfer_encoding"], "base64");
    assert_eq!(decoded(attachment), pdf);
}

#[tokio::test]
async fn check_reports_the_server_and_how_it_was_reached() {
    let sink = SmtpSink::start().await;
    let line = Mailer::new(config(sink.port))
        .unwrap()
        .check()
        .await
        .unwrap();
    let expected = format!(
        "sink.countersign.test at 127.0.0.1:{} (no TLS, no login)",
        sink.port
    );
    assert_eq!(line, expected);
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn an_unreadable_attachment_fails_the_message_for_good_and_names_the_file() {
    let sink = SmtpSink::start().await;
    let files = TempDir::new("attachments");
    // Root reads any file whatever its mode: a missing directory and a
    // directory in place of a file are unreadable for everyone.
    let missing = files.path().join("share-not-mounted").join("guide.pdf");
    let directory = files.path().to_path_buf();
    let mailer = Mailer::new(config(sink.port)).unwrap();
    for (path, reason) in [
        (&missing, "no such file or directory"),
        (&directory, "it is a directory, not a file"),
    ] {
        let mut mail = email("alice@example.org");
        mail.attachments = vec![path.clone()];
        let err = mailer.send(&mail).await.unwrap_err();
        assert!(matches!(err, SendError::Attachment { .. }), "{err:?}");
        assert!(err.is_permanent());
        let expected = format!(
            "cannot read attachment {}: {reason}: fix the file's permissions or remove it from \
             email.attachments",
            path.display()
        );
        assert_eq!(err.to_string(), expected);
    }
    assert!(
        sink.messages().is_empty(),
        "nothing may be sent without its attachment"
    );
    let bad = check_attachments(&[missing.clone(), directory.clone()]);
    let paths: Vec<_> = bad.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(paths, [missing, directory]);
}

#[tokio::test]
async fn smtp_down_is_a_temporary_error_naming_host_and_port() {
    let port = free_port();
    let mailer = Mailer::new(config(port)).unwrap();
    let err = mailer.send(&email("alice@example.org")).await.unwrap_err();
    assert!(!err.is_permanent(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "cannot connect to the SMTP server 127.0.0.1:{port}: connection refused"
        )),
        "{text}"
    );
    assert!(text.contains("smtp.host, smtp.port"), "{text}");
    let err = mailer.check().await.unwrap_err();
    assert!(matches!(err, SendError::SmtpUnreachable { .. }), "{err:?}");
}

#[tokio::test]
async fn login_with_the_right_password_sends_and_a_wrong_one_names_the_user() {
    let sink = SmtpSink::start_with(Some(("mfa", "right-pw")), SinkTls::None).await;
    let mut cfg = config(sink.port);
    cfg.username = Some("mfa".into());
    cfg.password = Some("wrong-pw".into());
    let err = Mailer::new(cfg.clone())
        .unwrap()
        .send(&email("a@example.org"))
        .await
        .unwrap_err();
    assert!(!err.is_permanent(), "{err:?}");
    let text = err.to_string();
    assert_eq!(
        text,
        format!(
            "the SMTP server 127.0.0.1:{} refused the login for user mfa (535 5.7.8 \
             Authentication credentials invalid): check smtp.username and smtp.password",
            sink.port
        )
    );
    assert!(sink.messages().is_empty());

    cfg.password = Some("right-pw".into());
    let mailer = Mailer::new(cfg).unwrap();
    mailer.send(&email("a@example.org")).await.unwrap();
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].1["authenticated"], true);
    let line = mailer.check().await.unwrap();
    assert!(line.ends_with("(no TLS, logged in as mfa)"), "{line}");
}

#[tokio::test]
async fn login_without_credentials_is_refused_by_a_server_that_requires_it() {
    let sink = SmtpSink::start_with(Some(("mfa", "pw")), SinkTls::None).await;
    let err = Mailer::new(config(sink.port))
        .unwrap()
        .send(&email("a@example.org"))
        .await
        .unwrap_err();
    // "530 5.7.0 Authentication required" on MAIL FROM: the settings are
    // wrong, not the message, so it stays queued.
    match &err {
        SendError::SmtpRejected { code, reply, .. } => {
            assert_eq!(*code, 530, "{err}");
            assert!(reply.contains("Authentication required"), "{err}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(!err.is_permanent());
    assert!(
        err.to_string()
            .ends_with(": the server requires a login: set smtp.username and smtp.password"),
        "{err}"
    );
}

#[tokio::test]
async fn a_login_the_server_does_not_offer_is_an_error_naming_the_settings() {
    let sink = SmtpSink::start().await;
    let mut cfg = config(sink.port);
    cfg.username = Some("mfa".into());
    cfg.password = Some("pw".into());
    let err = Mailer::new(cfg).unwrap().check().await.unwrap_err();
    assert!(matches!(err, SendError::LoginUnsupported { .. }), "{err:?}");
    assert!(!err.is_permanent());
    assert!(err.to_string().contains("or remove smtp.username"), "{err}");
}

#[tokio::test]
async fn refused_recipients_carry_the_servers_code_and_permanence() {
    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(config(sink.port)).unwrap();
    let err = mailer
        .send(&email("nobody@rejected.example"))
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "the SMTP server 127.0.0.1:{} refused the message to nobody@rejected.example: 550 ",
            sink.port
        )),
        "{text}"
    );
    assert!(text.contains("no such user here"), "{text}");
    let err = mailer.send(&email("busy@later.example")).await.unwrap_err();
    assert!(!err.is_permanent(), "{err:?}");
    assert!(err.to_string().contains(": 451 "), "{err}");
    let err = mailer.send(&email("not an address")).await.unwrap_err();
    assert!(
        matches!(err, SendError::BadAddress { .. }) && err.is_permanent(),
        "{err:?}"
    );
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn starttls_that_the_server_does_not_offer_is_an_error_not_a_plain_send() {
    let sink = SmtpSink::start().await;
    let mut cfg = config(sink.port);
    cfg.tls = SmtpTls::StartTls;
    let err = Mailer::new(cfg)
        .unwrap()
        .send(&email("a@example.org"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::StartTlsUnsupported { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("does not offer STARTTLS"), "{err}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn an_untrusted_certificate_stops_starttls_and_implicit_tls() {
    for (mode, sink_tls) in [
        (SmtpTls::StartTls, SinkTls::StartTls),
        (SmtpTls::Implicit, SinkTls::Implicit),
    ] {
        let sink = SmtpSink::start_with(None, sink_tls).await;
        let mut cfg = config(sink.port);
        cfg.tls = mode;
        let err = Mailer::new(cfg)
            .unwrap()
            .send(&email("a@example.org"))
            .await
            .unwrap_err();
        assert!(!err.is_permanent(), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(&format!("127.0.0.1:{}", sink.port)), "{text}");
        assert!(text.contains("certificate"), "{mode}: {text}");
        assert!(
            sink.messages().is_empty(),
            "{mode}: nothing may go out unencrypted"
        );
    }
}

#[tokio::test]
async fn a_silent_server_times_out_with_the_step_and_setting() {
    // Accepts TCP but never greets.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let mut cfg = config(port);
    cfg.timeout_seconds = 1;
    let err = Mailer::new(cfg).unwrap().check().await.unwrap_err();
    assert!(!err.is_permanent());
    assert_eq!(
        err.to_string(),
        format!(
            "the SMTP server 127.0.0.1:{port} did not answer within 1 s while connecting: check \
             that it is running and reachable, or raise smtp.timeout_seconds"
        )
    );
}
