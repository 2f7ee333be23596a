//! A server that speaks only TLS 1.0 (Debian's `openssl s_server -tls1`)
//! is refused with an explanation naming the TLS version.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

use countersign_authenticator::api::{ClientError, Device, Http};
use countersign_authenticator::signing::DeviceKey;
use countersign_authenticator::tls::Trust;
use countersign_testkit::pki::{Ca, Leaf};
use countersign_testkit::{free_port, TempDir};
use url::Url;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn write(path: &std::path::Path, text: &str) {
    let mut file = std::fs::File::create(path).expect("create");
    file.write_all(text.as_bytes()).expect("write");
}

/// `openssl s_server` offering only TLS 1.0, started and ready.
fn tls1_server(dir: &TempDir, leaf: &Leaf) -> (Killed, u16) {
    write(&dir.join("cert.pem"), &leaf.cert.pem());
    write(&dir.join("key.pem"), &leaf.key.serialize_pem());
    let port = free_port();
    let child = Command::new("openssl")
        .args(["s_server", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(dir.join("cert.pem"))
        .arg("-key")
        .arg(dir.join("key.pem"))
        .args(["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("these tests need the `openssl` command (Debian package openssl): apt-get install openssl");
    let mut child = Killed(child);
    let stdout = child.0.stdout.take().expect("stdout");
    let ready = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("ACCEPT"));
    assert!(ready, "openssl s_server did not start");
    (child, port)
}

#[tokio::test]
async fn a_tls_1_0_server_is_explained() {
    let dir = TempDir::new("tls1");
    let root = Ca::root("Test Root");
    let leaf = root.leaf(&["localhost", "127.0.0.1"]);
    let (_server, port) = tls1_server(&dir, &leaf);
    let base = Url::parse(&format!("https://127.0.0.1:{port}/")).expect("url");
    let http = Http::new(base, &Trust::Roots(vec![root.der()])).expect("client");
    let device = Device::new(http, "dev_test".into(), DeviceKey::generate().expect("key"));
    let err = device.pending().await.expect_err("TLS 1.0 only");
    let text = err.to_string();
    assert!(matches!(err, ClientError::Tls(_)), "{text}");
    assert!(
        text.contains("TLS 1.0 or 1.1") && text.contains("TLS 1.2 or 1.3"),
        "{text}"
    );
}
