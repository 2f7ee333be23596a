//! `countersign token import` with RFC 6030's example documents: plain,
//! pre-shared key and PBKDF2 containers import, and the imported tokens,
//! once assigned, accept the codes `oathtool` makes from the RFC's
//! secrets. A wrong key, password or MAC imports nothing and says why.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use countersign_testkit::TempDir;

fn figure(n: u32) -> String {
    format!(
        "{}/../otp/tests/data/rfc6030/figure{n}.pskcxml",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The HOTP code `oathtool` makes for a hex secret at `counter`.
fn oathtool_hotp(hex: &str, digits: u32, counter: u64) -> String {
    let out = Command::new("oathtool")
        .args([
            "--hotp",
            "-d",
            &digits.to_string(),
            "-c",
            &counter.to_string(),
            hex,
        ])
        .output()
        .expect("oathtool runs (scripts/test installs it)");
    assert!(out.status.success(), "oathtool: {}", stderr(&out));
    stdout(&out).trim().to_string()
}

fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// Imports `args`, assigns `serial` to a new user, and checks that
/// oathtool's first two codes are accepted once each.
fn import_and_verify(args: &[&str], serial: &str, hex: &str, digits: u32) {
    let server = Server::new(&Db::sqlite());
    let mut command = vec!["token", "import"];
    command.extend_from_slice(args);
    let report = server.cli_json(&command);
    assert_eq!(report["imported"], 1, "{report}");
    server.cli_ok(&["user", "add", "pat"]);
    server.cli_ok(&["token", "assign", "pat", serial]);
    for counter in 0..2 {
        let code = oathtool_hotp(hex, digits, counter);
        let ok = server.cli(&["verify", "pat", &code]);
        assert!(
            ok.status.success(),
            "code {counter} of {serial}: {}",
            stdout(&ok)
        );
        let again = server.cli(&["verify", "pat", &code]);
        assert_eq!(again.status.code(), Some(1), "a code is accepted once");
    }
}

const RFC_HEX: &str = "3132333435363738393031323334353637383930";

#[test]
fn figure2_plain() {
    import_and_verify(&[&figure(2)], "12345678", "31323334", 6);
}

#[test]
fn figure3_plain_with_supplementary_data() {
    import_and_verify(&[&figure(3)], "987654321", RFC_HEX, 8);
}

#[test]
fn figure6_pre_shared_key() {
    let dir = TempDir::new("pskc-key");
    let key = write(&dir, "key.hex", "12345678901234567890123456789012\n");
    let key = key.to_string_lossy();
    import_and_verify(&[&figure(6), "--key-file", &key], "987654321", RFC_HEX, 8);
}

#[test]
fn figure7_pbkdf2_password() {
    let dir = TempDir::new("pskc-password");
    let password = write(&dir, "password", "qwerty\n");
    let password = password.to_string_lossy();
    import_and_verify(
        &[&figure(7), "--password-file", &password],
        "987654321",
        RFC_HEX,
        8,
    );
}

#[test]
fn figures_4_and_5_say_what_was_not_imported() {
    let server = Server::new(&Db::sqlite());
    let out = server.cli(&["token", "import", &figure(4)]);
    assert_eq!(out.status.code(), Some(1), "a failed key makes exit 1");
    assert!(
        stdout(&out).contains("imported 0") && stdout(&out).contains("no secret"),
        "{}",
        stdout(&out)
    );
    let report = server.cli_json(&["token", "import", &figure(5)]);
    assert_eq!(
        (
            &report["imported"],
            report["skipped"].as_array().map(Vec::len)
        ),
        (&1.into(), Some(1)),
        "{report}"
    );
    let again = server.cli_json(&["token", "import", &figure(5)]);
    assert_eq!(
        (&again["imported"], &again["duplicates"]),
        (&0.into(), &1.into()),
        "reruns are idempotent"
    );
}

#[test]
fn wrong_key_password_or_mac_imports_nothing() {
    let server = Server::new(&Db::sqlite());
    let dir = TempDir::new("pskc-wrong");
    let key = write(&dir, "key.hex", "12345678901234567890123456789013");
    let out = server.cli(&[
        "token",
        "import",
        &figure(6),
        "--key-file",
        &key.to_string_lossy(),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("nothing was imported")
            && stderr(&out).contains("pre-shared key is wrong"),
        "{}",
        stderr(&out)
    );
    let password = write(&dir, "password", "qwertz");
    let out = server.cli(&[
        "token",
        "import",
        &figure(7),
        "--password-file",
        &password.to_string_lossy(),
    ]);
    assert!(
        stderr(&out).contains("password is wrong"),
        "{}",
        stderr(&out)
    );
    let out = server.cli(&["token", "import", &figure(6)]);
    assert!(stderr(&out).contains("--key-file"), "{}", stderr(&out));
    let text = std::fs::read_to_string(figure(6)).expect("read");
    let altered = write(&dir, "altered.xml", &text.replace("Su+NvtQ", "Su+MvtQ"));
    let key = write(&dir, "good.hex", "12345678901234567890123456789012");
    let out = server.cli(&[
        "token",
        "import",
        &altered.to_string_lossy(),
        "--key-file",
        &key.to_string_lossy(),
    ]);
    assert!(
        stderr(&out).contains("MAC of key 1 (987654321) does not match"),
        "{}",
        stderr(&out)
    );
    let pool = server.cli_json(&["token", "pool"]);
    assert_eq!(
        pool.as_array().map(Vec::len),
        Some(0),
        "nothing was imported: {pool}"
    );
}

#[test]
fn hostile_and_oversized_files_are_refused() {
    let server = Server::new(&Db::sqlite());
    let dir = TempDir::new("pskc-hostile");
    let secret = write(&dir, "secret.txt", "TOP-SECRET-SEED");
    let xxe = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE KeyContainer [<!ENTITY s SYSTEM \"file://{}\">]>\n\
         <KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\"><KeyPackage>\
         <DeviceInfo><SerialNo>&s;</SerialNo></DeviceInfo></KeyPackage></KeyContainer>",
        secret.display()
    );
    let path = write(&dir, "xxe.xml", &xxe);
    let out = server.cli(&["token", "import", &path.to_string_lossy()]);
    assert!(stderr(&out).contains("DTD"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("TOP-SECRET") && !stdout(&out).contains("TOP-SECRET"));
    let text = std::fs::read_to_string(figure(3)).expect("read");
    let truncated = write(&dir, "cut.xml", &text[..text.len() / 2]);
    let out = server.cli(&["token", "import", &truncated.to_string_lossy()]);
    assert!(
        stderr(&out).contains("not well-formed XML"),
        "{}",
        stderr(&out)
    );
    let big = dir.path().join("big.csv");
    let file = std::fs::File::create(&big).expect("create");
    file.set_len(100 * 1024 * 1024)
        .expect("a sparse 100 MB file");
    let out = server.cli(&["token", "import", &big.to_string_lossy()]);
    assert!(stderr(&out).contains("over the limit"), "{}", stderr(&out));
    let pool = server.cli_json(&["token", "pool"]);
    assert_eq!(pool.as_array().map(Vec::len), Some(0));
}
