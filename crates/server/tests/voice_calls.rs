//! Phone calls through the real `countersign` binary: the server registers
//! with Kamailio (digest, qop=auth; Kamailio also challenges each INVITE
//! with 407) and calls baresip phones registered there, one per user, each
//! doing what its user does: `#`, a PIN, the fraud code, busy, never
//! answering, answering and pressing nothing. The calls run at once; the
//! doors are the API (`"wait": true`) and RADIUS (PAP, held like a push).

mod common;
mod radius_peers;

use std::time::Instant;

use common::*;
use countersign_testkit::sip::SipPeers;
use radius_peers::{free_udp_port, radclient_with};
use serde_json::{json, Value};

const SECRET: &str = "voice-radius-secret";
const SIP_PASSWORD: &str = "s3cret";
/// Short timeouts keep the test short: the smallest the configuration allows.
const RING: u64 = 5;
const KEYS: u64 = 6;

/// (user, the phone's extra sip_phone_start options)
const PHONES: &[(&str, &str)] = &[
    ("alice", "--answer-after 300 --dtmf '#' --dtmf-after 1500"),
    ("bob", "--answer-after 300 --dtmf '#' --dtmf-after 1000"),
    (
        "carol",
        "--answer-after 300 --dtmf '1234#' --dtmf-after 1000",
    ),
    (
        "dave",
        "--answer-after 300 --dtmf '4321#' --dtmf-after 1000",
    ),
    ("erin", "--answer-after 300 --dtmf '0#' --dtmf-after 1000"),
    ("frank", "--answer reject --answer-after 300"),
    ("gina", "--answer ignore"),
    ("hank", "--answer-after 300"),
];

/// Each user's number: +1555000000N, registered at Kamailio as 1555000000N.
fn number(i: usize) -> String {
    format!("+1555000000{}", i + 1)
}

struct Setup {
    server: Server,
    admin: Api,
    radius_port: u16,
    peers: SipPeers,
}

async fn setup() -> Setup {
    let peers = SipPeers::new("server-calls");
    let kam = peers.kamailio(
        "kam",
        &format!("--auth --invite-auth --qop --password {SIP_PASSWORD}"),
    );
    for (i, (name, args)) in PHONES.iter().enumerate() {
        let user = &number(i)[1..];
        peers.phone(
            name,
            user,
            &format!("--registrar {kam} --password {SIP_PASSWORD} {args}"),
        );
    }
    for (name, _) in PHONES {
        peers.wait_phone(name, "\"REGISTER_OK\"", 15);
    }
    let db = Db::sqlite();
    let radius_port = free_udp_port();
    let radius = format!("127.0.0.1:{radius_port}");
    let (ring, keys) = (RING.to_string(), KEYS.to_string());
    let mut server = Server::with_env(
        &db,
        &[
            ("COUNTERSIGN_VOICE_PROVIDER", "sip"),
            ("COUNTERSIGN_VOICE_SIP_TRUNK", &kam),
            ("COUNTERSIGN_VOICE_SIP_REGISTRAR", &kam),
            ("COUNTERSIGN_VOICE_SIP_USERNAME", "countersign"),
            ("COUNTERSIGN_VOICE_SIP_PASSWORD", SIP_PASSWORD),
            ("COUNTERSIGN_VOICE_SIP_LISTEN", "127.0.0.1:0"),
            ("COUNTERSIGN_VOICE_SIP_RTP_PORTS", "40000-44999"),
            ("COUNTERSIGN_VOICE_RING_SECONDS", &ring),
            ("COUNTERSIGN_VOICE_KEY_SECONDS", &keys),
            ("COUNTERSIGN_RADIUS_LISTEN", &radius),
            ("COUNTERSIGN_RADIUS_HOLD_SECONDS", "30"),
        ],
    );
    server.cli_ok(&[
        "radius",
        "client",
        "add",
        "--name",
        "vpn",
        "--address",
        "127.0.0.1",
        "--secret",
        SECRET,
        // The password is a method word here: `call` asks for a call.
        "--flow",
        "challenge",
    ]);
    server.spawn().await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    for (i, (name, _)) in PHONES.iter().enumerate() {
        admin
            .post(
                "/api/v1/users",
                json!({"username": name, "phone": number(i)}),
            )
            .await
            .expect(201, name);
    }
    for name in ["carol", "dave"] {
        server.cli_ok(&["user", "set-pin", name, "--pin", "1234"]);
    }
    Setup {
        server,
        admin,
        radius_port,
        peers,
    }
}

/// `POST /api/v1/verify` naming the call and waiting for it: (answer, seconds it took).
async fn call(admin: &Api, username: &str) -> (Value, f64) {
    let started = Instant::now();
    let body = json!({"username": username, "method": "call", "wait": true});
    let answer = admin
        .post("/api/v1/verify", body)
        .await
        .expect(200, username)
        .clone();
    (answer, started.elapsed().as_secs_f64())
}

fn reason(answer: &Value) -> &str {
    answer["reason"]
        .as_str()
        .unwrap_or(answer["result"].as_str().unwrap_or("?"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_decide_sign_ins_through_kamailio_at_the_api_and_radius() {
    let Setup {
        server,
        admin,
        radius_port,
        peers,
    } = setup().await;
    let pap = "User-Name = \"bob\", User-Password = \"call\", Message-Authenticator = 0x00";
    let radius = radclient_with(radius_port, SECRET, pap, "40");
    let (alice, carol, dave, erin, frank, gina, hank, radius) = tokio::join!(
        call(&admin, "alice"),
        call(&admin, "carol"),
        call(&admin, "dave"),
        call(&admin, "erin"),
        call(&admin, "frank"),
        call(&admin, "gina"),
        call(&admin, "hank"),
        radius,
    );
    assert_eq!(alice.0["result"], "accepted", "#: {}", alice.0);
    radius.expect(
        "Access-Accept",
        "RADIUS PAP held while bob answers and presses #",
    );
    assert_eq!(carol.0["result"], "accepted", "PIN 1234#: {}", carol.0);
    assert_eq!(reason(&dave.0), "pin_incorrect", "a wrong PIN: {}", dave.0);
    assert_eq!(reason(&erin.0), "fraud_reported", "0#: {}", erin.0);
    assert_eq!(reason(&frank.0), "call_busy", "486: {}", frank.0);
    assert_eq!(
        reason(&gina.0),
        "call_unanswered",
        "never answered: {}",
        gina.0
    );
    assert!(
        gina.1 < (RING + 4) as f64,
        "unanswered within the ring time: {} s",
        gina.1
    );
    assert_eq!(reason(&hank.0), "call_unanswered", "no key: {}", hank.0);
    assert!(
        hank.1 >= KEYS as f64,
        "refused after the key timeout, not before: {} s",
        hank.1
    );
    assert!(hank.1 < (RING + KEYS + 6) as f64, "{} s", hank.1);

    let erin = admin
        .get("/api/v1/users/erin")
        .await
        .expect(200, "erin")
        .clone();
    assert_eq!(
        erin["enabled"], false,
        "push.fraud_blocks_user blocks after 0#"
    );
    let blocked = call(&admin, "erin").await.0;
    assert_eq!(reason(&blocked), "user_disabled", "{blocked}");

    // What alice heard was the prompt: speech, not silence.
    peers.wait_phone("alice", "\"CALL_CLOSED\"", 10);
    let rms = peers.wav_rms(&peers.phone_recording("alice"));
    assert!(rms > 0.02, "the phone heard no speech: rms {rms}");

    let trail = admin
        .get("/api/v1/audit?username=frank")
        .await
        .expect(200, "audit")
        .clone();
    let text = trail.to_string();
    assert!(
        text.contains("\"call\"") && text.contains("call_busy"),
        "{text}"
    );
    let metrics = server.anonymous().get("/metrics").await.text;
    assert!(
        metrics.contains("countersign_calls_placed_total 8"),
        "{metrics}"
    );
    assert!(
        metrics.contains("countersign_calls_sip_status_total{status=\"486\"} 1"),
        "{metrics}"
    );

    // doctor: the trunk answers OPTIONS, the registration with Kamailio works.
    let out = server.cli(&["--json", "doctor"]);
    let findings: Value = serde_json::from_slice(&out.stdout).expect("doctor --json");
    for check in [
        "voice.trunk",
        "voice.registration",
        "voice.rtp_ports",
        "voice.codecs",
        "voice.prompts",
        "voice.holds",
    ] {
        let finding = findings
            .as_array()
            .and_then(|all| all.iter().find(|f| f["check"] == check))
            .unwrap_or_else(|| panic!("{check} missing: {findings}"));
        assert_eq!(finding["status"], "pass", "{finding}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polled_call_and_the_voice_test_command() {
    let peers = SipPeers::new("server-poll");
    let phone = peers.phone(
        "phone",
        "15550009999",
        "--answer-after 300 --dtmf '#' --dtmf-after 1500",
    );
    let trunk = phone.rsplit('@').next().unwrap_or_default().to_string();
    let db = Db::sqlite();
    let env = [
        ("COUNTERSIGN_VOICE_PROVIDER", "sip"),
        ("COUNTERSIGN_VOICE_SIP_TRUNK", trunk.as_str()),
        ("COUNTERSIGN_VOICE_SIP_LISTEN", "127.0.0.1:0"),
        ("COUNTERSIGN_VOICE_SIP_RTP_PORTS", "45000-45999"),
        ("COUNTERSIGN_VOICE_RING_SECONDS", "5"),
        ("COUNTERSIGN_VOICE_KEY_SECONDS", "8"),
    ];
    let mut server = Server::with_env(&db, &env);
    server.spawn().await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    admin
        .post(
            "/api/v1/users",
            json!({"username": "ivy", "phone": "+15550009999"}),
        )
        .await
        .expect(201, "ivy");
    let patched = admin
        .patch(
            "/api/v1/users/ivy",
            json!({"voice_phone": "+1 555 000 9999", "default_method": "call"}),
        )
        .await
        .expect(200, "voice_phone")
        .clone();
    assert_eq!(patched["voice_phone"], "+15550009999");
    let started = admin
        .post("/api/v1/verify", json!({"username": "ivy"}))
        .await
        .expect(200, "pending")
        .clone();
    assert_eq!(
        (started["result"].as_str(), started["method"].as_str()),
        (Some("pending"), Some("call")),
        "{started}"
    );
    let id = started["transaction_id"].as_str().expect("transaction_id");
    let decided = admin
        .get(&format!("/api/v1/transactions/{id}?wait=25"))
        .await
        .expect(200, "decided")
        .clone();
    assert_eq!(decided["result"], "accepted", "{decided}");
    peers.wait_phone("phone", "\"CALL_CLOSED\"", 10);

    // The operator's test call, step by step, to the same phone.
    let out = server.cli(&["voice", "test", "+15550009999"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "registration: none",
        "INVITE sip:15550009999@",
        "SIP 200",
        "PCMU",
        "keys pressed: #",
    ] {
        assert!(text.contains(step), "{step} missing from:\n{text}");
    }
}
