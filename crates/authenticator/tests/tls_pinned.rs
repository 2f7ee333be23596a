//! The pinned verifier over a real TLS connection: the pinned key is
//! trusted whatever its certificate (self-signed, private CA, any name);
//! another key is refused with a message about the pin.

mod common;

use std::sync::Arc;

use common::server::{Reply, Seen, TinyServer};
use common::LeafPin;
use countersign_authenticator::api::{ClientError, Device, Http};
use countersign_authenticator::signing::DeviceKey;
use countersign_authenticator::tls::{SpkiPin, Trust};
use countersign_testkit::pki::{Ca, Leaf};
use url::Url;

fn empty_list(_: &Seen) -> Reply {
    (200, "application/json", r#"{"requests":[]}"#.into())
}

async fn serve(
    leaf: &Leaf,
    chain_extra: Vec<rustls_pki_types::CertificateDer<'static>>,
) -> TinyServer {
    let mut chain = vec![leaf.der()];
    chain.extend(chain_extra);
    TinyServer::start(Some((chain, leaf.key_der())), Arc::new(empty_list)).await
}

async fn pending_with(trust: Trust, host: &str, port: u16) -> Result<usize, ClientError> {
    let base = Url::parse(&format!("https://{host}:{port}/")).expect("url");
    let http = Http::new(base, &trust)?;
    let device = Device::new(http, "dev_test".into(), DeviceKey::generate()?);
    device.pending().await.map(|list| list.len())
}

fn pin_of(leaf: &Leaf) -> SpkiPin {
    SpkiPin::parse(&leaf.pin()).expect("pin")
}

#[tokio::test]
async fn pinned_self_signed_key_is_trusted_under_any_name() {
    let leaf = Leaf::self_signed(&["mfa.internal"]);
    let server = serve(&leaf, vec![]).await;
    let count = pending_with(Trust::Pinned(pin_of(&leaf)), "127.0.0.1", server.port)
        .await
        .expect("the pinned key is trusted");
    assert_eq!(count, 0);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn pinned_private_ca_key_is_trusted() {
    let root = Ca::root("Private Root");
    let leaf = root.leaf(&["localhost"]);
    let server = serve(&leaf, vec![root.der()]).await;
    pending_with(Trust::Pinned(pin_of(&leaf)), "localhost", server.port)
        .await
        .expect("the pinned key is trusted");
}

#[tokio::test]
async fn another_key_is_refused_with_the_pin_message() {
    let served = Leaf::self_signed(&["localhost"]);
    let pinned = Leaf::self_signed(&["localhost"]);
    let server = serve(&served, vec![]).await;
    let err = pending_with(Trust::Pinned(pin_of(&pinned)), "127.0.0.1", server.port)
        .await
        .expect_err("another key");
    let text = err.to_string();
    assert!(matches!(err, ClientError::Tls(_)), "{text}");
    assert!(
        text.contains("does not match the pin from activation"),
        "{text}"
    );
    assert!(
        text.contains(&served.pin()),
        "names the presented key: {text}"
    );
    assert!(text.contains(&pinned.pin()), "names the pinned key: {text}");
    assert!(
        server.requests().is_empty(),
        "nothing was sent to the wrong server"
    );
}

#[tokio::test]
async fn the_pin_is_the_certificates_spki_hash() {
    let leaf = Leaf::self_signed(&["localhost"]);
    assert_eq!(SpkiPin::of_certificate(&leaf.der()), Some(pin_of(&leaf)));
}
