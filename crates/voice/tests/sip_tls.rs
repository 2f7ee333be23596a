//! SIP over TLS to Kamailio (kamailio-tls-modules) with a certificate from
//! a private CA (testkit's pki): the trunk's certificate is checked against
//! `ca_file` for the trunk's host name (SNI `localhost`), a call goes
//! through to a registered baresip and `#` comes back; a CA that did not
//! issue the trunk's certificate is refused, in words.

mod common;

use common::{caller, config, serial, Peers};
use countersign_testkit::pki::{write_pem, Ca};
use countersign_voice::{
    CallOutcome, Language, Prompts, RegistrationState, SipConfig, SipTransport,
};
use std::time::Duration;

/// Kamailio with UDP (for the phone) and TLS (for us); returns the UDP
/// address and `localhost:TLSPORT`.
fn kamailio_tls(peers: &Peers, ca: &Ca) -> (String, String) {
    let leaf = ca.leaf(&["localhost", "127.0.0.1"]);
    let cert = write_pem(peers.dir(), "kam-cert.pem", &[leaf.pem(), ca.pem()]);
    let key = write_pem(peers.dir(), "kam-key.pem", &[leaf.key_pem()]);
    let udp = peers.kamailio(
        "kam",
        &format!("--tls '{}' '{}'", cert.display(), key.display()),
    );
    let port = std::fs::read_to_string(peers.dir().join("kam/tls_port")).expect("tls port");
    (udp, format!("localhost:{}", port.trim()))
}

fn tls(trunk: &str, ca_file: std::path::PathBuf) -> SipConfig {
    SipConfig {
        transport: SipTransport::Tls,
        ca_file: Some(ca_file),
        ..config(trunk)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_over_tls_through_kamailio_checked_against_the_private_ca() {
    let _one = serial().await;
    let peers = Peers::new("tls");
    let ca = Ca::root("Countersign test SIP CA");
    let (udp, tls_trunk) = kamailio_tls(&peers, &ca);
    peers.phone(
        "phone",
        "1001",
        &format!("--registrar {udp} --answer-after 300 --dtmf '#' --dtmf-after 800"),
    );
    peers.wait_phone("phone", "\"REGISTER_OK\"", 10);
    let ca_file = write_pem(peers.dir(), "ca.pem", &[ca.pem()]);
    let cfg = SipConfig {
        registrar: Some(tls_trunk.clone()),
        username: Some("countersign".into()),
        password: Some("unused".into()),
        ..tls(&tls_trunk, ca_file)
    };
    // What doctor reports: a handshake as a call makes it.
    let checked = countersign_voice::tls::check(&cfg)
        .await
        .expect("the trunk's certificate");
    assert!(
        checked.contains("TLSv1_3") && checked.contains("localhost"),
        "{checked}"
    );
    let caller = caller(cfg).await;
    let state = caller.registered(Duration::from_secs(10)).await;
    assert!(
        matches!(state, RegistrationState::Registered { .. }),
        "{state:?}"
    );
    let prompt = Prompts::builtin()
        .expect("prompts")
        .greeting(Language::En, "Acme", false);
    let report = caller.call("1001", &prompt).await.expect("call placed");
    assert_eq!(report.outcome, CallOutcome::Keys("#".into()), "{report:#?}");
    // Kamailio saw the REGISTER and the INVITE over TLS.
    let log = std::fs::read_to_string(peers.dir().join("kam/kamailio.log")).unwrap_or_default();
    assert!(log.contains("PROTO INVITE over tls"), "{log}");
    assert!(log.contains("PROTO REGISTER over tls"), "{log}");
    let location = peers.sh(&format!("sip_kamailio_ul '{}'", peers.sub("kam")));
    assert!(
        location.contains("countersign") && location.to_lowercase().contains("tls"),
        "{location}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trunk_certificate_from_another_ca_is_refused_in_words() {
    let _one = serial().await;
    let peers = Peers::new("tls-wrong-ca");
    let ca = Ca::root("Countersign test SIP CA");
    let (_udp, tls_trunk) = kamailio_tls(&peers, &ca);
    let other = Ca::root("Some other CA");
    let ca_file = write_pem(peers.dir(), "other.pem", &[other.pem()]);
    let cfg = SipConfig {
        registrar: Some(tls_trunk.clone()),
        username: Some("countersign".into()),
        password: Some("unused".into()),
        ..tls(&tls_trunk, ca_file)
    };
    let checked = countersign_voice::tls::check(&cfg)
        .await
        .expect_err("another CA");
    assert!(checked.contains("certificate was refused"), "{checked}");
    let caller = caller(cfg).await;
    let state = caller.registered(Duration::from_secs(10)).await;
    let RegistrationState::Failed { reason } = state else {
        panic!("registration over TLS with the wrong CA: {state:?}");
    };
    assert!(
        reason.contains("certificate was refused") && reason.contains("voice.sip.ca_file"),
        "{reason}"
    );
    let prompt = Prompts::builtin()
        .expect("prompts")
        .get(Language::En, "approve");
    let report = caller.call("1001", &prompt).await.expect("call placed");
    let CallOutcome::Failed { status, reason } = &report.outcome else {
        panic!("{report:#?}");
    };
    assert_eq!(*status, None, "{report:#?}");
    println!("the call: {reason}");
    assert!(
        reason.contains("certificate was refused") && reason.contains("UnknownIssuer"),
        "{reason}"
    );
    // Nothing reached Kamailio's SIP layer.
    let log = std::fs::read_to_string(peers.dir().join("kam/kamailio.log")).unwrap_or_default();
    assert!(!log.contains("REQ INVITE"), "{log}");
}
