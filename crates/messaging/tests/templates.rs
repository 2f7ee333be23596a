//! Message templates: built-ins, operator overrides, languages, escaping.

use countersign_messaging::{TemplateError, Templates};
use countersign_testkit::TempDir;
use serde_json::{json, Value};

const NAMES: [&str; 13] = [
    "welcome.subject",
    "welcome.txt",
    "welcome.html",
    "code_email.subject",
    "code_email.txt",
    "code_sms.txt",
    "reply_sms.txt",
    "confirm_sms.txt",
    "confirm_email.subject",
    "confirm_email.txt",
    "changed_sms.txt",
    "changed_email.subject",
    "changed_email.txt",
];

fn context() -> Value {
    json!({
        "user": "alice",
        "display_name": "Alice <Archer> & Co",
        "code": "482913",
        "minutes": 5,
        "activation_code": "7731-0042-9918",
        "activation_url": "https://mfa.example.org/activate?c=7731&x=<y>",
        "has_qr": true,
        "issuer": "Example Corp",
        "account_name": "alice@example.org",
        "phone_masked": "+44 ••••• 123",
        "what": "phone number",
        "new_masked": "+44 ••••• 456",
    })
}

fn dir_with(files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new("templates");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn every_builtin_renders_with_the_documented_context() {
    let templates = Templates::new(None).unwrap();
    for name in NAMES {
        let text = templates.render(name, None, &context()).unwrap();
        assert!(!text.trim().is_empty(), "{name}");
        assert!(
            !text.contains("{{") && !text.contains("{%"),
            "{name}: {text}"
        );
    }
    let sms = templates.render("code_sms.txt", None, &context()).unwrap();
    assert_eq!(
        sms,
        "482913 is your Example Corp sign-in code. Valid for 5 min."
    );
    let reply = templates.render("reply_sms.txt", None, &context()).unwrap();
    assert!(reply.contains("Reply 482913 to approve"), "{reply}");
    let subject = templates
        .render("welcome.subject", None, &context())
        .unwrap();
    assert_eq!(subject, "Your Example Corp second factor is ready");
    let code = templates
        .render("code_email.txt", None, &context())
        .unwrap();
    assert!(
        code.contains("Your sign-in code is: 482913") && code.contains("5 minutes"),
        "{code}"
    );
}

#[test]
fn the_welcome_text_follows_the_users_methods() {
    let templates = Templates::new(None).unwrap();
    let full = templates.render("welcome.txt", None, &context()).unwrap();
    for expected in [
        "Hello Alice <Archer> & Co,",
        "7731-0042-9918",
        "https://mfa.example.org/activate?c=7731&x=<y>",
        "scan the QR code",
        "+44 ••••• 123",
    ] {
        assert!(full.contains(expected), "{expected:?} missing in:\n{full}");
    }
    assert!(!full.contains("\n\n\n"), "no runs of blank lines:\n{full}");
    // A user with only a phone: no activation part.
    let phone_only = json!({"user": "bob", "phone_masked": "+1 •••• 0002"});
    let text = templates.render("welcome.txt", None, &phone_only).unwrap();
    assert!(
        text.starts_with("Hello bob,") && text.contains("+1 •••• 0002"),
        "{text}"
    );
    assert!(!text.contains("activation"), "{text}");
    let html = templates.render("welcome.html", None, &phone_only).unwrap();
    assert!(!html.contains("cid:"), "{html}");
    // An update for a user who already had the welcome, now with a token.
    let update =
        json!({"user": "carol", "first": false, "tokens": 1, "account_name": "carol@example.org"});
    for name in ["welcome.txt", "welcome.html"] {
        let text = templates.render(name, None, &update).unwrap();
        assert!(text.contains("settings for Countersign"), "{name}: {text}");
        assert!(
            text.contains("have changed") && !text.contains("now asks"),
            "{name}: {text}"
        );
        assert!(text.contains("hardware token"), "{name}: {text}");
    }
    assert!(
        !full.contains("have changed") && !full.contains("hardware token"),
        "{full}"
    );
}

#[test]
fn html_is_escaped_only_in_html_templates() {
    let templates = Templates::new(None).unwrap();
    let html = templates.render("welcome.html", None, &context()).unwrap();
    assert!(
        html.contains("Hello Alice &lt;Archer&gt; &amp; Co,"),
        "{html}"
    );
    assert!(!html.contains("<Archer>"), "{html}");
    assert!(
        html.contains(
            r#"href="https:&#x2f;&#x2f;mfa.example.org&#x2f;activate?c=7731&amp;x=&lt;y&gt;""#
        ),
        "{html}"
    );
    assert!(html.contains(r#"<img src="cid:activation-qr""#), "{html}");
    let text = templates.render("welcome.txt", None, &context()).unwrap();
    assert!(text.contains("Alice <Archer> & Co"), "{text}");
}

#[test]
fn operator_files_override_builtins_and_add_languages() {
    let dir = dir_with(&[
        (
            "welcome.de.txt",
            "Hallo {{ display_name or user }}, dein Code: {{ activation_code }}",
        ),
        ("welcome.de.subject", "Willkommen\n bei {{ issuer }}\n"),
        ("code_sms.txt", "{{ code }} ist dein Code"),
        ("code_sms.pt-br.txt", "Seu código {{ code }}"),
        ("welcome.html", "<p>{{ display_name }}</p>"),
        (".hidden.txt", "{{ broken"),
    ]);
    let t = Templates::new(Some(dir.path())).unwrap();
    let c = context();
    let render = |name: &str, lang: Option<&str>| t.render(name, lang, &c).unwrap();
    assert_eq!(
        render("welcome.txt", Some("de")),
        "Hallo Alice <Archer> & Co, dein Code: 7731-0042-9918"
    );
    assert_eq!(
        render("welcome.txt", Some("de-AT")),
        render("welcome.txt", Some("de"))
    );
    assert_eq!(
        render("welcome.txt", Some("DE_ch")),
        render("welcome.txt", Some("de"))
    );
    assert_eq!(
        render("welcome.subject", Some("de")),
        "Willkommen bei Example Corp"
    );
    let builtin = Templates::new(None)
        .unwrap()
        .render("welcome.txt", None, &c)
        .unwrap();
    assert_eq!(
        render("welcome.txt", Some("fr")),
        builtin,
        "no fr variant: the plain one"
    );
    assert_eq!(render("welcome.txt", None), builtin);
    assert_eq!(render("code_sms.txt", None), "482913 ist dein Code");
    assert_eq!(render("code_sms.txt", Some("pt-BR")), "Seu código 482913");
    assert_eq!(render("code_sms.txt", Some("pt")), "482913 ist dein Code");
    assert_eq!(
        render("welcome.html", None),
        "<p>Alice &lt;Archer&gt; &amp; Co</p>"
    );
    assert_eq!(
        render("code_email.subject", Some("de")),
        "Your Example Corp sign-in code"
    );
}

#[test]
fn mistakes_in_operator_files_are_all_reported_with_their_paths() {
    let dir = dir_with(&[
        ("welcome.txt", "Hello {{ user "),
        ("code_sms.txt", "{% if code %}no end"),
        ("reply_sms.txt", "fine {{ code }}"),
    ]);
    let err = Templates::new(Some(dir.path())).unwrap_err();
    let TemplateError::Several(errors) = &err else {
        panic!("expected both mistakes, got {err:?}");
    };
    assert_eq!(errors.len(), 2, "{err}");
    let text = err.to_string();
    for name in ["code_sms.txt", "welcome.txt"] {
        let path = dir.path().join(name);
        assert!(
            text.contains(&format!("the template {} has a mistake: ", path.display())),
            "{text}"
        );
    }
    assert!(text.contains("fix the file"), "{text}");

    let one = dir_with(&[("welcome.txt", "{{ user ")]);
    let err = Templates::new(Some(one.path())).unwrap_err();
    assert!(matches!(err, TemplateError::Syntax { .. }), "{err:?}");
}

#[test]
fn unreadable_directories_and_unknown_names_are_clear_errors() {
    let dir = TempDir::new("templates");
    let missing = dir.path().join("nope");
    let err = Templates::new(Some(&missing)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot read the template directory {}: no such file or directory: fix the path or \
             its permissions",
            missing.display()
        )
    );
    let invalid = dir_with(&[("welcome.txt", "")]);
    std::fs::write(invalid.path().join("code_sms.txt"), b"\xff\xfe not utf-8").unwrap();
    let err = Templates::new(Some(invalid.path())).unwrap_err();
    assert!(
        err.to_string()
            .contains("code_sms.txt: it is not UTF-8 text"),
        "{err}"
    );
    let templates = Templates::new(None).unwrap();
    let err = templates
        .render("goodbye.txt", None, &context())
        .unwrap_err();
    assert_eq!(err.to_string(), "there is no template \"goodbye.txt\"");
}

#[test]
fn render_errors_name_the_operator_file() {
    let dir = dir_with(&[("code_sms.txt", "{{ code|no_such_filter }}")]);
    // An unknown filter is found at render time, not load time.
    let templates = Templates::new(Some(dir.path())).unwrap_or_else(|e| panic!("{e}"));
    let err = templates
        .render("code_sms.txt", None, &context())
        .unwrap_err();
    let path = dir.path().join("code_sms.txt");
    assert!(
        err.to_string()
            .starts_with(&format!("the template {} failed: ", path.display())),
        "{err}"
    );
}
