//! `webauthn_credentials` and `webauthn_challenges` (migration 0020) on
//! SQLite and PostgreSQL: credential ids unique over all users, the
//! signature counter a compare-and-set that one of many racers wins, a
//! challenge taken once and never after it expires.

mod harness;

use countersign_domain::model::passkey::{CeremonyKind, StoredPasskey, WebauthnChallenge};
use countersign_domain::ports::{PasskeyStore, UserStore};
use countersign_domain::{StoreError, User};
use countersign_store::SqlStore;
use countersign_webauthn::{Aaguid, Algorithm, Attestation, Credential};
use harness::{postgres, sqlite};

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::sqlite().await; super::$name(s).await; } )* }
        mod postgres_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::postgres().await; super::$name(s).await; } )* }
    };
}

on_both!(
    passkeys_are_stored_listed_renamed_and_removed,
    the_counter_moves_by_compare_and_set_once,
    a_challenge_is_taken_once_and_not_after_it_expires,
);

const NOW: i64 = 1_700_000_000;

async fn user(store: &SqlStore, name: &str) -> String {
    let user = User::blank(format!("usr_{name}"), name.to_string(), NOW);
    store.insert_user(&user).await.expect("user");
    user.id
}

fn passkey(id: &str, user_id: &str, credential_id: &str) -> StoredPasskey {
    StoredPasskey {
        id: id.into(),
        user_id: user_id.into(),
        credential_id: credential_id.into(),
        credential: Credential {
            id: countersign_webauthn::parse::base64url_decode(credential_id, "id")
                .expect("base64url"),
            public_key: vec![0xa5, 1, 2, 3],
            algorithm: Algorithm::EdDsa,
            aaguid: Aaguid::parse("ee882879-721c-4913-9775-3dfcce97072a").expect("aaguid"),
            sign_count: 7,
            transports: vec!["usb".into(), "nfc".into()],
            user_verified: true,
            backup_eligible: true,
            backup_state: false,
            discoverable: Some(true),
            attestation: Attestation::SelfAttestation,
        },
        name: "YubiKey".into(),
        created_at: NOW,
        last_used_at: None,
    }
}

async fn passkeys_are_stored_listed_renamed_and_removed(store: SqlStore) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let first = passkey("pk_1", &alice, "Y3JlZC0x");
    store.insert_passkey(&first).await.expect("insert");
    let read = store
        .passkey_by_credential_id("Y3JlZC0x")
        .await
        .expect("read");
    assert_eq!(read.as_ref(), Some(&first), "every field round-trips");
    let taken = store
        .insert_passkey(&passkey("pk_2", &bob, "Y3JlZC0x"))
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    store
        .insert_passkey(&passkey("pk_3", &alice, "Y3JlZC0y"))
        .await
        .expect("a second passkey");
    assert_eq!(store.count_passkeys(&alice).await.expect("count"), 2);
    assert_eq!(store.count_passkeys(&bob).await.expect("count"), 0);
    assert!(!store
        .rename_passkey(&bob, "Y3JlZC0x", "Mine")
        .await
        .expect("rename"));
    assert!(store
        .rename_passkey(&alice, "Y3JlZC0x", "Keyring")
        .await
        .expect("rename"));
    let listed = store.passkeys_of_user(&alice).await.expect("list");
    assert_eq!(
        listed.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Keyring", "YubiKey"]
    );
    assert!(!store
        .delete_passkey(&bob, "Y3JlZC0x")
        .await
        .expect("delete"));
    assert!(store
        .delete_passkey(&alice, "Y3JlZC0x")
        .await
        .expect("delete"));
    assert_eq!(
        store
            .passkey_by_credential_id("Y3JlZC0x")
            .await
            .expect("read"),
        None
    );
}

async fn the_counter_moves_by_compare_and_set_once(store: SqlStore) {
    let alice = user(&store, "alice").await;
    store
        .insert_passkey(&passkey("pk_1", &alice, "Y3JlZC0x"))
        .await
        .expect("insert");
    // Ten sign-ins read counter 7 and race to move it to 8: one wins.
    let racers: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.advance_passkey("pk_1", 7, 8, true, NOW + 5).await })
        })
        .collect();
    let mut won = 0;
    for racer in racers {
        won += usize::from(racer.await.expect("join").expect("advance"));
    }
    assert_eq!(won, 1, "one compare-and-set wins");
    let read = store
        .passkey_by_credential_id("Y3JlZC0x")
        .await
        .expect("read");
    let read = read.expect("still there");
    assert_eq!(read.credential.sign_count, 8);
    assert!(read.credential.backup_state);
    assert_eq!(read.last_used_at, Some(NOW + 5));
    assert!(!store
        .advance_passkey("pk_1", 7, 9, true, NOW)
        .await
        .expect("stale"));
}

async fn a_challenge_is_taken_once_and_not_after_it_expires(store: SqlStore) {
    let alice = user(&store, "alice").await;
    let challenge = |id: &str, user: Option<&str>, expires_at| WebauthnChallenge {
        id: id.into(),
        kind: CeremonyKind::Assertion,
        user_id: user.map(str::to_string),
        challenge: vec![7; 32],
        expires_at,
        used: false,
    };
    store
        .insert_webauthn_challenge(&challenge("wan_1", Some(&alice), NOW + 300))
        .await
        .expect("insert");
    store
        .insert_webauthn_challenge(&challenge("wan_2", None, NOW + 300))
        .await
        .expect("a discoverable one");
    let read = store.webauthn_challenge("wan_1").await.expect("read");
    assert_eq!(read, Some(challenge("wan_1", Some(&alice), NOW + 300)));
    assert!(store
        .take_webauthn_challenge("wan_1", NOW)
        .await
        .expect("take"));
    assert!(!store
        .take_webauthn_challenge("wan_1", NOW)
        .await
        .expect("again"));
    let used = store.webauthn_challenge("wan_1").await.expect("read");
    assert!(used.expect("kept").used);
    assert!(!store
        .take_webauthn_challenge("wan_2", NOW + 300)
        .await
        .expect("expired"));
    assert!(store
        .take_webauthn_challenge("wan_2", NOW + 299)
        .await
        .expect("in time"));
    assert!(!store
        .take_webauthn_challenge("wan_x", NOW)
        .await
        .expect("unknown"));
    // Challenges long expired go as new ones come.
    store
        .insert_webauthn_challenge(&challenge("wan_3", None, NOW + 10_000))
        .await
        .expect("insert");
    assert_eq!(store.webauthn_challenge("wan_1").await.expect("read"), None);
}
