//! Running the `countersign-authenticator` binary as a process.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use countersign_authenticator::signing::DeviceKey;
use countersign_authenticator::store::{OathSeed, Store, STORE_VERSION};
use countersign_device_proto::canonical_string;
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

use super::server::Seen;

pub const BIN: &str = env!("CARGO_BIN_EXE_countersign-authenticator");

/// Runs the binary with `args` (and `env`), at most 60 s.
pub async fn run(args: &[&str], env: &[(&str, &str)], home: &Path) -> Output {
    let mut command = tokio::process::Command::new(BIN);
    command
        .args(args)
        .env("HOME", home)
        .env_remove("COUNTERSIGN_AUTHENTICATOR_STORE");
    for (name, value) in env {
        command.env(name, value);
    }
    command.kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("the authenticator finished within 60 s")
        .expect("run the authenticator")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A store for device dev_test of alice at `server_url`, signing with `key`.
pub fn store_for(server_url: &str, key: &DeviceKey) -> Store {
    Store {
        version: STORE_VERSION,
        server_url: server_url.to_owned(),
        tls_pin: None,
        device_id: "dev_test".into(),
        device_name: "test".into(),
        private_key_pkcs8: key.pkcs8_base64(),
        account_name: "Countersign".into(),
        user: "alice".into(),
        display_name: "Alice".into(),
        oath: Some(OathSeed {
            secret: "JBSWY3DPEHPK3PXP".into(),
            algorithm: "sha1".into(),
            digits: 6,
            period: 30,
        }),
        number_matching: true,
        pin_required: false,
    }
}

/// A store for a device at `server_url`, written to `path`; returns its key.
pub fn write_store(path: &Path, server_url: &str) -> DeviceKey {
    let key = DeviceKey::generate().expect("key");
    store_for(server_url, &key)
        .save(path)
        .expect("save the store");
    key
}

/// Whether `seen` carries a valid device signature by `public_key` (base64).
pub fn signature_ok(seen: &Seen, public_key: &str) -> bool {
    let (Some(device), Some(ts), Some(nonce), Some(sig)) = (
        seen.header("x-countersign-device"),
        seen.header("x-countersign-timestamp"),
        seen.header("x-countersign-nonce"),
        seen.header("x-countersign-signature"),
    ) else {
        return false;
    };
    let text = canonical_string(&seen.method, &seen.path, ts, nonce, &seen.body);
    let (Ok(public), Ok(sig)) = (STANDARD.decode(public_key), STANDARD.decode(sig)) else {
        return false;
    };
    device == "dev_test"
        && UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public)
            .verify(text.as_bytes(), &sig)
            .is_ok()
}
