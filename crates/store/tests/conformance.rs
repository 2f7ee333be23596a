//! One behaviour for every store: each check runs on SQLite and on PostgreSQL.

mod harness;

use std::sync::Arc;

use countersign_domain::portal::PasswordProof;
use countersign_domain::{
    Accounts, ApiKeys, AuditQuery, AuditRecord, FixedClock, Method, NewUser, Outcome, Reason,
    Scope, SecretKey, Source, Store, TokenSpec, UserPatch, UserQuery, Verification, Verifier,
    VerifyPolicy,
};
use countersign_store::SqlStore;
use harness::{postgres, sqlite};

const NOW: i64 = 1_700_000_000;

struct World {
    store: Arc<dyn Store>,
    clock: Arc<FixedClock>,
    accounts: Accounts,
    verifier: Verifier,
}

fn world(store: SqlStore) -> World {
    let store: Arc<dyn Store> = Arc::new(store);
    let clock = Arc::new(FixedClock::new(NOW));
    let (key, _) = SecretKey::generate();
    World {
        accounts: Accounts::new(store.clone(), clock.clone(), key.clone(), "Test".into()),
        verifier: Verifier::new(
            store.clone(),
            clock.clone(),
            key,
            VerifyPolicy {
                lockout_threshold: 3,
                ..VerifyPolicy::default()
            },
        ),
        store,
        clock,
    }
}

fn user(name: &str) -> NewUser {
    NewUser {
        username: name.to_string(),
        ..NewUser::default()
    }
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::sqlite().await; super::$name(s).await; } )* }
        mod postgres_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::postgres().await; super::$name(s).await; } )* }
    };
}

on_both!(
    users_are_unique_ignoring_case,
    users_list_filters_and_pages,
    users_update_and_delete,
    api_keys_hash_and_revoke,
    totp_code_is_accepted_once,
    concurrent_same_code_wins_once,
    lockout_counts_and_expires,
    audit_filters_newest_first,
    migrations_are_idempotent,
    meta_is_written_once,
    expired_activation_is_refused,
    challenges_are_taken_once,
    emailed_codes_expire,
    push_counts_and_expired_nonces,
    bypass_is_taken_once,
    settings_are_stored_and_reread,
    enrolment_links_are_single_use_and_expire,
    portal_pins_follow_the_policy_and_history,
    leases_go_to_one_holder_at_a_time,
);

async fn users_are_unique_ignoring_case(store: SqlStore) {
    let w = world(store);
    w.accounts.create_user(user("Alice")).await.expect("create");
    let err = w
        .accounts
        .create_user(user("alice"))
        .await
        .expect_err("duplicate");
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(
        w.accounts.user("ALICE").await.expect("found").username,
        "Alice"
    );
}

async fn users_list_filters_and_pages(store: SqlStore) {
    let w = world(store);
    for name in ["carol", "alice", "bob", "dave_x", "dave%y"] {
        w.accounts.create_user(user(name)).await.expect("create");
    }
    let page = |query: Option<&str>, after: Option<&str>, limit| UserQuery {
        query: query.map(String::from),
        after: after.map(String::from),
        limit,
        locked_at: None,
    };
    let names = |users: Vec<countersign_domain::User>| {
        users.into_iter().map(|u| u.username).collect::<Vec<_>>()
    };
    assert_eq!(
        names(
            w.accounts
                .list_users(page(None, None, 2))
                .await
                .expect("list")
        ),
        ["alice", "bob"]
    );
    assert_eq!(
        names(
            w.accounts
                .list_users(page(None, Some("bob"), 2))
                .await
                .expect("list")
        ),
        ["carol", "dave%y"]
    );
    assert_eq!(
        names(
            w.accounts
                .list_users(page(Some("_"), None, 10))
                .await
                .expect("list")
        ),
        ["dave_x"]
    );
    assert_eq!(
        names(
            w.accounts
                .list_users(page(Some("%"), None, 10))
                .await
                .expect("list")
        ),
        ["dave%y"]
    );
}

async fn users_update_and_delete(store: SqlStore) {
    let w = world(store);
    w.accounts.create_user(user("erin")).await.expect("create");
    let patch = UserPatch {
        email: Some(Some("erin@example.org".into())),
        phone: Some(Some("+44 1632 960123".into())),
        ..UserPatch::default()
    };
    let updated = w.accounts.update_user("erin", patch).await.expect("update");
    assert_eq!(updated.phone.as_deref(), Some("+441632960123"));
    let cleared = w
        .accounts
        .update_user(
            "erin",
            UserPatch {
                email: Some(None),
                ..UserPatch::default()
            },
        )
        .await
        .expect("clear");
    assert_eq!(cleared.email, None);
    let methods = UserPatch {
        default_method: Some(Some(Method::Sms)),
        allowed_methods: Some(Some(vec![Method::Sms, Method::Otp])),
        ..UserPatch::default()
    };
    w.accounts
        .update_user("erin", methods)
        .await
        .expect("methods");
    let read = w.accounts.user("erin").await.expect("read");
    assert_eq!(read.default_method, Some(Method::Sms));
    assert_eq!(read.allowed_methods, Some(vec![Method::Sms, Method::Otp]));
    assert_eq!(
        w.accounts
            .user("erin")
            .await
            .expect("read")
            .phone
            .as_deref(),
        Some("+441632960123")
    );
    w.accounts
        .add_token("erin", TokenSpec::default())
        .await
        .expect("token");
    w.accounts.delete_user("erin").await.expect("delete");
    assert!(w.accounts.user("erin").await.is_err());
}

async fn api_keys_hash_and_revoke(store: SqlStore) {
    let w = world(store);
    let keys = ApiKeys::new(w.store.clone(), w.clock.clone());
    let (key, plain) = keys
        .create("app", vec![Scope::Verify])
        .await
        .expect("create");
    assert_ne!(key.hash, plain.as_bytes());
    assert_eq!(
        keys.authenticate(&plain)
            .await
            .expect("auth")
            .map(|k| k.name),
        Some("app".into())
    );
    assert!(keys
        .authenticate(&format!("{plain}x"))
        .await
        .expect("auth")
        .is_none());
    assert!(
        keys.create("app", vec![Scope::Admin]).await.is_err(),
        "names are unique among live keys"
    );
    keys.revoke("app").await.expect("revoke");
    assert!(keys.authenticate(&plain).await.expect("auth").is_none());
    keys.create("app", vec![Scope::Admin])
        .await
        .expect("name free again after revoke");
}

fn verification(name: &str, code: &str) -> Verification {
    Verification {
        username: name.into(),
        code: code.into(),
        source: Source {
            client: Some("test".into()),
            address: Some("127.0.0.1".into()),
            rule: None,
        },
    }
}

async fn totp_user(w: &World, name: &str) -> Vec<u8> {
    w.accounts.create_user(user(name)).await.expect("create");
    let secret = b"12345678901234567890".to_vec();
    let spec = TokenSpec {
        secret: Some(countersign_otp::base32::encode(&secret)),
        ..TokenSpec::default()
    };
    w.accounts.add_token(name, spec).await.expect("token");
    secret
}

fn code_now(secret: &[u8], clock: &FixedClock) -> String {
    use countersign_domain::Clock;
    countersign_otp::totp(
        secret,
        clock.now() as u64,
        30,
        6,
        countersign_otp::Algorithm::Sha1,
    )
}

async fn totp_code_is_accepted_once(store: SqlStore) {
    let w = world(store);
    let secret = totp_user(&w, "frank").await;
    let code = code_now(&secret, &w.clock);
    assert!(matches!(
        w.verifier
            .verify(&verification("frank", &code))
            .await
            .expect("verify"),
        Outcome::Accepted { .. }
    ));
    let again = w
        .verifier
        .verify(&verification("frank", &code))
        .await
        .expect("verify");
    assert_eq!(
        again,
        Outcome::Rejected {
            reason: Reason::CodeReused
        }
    );
    w.clock.advance(30);
    let next = code_now(&secret, &w.clock);
    assert!(matches!(
        w.verifier
            .verify(&verification("frank", &next))
            .await
            .expect("verify"),
        Outcome::Accepted { .. }
    ));
}

async fn concurrent_same_code_wins_once(store: SqlStore) {
    let w = world(store);
    let secret = totp_user(&w, "gina").await;
    let code = code_now(&secret, &w.clock);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let verifier = w.verifier.clone();
            let code = code.clone();
            tokio::spawn(async move { verifier.verify(&verification("gina", &code)).await })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        if let Outcome::Accepted { .. } = task.await.expect("join").expect("verify") {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1);
}

async fn lockout_counts_and_expires(store: SqlStore) {
    let w = world(store);
    let secret = totp_user(&w, "hank").await;
    for _ in 0..3 {
        let out = w
            .verifier
            .verify(&verification("hank", "000000"))
            .await
            .expect("verify");
        assert_eq!(
            out,
            Outcome::Rejected {
                reason: Reason::CodeInvalid
            }
        );
    }
    let code = code_now(&secret, &w.clock);
    assert_eq!(
        w.verifier
            .verify(&verification("hank", &code))
            .await
            .expect("verify"),
        Outcome::Rejected {
            reason: Reason::UserLockedOut
        }
    );
    w.clock.advance(15 * 60 + 1);
    let later = code_now(&secret, &w.clock);
    assert!(matches!(
        w.verifier
            .verify(&verification("hank", &later))
            .await
            .expect("verify"),
        Outcome::Accepted { .. }
    ));
    let user = w.accounts.user("hank").await.expect("user");
    assert_eq!((user.failed_attempts, user.locked_until), (0, None));
}

async fn audit_filters_newest_first(store: SqlStore) {
    let w = world(store);
    for (i, result) in ["accepted", "rejected", "rejected"].iter().enumerate() {
        let record = AuditRecord {
            id: format!("aud_{i}"),
            at: NOW + i as i64,
            username: if i == 2 { "Other".into() } else { "Ivy".into() },
            user_id: None,
            method: "otp".into(),
            token_id: None,
            result: result.to_string(),
            reason: None,
            api_key: Some("k".into()),
            source_address: None,
            rule: None,
        };
        w.store.append_audit(&record).await.expect("append");
    }
    let query = |username: Option<&str>, result: Option<&str>, since| AuditQuery {
        username: username.map(String::from),
        result: result.map(String::from),
        since,
        limit: 10,
        ..AuditQuery::default()
    };
    let ids = |records: Vec<AuditRecord>| records.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(w
            .store
            .query_audit(&query(None, None, None))
            .await
            .expect("q")),
        ["aud_2", "aud_1", "aud_0"]
    );
    assert_eq!(
        ids(w
            .store
            .query_audit(&query(Some("ivy"), None, None))
            .await
            .expect("q")),
        ["aud_1", "aud_0"]
    );
    assert_eq!(
        ids(w
            .store
            .query_audit(&query(None, Some("rejected"), Some(NOW + 2)))
            .await
            .expect("q")),
        ["aud_2"]
    );
    // Pages by position: one record at a time, newest first, then nothing.
    let mut cursor = None;
    let mut seen = Vec::new();
    loop {
        let page = w
            .store
            .audit_page(&AuditQuery {
                limit: 1,
                before_seq: cursor,
                ..AuditQuery::default()
            })
            .await
            .expect("page");
        let Some((seq, record)) = page.into_iter().next() else {
            break;
        };
        seen.push(record.id);
        cursor = Some(seq);
    }
    assert_eq!(seen, ["aud_2", "aud_1", "aud_0"]);
    let until = w
        .store
        .query_audit(&AuditQuery {
            until: Some(NOW + 1),
            client: Some("k".into()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .expect("until");
    assert_eq!(ids(until), ["aud_0"]);
}

async fn migrations_are_idempotent(store: SqlStore) {
    assert!(countersign_store::migrate::run(&store)
        .await
        .expect("rerun")
        .is_empty());
    let status = countersign_store::migrate::status(&store)
        .await
        .expect("status");
    assert!(status.iter().all(|m| m.applied));
}

async fn meta_is_written_once(store: SqlStore) {
    let w = world(store);
    assert_eq!(
        w.store.put_meta_once("k", b"first").await.expect("put"),
        b"first"
    );
    assert_eq!(
        w.store.put_meta_once("k", b"second").await.expect("put"),
        b"first"
    );
    assert_eq!(w.store.get_meta("missing").await.expect("get"), None);
}

struct Silent;

#[async_trait::async_trait]
impl countersign_domain::ports::PushNotifier for Silent {
    async fn request(&self, _transaction: &countersign_domain::model::push::PushTransaction) {}
    async fn decided(&self, _transaction_id: &str) {}
}

async fn expired_activation_is_refused(store: SqlStore) {
    use countersign_domain::methods::push::activation::{ActivationError, DeviceRegistration};
    let w = world(store);
    let (key, _) = SecretKey::generate();
    let push = countersign_domain::methods::push::Push::new(
        w.store.clone(),
        w.clock.clone(),
        key,
        countersign_domain::methods::push::policy::PushPolicy::default(),
        w.accounts.clone(),
        w.verifier.clone(),
        Arc::new(Silent),
    );
    w.accounts.create_user(user("ivan")).await.expect("create");
    let grant = push.create_activation("ivan").await.expect("activation");
    w.clock.advance(10 * 60 + 1);
    let registration = DeviceRegistration {
        code: grant.grouped(),
        public_key: format!("BA{}=", "A".repeat(85)),
        device_name: "phone".into(),
        platform: "test".into(),
        pin_key: None,
    };
    let err = push.activate(registration).await.expect_err("expired");
    assert!(matches!(err, ActivationError::Expired), "{err:?}");
    assert!(err.to_string().contains("expired"), "{err}");
}

async fn challenges_are_taken_once(store: SqlStore) {
    let w = world(store);
    let challenge = countersign_domain::model::radius::Challenge {
        state: "state-1".into(),
        username: "judy".into(),
        client: "vpn".into(),
        attributes: vec![25, 3, 1],
        expires_at: NOW + 60,
        transaction_id: Some("chl_1".into()),
    };
    w.store.insert_challenge(&challenge).await.expect("insert");
    assert_eq!(
        w.store.take_challenge("state-1", NOW).await.expect("take"),
        Some(challenge.clone())
    );
    assert_eq!(
        w.store.take_challenge("state-1", NOW).await.expect("take"),
        None,
        "a State answers once"
    );
    let late = countersign_domain::model::radius::Challenge {
        state: "state-2".into(),
        ..challenge
    };
    w.store.insert_challenge(&late).await.expect("insert");
    assert_eq!(
        w.store
            .take_challenge("state-2", NOW + 61)
            .await
            .expect("take"),
        None,
        "expired"
    );
}

/// Keeps what would be sent; the real SMTP and SMS paths have their own tests.
#[derive(Default)]
struct Kept(std::sync::Mutex<Vec<String>>);

#[async_trait::async_trait]
impl countersign_domain::ports::Messenger for Kept {
    async fn send(
        &self,
        _kind: countersign_domain::model::messages::MessageKind,
        _to: &str,
        content: &countersign_domain::model::messages::MessageContent,
    ) -> Result<(), countersign_domain::model::messages::SendFailure> {
        self.0.lock().expect("lock").push(content.text.clone());
        Ok(())
    }
}

struct CodeOnly;

impl countersign_domain::ports::Composer for CodeOnly {
    fn render(
        &self,
        template: &str,
        _language: Option<&str>,
        context: &serde_json::Value,
    ) -> Result<String, String> {
        Ok(format!(
            "{template}: {}",
            context["code"].as_str().unwrap_or_default()
        ))
    }
}

async fn emailed_codes_expire(store: SqlStore) {
    use countersign_domain::methods::codes::{CodePolicy, CodeStart, Codes};
    use countersign_domain::model::messages::MessageKind;
    let w = world(store);
    let (key, _) = SecretKey::generate();
    let kept = Arc::new(Kept::default());
    let outbox = countersign_domain::methods::outbox::Outbox::new(
        w.store.clone(),
        w.clock.clone(),
        key.clone(),
        kept.clone(),
    );
    let codes = Codes::new(
        w.store.clone(),
        w.clock.clone(),
        key,
        outbox.clone(),
        Arc::new(CodeOnly),
        w.verifier.clone(),
        CodePolicy::default(),
    );
    let new = NewUser {
        username: "kim".into(),
        email: Some("kim@example.org".into()),
        ..NewUser::default()
    };
    w.accounts.create_user(new).await.expect("create");
    let source = Source::default();
    let CodeStart::Challenge { transaction_id, .. } = codes
        .start("kim", MessageKind::Email, &source)
        .await
        .expect("start")
    else {
        panic!("a challenge")
    };
    assert_eq!(outbox.run_due(10).await.expect("send"), 1);
    let text = kept.0.lock().expect("lock")[0].clone();
    let code = text.rsplit(' ').next().expect("code").to_string();
    w.clock.advance(5 * 60 + 1);
    let verdict = codes
        .check("kim", &transaction_id, &code, &source)
        .await
        .expect("check");
    assert_eq!(verdict, (Some(Reason::CodeExpired), "email".to_string()));
}

async fn push_counts_and_expired_nonces(store: SqlStore) {
    use countersign_domain::model::push::{PushTransaction, TxStatus};
    let w = world(store);
    let nina = w.accounts.create_user(user("nina")).await.expect("create");
    for (i, age) in [30, 59, 61, 3599, 3601].iter().enumerate() {
        let transaction = PushTransaction {
            id: format!("txn_count_{i}"),
            user_id: nina.id.clone(),
            username: nina.username.clone(),
            number: None,
            pin_required: false,
            status: TxStatus::Pending,
            reason: None,
            application: None,
            client_address: None,
            api_key: None,
            created_at: NOW - age,
            expires_at: NOW - age + 60,
            decided_at: None,
            device_id: None,
        };
        w.store
            .insert_transaction(&transaction)
            .await
            .expect("insert");
    }
    let counts = w
        .store
        .count_recent_transactions(&nina.id, NOW - 60, NOW - 3600);
    assert_eq!(counts.await.expect("count"), (2, 4));
    let none = w
        .store
        .count_recent_transactions("usr_nobody", NOW - 60, NOW - 3600);
    assert_eq!(none.await.expect("count"), (0, 0));

    // Signed requests only insert their nonce; expired ones go on a timer.
    let s = &w.store;
    assert!(s
        .use_nonce("dev_a", "nonce-a", NOW + 10, NOW)
        .await
        .expect("use"));
    assert!(s
        .use_nonce("dev_a", "nonce-b", NOW + 20, NOW)
        .await
        .expect("use"));
    assert!(!s
        .use_nonce("dev_a", "nonce-a", NOW + 10, NOW + 11)
        .await
        .expect("use"));
    assert_eq!(s.delete_expired_nonces(NOW).await.expect("clean"), 0);
    assert_eq!(s.delete_expired_nonces(NOW + 10).await.expect("clean"), 1);
    assert!(s
        .use_nonce("dev_a", "nonce-a", NOW + 30, NOW + 11)
        .await
        .expect("use"));
    assert!(!s
        .use_nonce("dev_a", "nonce-b", NOW + 20, NOW + 11)
        .await
        .expect("use"));
}

async fn bypass_is_taken_once(store: SqlStore) {
    let w = world(store);
    w.accounts.create_user(user("alice")).await.expect("alice");
    let granted = w
        .accounts
        .grant_bypass("alice", 300, "ticket 1")
        .await
        .expect("grant");
    assert_eq!(granted.bypass_until, Some(NOW + 300));
    let id = granted.id.clone();
    let takes = futures_take(&w, &id).await;
    assert_eq!(takes.iter().filter(|t| **t).count(), 1, "{takes:?}");
    let again = w
        .accounts
        .grant_bypass("alice", 60, "ticket 2")
        .await
        .expect("grant");
    w.clock.advance(61);
    assert!(
        !w.store
            .take_bypass(&again.id, NOW + 61)
            .await
            .expect("take"),
        "expired"
    );
    assert!(w.accounts.grant_bypass("alice", 0, "x").await.is_err());
}

/// Five concurrent takes of one bypass.
async fn futures_take(w: &World, id: &str) -> Vec<bool> {
    let take = || w.store.take_bypass(id, NOW);
    let (a, b, c, d, e) = tokio::join!(take(), take(), take(), take(), take());
    [a, b, c, d, e]
        .into_iter()
        .map(|r| r.expect("take"))
        .collect()
}

async fn settings_are_stored_and_reread(store: SqlStore) {
    use countersign_domain::admin::settings::{Settings, SettingsHandle, SettingsService};
    let w = world(store);
    let defaults = Settings {
        lockout_threshold: 7,
        ..Settings::default()
    };
    let live = SettingsHandle::new(Settings::default());
    let service = SettingsService::new(w.store.clone(), live.clone(), defaults.clone());
    assert_eq!(
        service.refresh().await.expect("refresh"),
        defaults,
        "nothing stored yet"
    );
    let wanted = Settings {
        allow_method_choice: false,
        ..defaults.clone()
    };
    service.save(wanted.clone()).await.expect("save");
    // Another node's service reads what this one saved.
    let other = SettingsService::new(w.store.clone(), SettingsHandle::default(), defaults);
    assert_eq!(other.refresh().await.expect("refresh"), wanted);
    let bad = Settings {
        lockout_threshold: 0,
        ..wanted.clone()
    };
    assert!(service.save(bad).await.is_err());
    assert_eq!(live.get(), wanted, "a refused save changes nothing");
}

fn portal_of(w: &World) -> (countersign_domain::portal::Portal, Arc<Kept>) {
    use countersign_domain::portal::{Portal, PortalPolicy};
    let (key, _) = SecretKey::generate();
    let kept = Arc::new(Kept::default());
    let outbox = countersign_domain::methods::outbox::Outbox::new(
        w.store.clone(),
        w.clock.clone(),
        key.clone(),
        kept.clone(),
    );
    let portal = Portal::new(
        w.store.clone(),
        w.clock.clone(),
        key,
        outbox,
        Arc::new(CodeOnly),
        w.verifier.settings().clone(),
        PortalPolicy {
            public_url: "https://mfa.example.org/".into(),
            ..PortalPolicy::default()
        },
    );
    (portal, kept)
}

async fn enrolment_links_are_single_use_and_expire(store: SqlStore) {
    use countersign_domain::portal::LinkState;
    let w = world(store);
    let (portal, _) = portal_of(&w);
    let pat = w.accounts.create_user(user("pat")).await.expect("create");
    let (url, expires_at) = portal.create_link(&pat, "test").await.expect("link");
    assert_eq!(expires_at, NOW + 7 * 86_400, "a week by default");
    let token = url.rsplit('/').next().expect("token").to_string();
    assert!(
        url.starts_with("https://mfa.example.org/portal/link/"),
        "{url}"
    );
    // Looking does not use it; the first take does, and only once.
    assert!(matches!(
        portal.link_state(&token).await.expect("state"),
        LinkState::Valid { .. }
    ));
    let taken = portal.take_link(&token).await.expect("take");
    assert_eq!(taken.expect("taken").username, "pat");
    assert_eq!(
        portal.take_link(&token).await.expect("again").err(),
        Some(LinkState::Used)
    );
    assert_eq!(
        portal
            .link_state("x".repeat(32).as_str())
            .await
            .expect("unknown"),
        LinkState::Unknown
    );
    assert_eq!(
        portal.take_link("../etc/passwd").await.expect("junk").err(),
        Some(LinkState::Unknown)
    );
    // A link not used within its time is refused.
    let (url, _) = portal.create_link(&pat, "test").await.expect("link");
    let token = url.rsplit('/').next().expect("token").to_string();
    w.clock.advance(7 * 86_400);
    assert_eq!(
        portal.link_state(&token).await.expect("state"),
        LinkState::Expired
    );
    assert_eq!(
        portal.take_link(&token).await.expect("take").err(),
        Some(LinkState::Expired)
    );
}

async fn portal_pins_follow_the_policy_and_history(store: SqlStore) {
    let w = world(store);
    let (portal, _) = portal_of(&w);
    let pat = w.accounts.create_user(user("pat")).await.expect("create");
    for trivial in ["1111", "1234", "9876"] {
        assert!(
            portal.set_pin(&pat, trivial, trivial).await.is_err(),
            "{trivial}"
        );
    }
    assert!(
        portal.set_pin(&pat, "2468", "2469").await.is_err(),
        "both fields must match"
    );
    let pins = ["2468", "1357", "8024", "5173", "6295", "7316"];
    for pin in pins {
        portal.set_pin(&pat, pin, pin).await.expect("a new PIN");
    }
    // The last five may not come back; the sixth-last may.
    for old in &pins[1..] {
        let err = portal
            .set_pin(&pat, old, old)
            .await
            .expect_err("in the history");
        assert!(err.to_string().contains("last 5"), "{err}");
    }
    portal
        .set_pin(&pat, "2468", "2468")
        .await
        .expect("old enough");
    assert!(portal.has_password(&pat.id).await.expect("has").eq(&false));
    assert!(portal
        .set_password(&pat, PasswordProof::Link, "short", "short")
        .await
        .is_err());
    portal
        .set_password(
            &pat,
            PasswordProof::Link,
            "a long portal password",
            "a long portal password",
        )
        .await
        .expect("password");
    let found = portal
        .check_password("PAT", "a long portal password")
        .await
        .expect("check");
    assert_eq!(found.expect("right").username, "pat");
    assert!(portal
        .check_password("pat", "wrong password!")
        .await
        .expect("check")
        .is_none());
    assert!(portal
        .check_password("nobody", "a long portal password")
        .await
        .expect("check")
        .is_none());
}

async fn leases_go_to_one_holder_at_a_time(store: SqlStore) {
    let w = world(store);
    let lease = |holder: &'static str, now: i64| {
        let store = w.store.clone();
        async move {
            store
                .take_lease("directory.sync", holder, now, now + 60)
                .await
                .expect("lease")
        }
    };
    assert!(lease("node-a", NOW).await, "free: a takes it");
    assert!(!lease("node-b", NOW + 10).await, "a holds it");
    assert!(lease("node-a", NOW + 30).await, "a renews it (until +90)");
    assert!(!lease("node-b", NOW + 80).await, "still a's");
    assert!(lease("node-b", NOW + 90).await, "run out: b takes it");
    assert!(!lease("node-a", NOW + 100).await);
}
