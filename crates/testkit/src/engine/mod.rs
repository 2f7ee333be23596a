//! The sign-in engine in-process: [`SignIn`] and the services behind it,
//! built as `crates/server/src/app.rs` builds them, on a fresh SQLite store
//! in a temporary directory, with a [`FixedClock`] the test moves. Only the
//! outside I/O is stood in for (`doubles`): texts and emails are kept, not
//! sent; push requests are kept, and decisions wake the waiters in memory.
//!
//! ```ignore
//! let engine = EngineHarness::new().await;
//! let alice = engine.user("alice").await;
//! let token = engine.totp("alice").await;
//! let step = engine.signin.start(&engine.attempt_with_code("alice", &engine.code_now(&token))).await?;
//! ```

mod doubles;
mod enrol;
pub mod passkey;

use std::sync::Arc;
use std::time::Duration;

use countersign_domain::crypto::SecretKey;
use countersign_domain::methods::call::{CallPolicy, Calls};
use countersign_domain::methods::codes::{CodePolicy, Codes};
use countersign_domain::methods::outbox::Outbox;
use countersign_domain::methods::passkeys::Passkeys;
use countersign_domain::methods::push::policy::PushPolicy;
use countersign_domain::methods::push::Push;
use countersign_domain::model::audit::{AuditQuery, AuditRecord, Source};
use countersign_domain::ports::clock::{Clock, FixedClock};
use countersign_domain::ports::Store;
use countersign_domain::rules::{RulesHandle, RulesService};
use countersign_domain::signin::verifier::{Verifier, VerifyPolicy};
use countersign_domain::signin::{Attempt, DoorRules, SignIn, SignInPolicy, Step};
use countersign_domain::Accounts;
use countersign_messaging::Templates;
use countersign_store::{SqlStore, StoreOptions};

use crate::TempDir;

pub use doubles::{BuiltInTemplates, CapturedMessages, Phones, PushChannel, SentMessage};
pub use enrol::{TotpToken, YubiKey};

/// Where every harness's clock starts (Unix seconds, 2025-06-15).
pub const START: i64 = 1_750_000_000;

/// The name the harness's doors give as the source of their attempts.
pub const CLIENT: &str = "engine-test";

/// The configuration the services are built from (`[verify]`, `[push]`,
/// `[codes]`): the server's defaults, except a lockout after 3 failures for
/// 1 minute, and no offline TOTP seed handed to activated devices (so a
/// device is a device and a token a token).
#[derive(Debug, Clone)]
pub struct EnginePolicies {
    pub verify: VerifyPolicy,
    pub push: PushPolicy,
    pub codes: CodePolicy,
    pub signin: SignInPolicy,
    pub calls: CallPolicy,
}

impl Default for EnginePolicies {
    fn default() -> Self {
        Self {
            verify: VerifyPolicy {
                lockout_threshold: 3,
                lockout_seconds: 60,
                ..VerifyPolicy::default()
            },
            push: PushPolicy {
                offline_codes: false,
                ..PushPolicy::default()
            },
            codes: CodePolicy::default(),
            signin: SignInPolicy::default(),
            calls: CallPolicy::default(),
        }
    }
}

/// One engine on its own store. Fields are the real services; the
/// store's directory is removed when the harness is dropped.
pub struct EngineHarness {
    pub signin: SignIn,
    pub accounts: Accounts,
    pub verifier: Verifier,
    pub push: Push,
    pub codes: Codes,
    pub outbox: Outbox,
    /// Passkeys on the relying party `example.com` (origin
    /// `https://example.com`), as [`passkey::SoftKey`] answers.
    pub passkeys: Passkeys,
    /// The sign-in rules the engine obeys (kept in the store's `meta`).
    pub rules: RulesService,
    pub store: Arc<dyn Store>,
    pub sql: SqlStore,
    pub clock: Arc<FixedClock>,
    /// What the outbox sent (texts, emails).
    pub messages: Arc<CapturedMessages>,
    /// What was sent to the phones, and who is woken on a decision.
    pub phones: Arc<PushChannel>,
    /// The calls placed, and how the test lets them end.
    pub calls: Arc<Phones>,
    /// Remembered browsers, as the engine checks them.
    pub remembered: countersign_domain::sessions::RememberedDevices,
    /// Last, so the store's file goes after everything that uses it.
    _dir: TempDir,
}

impl EngineHarness {
    /// An engine with [`EnginePolicies::default`].
    pub async fn new() -> Self {
        Self::with(EnginePolicies::default()).await
    }

    /// An engine with these policies.
    pub async fn with(policies: EnginePolicies) -> Self {
        let dir = TempDir::new("engine");
        let sql = open_sqlite(&dir).await;
        let store: Arc<dyn Store> = Arc::new(sql.clone());
        let clock = Arc::new(FixedClock::new(START));
        let base = Base {
            store: store.clone(),
            clock: clock.clone(),
            key: SecretKey::generate().0,
        };
        let accounts = Accounts::new(
            store.clone(),
            base.clock.clone(),
            base.key.clone(),
            "Countersign".into(),
        );
        let verifier = Verifier::new(
            store.clone(),
            base.clock.clone(),
            base.key.clone(),
            policies.verify,
        );
        let phones = Arc::new(PushChannel::default());
        let push = base.push(policies.push, &accounts, &verifier, &phones);
        let messages = Arc::new(CapturedMessages::default());
        let (outbox, codes) = base.messaging(&verifier, &messages, policies.codes);
        let calls = Arc::new(Phones::default());
        let gate = Some(codes.send_gate().clone());
        let call_service = Calls::new(push.clone(), calls.clone(), policies.calls, gate);
        let signin = SignIn::new(
            store.clone(),
            verifier.clone(),
            push.clone(),
            codes.clone(),
            phones.clone(),
            policies.signin,
        )
        .with_calls(call_service);
        let rp = countersign_webauthn::RelyingParty::new(
            passkey::RP_ID,
            "Countersign",
            &[passkey::ORIGIN.to_string()],
            countersign_webauthn::Policy::default(),
        )
        .expect("the test relying party");
        let passkeys = Passkeys::new(
            store.clone(),
            base.clock.clone(),
            rp,
            verifier.settings().clone(),
        );
        let remembered = countersign_domain::sessions::RememberedDevices::new(
            store.clone(),
            base.clock.clone(),
            base.key.clone(),
        );
        let rules = RulesService::new(store.clone(), RulesHandle::default(), Vec::new());
        let signin = signin
            .with_passkeys(passkeys.clone())
            .with_rules(rules.handle().clone())
            .with_remembered(remembered.clone());
        EngineHarness {
            signin,
            rules,
            remembered,
            passkeys,
            accounts,
            verifier,
            push,
            codes,
            outbox,
            store,
            sql,
            clock,
            messages,
            phones,
            calls,
            _dir: dir,
        }
    }

    /// Moves the clock on.
    pub fn advance(&self, seconds: i64) {
        self.clock.advance(seconds);
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// An attempt at the API's door (its rules), naming no method and no code.
    pub fn attempt(&self, username: &str) -> Attempt {
        Attempt {
            username: username.to_string(),
            source: source(),
            rules: DoorRules::default(),
            ..Attempt::default()
        }
    }

    /// An attempt carrying a typed code, naming no method.
    pub fn attempt_with_code(&self, username: &str, code: &str) -> Attempt {
        Attempt {
            code: Some(code.to_string()),
            ..self.attempt(username)
        }
    }

    /// `start`, failing the test on a store or key error.
    pub async fn start(&self, attempt: &Attempt) -> Step {
        self.signin.start(attempt).await.expect("signin.start")
    }

    /// Waits briefly for a pending push or two-way SMS to be decided.
    pub async fn wait(&self, transaction_id: &str, rules: &DoorRules) -> Step {
        self.signin
            .wait(transaction_id, Duration::from_millis(50), rules)
            .await
            .expect("signin.wait")
            .expect("the transaction exists")
    }

    /// Answers a texted or emailed code's challenge from the harness's door.
    pub async fn answer(&self, username: &str, transaction_id: &str, code: &str) -> Step {
        self.signin
            .answer(username, transaction_id, code, &source())
            .await
            .expect("signin.answer")
    }

    /// Sends what the outbox holds (to [`EngineHarness::messages`]).
    pub async fn deliver(&self) {
        self.outbox.run_due(100).await.expect("outbox.run_due");
    }

    /// The user's audit trail as the store gives it back, oldest first.
    pub async fn trail(&self, username: &str) -> Vec<Audited> {
        let query = AuditQuery {
            username: Some(username.to_string()),
            limit: 1000,
            ..AuditQuery::default()
        };
        let mut records = self.store.query_audit(&query).await.expect("query_audit");
        records.reverse();
        records.iter().map(Audited::of).collect()
    }

    /// The user's failure count as stored now.
    pub async fn failures(&self, username: &str) -> i64 {
        self.store
            .user_by_name(username)
            .await
            .expect("user_by_name")
            .expect("the user exists")
            .failed_attempts
    }
}

/// What an audit record says about a decision: the method, the result and
/// the reason, for comparing a trail with what a test expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audited {
    pub method: String,
    pub result: String,
    pub reason: Option<String>,
    /// The API key or door the record names.
    pub client: Option<String>,
}

impl Audited {
    pub fn accepted(method: &str) -> Self {
        Self::new(method, "accepted", None)
    }

    /// Accepted without a second factor (`not_enrolled`, `bypassed`).
    pub fn let_through(reason: &str) -> Self {
        Self::new("none", "accepted", Some(reason))
    }

    pub fn rejected(method: &str, reason: &str) -> Self {
        Self::new(method, "rejected", Some(reason))
    }

    fn new(method: &str, result: &str, reason: Option<&str>) -> Self {
        Self {
            method: method.to_string(),
            result: result.to_string(),
            reason: reason.map(str::to_string),
            client: Some(CLIENT.to_string()),
        }
    }

    /// The same decision recorded for another door (push answers carry the
    /// client of the attempt; inbound texts are recorded as `sms`).
    pub fn from_client(self, client: &str) -> Self {
        Self {
            client: Some(client.to_string()),
            ..self
        }
    }

    fn of(record: &AuditRecord) -> Self {
        Self {
            method: record.method.clone(),
            result: record.result.clone(),
            reason: record.reason.clone(),
            client: record.api_key.clone(),
        }
    }
}

/// The source the harness's doors give (client [`CLIENT`]).
pub fn source() -> Source {
    Source {
        client: Some(CLIENT.to_string()),
        address: Some("192.0.2.10".to_string()),
        rule: None,
    }
}

/// What every service is built on.
struct Base {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    key: SecretKey,
}

impl Base {
    /// The push service, asking the phones through `phones`.
    fn push(
        &self,
        policy: PushPolicy,
        accounts: &Accounts,
        verifier: &Verifier,
        phones: &Arc<PushChannel>,
    ) -> Push {
        Push::new(
            self.store.clone(),
            self.clock.clone(),
            self.key.clone(),
            policy,
            accounts.clone(),
            verifier.clone(),
            phones.clone(),
        )
    }

    /// The outbox (sending to `messages`) and the codes sent through it,
    /// composed with the built-in templates.
    fn messaging(
        &self,
        verifier: &Verifier,
        messages: &Arc<CapturedMessages>,
        policy: CodePolicy,
    ) -> (Outbox, Codes) {
        let outbox = Outbox::new(
            self.store.clone(),
            self.clock.clone(),
            self.key.clone(),
            messages.clone(),
        );
        let templates = Templates::new(None).expect("the built-in templates load");
        let codes = Codes::new(
            self.store.clone(),
            self.clock.clone(),
            self.key.clone(),
            outbox.clone(),
            Arc::new(BuiltInTemplates(templates)),
            verifier.clone(),
            policy,
        );
        (outbox, codes)
    }
}

async fn open_sqlite(dir: &TempDir) -> SqlStore {
    let options = StoreOptions {
        url: format!("sqlite://{}", dir.path().join("engine.db").display()),
        max_connections: 4,
        acquire_timeout: countersign_store::ACQUIRE_TIMEOUT,
        migrate: true,
    };
    countersign_store::open(&options)
        .await
        .expect("open the SQLite store")
}
