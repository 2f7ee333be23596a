//! The token pool on both stores: import (idempotent, dry run), listing by
//! serial, assignment with and without a code, and back to the pool.

mod harness;

use std::sync::Arc;

use countersign_domain::admin::pool::TokenPool;
use countersign_domain::model::pool::PoolQuery;
use countersign_domain::signin::matching::Window;
use countersign_domain::{
    Accounts, FixedClock, NewUser, Outcome, SecretKey, Source, Store, Verification, Verifier,
    VerifyPolicy,
};
use countersign_otp::import::csv;
use countersign_otp::{totp, Algorithm};
use countersign_store::SqlStore;
use harness::{postgres, sqlite};

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::sqlite().await; super::$name(s).await; } )* }
        mod postgres_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::postgres().await; super::$name(s).await; } )* }
    };
}

on_both!(
    import_is_idempotent_and_dry_runs_count,
    assign_verify_and_return_to_pool
);

const NOW: i64 = 1_700_000_000;
const SECRET_HEX: &str = "3132333435363738393031323334353637383930";

struct World {
    accounts: Accounts,
    pool: TokenPool,
    verifier: Verifier,
    store: Arc<dyn Store>,
}

fn world(store: SqlStore) -> World {
    let store: Arc<dyn Store> = Arc::new(store);
    let clock = Arc::new(FixedClock::new(NOW));
    let (key, _) = SecretKey::generate();
    let accounts = Accounts::new(store.clone(), clock.clone(), key.clone(), "Test".into());
    let window = Window {
        totp_steps: 1,
        hotp_lookahead: 10,
    };
    World {
        pool: TokenPool::new(
            store.clone(),
            clock.clone(),
            key.clone(),
            accounts.clone(),
            window,
        ),
        verifier: Verifier::new(store.clone(), clock, key, VerifyPolicy::default()),
        accounts,
        store,
    }
}

fn file(count: usize) -> Vec<u8> {
    let mut text = String::from("serial,secret,type,digits,period_or_counter,algorithm\n");
    for i in 0..count {
        text.push_str(&format!("SN{i:05},{SECRET_HEX},totp,6,30,sha1\n"));
    }
    text.into_bytes()
}

async fn import_is_idempotent_and_dry_runs_count(store: SqlStore) {
    let w = world(store);
    let mut calls = 0;
    let mut progress = |_: usize, _: usize| calls += 1;
    let entries = csv::parse(&file(450)).expect("parse");
    let dry = w
        .pool
        .import(entries.clone(), true, &mut progress)
        .await
        .expect("dry run");
    assert_eq!((dry.imported, dry.duplicates), (450, 0));
    let listed = w
        .pool
        .list(&PoolQuery {
            limit: 10,
            ..PoolQuery::default()
        })
        .await
        .expect("list");
    assert!(listed.is_empty(), "a dry run writes nothing");
    let first = w
        .pool
        .import(entries.clone(), false, &mut |_, _| {})
        .await
        .expect("import");
    assert_eq!((first.imported, first.duplicates), (450, 0));
    let again = w
        .pool
        .import(entries, false, &mut |_, _| {})
        .await
        .expect("rerun");
    assert_eq!((again.imported, again.duplicates), (0, 450));
    let dry = w
        .pool
        .import(csv::parse(&file(460)).expect("parse"), true, &mut |_, _| {})
        .await
        .expect("dry");
    assert_eq!((dry.imported, dry.duplicates), (10, 450));
    let query = PoolQuery {
        serial: Some("SN001".into()),
        limit: 1000,
        ..PoolQuery::default()
    };
    let found = w.pool.list(&query).await.expect("search");
    assert_eq!(found.len(), 100, "SN00100..SN00199");
    assert_eq!(found[0].token.serial.as_deref(), Some("SN00100"));
    let page = PoolQuery {
        after: Some("SN00447".into()),
        limit: 10,
        ..PoolQuery::default()
    };
    let rest = w.pool.list(&page).await.expect("page");
    assert_eq!(rest.len(), 2);
    assert!(calls >= 3, "progress is reported per batch");
}

async fn assign_verify_and_return_to_pool(store: SqlStore) {
    let w = world(store);
    w.pool
        .import(csv::parse(&file(3)).expect("parse"), false, &mut |_, _| {})
        .await
        .expect("import");
    w.accounts
        .create_user(NewUser {
            username: "ann".into(),
            ..NewUser::default()
        })
        .await
        .expect("user");
    w.accounts
        .create_user(NewUser {
            username: "bob".into(),
            ..NewUser::default()
        })
        .await
        .expect("user");
    let code = totp(b"12345678901234567890", NOW as u64, 30, 6, Algorithm::Sha1);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let err = w
        .pool
        .assign("ann", "SN00000", Some(wrong))
        .await
        .expect_err("wrong code");
    assert!(err.to_string().contains("not a current code"), "{err}");
    let token = w
        .pool
        .assign("ann", "SN00000", Some(&code))
        .await
        .expect("assign");
    assert_eq!(token.serial.as_deref(), Some("SN00000"));
    let err = w
        .pool
        .assign("bob", "SN00000", None)
        .await
        .expect_err("taken");
    assert!(err.to_string().contains("another user"), "{err}");
    let verification = |code: &str| Verification {
        username: "ann".into(),
        code: code.to_string(),
        source: Source::default(),
    };
    let outcome = w
        .verifier
        .verify(&verification(&code))
        .await
        .expect("verify");
    assert!(
        matches!(outcome, Outcome::Rejected { .. }),
        "the proof used the code up"
    );
    let next = totp(
        b"12345678901234567890",
        NOW as u64 + 30,
        30,
        6,
        Algorithm::Sha1,
    );
    let outcome = w
        .verifier
        .verify(&verification(&next))
        .await
        .expect("verify");
    assert!(matches!(outcome, Outcome::Accepted { .. }), "{outcome:?}");
    let (_, tokens) = w
        .store
        .user_with_tokens("ann")
        .await
        .expect("read")
        .expect("ann");
    assert_eq!(tokens[0].serial.as_deref(), Some("SN00000"));
    let free = PoolQuery {
        unassigned_only: true,
        limit: 10,
        ..PoolQuery::default()
    };
    assert_eq!(w.pool.list(&free).await.expect("list").len(), 2);
    w.pool.unassign("SN00000").await.expect("unassign");
    assert!(
        w.pool.unassign("SN00000").await.is_err(),
        "not assigned any more"
    );
    w.pool.assign("bob", "SN00001", None).await.expect("assign");
    w.accounts.delete_user("bob").await.expect("delete");
    assert_eq!(
        w.pool.list(&free).await.expect("list").len(),
        3,
        "back in the pool"
    );
    assert!(
        w.pool.assign("bob", "SN00001", None).await.is_err(),
        "bob is gone"
    );
    assert!(w.pool.assign("ann", "nope", None).await.is_err());
}
