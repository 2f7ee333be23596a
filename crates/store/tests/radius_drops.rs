//! The `radius_drops` table on SQLite and PostgreSQL: counts add up within
//! an episode, start again after an hour of quiet, and read back by time.

use countersign_store::{open, SqlStore, StoreOptions};
use countersign_testkit::{TempDir, TempPostgres};

const NOW: i64 = 1_700_000_000;

async fn open_url(url: &str) -> SqlStore {
    let options = StoreOptions {
        url: url.to_string(),
        max_connections: 2,
        acquire_timeout: countersign_store::ACQUIRE_TIMEOUT,
        migrate: true,
    };
    open(&options).await.expect("open store")
}

async fn drops_add_up_and_start_again(store: SqlStore) {
    store
        .record_radius_drops("vpn", "bad_message_authenticator", "10.0.0.7", 1, NOW)
        .await
        .unwrap();
    store
        .record_radius_drops("vpn", "bad_message_authenticator", "10.0.0.8", 4, NOW + 60)
        .await
        .unwrap();
    store
        .record_radius_drops("192.0.2.9", "unknown_client", "192.0.2.9", 2, NOW + 30)
        .await
        .unwrap();
    let rows = store.radius_drops_since(NOW).await.unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].source, "vpn", "most recent first");
    assert_eq!(
        (rows[0].count, rows[0].first_at, rows[0].last_at),
        (5, NOW, NOW + 60)
    );
    assert_eq!(rows[0].address, "10.0.0.8", "the last address");
    assert_eq!(rows[1].cause, "unknown_client");
    assert_eq!(store.radius_drops_since(NOW + 45).await.unwrap().len(), 1);

    // After more than an hour of quiet the count starts again.
    let later = NOW + 60 + 3601;
    store
        .record_radius_drops("vpn", "bad_message_authenticator", "10.0.0.7", 3, later)
        .await
        .unwrap();
    let rows = store.radius_drops_since(later).await.unwrap();
    assert_eq!((rows[0].count, rows[0].first_at), (3, later));
}

#[tokio::test]
async fn sqlite_drops_add_up_and_start_again() {
    let dir = TempDir::new("store");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    drops_add_up_and_start_again(open_url(&url).await).await;
}

#[tokio::test]
async fn postgres_drops_add_up_and_start_again() {
    let db = TempPostgres::new().await;
    drops_add_up_and_start_again(open_url(db.url()).await).await;
}
