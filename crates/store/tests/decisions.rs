//! The decision write (`DecisionStore::commit_decision`) on both stores:
//! the compare-and-set picks which effects are written, concurrent
//! decisions on one token win once (SQLite: inside one group commit too),
//! and the failure count locks at the threshold.

mod harness;

use countersign_domain::{AuditStore, TokenStore, UserStore};
use std::sync::Arc;

use countersign_domain::model::decision::{
    DecisionResult, DecisionWrite, Effects, FailureChange, TokenAdvance,
};

use countersign_domain::ports::DecisionStore;
use countersign_domain::{AuditQuery, AuditRecord, StoredToken, User};
use countersign_store::SqlStore;
use harness::{postgres, sqlite};

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { let (s, _g) = super::sqlite().await; super::$name(s).await; } )* }
        mod postgres_store { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { let (s, _g) = super::postgres().await; super::$name(s).await; } )* }
    };
}

on_both!(
    the_compare_and_set_picks_the_effects,
    fifty_decisions_on_one_token_win_once,
    failures_lock_at_the_threshold,
);

const NOW: i64 = 1_700_000_000;

async fn user_with_token(store: &SqlStore, name: &str) -> (String, String) {
    let user = User::blank(format!("usr_{name}"), name.to_string(), NOW);
    store.insert_user(&user).await.expect("user");
    let token = StoredToken {
        id: format!("tok_{name}"),
        user_id: user.id.clone(),
        kind: countersign_otp::Kind::Hotp,
        algorithm: countersign_otp::Algorithm::Sha1,
        digits: 6,
        period: 30,
        last_used: -1,
        drift: 0,
        sealed_secret: vec![0; 16],
        created_at: NOW,
        last_used_at: None,
        serial: None,
        issuer: None,
    };
    store.insert_token(&token).await.expect("token");
    (user.id, token.id)
}

fn audit(name: &str, user_id: &str, reason: Option<&str>) -> AuditRecord {
    AuditRecord {
        id: countersign_domain::model::ids::new_id("aud"),
        at: NOW,
        username: name.to_string(),
        user_id: Some(user_id.to_string()),
        method: "otp".into(),
        token_id: None,
        result: if reason.is_some() {
            "rejected"
        } else {
            "accepted"
        }
        .into(),
        reason: reason.map(String::from),
        api_key: Some("test".into()),
        source_address: None,
        rule: None,
    }
}

const COUNT: FailureChange = FailureChange::Count {
    threshold: 1000,
    lock_seconds: 60,
};

/// Accepted (clearing failures) if the code at `used` is fresh, else `code_reused` counted.
fn matched(name: &str, user_id: &str, token_id: &str, used: i64) -> DecisionWrite {
    DecisionWrite {
        user_id: Some(user_id.to_string()),
        now: NOW,
        cas: Some(TokenAdvance {
            token_id: token_id.to_string(),
            used,
            drift: 0,
        }),
        passkey: None,
        effects: Effects {
            failure: FailureChange::Clear,
            audit: audit(name, user_id, None),
        },
        if_cas_lost: Some(Effects {
            failure: COUNT,
            audit: audit(name, user_id, Some("code_reused")),
        }),
    }
}

async fn trail(store: &SqlStore, name: &str) -> Vec<AuditRecord> {
    let query = AuditQuery {
        username: Some(name.to_string()),
        limit: 1000,
        ..AuditQuery::default()
    };
    store.query_audit(&query).await.expect("audit")
}

async fn the_compare_and_set_picks_the_effects(store: SqlStore) {
    let (user_id, token_id) = user_with_token(&store, "ann").await;
    let plain = DecisionWrite::plain(
        Some(user_id.clone()),
        NOW,
        Effects {
            failure: COUNT,
            audit: audit("ann", &user_id, Some("code_invalid")),
        },
    );
    let first = store.commit_decision(plain).await.expect("commit");
    assert!(first.cas_won, "no compare-and-set counts as won");
    assert_eq!(first.failure.map(|f| f.failed_attempts), Some(1));

    let won = store
        .commit_decision(matched("ann", &user_id, &token_id, 0))
        .await
        .expect("commit");
    assert_eq!(
        won,
        DecisionResult {
            cas_won: true,
            failure: None,
            audit_seq: first.audit_seq + 1,
        }
    );
    let user = store
        .user_by_id(&user_id)
        .await
        .expect("read")
        .expect("user");
    assert_eq!(user.failed_attempts, 0, "a success clears the count");
    let tokens = store.tokens_of_user(&user_id).await.expect("tokens");
    assert_eq!(
        (tokens[0].last_used, tokens[0].last_used_at),
        (0, Some(NOW))
    );

    let lost = store
        .commit_decision(matched("ann", &user_id, &token_id, 0))
        .await
        .expect("commit");
    assert!(!lost.cas_won, "the same counter again loses");
    assert_eq!(lost.failure.map(|f| f.failed_attempts), Some(1));
    let reasons: Vec<Option<String>> = trail(&store, "ann")
        .await
        .into_iter()
        .map(|r| r.reason)
        .collect();
    assert_eq!(
        reasons,
        vec![
            Some("code_reused".into()),
            None,
            Some("code_invalid".into())
        ],
        "one record per decision, newest first, the one that held"
    );
}

async fn fifty_decisions_on_one_token_win_once(store: SqlStore) {
    let (user_id, token_id) = user_with_token(&store, "bob").await;
    let store = Arc::new(store);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (store, write) = (store.clone(), matched("bob", &user_id, &token_id, 7));
            tokio::spawn(async move { store.commit_decision(write).await })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        if task.await.expect("join").expect("commit").cas_won {
            won += 1;
        }
    }
    assert_eq!(won, 1, "exactly one decision wins the compare-and-set");
    let records = trail(&store, "bob").await;
    assert_eq!(records.len(), 50, "one audit record per decision");
    assert_eq!(records.iter().filter(|r| r.result == "accepted").count(), 1);
    let user = store
        .user_by_id(&user_id)
        .await
        .expect("read")
        .expect("user");
    assert_eq!(user.failed_attempts, 49, "every loser counted, none lost");
}

async fn failures_lock_at_the_threshold(store: SqlStore) {
    let (user_id, _) = user_with_token(&store, "cy").await;
    let failure = FailureChange::Count {
        threshold: 3,
        lock_seconds: 60,
    };
    let mut last = None;
    for _ in 0..3 {
        let write = DecisionWrite::plain(
            Some(user_id.clone()),
            NOW,
            Effects {
                failure,
                audit: audit("cy", &user_id, Some("code_invalid")),
            },
        );
        last = store.commit_decision(write).await.expect("commit").failure;
    }
    let state = last.expect("a failure state");
    assert_eq!(
        (state.failed_attempts, state.locked_until),
        (3, Some(NOW + 60))
    );
}
