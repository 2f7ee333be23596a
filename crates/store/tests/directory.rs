//! A directory sync's batched writes on SQLite and PostgreSQL: adds,
//! updates (with a rename) and removals in one transaction; a batch with
//! one bad write changes nothing, and the sync then writes that batch's
//! users one by one, so only the bad one fails. The welcome emails of the
//! users a sync adds are stored many per transaction too.

mod harness;

use std::sync::Arc;

use countersign_domain::model::directory::{
    DirUser, DirectoryLink, DirectoryWrite, SyncMode, SyncScope,
};

use countersign_domain::ports::DirectoryStore;

use countersign_domain::model::messages::{MessageKind, MessageStatus, OutboxMessage};
use countersign_domain::model::portal::EnrolmentLinkRow;
use countersign_domain::model::push::Activation;
use countersign_domain::model::welcome::WelcomeRows;
use countersign_domain::ports::PortalStore;
use countersign_domain::ports::WelcomeStore;
use countersign_domain::sync::directory::{DirectorySync, SyncPolicy};
use countersign_domain::{
    FixedClock, OutboxStore, PushStore, Store, StoreError, User, UserQuery, UserStore,
};
use countersign_store::SqlStore;
use harness::{postgres, sqlite};

const NOW: i64 = 1_700_000_000;

fn add(n: usize) -> DirectoryWrite {
    let mut user = User::blank(format!("usr_{n}"), format!("user{n:04}"), NOW);
    user.phone = Some(format!("+1555010{n:04}"));
    let link = DirectoryLink {
        user_id: user.id.clone(),
        external_id: format!("uuid-{n}"),
        dn: format!("uid=user{n:04},ou=people,dc=example,dc=org"),
        disabled_by_sync: false,
    };
    DirectoryWrite::Add { user, link }
}

async fn link_of(store: &SqlStore, user_id: &str) -> Option<DirectoryLink> {
    let links = store.directory_links().await.expect("links");
    links.into_iter().find(|l| l.user_id == user_id)
}

async fn writes_apply_in_one_batch(store: SqlStore) {
    let adds: Vec<DirectoryWrite> = (1..=600).map(add).collect();
    store
        .apply_directory_writes(&adds, NOW)
        .await
        .expect("adds");
    assert_eq!(store.directory_links().await.expect("links").len(), 600);
    let one = store.user_by_name("user0001").await.expect("read");
    let mut one = one.expect("added");
    assert_eq!(one.phone.as_deref(), Some("+15550100001"));

    // A rename with new attributes, disabled by the sync; and a removal.
    one.username = "user0001b".into();
    one.phone = Some("+15550199999".into());
    one.enabled = false;
    one.updated_at = NOW + 60;
    let link = DirectoryLink {
        user_id: one.id.clone(),
        external_id: "uuid-1".into(),
        dn: "uid=user0001b,ou=people,dc=example,dc=org".into(),
        disabled_by_sync: true,
    };
    let writes = [
        DirectoryWrite::Update {
            user: one.clone(),
            rename: true,
            link,
        },
        DirectoryWrite::Remove {
            user_id: "usr_2".into(),
        },
    ];
    store
        .apply_directory_writes(&writes, NOW + 60)
        .await
        .expect("update and remove");
    assert!(store
        .user_by_name("user0001")
        .await
        .expect("read")
        .is_none());
    let renamed = store.user_by_name("user0001b").await.expect("read");
    let renamed = renamed.expect("renamed, same row");
    assert_eq!(
        (
            renamed.id.as_str(),
            renamed.phone.as_deref(),
            renamed.enabled
        ),
        ("usr_1", Some("+15550199999"), false)
    );
    let link = link_of(&store, "usr_1").await.expect("link kept");
    assert!(link.disabled_by_sync);
    assert!(link.dn.starts_with("uid=user0001b,"));
    assert!(store.user_by_id("usr_2").await.expect("read").is_none());
    assert!(
        link_of(&store, "usr_2").await.is_none(),
        "its link went too"
    );
}

async fn a_bad_write_fails_its_whole_batch(store: SqlStore) {
    store
        .apply_directory_writes(&[add(1)], NOW)
        .await
        .expect("first");
    // user0001 again under another id: the username is taken.
    let DirectoryWrite::Add { mut user, mut link } = add(1) else {
        unreachable!("add makes an Add")
    };
    user.id = "usr_other".into();
    link.user_id = user.id.clone();
    link.external_id = "uuid-other".into();
    let batch = [add(2), DirectoryWrite::Add { user, link }, add(3)];
    let err = store.apply_directory_writes(&batch, NOW).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
    for name in ["user0002", "user0003"] {
        let found = store.user_by_name(name).await.expect("read");
        assert!(found.is_none(), "{name}: nothing of the batch is kept");
    }
    assert_eq!(store.directory_links().await.expect("links").len(), 1);
}

fn entry(n: usize, username: &str) -> DirUser {
    DirUser {
        external_id: format!("uuid-{n}"),
        dn: format!("uid={username},ou=people,dc=example,dc=org"),
        username: username.to_string(),
        display_name: Some(format!("User {n}")),
        email: None,
        phone: None,
        enabled: true,
        groups: Vec::new(),
    }
}

async fn a_bad_entry_fails_alone(store: SqlStore) {
    let store: Arc<dyn Store> = Arc::new(store);
    let sync = DirectorySync::new(
        store.clone(),
        Arc::new(FixedClock::new(NOW)),
        SyncPolicy::default(),
    );
    // Two entries with one name (different ids): the second cannot be added.
    let mut entries: Vec<DirUser> = (1..=700)
        .map(|n| entry(n, &format!("user{n:04}")))
        .collect();
    entries.insert(5, entry(9999, "user0002"));
    let report = sync
        .run(entries, SyncMode::Normal, SyncScope::Full)
        .await
        .expect("run");
    assert_eq!(report.added, 701, "counted as planned");
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(
        report.errors[0].starts_with("user0002: "),
        "{:?}",
        report.errors
    );
    let query = UserQuery {
        limit: 1000,
        ..UserQuery::default()
    };
    let users = store.list_users(&query).await.expect("list");
    assert_eq!(
        users.len(),
        700,
        "everyone else, in and after the failed batch"
    );
    assert_eq!(store.directory_links().await.expect("links").len(), 700);
}

fn welcome_rows(user_id: &str, lookup: &str) -> WelcomeRows {
    WelcomeRows {
        user_id: user_id.to_string(),
        welcomed_at: NOW + 5,
        activation: Some(Activation {
            id: format!("act_{user_id}"),
            lookup: lookup.to_string(),
            secret_hash: vec![7; 32],
            user_id: user_id.to_string(),
            created_at: NOW,
            expires_at: NOW + 3600,
            attempts: 0,
            used_at: None,
        }),
        link: Some(EnrolmentLinkRow {
            id_hash: format!("hash_{user_id}"),
            user_id: user_id.to_string(),
            created_at: NOW,
            expires_at: NOW + 86_400,
            used_at: None,
            created_by: Some("welcome".into()),
        }),
        message: OutboxMessage {
            id: format!("msg_{user_id}"),
            kind: MessageKind::Email,
            purpose: "welcome".into(),
            recipient: format!("{user_id}@example.org"),
            sealed: vec![1, 2, 3],
            status: MessageStatus::Queued,
            attempts: 0,
            next_attempt_at: NOW,
            last_error: None,
            created_at: NOW,
            sent_at: None,
        },
    }
}

async fn welcomes_are_stored_together(store: SqlStore) {
    let adds: Vec<DirectoryWrite> = (1..=3).map(add).collect();
    store
        .apply_directory_writes(&adds, NOW)
        .await
        .expect("adds");
    let rows = [
        welcome_rows("usr_1", "10000001"),
        welcome_rows("usr_2", "10000002"),
    ];
    store.insert_welcomes(&rows).await.expect("welcomes");
    for (id, lookup) in [("usr_1", "10000001"), ("usr_2", "10000002")] {
        let user = store.user_by_id(id).await.expect("read").expect("user");
        assert_eq!(user.welcomed_at, Some(NOW + 5), "{id} marked welcomed");
        let activation = store.activation_by_lookup(lookup).await.expect("read");
        assert_eq!(activation.map(|a| a.user_id).as_deref(), Some(id));
        let link = store
            .enrolment_link(&format!("hash_{id}"))
            .await
            .expect("read");
        assert!(link.is_some(), "{id}'s link");
    }
    let queued = store
        .list_messages(Some(MessageStatus::Queued), 10)
        .await
        .expect("messages");
    assert_eq!(queued.len(), 2);

    // An activation lookup already taken: nothing of the batch is kept.
    let mut rows = [
        welcome_rows("usr_3", "10000003"),
        welcome_rows("usr_1b", "10000001"),
    ];
    rows[1].user_id = "usr_3".into();
    let err = store.insert_welcomes(&rows).await;
    assert!(err.is_err(), "{err:?}");
    let user = store
        .user_by_id("usr_3")
        .await
        .expect("read")
        .expect("user");
    assert_eq!(user.welcomed_at, None, "rolled back");
    assert!(store
        .activation_by_lookup("10000003")
        .await
        .expect("read")
        .is_none());
    let queued = store
        .list_messages(Some(MessageStatus::Queued), 10)
        .await
        .expect("messages");
    assert_eq!(queued.len(), 2, "no message of the failed batch");
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::sqlite().await; super::$name(s).await; } )* }
        mod postgres_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::postgres().await; super::$name(s).await; } )* }
    };
}

on_both!(
    writes_apply_in_one_batch,
    a_bad_write_fails_its_whole_batch,
    a_bad_entry_fails_alone,
    welcomes_are_stored_together,
);
