//! The audit stream against a real rsyslog (tests/rsyslog): records arrive
//! over UDP, TCP and TLS, each parsed by rsyslog's RFC 5424 parser; and a
//! collector stopped for 10 s under load misses nothing and gets nothing
//! twice once it is back (by `seq`).

mod common;
mod rsyslog;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Api, Db, Server};
use rsyslog::{Parsed, Rsyslog};
use serde_json::json;

/// A node streaming to `port` over `transport`, named `host` in HOSTNAME.
async fn node(db: &Db, r: &Rsyslog, transport: &str, port: u16, host: &str) -> Server {
    let address = format!("127.0.0.1:{port}");
    let ca = r.ca_file.display().to_string();
    Server::start_with(
        db,
        &[
            ("COUNTERSIGN_AUDIT_SYSLOG_ADDRESS", &address),
            ("COUNTERSIGN_AUDIT_SYSLOG_TRANSPORT", transport),
            ("COUNTERSIGN_AUDIT_SYSLOG_HOSTNAME", host),
            ("COUNTERSIGN_AUDIT_SYSLOG_CA_FILE", &ca),
            ("COUNTERSIGN_AUDIT_SYSLOG_SERVER_NAME", "localhost"),
        ],
    )
    .await
}

/// A verification that is refused (no such user): one audit record.
async fn refused(api: &Api, username: &str) {
    let reply = api
        .post(
            "/api/v1/verify",
            json!({"username": username, "code": "123456"}),
        )
        .await;
    assert_eq!(reply.status, 404, "{:?}", reply.body);
}

/// Every record's seq the API lists, oldest first, walking with `after`.
async fn all_seqs(api: &Api) -> Vec<i64> {
    let mut after = 0;
    let mut seqs = Vec::new();
    loop {
        let page = api
            .get(&format!("/api/v1/audit?after={after}&limit=1000"))
            .await;
        let page = page.expect(200, "a page of the audit trail");
        let records = page["records"].as_array().cloned().unwrap_or_default();
        if records.is_empty() {
            return seqs;
        }
        seqs.extend(records.iter().filter_map(|r| r["seq"].as_i64()));
        after = page["next"].as_i64().expect("next");
    }
}

fn from_host<'a>(received: &'a [Parsed], host: &str) -> Vec<&'a Parsed> {
    received
        .iter()
        .filter(|p| p.fields["host"] == host)
        .collect()
}

async fn wait_for(r: &Rsyslog, host: &str, count: usize, within: Duration) -> Vec<Parsed> {
    let deadline = Instant::now() + within;
    loop {
        let received = r.received();
        let mine: Vec<Parsed> = from_host(&received, host).into_iter().cloned().collect();
        if mine.len() >= count || Instant::now() > deadline {
            return mine;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_arrive_over_udp_tcp_and_tls_parsed_by_rsyslog() {
    let r = Rsyslog::start();
    let db = [Db::sqlite(), Db::sqlite(), Db::sqlite()];
    let cases = [("udp", r.udp), ("tcp", r.tcp), ("tls", r.tls)];
    for ((transport, port), db) in cases.into_iter().zip(&db) {
        let host = format!("node-{transport}");
        let server = node(db, &r, transport, port, &host).await;
        let api = server.api(&server.create_key("ops", "admin,verify"));
        for i in 0..20 {
            refused(&api, &format!("{transport}-user-{i}")).await;
        }
        let expected = all_seqs(&api).await;
        assert_eq!(expected.len(), 20);
        let got = wait_for(&r, &host, 20, Duration::from_secs(20)).await;
        let mut seqs: Vec<i64> = got
            .iter()
            .filter_map(|p| p.record["seq"].as_i64())
            .collect();
        seqs.sort();
        assert_eq!(
            seqs,
            expected,
            "{transport}: every record once; rsyslog log:\n{}",
            server.stderr()
        );
        for p in &got {
            let f = &p.fields;
            assert_eq!(f["input"], transport, "{f}");
            assert_eq!(f["version"], "1", "parsed as RFC 5424: {f}");
            assert_eq!(f["app"], "countersign");
            assert_eq!(f["msgid"], "audit");
            // auth (4) * 8 + warning (4): a refusal.
            assert_eq!(f["pri"], "36", "{f}");
            let seq = p.record["seq"].as_i64().unwrap_or(-1);
            let user = p.record["username"].as_str().unwrap_or("?");
            let sd = f["sd"].as_str().unwrap_or("");
            assert!(
                sd.starts_with(&format!(
                    "[audit@32473 seq=\"{seq}\" result=\"rejected\" user=\"{user}\" method="
                )),
                "{sd}"
            );
            assert!(sd.contains("reason=\"unknown_user\""), "{sd}");
            assert_eq!(p.record["reason"], "unknown_user");
            assert!(
                f["time"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with(&p.record["at"].as_str().unwrap_or("?")[..19]),
                "{f}"
            );
        }
    }
}

/// Verifications from two tasks until `stop`.
fn load(api: Api, stop: Arc<AtomicBool>, tag: &'static str) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            refused(&api, &format!("{tag}-{n}")).await;
            n += 1;
        }
        n
    })
}

async fn collector_stopped_for_ten_seconds(transport: &str, db: Db) {
    let mut r = Rsyslog::start();
    let port = if transport == "tls" { r.tls } else { r.tcp };
    let server = node(&db, &r, transport, port, "node-restart").await;
    let api = server.api(&server.create_key("ops", "admin,verify"));
    let stop = Arc::new(AtomicBool::new(false));
    let workers = [
        load(api.clone(), stop.clone(), "a"),
        load(api.clone(), stop.clone(), "b"),
    ];
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = all_seqs(&api).await.last().copied().unwrap_or(0);
    r.stop();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let during = all_seqs(&api).await.last().copied().unwrap_or(0);
    let metrics = api.get("/metrics").await;
    r.run();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let mut made = 0;
    for w in workers {
        made += w.await.expect("load");
    }
    let expected = all_seqs(&api).await;
    assert_eq!(expected.len() as u64, made);
    assert!(
        during > before + 50,
        "records were made while the collector was away ({before}..{during})"
    );
    let got = wait_for(&r, "node-restart", expected.len(), Duration::from_secs(60)).await;
    let mut times: BTreeMap<i64, u32> = BTreeMap::new();
    for p in &got {
        *times
            .entry(p.record["seq"].as_i64().unwrap_or(-1))
            .or_default() += 1;
    }
    let missing: Vec<i64> = expected
        .iter()
        .filter(|s| !times.contains_key(s))
        .copied()
        .collect();
    let twice: Vec<(i64, u32)> = times
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(s, n)| (*s, *n))
        .collect();
    assert!(
        missing.is_empty(),
        "{transport}: {} records never arrived, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert!(
        twice.is_empty(),
        "{transport}: {} records arrived more than once, e.g. {:?}",
        twice.len(),
        &twice[..twice.len().min(10)]
    );
    assert_eq!(times.len(), expected.len());
    // While it was away, the stream said so.
    let text = &metrics.text;
    assert!(
        text.contains("countersign_audit_stream_up{sink=\"syslog\"} 0"),
        "{text}"
    );
    let log = server.stderr();
    assert!(log.contains("the audit stream cannot deliver"), "{log}");
    assert!(
        log.contains("the audit stream's collector is back"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tcp_collector_stopped_under_load_misses_nothing_and_gets_nothing_twice() {
    collector_stopped_for_ten_seconds("tcp", Db::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tcp_collector_stopped_under_load_on_postgres_misses_nothing_and_gets_nothing_twice() {
    collector_stopped_for_ten_seconds("tcp", Db::postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_collector_stopped_under_load_misses_nothing_and_gets_nothing_twice() {
    collector_stopped_for_ten_seconds("tls", Db::sqlite()).await;
}
