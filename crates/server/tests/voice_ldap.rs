//! The LDAP bind proxy holds a bind for a phone call as it does for a push:
//! real ldap-utils as the application, a real slapd as the directory, the
//! server registered with Kamailio and a baresip phone that answers and
//! presses `#` (the bind then succeeds) and one that rejects the call (the
//! bind is invalidCredentials, audited `call_busy`).

mod common;
mod slapd;

use std::time::Instant;

use common::*;
use countersign_testkit::sip::SipPeers;
use countersign_testkit::{free_port, pki, TempDir};
use serde_json::{json, Value};
use slapd::{person, Slapd, BASE, GROUP};
use tokio::process::Command;

const SIP_PASSWORD: &str = "s3cret";
/// (directory uid, phone number, the phone's sip_phone_start options)
const PHONES: &[(&str, &str, &str)] = &[
    (
        "ivan",
        "+15550001001",
        "--answer-after 300 --dtmf '#' --dtmf-after 1000",
    ),
    ("judy", "+15550001002", "--answer reject --answer-after 300"),
];

fn dn(uid: &str) -> String {
    format!("uid={uid},ou=people,{BASE}")
}

fn directory() -> Slapd {
    let slapd = Slapd::start();
    let mut members = String::new();
    for (uid, phone, _) in PHONES {
        slapd.add(&person(uid, phone));
        members.push_str(&format!("member: {}\n", dn(uid)));
    }
    slapd.add(&format!(
        "dn: {GROUP}\nobjectClass: groupOfNames\ncn: mfa-users\n{members}"
    ));
    slapd
}

/// `ldapwhoami` over LDAPS trusting `ca`: (exit code, stdout, seconds).
async fn whoami(port: u16, ca: &std::path::Path, uid: &str) -> (i32, String, f64) {
    let started = Instant::now();
    let password = format!("{uid}-password");
    let out = Command::new("ldapwhoami")
        .args(["-x", "-H", &format!("ldaps://127.0.0.1:{port}")])
        .args(["-D", &dn(uid), "-w", &password])
        .env("LDAPTLS_CACERT", ca)
        .env("LDAPTLS_REQCERT", "demand")
        .env("LDAPCONF", "/dev/null")
        .output()
        .await
        .expect("ldap-utils are installed (scripts/test installs ldap-utils)");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let code = out.status.code().unwrap_or(-1);
    (code, text, started.elapsed().as_secs_f64())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ldap_proxy_holds_a_bind_for_a_call() {
    let peers = SipPeers::new("ldap-calls");
    let kam = peers.kamailio("kam", &format!("--auth --qop --password {SIP_PASSWORD}"));
    for (uid, phone, args) in PHONES {
        let options = format!("--registrar {kam} --password {SIP_PASSWORD} {args}");
        peers.phone(uid, &phone[1..], &options);
    }
    for (uid, _, _) in PHONES {
        peers.wait_phone(uid, "\"REGISTER_OK\"", 15);
    }
    let slapd = directory();
    let dir = TempDir::new("ldap-calls");
    let ca = pki::Ca::root("Countersign LDAP call test CA");
    let leaf = ca.leaf(&["127.0.0.1", "localhost"]);
    let cert = pki::write_pem(dir.path(), "proxy.pem", &[leaf.pem()]);
    let key = pki::write_pem(dir.path(), "proxy-key.pem", &[leaf.key_pem()]);
    let ca_file = pki::write_pem(dir.path(), "ca.pem", &[ca.pem()]);
    let port = free_port();
    let config = dir.path().join("countersign.toml");
    std::fs::write(
        &config,
        format!(
            "[ldap]\nlisten = \"127.0.0.1:{port}\"\ntls = \"ldaps\"\ncert = \"{}\"\nkey = \"{}\"\nhold_seconds = 40\n\n\
             [[ldap.clients]]\nname = \"wiki\"\naddress = \"127.0.0.0/8\"\n",
            cert.display(),
            key.display()
        ),
    )
    .expect("config file");
    let mut env = slapd.server_env();
    env.push(("COUNTERSIGN_CONFIG", config.display().to_string()));
    for (k, v) in [
        ("COUNTERSIGN_VOICE_PROVIDER", "sip"),
        ("COUNTERSIGN_VOICE_SIP_TRUNK", kam.as_str()),
        ("COUNTERSIGN_VOICE_SIP_REGISTRAR", kam.as_str()),
        ("COUNTERSIGN_VOICE_SIP_USERNAME", "countersign"),
        ("COUNTERSIGN_VOICE_SIP_PASSWORD", SIP_PASSWORD),
        ("COUNTERSIGN_VOICE_SIP_LISTEN", "127.0.0.1:0"),
        ("COUNTERSIGN_VOICE_SIP_RTP_PORTS", "45000-45999"),
        ("COUNTERSIGN_VOICE_RING_SECONDS", "5"),
        ("COUNTERSIGN_VOICE_KEY_SECONDS", "6"),
    ] {
        env.push((k, v.to_string()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let db = Db::sqlite();
    let mut server = Server::with_env(&db, &env);
    server.spawn().await;
    let api = server.api(&server.create_key("ldap-calls", "verify,admin"));
    for (uid, phone, _) in PHONES {
        // Made by the directory sync at start, or here; the call is their method.
        let made = api.post("/api/v1/users", json!({"username": uid})).await;
        assert!(made.status == 201 || made.status == 409, "{}", made.text);
        let patch = json!({"phone": phone, "default_method": "call"});
        api.patch(&format!("/api/v1/users/{uid}"), patch)
            .await
            .expect(200, uid);
    }

    let (ivan, judy) = tokio::join!(
        whoami(port, &ca_file, "ivan"),
        whoami(port, &ca_file, "judy")
    );
    // Ivan's bind waited for the call (answered after 0.3 s, # after 1 s more).
    assert_eq!(ivan.0, 0, "ivan's bind: {ivan:?}");
    assert_eq!(ivan.1, format!("dn:{}", dn("ivan")));
    assert!(ivan.2 >= 1.0, "held for the call: {ivan:?}");
    // Judy's phone rejected the call: invalidCredentials (49).
    assert_eq!(judy.0, 49, "judy's bind: {judy:?}");
    let last = |records: Value| records["records"][0].clone();
    let ivan_audit = last(
        api.get("/api/v1/audit?username=ivan")
            .await
            .expect(200, "audit")
            .clone(),
    );
    assert_eq!(ivan_audit["result"], "accepted", "{ivan_audit}");
    assert_eq!(ivan_audit["method"], "call", "{ivan_audit}");
    let judy_audit = last(
        api.get("/api/v1/audit?username=judy")
            .await
            .expect(200, "audit")
            .clone(),
    );
    assert_eq!(judy_audit["reason"], "call_busy", "{judy_audit}");
}
