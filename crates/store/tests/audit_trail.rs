//! The audit table on SQLite and PostgreSQL: forward pages after a
//! position, retention's batched pruning from the oldest end, and the
//! table's extent for the doctor.

mod harness;

use countersign_domain::model::audit::{AuditQuery, AuditRecord};
use countersign_domain::ports::AuditStore;
use countersign_store::SqlStore;

const DAY: i64 = 86_400;
const NOW: i64 = 1_800_000_000;

fn record(n: i64, at: i64) -> AuditRecord {
    AuditRecord {
        id: format!("aud_{n}"),
        at,
        username: format!("user{}", n % 3),
        user_id: None,
        method: "otp".into(),
        token_id: None,
        result: "rejected".into(),
        reason: Some("code_invalid".into()),
        api_key: None,
        source_address: None,
        rule: None,
    }
}

async fn pages_prunes_and_measures(store: SqlStore) {
    // 30 records 500 days old, then 20 from yesterday.
    for n in 0..50 {
        let at = if n < 30 {
            NOW - 500 * DAY + n
        } else {
            NOW - DAY + n
        };
        store.append_audit(&record(n, at)).await.expect("append");
    }
    let extent = store.audit_extent().await.expect("extent");
    assert_eq!(extent.rows, 50);
    assert_eq!(extent.oldest_at, Some(NOW - 500 * DAY));
    let last = extent.last_seq.expect("a last position");

    // Forward pages, oldest first, each after the last one's position.
    let mut after = 0;
    let mut seen = Vec::new();
    loop {
        let query = AuditQuery {
            after_seq: Some(after),
            limit: 7,
            ..AuditQuery::default()
        };
        let page = store.audit_page(&query).await.expect("page");
        if page.is_empty() {
            break;
        }
        seen.extend(page.iter().map(|(s, r)| (*s, r.id.clone())));
        after = page.last().map(|(s, _)| *s).unwrap_or(after);
    }
    assert_eq!(seen.len(), 50);
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(seen[0].1, "aud_0");
    // A forward page with a filter and an end.
    let query = AuditQuery {
        username: Some("user1".into()),
        after_seq: Some(0),
        before_seq: Some(last),
        limit: 100,
        ..AuditQuery::default()
    };
    let page = store.audit_page(&query).await.expect("page");
    assert!(page.iter().all(|(s, r)| r.username == "user1" && *s < last));
    assert_eq!(page.len(), 16);

    // Retention of 400 days: batches of 8 take the 30 old ones and stop.
    let cutoff = NOW - 400 * DAY;
    let mut batches = Vec::new();
    loop {
        let n = store.prune_audit(cutoff, 8).await.expect("prune");
        batches.push(n);
        if n < 8 {
            break;
        }
    }
    assert_eq!(batches, vec![8, 8, 8, 6]);
    assert_eq!(store.prune_audit(cutoff, 8).await.expect("again"), 0);
    let extent = store.audit_extent().await.expect("extent");
    assert_eq!(extent.rows, 20);
    assert_eq!(extent.oldest_at, Some(NOW - DAY + 30));
    assert_eq!(
        extent.last_seq,
        Some(last),
        "pruning never touches the newest"
    );
}

#[tokio::test]
async fn sqlite_pages_prunes_and_measures() {
    let (store, _guard) = harness::sqlite().await;
    pages_prunes_and_measures(store).await;
}

#[tokio::test]
async fn postgres_pages_prunes_and_measures() {
    let (store, _guard) = harness::postgres().await;
    pages_prunes_and_measures(store).await;
}
