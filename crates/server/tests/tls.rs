//! HTTPS as served: TLS 1.2 and 1.3 only (probed with Debian's
//! `openssl s_client`), a certificate swapped on disk served after SIGHUP
//! without dropping open connections, a broken replacement refused with an
//! error while the previous certificate stays, and the pin printed by
//! `countersign tls self-signed`.

mod common;
mod tls_client;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use countersign_testkit::pki::{replace_file, text, write_pem, Ca, Leaf};
use countersign_testkit::serving::Serving;
use countersign_testkit::{wait_until, TempDir};
use tls_client::served_leaf;

/// A node serving HTTPS on 127.0.0.1 with `leaf` (for `localhost`).
struct Https {
    _dir: TempDir,
    cert: PathBuf,
    key: PathBuf,
    _server: Server,
    serving: Serving,
}

fn https(inter: &Ca, leaf: &Leaf) -> Https {
    let dir = TempDir::new("tls");
    let cert = write_pem(dir.path(), "cert.pem", &[leaf.pem(), inter.pem()]);
    let key = write_pem(dir.path(), "key.pem", &[leaf.key_pem()]);
    let (cert_env, key_env) = (text(&cert), text(&key));
    let server = Server::with_env(
        &Db::sqlite(),
        &[
            ("COUNTERSIGN_TLS_CERT", cert_env.as_str()),
            ("COUNTERSIGN_TLS_KEY", key_env.as_str()),
        ],
    );
    let serving = Serving::start(|_| server.command(), "127.0.0.1", "https");
    Https {
        _dir: dir,
        cert,
        key,
        _server: server,
        serving,
    }
}

fn require_openssl() {
    let found = Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        found,
        "these tests need the `openssl` command (Debian package openssl): apt-get install openssl"
    );
}

/// `openssl s_client` offering only `version` (-tls1 .. -tls1_3), with
/// SECLEVEL=0 so that the client itself does not veto TLS 1.0 and 1.1.
/// Ok(negotiated protocol) or Err(why refused, with the output).
fn s_client(port: u16, version: &str) -> Result<String, String> {
    let output = Command::new("timeout")
        .args(["15", "openssl", "s_client", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-servername", "localhost", version])
        .args(["-cipher", "DEFAULT@SECLEVEL=0"])
        .stdin(Stdio::null())
        .output()
        .expect("run timeout(1) and openssl s_client");
    let all = format!("{}{}", stdout(&output), stderr(&output));
    let new_line = all.lines().find(|l| l.starts_with("New, "));
    match new_line {
        None => Err(format!(
            "no TLS exchange at all (nothing listening?):\n{all}"
        )),
        Some(line) if line.contains("(NONE)") => Err(all),
        Some(line) => {
            let protocol = all
                .lines()
                .find_map(|l| l.trim().strip_prefix("Protocol  :"))
                .map(|p| p.trim().to_string())
                // Absent for TLS 1.3, where the "New," line names it.
                .unwrap_or_else(|| {
                    line.trim_start_matches("New, ")
                        .split(',')
                        .next()
                        .unwrap_or_default()
                        .to_string()
                });
            Ok(protocol)
        }
    }
}

#[test]
fn only_tls_1_2_and_1_3_are_accepted() {
    require_openssl();
    let root = Ca::root("TLS Test Root");
    let inter = root.intermediate("TLS Test Issuing CA");
    let node = https(&inter, &inter.leaf(&["localhost"]));
    let port = node.serving.port;
    for version in ["-tls1", "-tls1_1"] {
        match s_client(port, version) {
            Ok(protocol) => panic!("openssl s_client {version} was accepted ({protocol})"),
            Err(output) => assert!(
                output.contains("New, (NONE), Cipher is (NONE)"),
                "{version} should reach the server and be refused in the handshake:\n{output}"
            ),
        }
    }
    for (version, expected) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
        match s_client(port, version) {
            Ok(protocol) => assert_eq!(protocol, expected, "openssl s_client {version}"),
            Err(output) => panic!("openssl s_client {version} was refused:\n{output}"),
        }
    }
}

/// Polls (async) until `probe` holds or `timeout` passes.
async fn eventually<F, Fut>(timeout: Duration, mut probe: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if probe().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

const NOT_LOADED: &str = "the new TLS certificate could not be loaded";

/// Lines of `log` that say `what` and name SIGHUP as the trigger
/// (`trigger="SIGHUP"`; the message itself may say "send SIGHUP").
fn sighup_lines(log: &str, what: &str) -> usize {
    log.lines()
        .filter(|l| l.contains(what) && l.contains("\"SIGHUP\""))
        .count()
}

#[tokio::test]
async fn certificate_swapped_on_disk_is_served_after_sighup_and_a_broken_one_is_refused() {
    let root = Ca::root("Reload Test Root");
    let inter = root.intermediate("Reload Test Issuing CA");
    let first = inter.leaf(&["localhost"]);
    let mut node = https(&inter, &first);
    let port = node.serving.port;

    let mut open = tls_client::tls_connect(port, "localhost")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        tls_client::leaf_of(&open),
        first.der(),
        "the first certificate is served"
    );
    let (status, _) = tls_client::http_get(&mut open, "localhost", "/healthz")
        .await
        .expect("a first request on the open connection");
    assert_eq!(status, 200, "GET /healthz on the open connection");

    // Renewal: new files in place, then SIGHUP.
    let second = inter.leaf(&["localhost"]);
    replace_file(&node.key, &second.key_pem());
    replace_file(&node.cert, &[second.pem(), inter.pem()].concat());
    node.serving.signal("HUP");
    let swapped = eventually(Duration::from_secs(8), || async {
        served_leaf(port, "localhost").await == second.der()
    })
    .await;
    assert!(
        swapped,
        "new handshakes still get the old certificate after SIGHUP; server log:\n{}",
        node.serving.stderr()
    );
    assert!(
        sighup_lines(&node.serving.stderr(), "reloaded") >= 1,
        "the reload is logged with SIGHUP as its trigger; server log:\n{}",
        node.serving.stderr()
    );
    let (status, _) = tls_client::http_get(&mut open, "localhost", "/healthz")
        .await
        .unwrap_or_else(|e| {
            panic!(
                "the connection opened before the swap was dropped: {e}; server log:\n{}",
                node.serving.stderr()
            )
        });
    assert_eq!(
        status, 200,
        "a second keep-alive request on the open connection"
    );
    drop(open);

    // A broken replacement (a half-written file) keeps the second certificate.
    let before = sighup_lines(&node.serving.stderr(), NOT_LOADED);
    let pem = root.intermediate("Never Served").leaf(&["localhost"]).pem();
    replace_file(&node.cert, &pem[..pem.len() / 2]);
    node.serving.signal("HUP");
    let logged = wait_until(Duration::from_secs(8), || {
        sighup_lines(&node.serving.stderr(), NOT_LOADED) > before
    });
    assert!(
        logged,
        "no error '{NOT_LOADED}' after SIGHUP with a broken certificate; server log:\n{}",
        node.serving.stderr()
    );
    assert!(node.serving.is_running(), "the server keeps running");
    assert_eq!(
        served_leaf(port, "localhost").await,
        second.der(),
        "after a broken replacement the previous certificate is still served"
    );
}

/// base64(SHA-256(SubjectPublicKeyInfo)) of the certificate in `cert`, by openssl.
fn openssl_pin(cert: &Path) -> String {
    let script = "openssl x509 -in \"$1\" -pubkey -noout \
        | openssl pkey -pubin -outform der \
        | openssl dgst -sha256 -binary | base64";
    let output = Command::new("sh")
        .args(["-c", script, "pin"])
        .arg(cert)
        .output()
        .expect("run the openssl pipeline");
    assert!(
        output.status.success(),
        "openssl could not read {}: {}",
        cert.display(),
        stderr(&output)
    );
    stdout(&output).trim().to_string()
}

#[test]
fn tls_self_signed_prints_the_pin_of_the_certificate_it_wrote() {
    require_openssl();
    let node = Server::new(&Db::sqlite());
    let dir = TempDir::new("self-signed");
    let cert = dir.path().join("lab-cert.pem");
    let key = dir.path().join("lab-key.pem");
    let printed = node.cli_json(&[
        "tls",
        "self-signed",
        "--hostname",
        "mfa.lab.example",
        "--cert",
        &text(&cert),
        "--key",
        &text(&key),
    ]);
    let pin = printed["pin_sha256"].as_str().unwrap_or_default();
    assert_eq!(pin.len(), 44, "a base64 SHA-256 pin: {printed}");
    assert_eq!(
        pin,
        openssl_pin(&cert),
        "the printed pin is base64(SHA-256(SPKI)) of {}",
        cert.display()
    );
    let names = Command::new("openssl")
        .args(["x509", "-noout", "-ext", "subjectAltName", "-in"])
        .arg(&cert)
        .output()
        .expect("openssl x509");
    assert!(
        stdout(&names).contains("DNS:mfa.lab.example"),
        "the certificate names the host: {}",
        stdout(&names)
    );
    let mode = std::fs::metadata(&key)
        .expect("the key file")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o077,
        0,
        "the key file is private (mode {:o})",
        mode & 0o777
    );
}
