//! The store file: written with mode 0600, read back the same, refused
//! when others can read it, explained when missing or damaged.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::cli::store_for;
use countersign_authenticator::signing::DeviceKey;
use countersign_authenticator::store::{Store, StoreError};
use countersign_testkit::TempDir;

fn sample() -> Store {
    let key = DeviceKey::generate().expect("key");
    Store {
        tls_pin: Some("sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into()),
        device_id: "dev_1".into(),
        ..store_for("https://mfa.example.org/", &key)
    }
}

#[test]
fn written_with_mode_0600_and_read_back() {
    let dir = TempDir::new("store");
    let path = dir.join("nested/dir/store.json");
    let store = sample();
    store.save(&path).expect("save");
    let mode = fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "store mode {mode:o}");
    let dir_mode = fs::metadata(dir.join("nested/dir"))
        .expect("stat")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700, "created directory mode {dir_mode:o}");
    assert_eq!(Store::load(&path).expect("load"), store);
    assert!(!dir.join("nested/dir/store.json.tmp").exists());
}

#[test]
fn saving_again_replaces_and_keeps_0600() {
    let dir = TempDir::new("store-again");
    let path = dir.join("store.json");
    let mut store = sample();
    store.save(&path).expect("save");
    store.device_id = "dev_2".into();
    store.save(&path).expect("save again");
    assert_eq!(Store::load(&path).expect("load").device_id, "dev_2");
    let mode = fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_store_others_can_read_is_refused() {
    let dir = TempDir::new("store-open");
    let path = dir.join("store.json");
    sample().save(&path).expect("save");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = Store::load(&path).expect_err("too open");
    assert!(
        matches!(err, StoreError::TooOpen { mode: 0o644, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("chmod 600"), "{err}");
}

#[test]
fn missing_and_damaged_stores_are_explained() {
    let dir = TempDir::new("store-missing");
    let path = dir.join("store.json");
    let err = Store::load(&path).expect_err("missing");
    assert!(
        err.to_string()
            .contains("activate this authenticator first"),
        "{err}"
    );

    fs::write(&path, "{ not json").expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
    let err = Store::load(&path).expect_err("damaged");
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
}

#[test]
fn the_stored_key_still_signs() {
    let dir = TempDir::new("store-key");
    let path = dir.join("store.json");
    let store = sample();
    store.save(&path).expect("save");
    let loaded = Store::load(&path).expect("load");
    let key = DeviceKey::from_pkcs8_base64(&loaded.private_key_pkcs8).expect("key");
    assert_eq!(
        key.public_key_base64(),
        DeviceKey::from_pkcs8_base64(&store.private_key_pkcs8)
            .expect("key")
            .public_key_base64()
    );
}
