//! MS-CHAP through a RADIUS upstream, as RD Gateway and NPS send it: a
//! challenge-flow client with `first_factor = radius` forwards the
//! MS-CHAPv2 (and MS-CHAPv1, `radtest -t mschap`) attributes to FreeRADIUS
//! (its mschap module, a users file with Cleartext-Password), asks for the
//! code, and passes FreeRADIUS's MS-CHAP2-Success and MPPE keys back in the
//! final Accept, the keys encrypted again for the client's secret and the
//! second-round request. The keys are checked against what FreeRADIUS
//! gives when asked directly, decoded by the crate and by radclient.

mod common;
mod radius_peers;

use std::time::Duration;

use common::*;
use countersign_radius::vsa::{ms, vendor_attributes, VendorAttribute, MICROSOFT};
use countersign_radius::{attr, decrypt_chap_mppe_keys, decrypt_mppe_key, Attribute, Code};
use countersign_testkit::TempDir;
use radius_peers::*;

/// radclient / the NAS <-> Countersign.
const SECRET: &str = "countersign-secret-0123";
/// Countersign <-> FreeRADIUS.
const UPSTREAM_SECRET: &str = "upstream-secret-4567";

/// RFC 2759 section 9.2: user "User", password "clientPass".
const USERS: &str = "User\tCleartext-Password := \"clientPass\"\n";
const AUTHENTICATOR_CHALLENGE: &str = "0x5b5d7c7d7b3f2f3e3c2c602132262628";
/// Ident 1, flags 0, the peer challenge, 8 reserved zeros, the NT-Response.
const CHAP2_RESPONSE: &str = "0x010021402324255e262a28295f2b3a337c7e000000000000000082309ecd8d708b5ea08faa3981cd83544233114a3d85d6df";
/// The same with the last NT-Response byte changed: a wrong password.
const WRONG_RESPONSE: &str = "0x010021402324255e262a28295f2b3a337c7e000000000000000082309ecd8d708b5ea08faa3981cd83544233114a3d85d6de";
/// RFC 2759's AuthenticatorResponse, after the ident byte.
const SUCCESS: &[u8] = b"\x01S=407A5589115FD0D6209F510FE9C04566932CDA56";

fn mschapv2(response: &str) -> String {
    format!(
        "User-Name = \"User\", MS-CHAP-Challenge = {AUTHENTICATOR_CHALLENGE}, \
         MS-CHAP2-Response = {response}, Message-Authenticator = 0x00"
    )
}

struct Setup {
    upstream: FreeRadius,
    node: RadiusNode,
    _secrets: TempDir,
}

async fn setup() -> Setup {
    let upstream = FreeRadius::with_users(UPSTREAM_SECRET, USERS);
    let secrets = TempDir::new("radius-secrets");
    let upstream_secret = secret_file(secrets.path(), "upstream.secret", UPSTREAM_SECRET);
    let upstream_address = format!("127.0.0.1:{}", upstream.port);
    let client: &[&str] = &[
        "--name",
        "rdgw",
        "--address",
        "127.0.0.1",
        "--secret",
        SECRET,
        "--flow",
        "challenge",
        "--first-factor",
        "radius",
        "--upstream",
        &upstream_address,
        "--upstream-secret-file",
        &upstream_secret,
    ];
    let node = RadiusNode::start(&Db::sqlite(), &[client]).await;
    node.user_with_token("User", "hotp").await;
    Setup {
        upstream,
        node,
        _secrets: secrets,
    }
}

/// The Microsoft sub-attributes of a packet's attributes.
fn microsoft(attributes: &[Attribute]) -> Vec<VendorAttribute> {
    let subs = attributes.iter().filter_map(vendor_attributes).flatten();
    subs.filter(|s| s.vendor == MICROSOFT).collect()
}

fn sub(subs: &[VendorAttribute], typ: u8) -> Vec<u8> {
    let found = subs.iter().find(|s| s.typ == typ);
    found
        .unwrap_or_else(|| panic!("no MS sub-attribute {typ} in {subs:?}"))
        .value
        .clone()
}

/// `0x...` as radclient prints octets, as bytes.
fn hex(text: &str) -> Vec<u8> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The first round through Countersign: the MS-CHAPv2 attributes go to
/// FreeRADIUS, which accepts; the answer is an Access-Challenge with State.
async fn first_round(s: &Setup) -> String {
    let first = radclient(s.node.port, SECRET, &mschapv2(CHAP2_RESPONSE)).await;
    first.expect(
        "Access-Challenge",
        "MS-CHAPv2 accepted upstream, then the code",
    );
    assert!(
        s.upstream.log().contains("Login OK: [User"),
        "FreeRADIUS checked MS-CHAPv2:\n{}",
        s.upstream.log()
    );
    first.attr("State").expect("a State").to_string()
}

#[tokio::test]
async fn mschapv2_through_a_freeradius_upstream_passes_success_and_keys() {
    let s = setup().await;
    // What FreeRADIUS answers when asked directly: the keys in the clear, as radclient decrypts them.
    let direct = radclient(s.upstream.port, UPSTREAM_SECRET, &mschapv2(CHAP2_RESPONSE)).await;
    direct.expect("Access-Accept", "MS-CHAPv2 straight to FreeRADIUS");
    let send_key = hex(direct.attr("MS-MPPE-Send-Key").expect("a send key"));
    let recv_key = hex(direct.attr("MS-MPPE-Recv-Key").expect("a receive key"));
    assert_eq!(send_key.len(), 16, "{}", direct.output);

    // Round two from a NAS built on the crate: the reply bytes decoded here.
    let state = first_round(&s).await;
    let nas = Nas::bind("127.0.0.1", s.node.port, SECRET).await;
    let state_attr = Attribute::new(attr::STATE, hex(&state));
    let request = nas.request(7, "User", &hotp(RFC_SECRET, 0), vec![state_attr]);
    let accept = nas.ask(&request, Duration::from_secs(5)).await;
    assert_eq!(accept.code, Code::AccessAccept, "{accept:?}");
    let subs = microsoft(&accept.attributes);
    assert_eq!(
        sub(&subs, ms::CHAP2_SUCCESS),
        SUCCESS,
        "MS-CHAP2-Success passed back"
    );
    let secret = SECRET.as_bytes();
    let sent = sub(&subs, ms::MPPE_SEND_KEY);
    let received = sub(&subs, ms::MPPE_RECV_KEY);
    assert_eq!(
        decrypt_mppe_key(&sent, secret, &request.1).unwrap(),
        send_key
    );
    assert_eq!(
        decrypt_mppe_key(&received, secret, &request.1).unwrap(),
        recv_key
    );
    assert_ne!(sent[..2], received[..2], "each key has its own salt");

    // Round two from radclient: FreeRADIUS's own decoder agrees.
    let state = first_round(&s).await;
    let code = hotp(RFC_SECRET, 1);
    let second = format!(
        "User-Name = \"User\", User-Password = \"{code}\", State = {state}, Message-Authenticator = 0x00"
    );
    let accept = radclient(s.node.port, SECRET, &second).await;
    accept.expect("Access-Accept", "the code after the MS-CHAPv2 challenge");
    assert_eq!(
        accept.attr("MS-MPPE-Send-Key"),
        direct.attr("MS-MPPE-Send-Key"),
        "{}",
        accept.output
    );
    assert_eq!(
        accept.attr("MS-MPPE-Recv-Key"),
        direct.attr("MS-MPPE-Recv-Key")
    );
    assert_eq!(
        accept.attr("MS-CHAP2-Success"),
        direct.attr("MS-CHAP2-Success")
    );

    let audit = s.node.audit("User").await;
    assert_eq!(audit.len(), 2, "{audit:#?}");
    assert!(
        audit.iter().all(|r| r["result"] == "accepted"),
        "{audit:#?}"
    );
}

#[tokio::test]
async fn wrong_mschapv2_password_is_rejected_without_a_challenge() {
    let s = setup().await;
    let wrong = radclient(s.node.port, SECRET, &mschapv2(WRONG_RESPONSE)).await;
    wrong.expect("Access-Reject", "a wrong MS-CHAPv2 response");
    assert!(
        wrong.attr("State").is_none(),
        "no challenge:\n{}",
        wrong.output
    );
    assert!(
        s.upstream.log().contains("Login incorrect"),
        "FreeRADIUS refused it:\n{}",
        s.upstream.log()
    );
    assert!(
        s.node.audit("User").await.is_empty(),
        "no second factor tried"
    );
}

/// `radtest -t mschap` (freeradius-utils) sends MS-CHAPv1; FreeRADIUS
/// answers with MS-CHAP-MPPE-Keys, hidden like a User-Password.
async fn radtest(port: u16, secret: &str) -> String {
    let out = tokio::process::Command::new("radtest")
        .args([
            "-t",
            "mschap",
            "User",
            "clientPass",
            &format!("127.0.0.1:{port}"),
            "0",
            secret,
        ])
        .output()
        .await
        .expect("radtest (freeradius-utils)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn printed(output: &str, name: &str) -> Option<String> {
    let received = output.split("Received ").nth(1)?;
    let line = received
        .lines()
        .find(|l| l.trim_start().starts_with(name))?;
    Some(line.split_once(" = ")?.1.trim().to_string())
}

#[tokio::test]
async fn radtest_mschap_v1_passes_the_chap_mppe_keys() {
    let s = setup().await;
    let direct = radtest(s.upstream.port, UPSTREAM_SECRET).await;
    assert!(direct.contains("Received Access-Accept"), "{direct}");
    let keys = printed(&direct, "MS-CHAP-MPPE-Keys").unwrap_or_else(|| panic!("{direct}"));

    let first = radtest(s.node.port, SECRET).await;
    assert!(first.contains("Received Access-Challenge"), "{first}");
    let state = printed(&first, "State").unwrap_or_else(|| panic!("{first}"));
    let nas = Nas::bind("127.0.0.1", s.node.port, SECRET).await;
    let state_attr = Attribute::new(attr::STATE, hex(&state));
    let request = nas.request(9, "User", &hotp(RFC_SECRET, 0), vec![state_attr]);
    let accept = nas.ask(&request, Duration::from_secs(5)).await;
    assert_eq!(accept.code, Code::AccessAccept, "{accept:?}");
    let hidden = sub(&microsoft(&accept.attributes), ms::CHAP_MPPE_KEYS);
    let plain = decrypt_chap_mppe_keys(&hidden, SECRET.as_bytes(), &request.1).unwrap();
    let expected = hex(&keys);
    assert_eq!(
        &plain[..expected.len()],
        expected,
        "radclient printed {keys}"
    );
}
