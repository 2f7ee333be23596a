//! Proxy mode: forwarded client addresses are believed only from
//! `http.trusted_proxies` and then land in the audit trail; plain HTTP on a
//! non-loopback address is refused unless `http.behind_proxy` is set.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use countersign_testkit::free_port;
use countersign_testkit::serving::Serving;
use serde_json::json;

/// A node behind a proxy at `trusted`, with alice and an HOTP token.
async fn behind_proxy(trusted: &str) -> (Server, Api) {
    behind_proxy_with(trusted, "x-forwarded-for").await
}

/// The same, believing only `header` (`http.forwarded_header`).
async fn behind_proxy_with(trusted: &str, header: &str) -> (Server, Api) {
    let server = Server::start_with(
        &Db::sqlite(),
        &[
            ("COUNTERSIGN_HTTP_BEHIND_PROXY", "true"),
            ("COUNTERSIGN_HTTP_TRUSTED_PROXIES", trusted),
            ("COUNTERSIGN_HTTP_FORWARDED_HEADER", header),
        ],
    )
    .await;
    let api = server.api(&server.create_key("proxy", "verify,admin"));
    api.post("/api/v1/users", json!({"username": "alice"}))
        .await
        .expect(201, "create alice");
    api.post(
        "/api/v1/users/alice/tokens",
        json!({"type": "hotp", "secret": RFC_SECRET_B32}),
    )
    .await
    .expect(201, "add alice's HOTP token");
    (server, api)
}

/// A verify sent with the header `name: value`; returns the source address
/// the audit trail recorded for it.
async fn audited_address(api: &Api, name: &str, value: &str) -> String {
    audited_address_of(api, &[(name, value)], 0).await
}

/// A verify with alice's HOTP code at `counter` (each call on one server
/// needs the next), sent with `headers`; returns the audited source address.
async fn audited_address_of(api: &Api, headers: &[(&str, &str)], counter: u64) -> String {
    let mut request = api.request(reqwest::Method::POST, "/api/v1/verify");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let code = hotp(RFC_SECRET, counter);
    let request = request.json(&json!({"username": "alice", "code": code}));
    let reply = api.send(request).await;
    let body = reply.expect(200, &format!("verify with {headers:?}"));
    assert_eq!(body["result"], "accepted", "the code is right: {body}");
    let audit = api.get("/api/v1/audit?limit=1").await;
    let audit = audit.expect(200, "GET /api/v1/audit");
    let record = &audit["records"][0];
    assert_eq!(record["username"], "alice", "the newest record: {audit}");
    record["source_address"]
        .as_str()
        .unwrap_or_else(|| panic!("the record has no source_address: {record}"))
        .to_string()
}

#[tokio::test]
async fn x_forwarded_for_from_a_trusted_proxy_sets_the_audit_address() {
    let (_server, api) = behind_proxy("127.0.0.1").await;
    let address = audited_address(&api, "X-Forwarded-For", "203.0.113.9").await;
    assert_eq!(
        address, "203.0.113.9",
        "the client address forwarded by the trusted proxy is audited"
    );
}

#[tokio::test]
async fn x_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let (_server, api) = behind_proxy("10.9.9.9").await;
    let address = audited_address(&api, "X-Forwarded-For", "203.0.113.9").await;
    assert_eq!(
        address, "127.0.0.1",
        "127.0.0.1 is not a trusted proxy: its X-Forwarded-For must not be believed"
    );
}

#[tokio::test]
async fn a_forged_forwarded_header_behind_an_xff_proxy_is_ignored() {
    // What nginx with `proxy_set_header X-Forwarded-For
    // $proxy_add_x_forwarded_for` sends on for a client that forged
    // `Forwarded`: the client's header untouched, and XFF with the address
    // nginx saw. The proxy here is this test at 127.0.0.1.
    let (_server, api) = behind_proxy("127.0.0.1").await;
    let forged = [
        ("Forwarded", "for=203.0.113.9"),
        ("X-Forwarded-For", "198.51.100.4"),
    ];
    let address = audited_address_of(&api, &forged, 0).await;
    assert_eq!(
        address, "198.51.100.4",
        "http.forwarded_header = x-forwarded-for: the proxy's X-Forwarded-For is audited, \
         never the client's own Forwarded header"
    );
    let address = audited_address_of(&api, &[("Forwarded", "for=203.0.113.9")], 1).await;
    assert_eq!(
        address, "127.0.0.1",
        "a Forwarded header alone is not believed when X-Forwarded-For is the named header"
    );
}

#[tokio::test]
async fn forwarded_header_with_an_ipv6_client_is_honoured() {
    let (_server, api) = behind_proxy_with("127.0.0.1", "forwarded").await;
    let address = audited_address_of(
        &api,
        &[
            ("Forwarded", "for=\"[2001:db8::7]:4711\""),
            ("X-Forwarded-For", "198.51.100.4"),
        ],
        0,
    )
    .await;
    assert_eq!(
        address, "2001:db8::7",
        "RFC 7239 Forwarded for= from the trusted proxy is audited without brackets or port, \
         and X-Forwarded-For is ignored when forwarded is the named header"
    );
}

#[test]
fn plain_http_on_a_public_address_without_proxy_mode_refuses_to_start() {
    let server = Server::new(&Db::sqlite());
    let listen = format!("0.0.0.0:{}", free_port());
    let mut child = server
        .command()
        .args(["serve", "--listen", &listen])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start countersign serve");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("poll the process").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("collect its output");
            panic!(
                "countersign serve --listen {listen} kept running with plain HTTP; stderr:\n{}",
                stderr(&output)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("collect its output");
    let said = stderr(&output);
    assert!(
        !output.status.success(),
        "serve must exit non-zero ({}); stderr:\n{said}",
        output.status
    );
    for words in [
        "refusing to serve plain HTTP",
        "0.0.0.0",
        "http.behind_proxy",
        "http.trusted_proxies",
        "tls.cert",
    ] {
        assert!(
            said.contains(words),
            "the refusal should say '{words}'; stderr:\n{said}"
        );
    }
}

#[tokio::test]
async fn plain_http_on_a_public_address_starts_in_proxy_mode() {
    let server = Server::with_env(
        &Db::sqlite(),
        &[
            ("COUNTERSIGN_HTTP_BEHIND_PROXY", "true"),
            ("COUNTERSIGN_HTTP_TRUSTED_PROXIES", "127.0.0.1,10.0.0.0/8"),
        ],
    );
    let serving = Serving::start(|_| server.command(), "0.0.0.0", "http");
    let url = format!("http://127.0.0.1:{}/healthz", serving.port);
    let reply = reqwest::get(&url).await.expect("the server answers");
    assert_eq!(
        reply.status(),
        200,
        "GET {url}; server log:\n{}",
        serving.stderr()
    );
}
