//! The LDAP bind proxy with real ldap-utils as the application and a real
//! slapd as the directory: a bind with the password and a code succeeds
//! and the application's search returns the directory's entries on the
//! user's own connection (`ldapwhoami` names the user); a wrong code or a
//! wrong password is invalidCredentials; a push is held until the
//! command-line authenticator approves it; StartTLS on a plain listener,
//! simple binds without it refused; a client's `require_user_match = false`
//! lets a service account the sync does not cover bind (`not_enrolled`);
//! malformed messages close the connection and nothing else.

mod common;
mod slapd;
mod tls_client;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::*;
use countersign_testkit::{free_port, pki, TempDir};
use serde_json::{json, Value};
use slapd::{person, Slapd, BASE, GROUP};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

fn dn(uid: &str) -> String {
    format!("uid={uid},ou=people,{BASE}")
}

/// slapd with alice and bob in the group, and a service account outside it.
fn directory() -> Slapd {
    let slapd = Slapd::start();
    for uid in ["alice", "bob", "svc-wiki"] {
        slapd.add(&person(uid, "+15550000001"));
    }
    slapd.add(&format!(
        "dn: {GROUP}\nobjectClass: groupOfNames\ncn: mfa-users\nmember: {}\nmember: {}\n",
        dn("alice"),
        dn("bob")
    ));
    slapd
}

/// The proxy's certificate from a private CA, and that CA for the clients.
struct Pki {
    _dir: TempDir,
    cert: PathBuf,
    key: PathBuf,
    ca: PathBuf,
}

fn pki() -> Pki {
    let dir = TempDir::new("ldap-proxy-pki");
    let ca = pki::Ca::root("Countersign LDAP proxy test CA");
    let leaf = ca.leaf(&["127.0.0.1", "localhost"]);
    Pki {
        cert: pki::write_pem(dir.path(), "proxy.pem", &[leaf.pem()]),
        key: pki::write_pem(dir.path(), "proxy-key.pem", &[leaf.key_pem()]),
        ca: pki::write_pem(dir.path(), "ca.pem", &[ca.pem()]),
        _dir: dir,
    }
}

struct Proxy {
    server: Server,
    api: Api,
    port: u16,
    ca: PathBuf,
    _config: TempDir,
    _pki: Pki,
}

async fn proxy(db: &Db, slapd: &Slapd, tls: &str, require_user_match: bool) -> Proxy {
    proxy_with(db, slapd, tls, require_user_match, &[]).await
}

async fn proxy_with(
    db: &Db,
    slapd: &Slapd,
    tls: &str,
    require_user_match: bool,
    extra: &[(&str, &str)],
) -> Proxy {
    let pki = pki();
    let port = free_port();
    let config = TempDir::new("ldap-proxy-config");
    let file = config.path().join("countersign.toml");
    std::fs::write(
        &file,
        format!(
            "[ldap]\nlisten = \"127.0.0.1:{port}\"\ntls = \"{tls}\"\ncert = \"{}\"\nkey = \"{}\"\nhold_seconds = 20\n\n\
             [[ldap.clients]]\nname = \"wiki\"\naddress = \"127.0.0.0/8\"\nrequire_user_match = {require_user_match}\n",
            pki.cert.display(),
            pki.key.display()
        ),
    )
    .expect("config file");
    let mut directory = slapd.server_env();
    directory.push(("COUNTERSIGN_CONFIG", file.display().to_string()));
    let mut env: Vec<(&str, &str)> = directory.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend_from_slice(extra);
    let mut server = Server::with_env(db, &env);
    server.spawn().await;
    let key = server.create_key("ldap-tests", "verify,admin");
    let api = server.api(&key);
    wait_listening(port).await;
    Proxy {
        server,
        api,
        port,
        ca: pki.ca.clone(),
        _config: config,
        _pki: pki,
    }
}

async fn wait_listening(port: u16) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the LDAP proxy did not listen on {port}");
}

impl Proxy {
    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// An ldap-utils tool against the proxy, trusting its CA.
    async fn tool(&self, tool: &str, args: &[&str]) -> Output {
        Command::new(tool)
            .args(args)
            .env("LDAPTLS_CACERT", &self.ca)
            .env("LDAPTLS_REQCERT", "demand")
            .env("LDAPCONF", "/dev/null")
            .output()
            .await
            .expect("ldap-utils are installed (scripts/test installs ldap-utils)")
    }

    async fn whoami(&self, url: &str, name: &str, password: &str, extra: &[&str]) -> Output {
        let mut args = vec!["-x", "-H", url, "-D", name, "-w", password];
        args.extend_from_slice(extra);
        self.tool("ldapwhoami", &args).await
    }

    /// The user, made here or by the directory sync that runs at start.
    async fn ensure_user(&self, username: &str) {
        let reply = self
            .api
            .post("/api/v1/users", json!({ "username": username }))
            .await;
        assert!(
            reply.status == 201 || reply.status == 409,
            "create {username}: {}",
            reply.text
        );
    }

    async fn user_with_hotp(&self, username: &str) {
        self.ensure_user(username).await;
        self.api
            .post(
                &format!("/api/v1/users/{username}/tokens"),
                json!({"type": "hotp", "secret": RFC_SECRET_B32}),
            )
            .await
            .expect(201, "add an HOTP token");
    }

    async fn audit(&self, username: &str) -> Vec<Value> {
        let reply = self
            .api
            .get(&format!("/api/v1/audit?username={username}"))
            .await;
        reply.expect(200, "audit")["records"]
            .as_array()
            .expect("records")
            .clone()
    }
}

fn exit_code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn expect_success(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: exit {} stdout {} stderr {}",
        exit_code(out),
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

#[tokio::test]
async fn ldaps_bind_with_a_code_then_search_push_and_bad_input() {
    let slapd = directory();
    let db = Db::sqlite();
    let proxy = proxy(&db, &slapd, "ldaps", true).await;
    proxy.user_with_hotp("alice").await;
    let url = proxy.url("ldaps");

    // Password + code (DN form): the directory itself answers whoami on the user's connection.
    let password = format!("alice-password{}", hotp(RFC_SECRET, 0));
    let out = proxy.whoami(&url, &dn("alice"), &password, &[]).await;
    let who = expect_success(&out, "bind with password and code");
    assert_eq!(who.trim(), format!("dn:{}", dn("alice")));

    // The username form, then a search the directory answers.
    let password = format!("alice-password{}", hotp(RFC_SECRET, 1));
    let search = [
        "-x",
        "-LLL",
        "-H",
        &url,
        "-D",
        "alice",
        "-w",
        &password,
        "-b",
        "ou=people,dc=example,dc=org",
        "(uid=bob)",
        "mail",
    ];
    let out = proxy.tool("ldapsearch", &search).await;
    let found = expect_success(&out, "search after the bind");
    assert!(found.contains(&format!("dn: {}", dn("bob"))), "{found}");
    assert!(found.contains("mail: bob@example.org"), "{found}");

    // A used code again, and a wrong code: invalidCredentials (49), no success.
    let replay = format!("alice-password{}", hotp(RFC_SECRET, 1));
    let out = proxy.whoami(&url, "alice", &replay, &[]).await;
    assert_eq!(exit_code(&out), 49, "a used code: {}", stderr(&out));
    let wrong = format!("alice-password{}", wrong_code(RFC_SECRET, 7));
    let out = proxy.whoami(&url, "alice", &wrong, &[]).await;
    assert_eq!(exit_code(&out), 49, "a wrong code: {}", stderr(&out));
    assert!(stderr(&out).contains("second factor"), "{}", stderr(&out));
    // A wrong password with a right code: the same words as an unknown user.
    let out = proxy
        .whoami(&url, "alice", &format!("nope{}", hotp(RFC_SECRET, 2)), &[])
        .await;
    assert_eq!(exit_code(&out), 49, "a wrong password: {}", stderr(&out));
    let unknown = proxy.whoami(&url, "mallory", "whatever123456", &[]).await;
    assert_eq!(exit_code(&unknown), 49);
    let words = |o: &Output| {
        stderr(o)
            .lines()
            .filter(|l| l.contains("additional info"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        words(&out),
        words(&unknown),
        "wrong password and unknown user look alike"
    );
    let audit = proxy.audit("alice").await;
    let reasons: Vec<&str> = audit.iter().filter_map(|r| r["reason"].as_str()).collect();
    assert!(reasons.contains(&"code_invalid"), "{reasons:?}");
    assert!(reasons.contains(&"password_incorrect"), "{reasons:?}");
    assert!(
        audit.iter().all(|r| r["api_key"] == "ldap:wiki"),
        "{audit:?}"
    );
    let user = proxy.api.get("/api/v1/users/alice").await;
    assert!(
        user.body["failed_attempts"].as_u64() >= Some(2),
        "{:?}",
        user.body
    );

    // A service account the sync does not cover, on a client that requires a user match: refused.
    let out = proxy
        .whoami(&url, &dn("svc-wiki"), "svc-wiki-password", &[])
        .await;
    assert_eq!(exit_code(&out), 49, "{}", stderr(&out));

    // Bob has the authenticator: his password alone holds the bind until he approves.
    push_held_bind(&proxy, &url).await;

    // Malformed messages: the connection is closed, the proxy goes on.
    for garbage in [
        &b"GET / HTTP/1.1\r\n\r\n"[..],
        &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff][..],
        &[0x30, 0x03, 0x02, 0x01, 0x01][..],
        &[0x30, 0x80, 0x00, 0x00][..],
    ] {
        assert_closed_after(proxy.port, garbage).await;
    }
    let password = format!("alice-password{}", hotp(RFC_SECRET, 3));
    let out = proxy.whoami(&url, "alice", &password, &[]).await;
    expect_success(&out, "a bind after the malformed messages");
    let metrics = proxy.server.anonymous().get("/metrics").await.text;
    assert!(
        metrics.contains("countersign_ldap_malformed_total{from=\"client\"} 4"),
        "{metrics}"
    );
    assert!(
        metrics.contains("countersign_ldap_binds_total{result=\"accepted\"} 4"),
        "{metrics}"
    );
}

async fn authenticator(store: &Path, args: &[&str]) -> Output {
    Command::new(authenticator_bin())
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .await
        .expect("authenticator runs")
}

/// With generic refusals on (the shipped default), a wrong code, a wrong
/// password, an unknown name and a disabled account get one diagnostic
/// message; the audit trail keeps the reasons.
#[tokio::test]
async fn every_refused_bind_has_the_same_diagnostic_message() {
    let slapd = directory();
    let db = Db::sqlite();
    let generic = [("COUNTERSIGN_VERIFY_GENERIC_REFUSALS", "true")];
    let proxy = proxy_with(&db, &slapd, "ldaps", true, &generic).await;
    proxy.user_with_hotp("alice").await;
    proxy.user_with_hotp("bob").await;
    proxy
        .api
        .patch("/api/v1/users/bob", json!({"enabled": false}))
        .await
        .expect(200, "bob disabled");
    let url = proxy.url("ldaps");
    let words = |o: &Output| {
        stderr(o)
            .lines()
            .filter(|l| l.contains("additional info"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let tries = [
        (
            "alice",
            format!("alice-password{}", wrong_code(RFC_SECRET, 3)),
        ),
        ("alice", format!("nope{}", hotp(RFC_SECRET, 0))),
        ("mallory", "whatever123456".to_string()),
        ("bob", format!("bob-password{}", hotp(RFC_SECRET, 0))),
    ];
    let mut seen = Vec::new();
    for (name, password) in &tries {
        let out = proxy.whoami(&url, name, password, &[]).await;
        assert_eq!(exit_code(&out), 49, "{name}: {}", stderr(&out));
        seen.push(words(&out));
    }
    assert!(seen[0].contains("Sign-in failed."), "{seen:?}");
    assert!(seen.iter().all(|w| *w == seen[0]), "one message: {seen:#?}");
    let reasons = |audit: Vec<Value>| -> Vec<String> {
        audit
            .iter()
            .filter_map(|r| r["reason"].as_str().map(String::from))
            .collect()
    };
    let alice = reasons(proxy.audit("alice").await);
    assert!(alice.contains(&"code_invalid".to_string()), "{alice:?}");
    assert!(
        alice.contains(&"password_incorrect".to_string()),
        "{alice:?}"
    );
    assert_eq!(reasons(proxy.audit("bob").await), vec!["user_disabled"]);
}

async fn push_held_bind(proxy: &Proxy, url: &str) {
    proxy.ensure_user("bob").await;
    let grant = proxy
        .api
        .post("/api/v1/users/bob/activations", json!({}))
        .await
        .expect(201, "activation")
        .clone();
    let code = grant["activation_code"]
        .as_str()
        .expect("code")
        .replace(' ', "");
    let dir = TempDir::new("ldap-authenticator");
    let store = dir.path().join("store.json");
    let base = proxy.server.base();
    let out = authenticator(
        &store,
        &[
            "activate",
            "--url",
            &base,
            "--code",
            &code,
            "--name",
            "Bob's phone",
        ],
    )
    .await;
    expect_success(&out, "activate the authenticator");
    let approving = {
        let store = store.clone();
        tokio::spawn(async move {
            authenticator(&store, &["watch", "--auto", "approve", "--once"]).await
        })
    };
    let out = proxy.whoami(url, &dn("bob"), "bob-password", &[]).await;
    let who = expect_success(&out, "a push-held bind");
    assert_eq!(who.trim(), format!("dn:{}", dn("bob")));
    let approved = approving.await.expect("approver");
    expect_success(&approved, "the authenticator approved");
    let audit = proxy.audit("bob").await;
    assert_eq!(audit[0]["result"], "accepted", "{audit:?}");
    assert_eq!(audit[0]["method"], "push", "{audit:?}");
}

/// Sends `bytes` on a fresh LDAPS connection and expects the proxy to hang up
/// (after at most a notice of disconnection).
async fn assert_closed_after(port: u16, bytes: &[u8]) {
    let mut tls = tls_client::tls_connect(port, "127.0.0.1")
        .await
        .expect("TLS to the proxy");
    tls.write_all(bytes).await.expect("send");
    tls.flush().await.expect("flush");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the proxy closed the connection after {bytes:?}"
    );
    if !answer.is_empty() {
        // A notice of disconnection: an ExtendedResponse with message id 0.
        let notice = countersign_ldap::decode(&answer).expect("a notice of disconnection");
        assert_eq!(notice.msgid, 0, "{notice:?}");
    }
}

#[tokio::test]
async fn starttls_and_a_client_that_lets_unknown_users_through() {
    let slapd = directory();
    let db = Db::sqlite();
    let proxy = proxy(&db, &slapd, "starttls", false).await;
    proxy.user_with_hotp("alice").await;
    let url = proxy.url("ldap");

    // Without StartTLS a simple bind is refused: confidentialityRequired (13).
    let password = format!("alice-password{}", hotp(RFC_SECRET, 0));
    let out = proxy.whoami(&url, "alice", &password, &[]).await;
    assert_eq!(exit_code(&out), 13, "{}", stderr(&out));
    // With StartTLS (-ZZ: required), the same bind succeeds.
    let out = proxy.whoami(&url, "alice", &password, &["-ZZ"]).await;
    let who = expect_success(&out, "a bind after StartTLS");
    assert_eq!(who.trim(), format!("dn:{}", dn("alice")));

    // The wiki's service account is no Countersign user; this client lets it through.
    let out = proxy
        .whoami(&url, &dn("svc-wiki"), "svc-wiki-password", &["-ZZ"])
        .await;
    let who = expect_success(&out, "the service account");
    assert_eq!(who.trim(), format!("dn:{}", dn("svc-wiki")));
    let audit = proxy.audit("svc-wiki").await;
    assert_eq!(audit[0]["reason"], "not_enrolled", "{audit:?}");
    // ... but only with its right password.
    let out = proxy.whoami(&url, &dn("svc-wiki"), "wrong", &["-ZZ"]).await;
    assert_eq!(exit_code(&out), 49, "{}", stderr(&out));
    // The doctor checks the proxy's certificate and clients.
    let doctor = {
        let mut command = proxy.server.command();
        command.args(["--json", "doctor"]);
        tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("doctor thread")
            .expect("doctor runs")
    };
    let findings: Value = serde_json::from_slice(&doctor.stdout).expect("doctor --json");
    for check in ["ldap.certificate", "ldap.clients"] {
        let finding = findings
            .as_array()
            .and_then(|all| all.iter().find(|f| f["check"] == check))
            .unwrap_or_else(|| panic!("no {check}: {findings}"));
        assert_eq!(finding["status"], "pass", "{finding}");
    }
    // Alice still needs her code on this client, by name or by DN in any case.
    for name in [
        dn("alice"),
        dn("alice").to_uppercase().replace("DC=", "dc="),
        "ALICE".into(),
    ] {
        let out = proxy.whoami(&url, &name, "alice-password", &["-ZZ"]).await;
        assert_eq!(exit_code(&out), 49, "{name}: {}", stderr(&out));
    }

    // Requests sent after StartTLS before its answer (an injection): closed, no TLS.
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", proxy.port))
        .await
        .expect("connect");
    let mut both = countersign_ldap::start_tls_request(1);
    both.extend(countersign_ldap::simple_bind(
        2,
        &dn("alice"),
        "alice-password",
    ));
    tcp.write_all(&both).await.expect("send");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut answer))
        .await
        .expect("closed")
        .expect("read");
    let notice = countersign_ldap::decode(&answer).expect("one notice of disconnection");
    assert_eq!(notice.msgid, 0, "{notice:?}");
    // Alice still needs her code on this client.
    let out = proxy
        .whoami(&url, "alice", "alice-password", &["-ZZ"])
        .await;
    assert_eq!(exit_code(&out), 49, "{}", stderr(&out));
}
