//! `countersign doctor` against real set-ups built with rcgen: each test
//! breaks (or gets right) one thing and checks the named finding's status
//! and that its message and fix say what is wrong and what to do. The
//! "system" trust store is the test's own root, through SSL_CERT_FILE.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use countersign_testkit::pki::{days_from_now, text, write_pem, Ca, Leaf};
use countersign_testkit::serving::Serving;
use countersign_testkit::{free_port, TempDir};
use serde_json::Value;

/// A root the test's "system" trusts, an intermediate it issued, and a
/// directory for the files.
struct Pki {
    dir: TempDir,
    root: Ca,
    inter: Ca,
    /// SSL_CERT_FILE holding only `root`.
    trusted: PathBuf,
    /// SSL_CERT_FILE holding only an unrelated root.
    unrelated: PathBuf,
}

impl Pki {
    fn new() -> Pki {
        let dir = TempDir::new("pki");
        let root = Ca::root("Countersign Test Root CA");
        let inter = root.intermediate("Countersign Test Issuing CA");
        let trusted = write_pem(dir.path(), "trusted-roots.pem", &[root.pem()]);
        let other = Ca::root("Some Other Root CA");
        let unrelated = write_pem(dir.path(), "other-roots.pem", &[other.pem()]);
        Pki {
            dir,
            root,
            inter,
            trusted,
            unrelated,
        }
    }

    /// Writes tls.cert (the PEM blocks `chain`) and tls.key (`leaf`'s key);
    /// returns the settings that point at them.
    fn tls_env(&self, leaf: &Leaf, chain: &[String]) -> Vec<(&'static str, String)> {
        let cert = write_pem(self.dir.path(), "cert.pem", chain);
        let key = write_pem(self.dir.path(), "key.pem", &[leaf.key_pem()]);
        vec![
            ("COUNTERSIGN_TLS_CERT", text(&cert)),
            ("COUNTERSIGN_TLS_KEY", text(&key)),
        ]
    }
}

/// `server`'s command with `trust` as the system store and `env` added;
/// no proxy settings inherited.
fn command(server: &Server, trust: &Path, env: &[(&str, String)]) -> Command {
    let mut command = server.command();
    command
        .env("SSL_CERT_FILE", trust)
        .env_remove("SSL_CERT_DIR");
    for proxy in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] {
        command.env_remove(proxy);
    }
    for proxy in ["ALL_PROXY", "all_proxy"] {
        command.env_remove(proxy);
    }
    command.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    command
}

/// What one `countersign --json doctor` run printed, and how it exited.
struct Report {
    findings: Vec<Value>,
    code: Option<i32>,
    output: String,
}

fn doctor(server: &Server, trust: &Path, env: &[(&str, String)]) -> Report {
    run(command(server, trust, env))
}

fn run(mut command: Command) -> Report {
    let output = command
        .args(["--json", "doctor"])
        .stdin(Stdio::null())
        .output()
        .expect("run countersign doctor");
    let shown = format!(
        "exit: {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout(&output),
        stderr(&output)
    );
    let parsed: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("doctor --json printed no JSON ({e}); {shown}"));
    let findings = parsed
        .as_array()
        .unwrap_or_else(|| panic!("doctor --json prints an array of findings; {shown}"))
        .clone();
    Report {
        findings,
        code: output.status.code(),
        output: shown,
    }
}

/// The doctor run in a blocking thread, so that a peer served by this
/// test's runtime (the fake NTP server) can answer it.
async fn doctor_async(server: &Server, trust: &Path, env: &[(&str, String)]) -> Report {
    let command = command(server, trust, env);
    tokio::task::spawn_blocking(move || run(command))
        .await
        .expect("the doctor thread")
}

impl Report {
    fn find(&self, check: &str) -> &Value {
        self.findings
            .iter()
            .find(|f| f["check"] == check)
            .unwrap_or_else(|| panic!("no '{check}' finding; {}", self.output))
    }

    fn names(&self) -> Vec<String> {
        let names = self.findings.iter().map(|f| f["check"].as_str());
        names.map(|n| n.unwrap_or_default().to_string()).collect()
    }

    /// Checks `check`'s status; that its message (and, unless it passes,
    /// its fix) is not empty; and that message or fix mentions every word.
    #[track_caller]
    fn expect(&self, check: &str, status: &str, words: &[&str]) -> &Value {
        let finding = self.find(check);
        assert_eq!(
            finding["status"], status,
            "{check} should be {status}: {finding}\n{}",
            self.output
        );
        let message = finding["message"].as_str().unwrap_or_default();
        assert!(
            !message.trim().is_empty(),
            "{check} has no message: {finding}"
        );
        let fix = finding["fix"].as_str().unwrap_or_default();
        if status != "pass" {
            assert!(
                !fix.trim().is_empty(),
                "{check} ({status}) has no fix: {finding}"
            );
        }
        let said = format!("{message} {fix}").to_lowercase();
        for word in words {
            assert!(
                said.contains(&word.to_lowercase()),
                "{check}: the message or fix should mention '{word}': {finding}"
            );
        }
        finding
    }
}

#[test]
fn complete_chain_to_a_trusted_root_passes() {
    let pki = Pki::new();
    let leaf = pki.inter.leaf(&["localhost"]);
    let env = pki.tls_env(&leaf, &[leaf.pem(), pki.inter.pem()]);
    let report = doctor(&Server::new(&Db::sqlite()), &pki.trusted, &env);
    report.expect("certificate.chain", "pass", &["complete"]);
    report.expect("certificate.key", "pass", &[]);
    report.expect("certificate.expiry", "pass", &[]);
}

#[test]
fn missing_intermediate_fails() {
    let pki = Pki::new();
    let leaf = pki.inter.leaf(&["localhost"]);
    let env = pki.tls_env(&leaf, &[leaf.pem()]);
    let report = doctor(&Server::new(&Db::sqlite()), &pki.trusted, &env);
    report.expect("certificate.chain", "fail", &["intermediate", "tls.cert"]);
}

#[test]
fn expired_certificate_fails() {
    let pki = Pki::new();
    let leaf = pki
        .inter
        .leaf_valid(&["localhost"], days_from_now(-90), days_from_now(-1));
    let env = pki.tls_env(&leaf, &[leaf.pem(), pki.inter.pem()]);
    let report = doctor(&Server::new(&Db::sqlite()), &pki.trusted, &env);
    report.expect("certificate.expiry", "fail", &["expired", "renew"]);
    // The path itself is fine: the expiry is reported once, not as a broken chain.
    report.expect("certificate.chain", "pass", &[]);
}

#[test]
fn certificate_expiring_in_ten_days_warns() {
    let pki = Pki::new();
    let leaf = pki
        .inter
        .leaf_valid(&["localhost"], days_from_now(-80), days_from_now(10));
    let env = pki.tls_env(&leaf, &[leaf.pem(), pki.inter.pem()]);
    let report = doctor(&Server::new(&Db::sqlite()), &pki.trusted, &env);
    report.expect("certificate.expiry", "warn", &["expires", "day", "renew"]);
}

#[test]
fn public_url_host_must_be_in_the_subject_alt_names() {
    let pki = Pki::new();
    let leaf = pki.inter.leaf(&["localhost"]);
    let mut env = pki.tls_env(&leaf, &[leaf.pem(), pki.inter.pem()]);
    let server = Server::new(&Db::sqlite());
    // Nothing listens there: the served.* checks fail fast, the name check does not care.
    let port = free_port();

    env.push((
        "COUNTERSIGN_PUBLIC_URL",
        format!("https://127.0.0.1:{port}"),
    ));
    let report = doctor(&server, &pki.trusted, &env);
    report.expect("certificate.hostname", "fail", &["127.0.0.1", "public_url"]);

    env.pop();
    env.push((
        "COUNTERSIGN_PUBLIC_URL",
        format!("https://localhost:{port}"),
    ));
    let report = doctor(&server, &pki.trusted, &env);
    report.expect("certificate.hostname", "pass", &["localhost"]);
}

#[test]
fn self_signed_certificate_warns_with_the_explanation() {
    let pki = Pki::new();
    let leaf = Leaf::self_signed(&["localhost"]);
    let env = pki.tls_env(&leaf, &[leaf.pem()]);
    let report = doctor(&Server::new(&Db::sqlite()), &pki.trusted, &env);
    report.expect(
        "certificate.chain",
        "warn",
        &["self-signed", "will not trust", "pin"],
    );
}

#[test]
fn private_ca_warns_with_the_explanation() {
    let pki = Pki::new();
    let leaf = pki.inter.leaf(&["localhost"]);
    let env = pki.tls_env(&leaf, &[leaf.pem(), pki.inter.pem(), pki.root.pem()]);
    let report = doctor(&Server::new(&Db::sqlite()), &pki.unrelated, &env);
    report.expect(
        "certificate.chain",
        "warn",
        &["private ca", "will not trust", "pin"],
    );
}

#[test]
fn key_mismatch_fails_and_the_exit_code_is_1() {
    let pki = Pki::new();
    let leaf = pki.inter.leaf(&["localhost"]);
    let chain = [leaf.pem(), pki.inter.pem()];
    let server = Server::new(&Db::sqlite());
    server.cli_ok(&["migrate"]);

    // The same set-up with the right key exits 0, so the mismatch alone makes it 1.
    let report = doctor(&server, &pki.trusted, &pki.tls_env(&leaf, &chain));
    report.expect("certificate.key", "pass", &[]);
    assert_eq!(report.code, Some(0), "nothing fails: {}", report.output);

    let other = pki.inter.leaf(&["localhost"]);
    let mut env = pki.tls_env(&leaf, &chain);
    let key = write_pem(pki.dir.path(), "other-key.pem", &[other.key_pem()]);
    env.retain(|(name, _)| *name != "COUNTERSIGN_TLS_KEY");
    env.push(("COUNTERSIGN_TLS_KEY", text(&key)));
    let report = doctor(&server, &pki.trusted, &env);
    report.expect("certificate.key", "fail", &["does not", "tls.key"]);
    assert_eq!(
        report.code,
        Some(1),
        "FAIL means exit code 1: {}",
        report.output
    );
}

/// A fake SNTP server on 127.0.0.1 whose clock is `offset` seconds ahead.
struct FakeNtp {
    address: SocketAddr,
    asked: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeNtp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn fake_ntp(offset: f64) -> FakeNtp {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind the fake NTP server");
    let address = socket.local_addr().expect("its address");
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let task = tokio::spawn(async move {
        let mut request = [0u8; 512];
        while let Ok((len, from)) = socket.recv_from(&mut request).await {
            if len >= 48 {
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = socket.send_to(&ntp_reply(&request, offset), from).await;
            }
        }
    });
    FakeNtp {
        address,
        asked,
        task,
    }
}

/// An NTP mode-4 (server) reply whose timestamps are now + `offset`.
fn ntp_reply(request: &[u8], offset: f64) -> [u8; 48] {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64();
    let ntp = unix + offset + 2_208_988_800.0; // the NTP epoch is 1900
    let mut stamp = [0u8; 8];
    stamp[..4].copy_from_slice(&(ntp.trunc() as u32).to_be_bytes());
    stamp[4..].copy_from_slice(&((ntp.fract() * 4_294_967_296.0) as u32).to_be_bytes());
    let mut reply = [0u8; 48];
    reply[0] = 0x24; // LI 0, version 4, mode 4 (server)
    reply[1] = 1; // stratum 1
    reply[2] = 4;
    reply[3] = 0xec;
    reply[12..16].copy_from_slice(b"TEST");
    reply[16..24].copy_from_slice(&stamp); // reference
    reply[24..32].copy_from_slice(&request[40..48]); // originate = the client's transmit
    reply[32..40].copy_from_slice(&stamp); // receive
    reply[40..48].copy_from_slice(&stamp); // transmit
    reply
}

async fn clock_check(offset: f64, status: &str, words: &[&str]) {
    let ntp = fake_ntp(offset).await;
    let server = Server::new(&Db::sqlite());
    let env = [("COUNTERSIGN_DOCTOR_NTP_SERVER", ntp.address.to_string())];
    let trust = TempDir::new("no-roots");
    let report = doctor_async(&server, &trust.path().join("none.pem"), &env).await;
    assert!(
        ntp.asked.load(Ordering::SeqCst) >= 1,
        "the doctor never asked the NTP server at {}; {}",
        ntp.address,
        report.output
    );
    let mut words = words.to_vec();
    let address = ntp.address.to_string();
    words.push(&address);
    report.expect("clock.offset", status, &words);
}

#[tokio::test]
async fn clock_60_seconds_off_fails() {
    clock_check(60.0, "fail", &["60", "ntp", "totp"]).await;
}

#[tokio::test]
async fn clock_10_seconds_off_warns() {
    clock_check(10.0, "warn", &["10", "ntp"]).await;
}

#[tokio::test]
async fn clock_in_step_passes() {
    clock_check(0.0, "pass", &["ntp"]).await;
}

#[test]
fn unreachable_database_fails_and_the_other_checks_still_run() {
    let pki = Pki::new();
    let server = Server::new(&Db::sqlite());
    let url = "postgres://postgres:s3cret-pw@127.0.0.1:1/nothing".to_string();
    let report = doctor(&server, &pki.trusted, &[("COUNTERSIGN_DATABASE_URL", url)]);
    let finding = report.expect("store.reachable", "fail", &["127.0.0.1:1", "database.url"]);
    assert!(
        !finding.to_string().contains("s3cret-pw"),
        "the database password must not be shown: {finding}"
    );
    for check in [
        "store.encryption_key",
        "certificate.chain",
        "served.api",
        "clock.offset",
    ] {
        report.find(check);
    }
    assert_eq!(
        report.code,
        Some(1),
        "FAIL means exit code 1: {}",
        report.output
    );
}

/// A node serving HTTPS on 127.0.0.1 with a complete chain (leaf for
/// `localhost` and the intermediate), public_url pointing at it.
struct Live {
    pki: Pki,
    server: Server,
    serving: Serving,
    env: Vec<(&'static str, String)>,
}

fn live_https() -> Live {
    let pki = Pki::new();
    let leaf = pki.inter.leaf(&["localhost"]);
    let tls = pki.tls_env(&leaf, &[leaf.pem(), pki.inter.pem()]);
    let server = Server::new(&Db::sqlite());
    let with_url = |port: u16| {
        let mut env = tls.clone();
        env.push((
            "COUNTERSIGN_PUBLIC_URL",
            format!("https://localhost:{port}"),
        ));
        env
    };
    let serving = Serving::start(
        |port| command(&server, &pki.trusted, &with_url(port)),
        "127.0.0.1",
        "https",
    );
    let env = with_url(serving.port);
    Live {
        pki,
        server,
        serving,
        env,
    }
}

#[test]
fn live_https_server_serves_the_configured_chain_and_versions() {
    let live = live_https();
    let report = doctor(&live.server, &live.pki.trusted, &live.env);
    report.expect("served.chain", "pass", &[]);
    report.expect("served.versions", "pass", &[]);
    report.expect("served.api", "pass", &[]);
    report.expect("certificate.chain", "pass", &[]);
    report.expect("certificate.hostname", "pass", &[]);
}

#[tokio::test]
async fn diagnostics_api_returns_what_the_doctor_finds() {
    let live = live_https();
    let port = live.serving.port;
    let cli = doctor(&live.server, &live.pki.trusted, &live.env);
    let root = reqwest::Certificate::from_pem(live.pki.root.pem().as_bytes()).expect("root");
    let http = reqwest::Client::builder()
        .add_root_certificate(root)
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("an HTTPS client");
    let base = format!("https://localhost:{port}");
    let admin = Api::new(
        http.clone(),
        base.clone(),
        Some(live.server.create_key("diag", "admin")),
    );
    let verifier = Api::new(
        http.clone(),
        base.clone(),
        Some(live.server.create_key("app", "verify")),
    );

    let reply = admin.get("/api/v1/diagnostics").await;
    let body = reply.expect(200, "GET /api/v1/diagnostics with an admin key");
    let findings = body["findings"].as_array().expect("findings is an array");
    let names: Vec<String> = findings
        .iter()
        .map(|f| f["check"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        names,
        cli.names(),
        "the API and the CLI run the same checks: {body}"
    );
    for finding in findings {
        let check = finding["check"].as_str().unwrap_or_default();
        assert_eq!(
            finding["status"],
            cli.find(check)["status"],
            "{check}: the API and the CLI agree: {finding} vs {}",
            cli.find(check)
        );
    }
    let worst = ["fail", "warn", "pass"]
        .into_iter()
        .find(|s| findings.iter().any(|f| f["status"] == *s))
        .expect("some finding");
    assert_eq!(body["status"], worst, "status is the worst finding: {body}");

    let anonymous = Api::new(http, base, None);
    anonymous
        .get("/api/v1/diagnostics")
        .await
        .expect_error(401, "unauthorized", "without a key");
    verifier.get("/api/v1/diagnostics").await.expect_error(
        403,
        "forbidden",
        "with a verify-only key",
    );
}

/// While the database is away every request waits
/// `database.acquire_timeout_seconds`: longer than a NAS waits is a WARN.
#[test]
fn a_database_wait_longer_than_radius_clients_wait_warns() {
    let pki = Pki::new();
    let server = Server::new(&Db::sqlite());
    let radius = (
        "COUNTERSIGN_RADIUS_LISTEN",
        format!("127.0.0.1:{}", free_port()),
    );
    let default = doctor(&server, &pki.trusted, std::slice::from_ref(&radius));
    default.expect("store.acquire_timeout", "pass", &["3 s"]);
    let slow = (
        "COUNTERSIGN_DATABASE_ACQUIRE_TIMEOUT_SECONDS",
        "10".to_string(),
    );
    let report = doctor(&server, &pki.trusted, &[radius, slow]);
    report.expect(
        "store.acquire_timeout",
        "warn",
        &["10 s", "database.acquire_timeout_seconds"],
    );
}
