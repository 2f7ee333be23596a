//! A directory served with a self-signed certificate, and `directory.ca_file`
//! holding exactly that certificate: trusted as a pin (rustls alone refuses
//! a CA certificate presented as the server's, "CaUsedAsEndEntity"), with a
//! `doctor` note. When the certificate is another one, the error names the
//! ca_file that is set instead of asking to set it.

mod common;
mod slapd;

use common::*;
use countersign_testkit::pki::{write_pem, Leaf};
use countersign_testkit::TempDir;
use serde_json::Value;
use slapd::{person, Slapd, BASE, GROUP};

fn env_of<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn doctor(server: &Server) -> Vec<Value> {
    let output = server.cli(&["--json", "doctor"]);
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("doctor --json printed no JSON ({e}): {}", stderr(&output)));
    report.as_array().cloned().unwrap_or_default()
}

fn finding<'a>(findings: &'a [Value], check: &str) -> Option<&'a Value> {
    findings.iter().find(|f| f["check"] == check)
}

#[tokio::test]
async fn a_self_signed_directory_certificate_in_ca_file_is_a_pin() {
    let slapd = Slapd::start_self_signed();
    slapd.add(&person("alice", "+1 555 010 0001"));
    slapd.add(&format!(
        "dn: {GROUP}\nobjectClass: groupOfNames\ncn: mfa-users\nmember: uid=alice,ou=people,{BASE}\n"
    ));
    let env = slapd.server_env();
    let server = Server::with_env(&Db::sqlite(), &env_of(&env));
    let out = server.cli(&["directory", "sync", "--dry-run"]);
    assert!(
        out.status.success(),
        "the pinned certificate is trusted:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
    let findings = doctor(&server);
    let bind = finding(&findings, "directory.bind").expect("directory.bind");
    assert_eq!(bind["status"], "pass", "{bind}");
    let pin = finding(&findings, "directory.tls_pin").expect("a directory.tls_pin note");
    assert!(
        pin["message"]
            .as_str()
            .unwrap_or("")
            .contains("self-signed certificate"),
        "{pin}"
    );
}

#[tokio::test]
async fn another_certificate_in_ca_file_is_refused_with_the_right_words() {
    let slapd = Slapd::start_self_signed();
    let dir = TempDir::new("other-cert");
    let other = write_pem(
        dir.path(),
        "other.pem",
        &[Leaf::self_signed(&["localhost"]).pem()],
    );
    let mut env = slapd.server_env();
    env.retain(|(k, _)| *k != "COUNTERSIGN_DIRECTORY_CA_FILE");
    env.push(("COUNTERSIGN_DIRECTORY_CA_FILE", other.display().to_string()));
    let server = Server::with_env(&Db::sqlite(), &env_of(&env));
    let out = server.cli(&["directory", "sync", "--dry-run"]);
    assert!(!out.status.success(), "{}", stdout(&out));
    let said = stderr(&out);
    assert!(
        said.contains(&format!("directory.ca_file ({})", other.display()))
            && said.contains("does not vouch for"),
        "the error names the ca_file that is set:\n{said}"
    );
    assert!(
        !said.contains("set directory.ca_file"),
        "it does not ask to set what is set:\n{said}"
    );
    let findings = doctor(&server);
    assert!(finding(&findings, "directory.tls_pin").is_none());
}
