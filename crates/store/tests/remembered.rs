//! Remembered browsers (migration 0026) on SQLite and PostgreSQL: found by
//! the keyed hash only, a user's list newest first, forgetting one only of
//! one's own, forgetting all, expiry swept, and a deleted user's rows gone.
//! The keyed hash and the checks are the domain's `RememberedDevices`.

mod harness;

use std::sync::Arc;

use countersign_domain::model::remembered::RememberedDevice;
use countersign_domain::ports::RememberedStore;
use countersign_domain::sessions::RememberedDevices;
use countersign_domain::{FixedClock, SecretKey, User, UserStore};
use countersign_store::SqlStore;
use harness::{postgres, sqlite};

const NOW: i64 = 1_700_000_000;

async fn user(store: &SqlStore, n: usize) -> User {
    let user = User::blank(format!("usr_{n}"), format!("user{n}"), NOW);
    store.insert_user(&user).await.expect("user");
    user
}

async fn remembered_browsers(store: SqlStore) {
    let alice = user(&store, 1).await;
    let bob = user(&store, 2).await;
    let clock = Arc::new(FixedClock::new(NOW));
    let devices = RememberedDevices::new(
        Arc::new(store.clone()),
        clock.clone(),
        SecretKey::generate().0,
    );
    let chrome = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36";
    let (token, first) = devices
        .remember(&alice, 30, Some(chrome))
        .await
        .expect("remember");
    assert_eq!(first.label, "Chrome on Linux");
    assert_eq!(first.expires_at, NOW + 30 * 86_400);
    assert_ne!(first.token_hash, token, "only a keyed hash is kept");
    let row = store
        .remembered_by_hash(&first.token_hash)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(row, first);
    clock.advance(10);
    let (_, second) = devices.remember(&alice, 1, None).await.expect("again");
    let (_, bobs) = devices.remember(&bob, 7, None).await.expect("bob");
    let listed: Vec<String> = devices
        .list(&alice.id)
        .await
        .expect("list")
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(
        listed,
        [second.id.clone(), first.id.clone()],
        "newest first"
    );

    // Only alice's own can be forgotten by her.
    assert!(devices.forget(&alice.id, &bobs.id).await.is_err());
    assert_eq!(devices.list(&bob.id).await.expect("bob's").len(), 1);
    devices.forget(&alice.id, &second.id).await.expect("forget");
    assert_eq!(devices.list(&alice.id).await.expect("list").len(), 1);

    // Past its end it is not listed and is swept.
    clock.advance(8 * 86_400);
    assert!(devices.list(&bob.id).await.expect("bob's").is_empty());
    assert_eq!(devices.sweep().await.expect("sweep"), 1);
    assert_eq!(store.remembered_of(&bob.id).await.expect("rows").len(), 0);

    // Forgetting all; a deleted user's rows go with them.
    devices.remember(&alice, 5, None).await.expect("third");
    assert_eq!(devices.forget_all(&alice.id).await.expect("all"), 2);
    let (_, kept) = devices.remember(&alice, 5, None).await.expect("fourth");
    assert!(store.delete_user(&alice.id).await.expect("delete"));
    let gone: Option<RememberedDevice> = store
        .remembered_by_hash(&kept.token_hash)
        .await
        .expect("read");
    assert!(gone.is_none(), "deleted with the user");
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::sqlite().await; super::$name(s).await; } )* }
        mod postgres_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::postgres().await; super::$name(s).await; } )* }
    };
}

on_both!(remembered_browsers);
