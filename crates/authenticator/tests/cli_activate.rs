//! `countersign-authenticator activate` as a process against a stand-in
//! server: the documented body, the store (mode 0600), the pin from the
//! link, and errors for a refused code and an untrusted chain.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::cli::{run, stderr, stdout};
use common::server::{Reply, Seen, TinyServer};
use common::LeafPin;
use countersign_authenticator::store::Store;
use countersign_authenticator::user_pin;
use countersign_testkit::pki::{Ca, Leaf};
use countersign_testkit::TempDir;
use serde_json::Value;

const ACTIVATED: &str = r#"{"device_id":"dev_abc","account_name":"Countersign","user":"alice","display_name":null,
 "oath":{"secret":"JBSWY3DPEHPK3PXP","algorithm":"sha1","digits":6,"period":30},"number_matching":true,"pin_required":true}"#;

fn activated(seen: &Seen) -> Reply {
    if seen.method == "POST" && seen.path == "/device/v1/activate" {
        (201, "application/json", ACTIVATED.into())
    } else {
        (
            404,
            "application/json",
            r#"{"error":{"code":"not_found","message":"no route"}}"#.into(),
        )
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn activates_through_a_pinned_link_to_a_self_signed_server() {
    let leaf = Leaf::self_signed(&["mfa.internal"]);
    let server = TinyServer::start(
        Some((vec![leaf.der()], leaf.key_der())),
        Arc::new(activated),
    )
    .await;
    let url = format!("https://127.0.0.1:{}/", server.port);
    let uri = format!(
        "countersign://activate?url={}&code=4821%200937%205512%200846&pin={}",
        encode(&url),
        encode(&leaf.pin())
    );
    let dir = TempDir::new("cli-activate");
    let store_path = dir.join("store.json");
    let store_arg = store_path.to_string_lossy().into_owned();
    let out = run(
        &[
            "--store", &store_arg, "--json", "activate", &uri, "--name", "ci box", "--pin", "2468",
        ],
        &[],
        dir.path(),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let printed: Value = serde_json::from_str(stdout(&out).trim()).expect("JSON output");
    assert_eq!(printed["user"], "alice");
    assert_eq!(printed["account_name"], "Countersign");
    assert_eq!(printed["pinned"], true);

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let body: Value = serde_json::from_slice(&requests[0].body).expect("JSON body");
    assert_eq!(body["code"], "4821093755120846");
    assert_eq!(body["device_name"], "ci box");
    assert_eq!(body["platform"], std::env::consts::OS);
    assert_eq!(body["pin_key"], user_pin::pin_key_base64("2468"));
    let public = STANDARD
        .decode(body["public_key"].as_str().expect("public_key"))
        .expect("base64");
    assert_eq!(
        (public.len(), public[0]),
        (65, 0x04),
        "uncompressed P-256 point"
    );

    let mode = std::fs::metadata(&store_path)
        .expect("stat")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let store = Store::load(&store_path).expect("store");
    assert_eq!(store.device_id, "dev_abc");
    assert_eq!(store.server_url, url);
    assert_eq!(store.tls_pin.as_deref(), Some(leaf.pin().as_str()));
    assert!(store.pin_required);
    assert!(
        !std::fs::read_to_string(&store_path)
            .expect("read")
            .contains("2468"),
        "the PIN is not kept"
    );

    let again = run(&["--store", &store_arg, "activate", &uri], &[], dir.path()).await;
    assert!(
        !again.status.success(),
        "an existing store is not overwritten"
    );
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
}

#[tokio::test]
async fn a_used_code_is_explained_and_nothing_is_stored() {
    let answer = |_: &Seen| -> Reply {
        (410, "application/json", r#"{"error":{"code":"activation_used","message":"this activation code was used already"}}"#.into())
    };
    let server = TinyServer::start(None, Arc::new(answer)).await;
    let dir = TempDir::new("cli-used");
    let store = dir.join("store.json");
    let url = format!("http://127.0.0.1:{}", server.port);
    let out = run(
        &[
            "--store",
            &store.to_string_lossy(),
            "activate",
            "--url",
            &url,
            "--code",
            "4821 0937 5512 0846",
        ],
        &[],
        dir.path(),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("activation_used") && err.contains("new activation code"),
        "{err}"
    );
    assert!(!store.exists());
}

#[tokio::test]
async fn an_incomplete_chain_is_explained_with_system_roots() {
    let root = Ca::root("Example Root");
    let inter = root.intermediate("Example Issuing CA");
    let leaf = inter.leaf(&["localhost", "127.0.0.1"]);
    let server = TinyServer::start(
        Some((vec![leaf.der()], leaf.key_der())),
        Arc::new(activated),
    )
    .await;
    let dir = TempDir::new("cli-chain");
    let roots = dir.join("roots.pem");
    std::fs::write(&roots, root.pem()).expect("write roots");
    let url = format!("https://127.0.0.1:{}/", server.port);
    let out = run(
        &[
            "--store",
            &dir.join("s.json").to_string_lossy(),
            "activate",
            "--url",
            &url,
            "--code",
            "4821093755120846",
        ],
        &[
            ("SSL_CERT_FILE", &roots.to_string_lossy()),
            ("SSL_CERT_DIR", "/nonexistent"),
        ],
        dir.path(),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("missing intermediate") && err.contains("Example Issuing CA"),
        "{err}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_bad_link_is_refused_before_any_network() {
    let dir = TempDir::new("cli-badlink");
    let out = run(
        &[
            "--store",
            &dir.join("s.json").to_string_lossy(),
            "activate",
            "countersign://activate?url=https%3A%2F%2Fm.example%2F",
        ],
        &[],
        dir.path(),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no activation code"),
        "{}",
        stderr(&out)
    );
}
