//! Without a pin the chain is verified against the roots, and a refusal
//! says which part is wrong: self-signed, private CA, missing intermediate,
//! expired, name mismatch. First the diagnosis itself, then the same
//! messages reaching the caller over a real TLS connection.

mod common;

use std::sync::Arc;

use common::server::{Reply, Seen, TinyServer};
use countersign_authenticator::api::{ClientError, Device, Http};
use countersign_authenticator::signing::DeviceKey;
use countersign_authenticator::tls::diagnose::diagnose;
use countersign_authenticator::tls::{ChainProblem, Trust};
use countersign_testkit::pki::{Ca, Leaf};
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use url::Url;

fn anchor(ca: &Ca) -> TrustAnchor<'static> {
    webpki::anchor_from_trusted_cert(&ca.der())
        .expect("anchor")
        .to_owned()
}

fn check(
    leaf: &Leaf,
    sent: &[CertificateDer<'static>],
    name: &str,
    trusted: &Ca,
) -> Vec<ChainProblem> {
    let name = ServerName::try_from(name.to_owned()).expect("server name");
    diagnose(
        &leaf.der(),
        sent,
        &name,
        &[anchor(trusted)],
        UnixTime::now(),
    )
}

#[test]
fn a_good_chain_has_no_problem() {
    let root = Ca::root("Public Root");
    let inter = root.intermediate("Public Issuing CA");
    let leaf = inter.leaf(&["mfa.example.org"]);
    assert_eq!(
        check(&leaf, &[inter.der()], "mfa.example.org", &root),
        vec![]
    );
}

#[test]
fn self_signed() {
    let leaf = Leaf::self_signed(&["mfa.example.org"]);
    let problems = check(&leaf, &[], "mfa.example.org", &Ca::root("Public Root"));
    assert_eq!(
        problems,
        vec![ChainProblem::SelfSigned {
            subject: "\"mfa.example.org\"".into()
        }]
    );
    let text = problems[0].to_string();
    assert!(
        text.contains("untrusted root") && text.contains("self-signed"),
        "{text}"
    );
    assert!(
        text.contains("use the activation QR, which carries the pin, or install the CA"),
        "{text}"
    );
}

#[test]
fn private_ca_with_intermediate_sent() {
    let private = Ca::root("Corp Private Root");
    let inter = private.intermediate("Corp Issuing CA");
    let leaf = inter.leaf(&["mfa.corp"]);
    let problems = check(&leaf, &[inter.der()], "mfa.corp", &Ca::root("Public Root"));
    assert_eq!(
        problems,
        vec![ChainProblem::PrivateCa {
            root: "\"Corp Private Root\"".into()
        }]
    );
    let text = problems[0].to_string();
    assert!(text.contains("a CA this system does not trust"), "{text}");
    assert!(
        text.contains("use the activation QR, which carries the pin, or install the CA"),
        "{text}"
    );
}

#[test]
fn private_ca_with_the_root_sent_too() {
    let private = Ca::root("Corp Private Root");
    let leaf = private.leaf(&["mfa.corp"]);
    let problems = check(
        &leaf,
        &[private.der()],
        "mfa.corp",
        &Ca::root("Public Root"),
    );
    assert_eq!(
        problems,
        vec![ChainProblem::PrivateCa {
            root: "\"Corp Private Root\"".into()
        }]
    );
}

#[test]
fn missing_intermediate() {
    let root = Ca::root("Public Root");
    let inter = root.intermediate("Public Issuing CA");
    let leaf = inter.leaf(&["mfa.example.org"]);
    let problems = check(&leaf, &[], "mfa.example.org", &root);
    assert_eq!(
        problems,
        vec![ChainProblem::MissingIntermediate {
            issuer: "\"Public Issuing CA\"".into()
        }]
    );
    let text = problems[0].to_string();
    assert!(
        text.contains("missing intermediate") && text.contains("full chain"),
        "{text}"
    );
}

#[test]
fn expired_with_the_date() {
    let root = Ca::root("Public Root");
    let leaf = root.expired_leaf(&["mfa.example.org"]);
    let problems = check(&leaf, &[], "mfa.example.org", &root);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(matches!(problems[0], ChainProblem::Expired { .. }));
    let text = problems[0].to_string();
    assert!(text.contains("expired on 2021-01-01"), "{text}");
}

#[test]
fn expired_and_unknown_issuer_are_both_found() {
    let root = Ca::root("Unknown Root");
    let leaf = root.expired_leaf(&["mfa.example.org"]);
    let problems = check(&leaf, &[], "mfa.example.org", &Ca::root("Public Root"));
    assert!(
        matches!(problems[0], ChainProblem::Expired { .. }),
        "{problems:?}"
    );
    assert!(
        matches!(problems[1], ChainProblem::MissingIntermediate { .. }),
        "{problems:?}"
    );
}

#[test]
fn name_mismatch_lists_the_names() {
    let root = Ca::root("Public Root");
    let leaf = root.leaf(&["mfa.example.org", "auth.example.org"]);
    let problems = check(&leaf, &[], "vpn.example.org", &root);
    assert_eq!(
        problems,
        vec![ChainProblem::NameMismatch {
            name: "vpn.example.org".into(),
            names: vec!["mfa.example.org".into(), "auth.example.org".into()],
        }]
    );
    let text = problems[0].to_string();
    assert!(
        text.contains("name mismatch") && text.contains("vpn.example.org"),
        "{text}"
    );
    assert!(text.contains("mfa.example.org, auth.example.org"), "{text}");
}

// ---------------------------------------------------------------- over TLS

fn empty_list(_: &Seen) -> Reply {
    (200, "application/json", r#"{"requests":[]}"#.into())
}

async fn call(
    leaf: &Leaf,
    extra: Vec<CertificateDer<'static>>,
    host: &str,
    trusted: &Ca,
) -> Result<(), ClientError> {
    let mut chain = vec![leaf.der()];
    chain.extend(extra);
    let server = TinyServer::start(Some((chain, leaf.key_der())), Arc::new(empty_list)).await;
    let base = Url::parse(&format!("https://{host}:{}/", server.port)).expect("url");
    let http = Http::new(base, &Trust::Roots(vec![trusted.der()]))?;
    let device = Device::new(http, "dev_test".into(), DeviceKey::generate()?);
    device.pending().await.map(|_| ())
}

#[tokio::test]
async fn a_trusted_chain_works_over_tls() {
    let root = Ca::root("Test Root");
    let inter = root.intermediate("Test Issuing CA");
    let leaf = inter.leaf(&["localhost", "127.0.0.1"]);
    call(&leaf, vec![inter.der()], "127.0.0.1", &root)
        .await
        .expect("trusted");
}

#[tokio::test]
async fn missing_intermediate_is_explained_over_tls() {
    let root = Ca::root("Test Root");
    let inter = root.intermediate("Test Issuing CA");
    let leaf = inter.leaf(&["localhost", "127.0.0.1"]);
    let err = call(&leaf, vec![], "127.0.0.1", &root)
        .await
        .expect_err("incomplete chain");
    let text = err.to_string();
    assert!(matches!(err, ClientError::Tls(_)), "{text}");
    assert!(
        text.contains("missing intermediate") && text.contains("Test Issuing CA"),
        "{text}"
    );
}

#[tokio::test]
async fn name_mismatch_is_explained_over_tls() {
    let root = Ca::root("Test Root");
    let leaf = root.leaf(&["localhost"]);
    let err = call(&leaf, vec![], "127.0.0.1", &root)
        .await
        .expect_err("wrong name");
    let text = err.to_string();
    assert!(
        text.contains("not valid for 127.0.0.1") && text.contains("localhost"),
        "{text}"
    );
}

#[tokio::test]
async fn self_signed_is_explained_over_tls() {
    let leaf = Leaf::self_signed(&["localhost", "127.0.0.1"]);
    let err = call(&leaf, vec![], "127.0.0.1", &Ca::root("Test Root"))
        .await
        .expect_err("self-signed");
    let text = err.to_string();
    assert!(
        text.contains("self-signed") && text.contains("carries the pin"),
        "{text}"
    );
}
