//! The one `sessions` table on SQLite and PostgreSQL: administrators' and
//! users' sessions side by side and kept apart, each kind with its limits;
//! the token changes after the second factor; the working state is sealed;
//! "sign out everywhere" ends one subject's sessions only.

mod harness;

use std::sync::Arc;

use countersign_domain::admin::admins::{Admins, NewPassword};
use countersign_domain::model::admin::{Admin, Role};
use countersign_domain::model::session::{Level, SessionKind};
use countersign_domain::portal::{PortalPolicy, SessionData};
use countersign_domain::sessions::{Closed, SessionPolicy, Sessions};
use countersign_domain::{Accounts, FixedClock, NewUser, SecretKey, Store, User};
use countersign_store::SqlStore;
use harness::{postgres, sqlite};

const NOW: i64 = 1_700_000_000;

struct World {
    store: Arc<dyn Store>,
    clock: Arc<FixedClock>,
    accounts: Accounts,
    admins: Admins,
    /// Administrators: 10 minutes idle, an hour in all; users: the portal's defaults.
    sessions: Sessions,
}

fn world(store: SqlStore) -> World {
    let store: Arc<dyn Store> = Arc::new(store);
    let clock = Arc::new(FixedClock::new(NOW));
    let (key, _) = SecretKey::generate();
    let admin_policy = SessionPolicy {
        idle_seconds: 600,
        absolute_seconds: 3600,
    };
    let user_policy = PortalPolicy::default().sessions;
    World {
        accounts: Accounts::new(store.clone(), clock.clone(), key.clone(), "Test".into()),
        admins: Admins::new(store.clone(), clock.clone()),
        sessions: Sessions::new(store.clone(), clock.clone(), key, admin_policy, user_policy),
        store,
        clock,
    }
}

async fn admin(w: &World, name: &str) -> Admin {
    let (admin, _) = w
        .admins
        .add(name, Role::Admin, NewPassword::Generate)
        .await
        .expect("admin");
    admin
}

async fn user(w: &World, name: &str) -> User {
    let new = NewUser {
        username: name.to_string(),
        ..NewUser::default()
    };
    w.accounts.create_user(new).await.expect("user")
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::sqlite().await; super::$name(s).await; } )* }
        mod postgres_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::postgres().await; super::$name(s).await; } )* }
    };
}

on_both!(
    console_sessions_expire_and_end_everywhere,
    portal_sessions_keep_sealed_state_and_expire,
    kinds_share_the_table_and_stay_apart,
    each_kind_keeps_its_limits,
    signing_out_everywhere_ends_one_subject_only,
);

async fn console_sessions_expire_and_end_everywhere(store: SqlStore) {
    let w = world(store);
    let admin = admin(&w, "root").await;
    let sessions = &w.sessions.admins;
    let (token, _) = sessions
        .open(&admin, Level::SecondFactor, (), Some("192.0.2.1".into()))
        .await
        .expect("open");
    let live = sessions.find(&token).await.expect("find").expect("live");
    assert_eq!(live.subject.name, "root");
    // Moving on changes the token: the old one is worth nothing.
    let (signed_in, _) = sessions
        .advance(&live, Level::SignedIn)
        .await
        .expect("advance");
    assert_eq!(
        sessions.find(&token).await.expect("find").err(),
        Some(Closed::Unknown)
    );
    // Used within the idle limit it lives; past the absolute limit it ends.
    for _ in 0..5 {
        w.clock.advance(590);
        assert!(sessions.find(&signed_in).await.expect("find").is_ok());
    }
    w.clock.advance(700);
    assert_eq!(
        sessions.find(&signed_in).await.expect("find").err(),
        Some(Closed::TooOld)
    );
    // Idle; and signing out everywhere.
    let (idle, _) = sessions
        .open(&admin, Level::SignedIn, (), None)
        .await
        .expect("open");
    w.clock.advance(601);
    assert_eq!(
        sessions.find(&idle).await.expect("find").err(),
        Some(Closed::Idle)
    );
    let (a, _) = sessions
        .open(&admin, Level::SignedIn, (), None)
        .await
        .expect("open");
    let (b, _) = sessions
        .open(&admin, Level::SignedIn, (), None)
        .await
        .expect("open");
    assert_eq!(sessions.close_all(&admin.id).await.expect("close all"), 2);
    for token in [a, b] {
        assert_eq!(
            sessions.find(&token).await.expect("find").err(),
            Some(Closed::Unknown)
        );
    }
    assert_eq!(
        sessions.sweep().await.expect("sweep"),
        0,
        "expired ones were removed on sight"
    );
}

async fn portal_sessions_keep_sealed_state_and_expire(store: SqlStore) {
    let w = world(store);
    let sessions = &w.sessions.users;
    let pat = user(&w, "pat").await;
    let (token, mut live) = sessions
        .open(&pat, Level::Enrol, SessionData::default(), None)
        .await
        .expect("open");
    live.data.totp_secret = Some("JBSWY3DPEHPK3PXPJBSWY3DP".into());
    sessions.save_data(&live).await.expect("save");
    let found = sessions.find(&token).await.expect("find").expect("live");
    assert_eq!(
        found.data.totp_secret.as_deref(),
        Some("JBSWY3DPEHPK3PXPJBSWY3DP")
    );
    let row = w
        .store
        .session(SessionKind::User, &found.id_hash)
        .await
        .expect("row")
        .expect("row");
    assert!(
        !row.data.unwrap_or_default().contains("JBSWY3DP"),
        "the state is sealed"
    );
    // Moving on changes the token and clears the working state.
    let (next, _) = sessions
        .advance(&found, Level::SignedIn)
        .await
        .expect("advance");
    assert_eq!(
        sessions.find(&token).await.expect("old").err(),
        Some(Closed::Unknown)
    );
    let moved = sessions.find(&next).await.expect("find").expect("live");
    assert_eq!(
        (moved.level, moved.data.totp_secret),
        (Level::SignedIn, None)
    );
    // Idle for 15 minutes (the default) ends it; so does a disabled user.
    w.clock.advance(15 * 60);
    assert_eq!(
        sessions.find(&next).await.expect("idle").err(),
        Some(Closed::Idle)
    );
    let (again, _) = sessions
        .open(&pat, Level::SignedIn, SessionData::default(), None)
        .await
        .expect("open");
    w.accounts.set_enabled("pat", false).await.expect("disable");
    assert_eq!(
        sessions.find(&again).await.expect("disabled").err(),
        Some(Closed::Unknown)
    );
}

/// An administrator and a user, each signed in: `(administrator's token
/// and hash, user's token and hash)`.
async fn both_signed_in(w: &World) -> ((String, String), (String, String)) {
    let (root, pat) = (admin(w, "root").await, user(w, "pat").await);
    let level = Level::SignedIn;
    let admins = &w.sessions.admins;
    let (admin_token, admin_live) = admins.open(&root, level, (), None).await.expect("open");
    let users = &w.sessions.users;
    let data = SessionData::default();
    let (user_token, user_live) = users.open(&pat, level, data, None).await.expect("open");
    (
        (admin_token, admin_live.id_hash),
        (user_token, user_live.id_hash),
    )
}

/// The row's kind and subject when the store finds it as `kind`.
async fn row(w: &World, kind: SessionKind, id_hash: &str) -> Option<(SessionKind, String)> {
    let row = w.store.session(kind, id_hash).await.expect("row");
    row.map(|r| (r.kind, r.subject_id))
}

/// Both kinds live in one table; a token of one kind opens nothing as the other.
async fn kinds_share_the_table_and_stay_apart(store: SqlStore) {
    let w = world(store);
    let ((admin_token, admin_hash), (user_token, user_hash)) = both_signed_in(&w).await;
    let (admins, users) = (&w.sessions.admins, &w.sessions.users);
    let unknown = Some(Closed::Unknown);
    assert_eq!(admins.find(&user_token).await.expect("find").err(), unknown);
    assert_eq!(users.find(&admin_token).await.expect("find").err(), unknown);
    let root = w.admins.get("root").await.expect("root");
    let pat = w.accounts.user("pat").await.expect("pat");
    let (as_admin, as_user) = (SessionKind::Administrator, SessionKind::User);
    assert_eq!(
        row(&w, as_admin, &admin_hash).await,
        Some((as_admin, root.id))
    );
    assert_eq!(row(&w, as_user, &user_hash).await, Some((as_user, pat.id)));
    assert_eq!(row(&w, as_user, &admin_hash).await, None);
    assert_eq!(row(&w, as_admin, &user_hash).await, None);
}

/// Each kind expires by its own limits, in the one table.
async fn each_kind_keeps_its_limits(store: SqlStore) {
    let w = world(store);
    let ((_, admin_hash), (user_token, user_hash)) = both_signed_in(&w).await;
    let (admins, users) = (&w.sessions.admins, &w.sessions.users);
    // Eleven quiet minutes: past the administrators' idle limit, within the users'.
    w.clock.advance(11 * 60);
    assert_eq!(admins.sweep().await.expect("sweep"), 1);
    assert_eq!(users.sweep().await.expect("sweep"), 0);
    assert_eq!(row(&w, SessionKind::Administrator, &admin_hash).await, None);
    assert!(users.find(&user_token).await.expect("find").is_ok());
    w.clock.advance(15 * 60);
    assert_eq!(w.sessions.sweep().await.expect("sweep"), 1);
    assert_eq!(row(&w, SessionKind::User, &user_hash).await, None);
}

/// Signing out everywhere ends every session of one subject, and only
/// theirs; removing an administrator ends theirs too.
async fn signing_out_everywhere_ends_one_subject_only(store: SqlStore) {
    let w = world(store);
    let (root, ops) = (admin(&w, "root").await, admin(&w, "ops").await);
    let (pat, sam) = (user(&w, "pat").await, user(&w, "sam").await);
    let mut admin_tokens = Vec::new();
    for who in [&root, &root, &ops] {
        let (token, _) = w
            .sessions
            .admins
            .open(who, Level::SignedIn, (), None)
            .await
            .expect("open");
        admin_tokens.push(token);
    }
    let mut user_tokens = Vec::new();
    for who in [&pat, &pat, &sam] {
        let data = SessionData::default();
        let (token, _) = w
            .sessions
            .users
            .open(who, Level::SignedIn, data, None)
            .await
            .expect("open");
        user_tokens.push(token);
    }
    assert_eq!(
        w.sessions.admins.close_all(&root.id).await.expect("close"),
        2
    );
    assert_eq!(w.sessions.users.close_all(&pat.id).await.expect("close"), 2);
    assert_eq!(
        w.sessions.admins.close_all(&pat.id).await.expect("close"),
        0,
        "not an administrator"
    );
    let admin_alive = admins_alive(&w, &admin_tokens).await;
    assert_eq!(admin_alive, [false, false, true]);
    let mut user_alive = Vec::new();
    for token in &user_tokens {
        user_alive.push(w.sessions.users.find(token).await.expect("find").is_ok());
    }
    assert_eq!(user_alive, [false, false, true]);
    w.admins.remove("ops").await.expect("remove");
    assert_eq!(admins_alive(&w, &admin_tokens).await, [false, false, false]);
}

async fn admins_alive(w: &World, tokens: &[String]) -> Vec<bool> {
    let mut alive = Vec::new();
    for token in tokens {
        alive.push(w.sessions.admins.find(token).await.expect("find").is_ok());
    }
    alive
}
