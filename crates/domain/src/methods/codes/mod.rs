//! One-time codes sent by SMS or email: random, single use, stored as a
//! keyed hash, valid a few minutes, a few attempts, rate-limited.

use crate::model::code::CodeChallenge;

pub mod sms_reply;

use std::sync::Arc;
use std::time::Instant;

use rand::Rng;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::crypto::SecretKey;
use crate::methods::outbox::Outbox;
use crate::methods::sends::{SendGate, SendPolicy, SendRefused};
use crate::model::audit::Source;
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::messages::{mask_email, mask_phone, MessageContent, MessageKind};
use crate::model::reason::Reason;
use crate::model::user::User;
use crate::ports::clock::Clock;
use crate::ports::CodesPorts;
use crate::ports::Composer;
use crate::signin::verifier::{Entry, Verifier};

/// A text or an email carrying a code, from the templates `{stem}_sms.txt`
/// or `{stem}_email.subject` and `{stem}_email.txt`.
pub(crate) fn code_message(
    composer: &dyn Composer,
    kind: MessageKind,
    stem: &str,
    user: &User,
    code: &str,
    minutes: i64,
    account_name: &str,
) -> Result<MessageContent, DomainError> {
    let context = &json!({
        "user": user.username,
        "display_name": user.display_name,
        "code": code,
        "minutes": minutes,
        "account_name": account_name,
    });
    let language = user.language.as_deref();
    let render = |name: String| {
        composer
            .render(&name, language, context)
            .map_err(|e| DomainError::invalid("template", e))
    };
    Ok(match kind {
        MessageKind::Sms => MessageContent {
            text: render(format!("{stem}_sms.txt"))?,
            ..MessageContent::default()
        },
        MessageKind::Email => MessageContent {
            subject: Some(render(format!("{stem}_email.subject"))?.trim().to_string()),
            text: render(format!("{stem}_email.txt"))?,
            ..MessageContent::default()
        },
    })
}

#[derive(Debug, Clone)]
pub struct CodePolicy {
    pub validity_seconds: i64,
    pub max_attempts: i64,
    pub per_hour: i64,
    pub account_name: String,
    /// Users who have a PIN enter PIN + code.
    pub pin_mode: bool,
}

impl Default for CodePolicy {
    fn default() -> Self {
        Self {
            validity_seconds: 300,
            max_attempts: 5,
            per_hour: 10,
            account_name: "Countersign".into(),
            pin_mode: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeStart {
    Challenge {
        transaction_id: String,
        message: String,
    },
    /// Two-way SMS: decided when the user's reply arrives.
    Pending {
        transaction_id: String,
        message: String,
    },
    Rejected(Reason),
}

#[derive(Clone)]
pub struct Codes {
    pub(crate) store: Arc<dyn CodesPorts>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) key: SecretKey,
    pub(crate) outbox: Outbox,
    pub(crate) composer: Arc<dyn Composer>,
    pub(crate) verifier: Verifier,
    pub(crate) policy: CodePolicy,
    /// The send limits every code passes.
    pub(crate) gate: SendGate,
}

impl Codes {
    pub fn new(
        store: Arc<dyn CodesPorts>,
        clock: Arc<dyn Clock>,
        key: SecretKey,
        outbox: Outbox,
        composer: Arc<dyn Composer>,
        verifier: Verifier,
        policy: CodePolicy,
    ) -> Self {
        let per_user = policy.per_hour;
        let gate = SendGate::new(
            store.clone(),
            clock.clone(),
            SendPolicy {
                per_user,
                ..SendPolicy::default()
            },
        );
        Self {
            store,
            clock,
            key,
            outbox,
            composer,
            verifier,
            policy,
            gate,
        }
    }

    /// The send limits shared with the portal's contact codes.
    pub fn with_send_gate(mut self, gate: SendGate) -> Self {
        self.gate = gate;
        self
    }

    pub fn send_gate(&self) -> &SendGate {
        &self.gate
    }

    /// Asks the send limits; a refusal is audited (`code_rate_limited`,
    /// or `no_method` for a country texts may not go to).
    pub(crate) async fn admitted(
        &self,
        (user, address): (&User, &str),
        kind: MessageKind,
        method: &str,
        source: &Source,
    ) -> Result<Result<(), Reason>, DomainError> {
        let started = Instant::now();
        let Err(why) = self.gate.admit(&user.id, kind, address, method).await? else {
            return Ok(Ok(()));
        };
        let reason = match why {
            SendRefused::Country => Reason::NoMethod,
            _ => Reason::CodeRateLimited,
        };
        let entry = Entry {
            username: &user.username,
            user: Some(user),
            method,
            token_id: None,
            source,
        };
        self.verifier.record(entry, Some(reason), started).await?;
        Ok(Err(reason))
    }

    /// Sends a code to the user's phone or email address.
    pub async fn start(
        &self,
        username: &str,
        kind: MessageKind,
        source: &Source,
    ) -> Result<CodeStart, DomainError> {
        let (user, address) = match self
            .recipient(username, kind, kind.as_str(), source)
            .await?
        {
            Ok(found) => found,
            Err(reason) => return Ok(CodeStart::Rejected(reason)),
        };
        let admitted = self.admitted((&user, &address), kind, kind.as_str(), source);
        if let Err(reason) = admitted.await? {
            return Ok(CodeStart::Rejected(reason));
        }
        let code: String = (0..6)
            .map(|_| char::from(b'0' + rand::rngs::OsRng.gen_range(0..10u8)))
            .collect();
        let id = new_id("chl");
        let masked = match kind {
            MessageKind::Sms => mask_phone(&address),
            MessageKind::Email => mask_email(&address),
        };
        let now = self.clock.now();
        let challenge = CodeChallenge {
            code_hash: self
                .key
                .mac("code", format!("{id}:{code}").as_bytes())
                .to_vec(),
            id: id.clone(),
            user_id: user.id.clone(),
            username: user.username.clone(),
            channel: kind.as_str().to_string(),
            destination: masked.clone(),
            status: "pending".into(),
            attempts: 0,
            created_at: now,
            expires_at: now + self.policy.validity_seconds,
        };
        self.store.insert_code_challenge(&challenge).await?;
        let content = self.compose(kind, &user, &code)?;
        self.outbox
            .enqueue(kind, "code", &address, &content)
            .await?;
        Ok(CodeStart::Challenge {
            transaction_id: id,
            message: format!("Code sent to {masked}"),
        })
    }

    /// The user and their address for `kind`, or the reason (already
    /// audited) why no code can be sent.
    pub(crate) async fn recipient(
        &self,
        username: &str,
        kind: MessageKind,
        method: &str,
        source: &Source,
    ) -> Result<Result<(User, String), Reason>, DomainError> {
        let started = Instant::now();
        let user = self.store.user_by_name(username).await?;
        let checked = match &user {
            None => Err(Reason::UnknownUser),
            Some(u) => self.destination(u, kind).await?,
        };
        match (user, checked) {
            (Some(user), Ok(address)) => Ok(Ok((user, address))),
            (user, Err(reason)) => {
                let entry = Entry {
                    username,
                    user: user.as_ref(),
                    method,
                    token_id: None,
                    source,
                };
                self.verifier.record(entry, Some(reason), started).await?;
                Ok(Err(reason))
            }
            (None, Ok(_)) => Ok(Err(Reason::UnknownUser)),
        }
    }

    pub(crate) async fn destination(
        &self,
        user: &User,
        kind: MessageKind,
    ) -> Result<Result<String, Reason>, DomainError> {
        if !user.enabled {
            return Ok(Err(Reason::UserDisabled));
        }
        if user.is_locked(self.clock.now()) {
            return Ok(Err(Reason::UserLockedOut));
        }
        let address = match kind {
            MessageKind::Sms => user.phone.clone(),
            MessageKind::Email => user
                .email
                .clone()
                .or_else(|| user.username.contains('@').then(|| user.username.clone())),
        };
        let Some(address) = address else {
            return Ok(Err(Reason::NoMethod));
        };
        let recent = self
            .store
            .count_code_challenges_since(&user.id, self.clock.now() - 3600)
            .await?;
        if recent >= self.policy.per_hour {
            return Ok(Err(Reason::CodeRateLimited));
        }
        Ok(Ok(address))
    }

    fn compose(
        &self,
        kind: MessageKind,
        user: &User,
        code: &str,
    ) -> Result<MessageContent, DomainError> {
        let account_name = self.verifier.settings().read(|s| s.account_name.clone());
        let minutes = self.policy.validity_seconds / 60;
        code_message(
            self.composer.as_ref(),
            kind,
            "code",
            user,
            code,
            minutes,
            &account_name,
        )
    }

    /// Checks the code the user typed for a challenge: the verdict (`None`:
    /// accepted) and the challenge's channel (`sms`, `email`, `sms_reply`).
    pub async fn check(
        &self,
        username: &str,
        transaction_id: &str,
        code: &str,
        source: &Source,
    ) -> Result<(Option<Reason>, String), CodeCheckError> {
        let started = Instant::now();
        let challenge = self
            .store
            .code_challenge(transaction_id)
            .await?
            .filter(|c| c.username.to_lowercase() == username.to_lowercase());
        let Some(challenge) = challenge else {
            return Err(CodeCheckError::NotFound);
        };
        let user = self.store.user_by_id(&challenge.user_id).await?;
        let verdict = match self.without_pin(user.as_ref(), code.trim()).await? {
            Ok(code) => self.judge(&challenge, code).await?,
            Err(reason) => Some(reason),
        };
        let entry = Entry {
            username,
            user: user.as_ref(),
            method: &challenge.channel,
            token_id: Some(challenge.id.clone()),
            source,
        };
        self.verifier.record(entry, verdict, started).await?;
        Ok((verdict, challenge.channel))
    }

    /// In PIN mode, a user with a PIN types PIN + code: checks and strips the PIN.
    /// The PIN is checked on the work pool (argon2id); a full pool is
    /// [`DomainError::Busy`].
    async fn without_pin<'a>(
        &self,
        user: Option<&User>,
        typed: &'a str,
    ) -> Result<Result<&'a str, Reason>, DomainError> {
        let Some(stored) = user
            .and_then(|u| u.pin_hash.as_deref())
            .filter(|_| self.policy.pin_mode)
        else {
            return Ok(Ok(typed));
        };
        Ok(match crate::crypto::pin::split(typed, 6) {
            Some((pin, code)) if self.verifier.pin_matches(pin, stored).await? => Ok(code),
            Some(_) => Err(Reason::PinIncorrect),
            None => Err(Reason::CodeMalformed),
        })
    }

    async fn judge(
        &self,
        challenge: &CodeChallenge,
        code: &str,
    ) -> Result<Option<Reason>, DomainError> {
        match challenge.status.as_str() {
            "pending" => {}
            "rejected" => return Ok(Some(Reason::AttemptsExceeded)),
            _ => return Ok(Some(Reason::CodeReused)),
        }
        if challenge.expires_at <= self.clock.now() {
            return Ok(Some(Reason::CodeExpired));
        }
        if challenge.attempts >= self.policy.max_attempts {
            return Ok(Some(Reason::AttemptsExceeded));
        }
        let expected = self
            .key
            .mac("code", format!("{}:{code}", challenge.id).as_bytes());
        if !bool::from(expected.ct_eq(challenge.code_hash.as_slice())) {
            let attempts = self.store.count_code_attempt(&challenge.id).await?;
            if attempts >= self.policy.max_attempts {
                self.store
                    .settle_code_challenge(&challenge.id, "rejected")
                    .await?;
            }
            return Ok(Some(Reason::CodeInvalid));
        }
        if self
            .store
            .settle_code_challenge(&challenge.id, "accepted")
            .await?
        {
            Ok(None)
        } else {
            Ok(Some(Reason::CodeReused))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CodeCheckError {
    #[error("no code was sent with this transaction id for this user: ask for a new code")]
    NotFound,
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<crate::StoreError> for CodeCheckError {
    fn from(e: crate::StoreError) -> Self {
        CodeCheckError::Domain(e.into())
    }
}
