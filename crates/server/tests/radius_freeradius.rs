//! Countersign next to FreeRADIUS, both real processes on free ports:
//! FreeRADIUS as the upstream first factor of a challenge-flow client
//! (password checked there, code asked for here, its reply attributes
//! passed through), and FreeRADIUS as a proxy in front of Countersign (the
//! home server), with radclient as the NAS.

mod common;
mod radius_peers;

use common::*;
use countersign_testkit::TempDir;
use radius_peers::*;

/// radclient <-> Countersign, or FreeRADIUS proxy <-> Countersign.
const SECRET: &str = "countersign-secret-0123";
/// Countersign <-> FreeRADIUS upstream.
const UPSTREAM_SECRET: &str = "upstream-secret-4567";
/// radclient <-> FreeRADIUS proxy.
const FRONT_SECRET: &str = "front-secret-89ab";

const BOB: &str = "bob\tCleartext-Password := \"bob-first-factor\"\n\tClass := \"vpn-users\"\n";
/// "vpn-users" as radclient prints an octets attribute.
const VPN_USERS_HEX: &str = "0x76706e2d7573657273";

fn signed(attributes: &str) -> String {
    format!("{attributes}, Message-Authenticator = 0x00")
}

#[tokio::test]
async fn first_factor_by_a_freeradius_upstream() {
    let upstream = FreeRadius::with_users(UPSTREAM_SECRET, BOB);
    let secrets = TempDir::new("radius-secrets");
    let upstream_secret = secret_file(secrets.path(), "upstream.secret", UPSTREAM_SECRET);
    let upstream_address = format!("127.0.0.1:{}", upstream.port);
    let node = RadiusNode::start(
        &Db::sqlite(),
        &[&[
            "--name",
            "vpn",
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
        ]],
    )
    .await;
    node.user_with_token("bob", "hotp").await;

    let wrong = radclient(
        node.port,
        SECRET,
        &signed("User-Name = \"bob\", User-Password = \"not-his-password\""),
    )
    .await;
    wrong.expect("Access-Reject", "a wrong first factor");
    assert!(
        wrong.attr("State").is_none(),
        "no challenge after a wrong password:\n{}",
        wrong.output
    );
    assert!(
        upstream.log().contains("Login incorrect"),
        "FreeRADIUS checked the password:\n{}",
        upstream.log()
    );
    assert!(
        node.audit("bob").await.is_empty(),
        "no second factor was tried after a wrong password"
    );

    let first = radclient(
        node.port,
        SECRET,
        &signed("User-Name = \"bob\", User-Password = \"bob-first-factor\""),
    )
    .await;
    first.expect("Access-Challenge", "the right first factor");
    assert!(
        upstream.log().contains("Login OK: [bob"),
        "FreeRADIUS accepted the password:\n{}",
        upstream.log()
    );
    let state = first.attr("State").expect("a State").to_string();
    let code = hotp(RFC_SECRET, 0);
    let accept = radclient(
        node.port,
        SECRET,
        &signed(&format!(
            "User-Name = \"bob\", User-Password = \"{code}\", State = {state}"
        )),
    )
    .await;
    accept.expect("Access-Accept", "the code after the challenge");
    assert_eq!(
        accept.attr("Class"),
        Some(VPN_USERS_HEX),
        "FreeRADIUS's Class reaches the NAS in the final Accept:\n{}",
        accept.output
    );
    let audit = node.audit("bob").await;
    assert_eq!(audit.len(), 1, "{audit:#?}");
    assert_eq!(audit[0]["result"], "accepted");
    assert_eq!(audit[0]["api_key"], "radius:vpn");
}

/// radclient -> FreeRADIUS (proxy) -> Countersign (home server), otp flow.
#[tokio::test]
async fn otp_flow_through_a_freeradius_proxy() {
    let node = RadiusNode::start(
        &Db::sqlite(),
        &[&[
            "--name",
            "freeradius",
            "--address",
            "127.0.0.1",
            "--secret",
            SECRET,
        ]],
    )
    .await;
    node.user_with_token("alice", "hotp").await;
    let proxy = FreeRadius::proxy(FRONT_SECRET, node.port, SECRET);
    let code = hotp(RFC_SECRET, 0);
    let request = signed(&format!(
        "User-Name = \"alice\", User-Password = \"{code}\", NAS-IP-Address = 192.0.2.30"
    ));

    let accept = radclient(proxy.port, FRONT_SECRET, &request).await;
    accept.expect("Access-Accept", "a valid code through the proxy");
    assert_eq!(
        accept.attr("Reply-Message"),
        Some("Second factor accepted."),
        "Countersign's answer passes back through the proxy:\n{}",
        accept.output
    );
    let replay = radclient(proxy.port, FRONT_SECRET, &request).await;
    replay.expect("Access-Reject", "the same code again through the proxy");
    assert!(
        replay.reply_message().contains("(code_reused)"),
        "{}",
        replay.output
    );

    let audit = node.audit("alice").await;
    assert_eq!(audit.len(), 2, "{audit:#?}");
    for record in &audit {
        assert_eq!(record["api_key"], "radius:freeradius", "{record}");
        assert_eq!(
            record["source_address"], "192.0.2.30",
            "the NAS behind the proxy is audited: {record}"
        );
    }
    assert!(
        proxy.log().contains("Login OK"),
        "the proxy saw the Accept:\n{}",
        proxy.log()
    );
}

/// The challenge flow through the proxy: Access-Challenge and its State
/// reach the NAS, and the second round finds its way back.
#[tokio::test]
async fn challenge_flow_through_a_freeradius_proxy() {
    let node = RadiusNode::start(
        &Db::sqlite(),
        &[&[
            "--name",
            "freeradius",
            "--address",
            "127.0.0.1",
            "--secret",
            SECRET,
            "--flow",
            "challenge",
        ]],
    )
    .await;
    node.user_with_token("carol", "hotp").await;
    let proxy = FreeRadius::proxy(FRONT_SECRET, node.port, SECRET);

    let challenge = radclient(
        proxy.port,
        FRONT_SECRET,
        &signed("User-Name = \"carol\", User-Password = \"\""),
    )
    .await;
    challenge.expect("Access-Challenge", "the first round through the proxy");
    let state = challenge.attr("State").expect("a State").to_string();
    let code = hotp(RFC_SECRET, 0);
    radclient(
        proxy.port,
        FRONT_SECRET,
        &signed(&format!(
            "User-Name = \"carol\", User-Password = \"{code}\", State = {state}"
        )),
    )
    .await
    .expect("Access-Accept", "the code with the State through the proxy");
    assert_eq!(node.audit("carol").await.len(), 1);
}

/// A node whose one client takes its first factor from `upstream_address`;
/// `relaxed`: with `--allow-upstream-without-message-authenticator`.
async fn node_with_upstream(
    upstream_address: &str,
    secret_file: &str,
    relaxed: bool,
) -> RadiusNode {
    let mut args = vec![
        "--name",
        "vpn",
        "--address",
        "127.0.0.1",
        "--secret",
        SECRET,
        "--flow",
        "challenge",
        "--first-factor",
        "radius",
        "--upstream",
        upstream_address,
        "--upstream-secret-file",
        secret_file,
    ];
    if relaxed {
        args.push("--allow-upstream-without-message-authenticator");
    }
    let node = RadiusNode::start(&Db::sqlite(), &[&args]).await;
    node.user_with_token("bob", "hotp").await;
    node
}

/// An upstream whose answers lack Message-Authenticator (FreeRADIUS before
/// 3.2.5 by default): refused, so the NAS gets no answer and the log says
/// why; with `--allow-upstream-without-message-authenticator` the client is
/// let through, and the start-up log warns about it.
#[tokio::test]
async fn upstream_answers_must_carry_message_authenticator() {
    let upstream = FreeRadius::with_users_unsigned(UPSTREAM_SECRET, BOB);
    let secrets = TempDir::new("radius-secrets");
    let upstream_secret = secret_file(secrets.path(), "upstream.secret", UPSTREAM_SECRET);
    let upstream_address = format!("127.0.0.1:{}", upstream.port);
    let password = signed("User-Name = \"bob\", User-Password = \"bob-first-factor\"");

    let strict = node_with_upstream(&upstream_address, &upstream_secret, false).await;
    let refused = radclient(strict.port, SECRET, &password).await;
    assert!(
        !refused.output.contains("Access-Challenge") && !refused.output.contains("Access-Accept"),
        "an unsigned upstream answer must not pass:\n{}",
        refused.output
    );
    assert!(
        upstream.log().contains("Login OK: [bob"),
        "FreeRADIUS did answer (Accept):\n{}",
        upstream.log()
    );
    let log = strict.server.stderr();
    assert!(
        log.contains("upstream RADIUS answer refused: it carries no Message-Authenticator"),
        "the log says why:\n{log}"
    );
    drop(strict);

    let relaxed = node_with_upstream(&upstream_address, &upstream_secret, true).await;
    let challenged = radclient(relaxed.port, SECRET, &password).await;
    challenged.expect(
        "Access-Challenge",
        "the relaxed client lets the answer through",
    );
    let log = relaxed.server.stderr();
    assert!(
        log.contains("upstream_require_message_authenticator back on"),
        "the relaxed client is warned about at start:\n{log}"
    );
}
