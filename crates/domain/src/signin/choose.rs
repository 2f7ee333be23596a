//! `start`: who is signing in, which method runs, and whether it may.

use std::time::Instant;

use countersign_otp::Kind;

use crate::methods::call::CallStart;
use crate::methods::codes::CodeStart;
use crate::methods::push::PushStart;
use crate::model::channels::Channels;
use crate::model::error::DomainError;
use crate::model::messages::MessageKind;
use crate::model::method::{allowed_for, Holdings, Method, Methods};
use crate::model::reason::Reason;
use crate::model::token::StoredToken;
use crate::model::user::{is_principal, User};
use crate::rules::Evaluation;
use crate::signin::verifier::Verification;
use crate::signin::{Attempt, SignIn, Step};

const OTP_PROMPT: &str = "Enter the code from your authenticator app.";
const CALL_PROMPT: &str =
    "Answer the phone call and press # (or your PIN and #) to approve the sign-in.";
const NO_DEVICE_PROMPT: &str =
    "No phone is set up for push: enter the code from your authenticator app.";

impl SignIn {
    /// Starts (and, for a submitted code, finishes) one sign-in.
    pub async fn start(&self, attempt: &Attempt) -> Result<Step, DomainError> {
        let started = Instant::now();
        // Administrators' principals are invisible to every other door.
        if is_principal(&attempt.username) && !attempt.administrator {
            return self.unknown(attempt, started).await;
        }
        let Some((user, tokens)) = self.store.user_with_tokens(&attempt.username).await? else {
            return self.unknown(attempt, started).await;
        };
        let now = self.clock.now();
        let early = if !user.enabled {
            Some(Reason::UserDisabled)
        } else if user.is_locked(now) {
            Some(Reason::UserLockedOut)
        } else {
            None
        };
        if let Some(reason) = early {
            return self
                .refuse(
                    attempt,
                    Some(&user),
                    attempt.named_method(),
                    reason,
                    started,
                )
                .await;
        }
        // The rules, once, before a method is chosen (signin/rules.rs).
        let (verdict, _) = self.verdict(attempt, Some(&user), now).await?;
        let ruled = Self::ruled(attempt, &verdict);
        let attempt = ruled.as_ref().unwrap_or(attempt);
        if let Some(step) = self.after_rules(attempt, &user, &verdict, started).await? {
            return Ok(step);
        }
        if user.has_bypass(now) && self.store.take_bypass(&user.id, now).await? {
            return self
                .let_through(attempt, Some(&user), Reason::Bypassed, started)
                .await;
        }
        if let Some(step) = self
            .remembered_browser(attempt, &user, &verdict, started)
            .await?
        {
            return Ok(step);
        }
        let method = match self.pick(attempt, &user, &tokens, &verdict).await? {
            Ok(method) => method,
            Err(Choice::Unenrolled) => return self.unenrolled(attempt, Some(&user), started).await,
            Err(Choice::Refused(method, reason)) => {
                return self
                    .refuse(attempt, Some(&user), method, reason, started)
                    .await
            }
        };
        self.run(attempt, method, user, tokens).await
    }

    /// The method to run after the rules (`choose`, then the
    /// administrators' passkey rule), or why none runs.
    pub(crate) async fn pick(
        &self,
        attempt: &Attempt,
        user: &User,
        tokens: &[StoredToken],
        verdict: &Evaluation,
    ) -> Result<Result<Method, Choice>, DomainError> {
        match self.choose(attempt, user, tokens, verdict).await? {
            Ok(method) => self.admins_passkey_rule(attempt, user, method).await,
            Err(choice) => Ok(Err(choice)),
        }
    }

    /// The method to run, or why none runs.
    async fn choose(
        &self,
        attempt: &Attempt,
        user: &User,
        tokens: &[StoredToken],
        verdict: &Evaluation,
    ) -> Result<Result<Method, Choice>, DomainError> {
        let named = attempt.named_method();
        let policy = self.policy();
        // The device count is read only when the answer depends on it: the
        // hot path (a code, method choice allowed) needs none.
        let needs_methods =
            named.is_none() || !policy.allow_method_choice || !attempt.rules.require_user_match;
        let methods = match needs_methods {
            true => Some(self.methods_of(user, tokens).await?),
            false => None,
        };
        if let Some(methods) = &methods {
            if methods.is_empty() && !attempt.rules.require_user_match {
                return Ok(Err(Choice::Unenrolled));
            }
        }
        let Some(method) = named else {
            return Ok(self.ruled_default(user, methods.as_ref(), verdict));
        };
        if !self.channels.delivers(method) {
            undeliverable(user, method);
            return Ok(Err(Choice::Refused(Some(method), Reason::NoMethod)));
        }
        if !allowed_for(user, method) || !verdict.permits(method) {
            return Ok(Err(Choice::Refused(Some(method), Reason::MethodNotAllowed)));
        }
        if !policy.allow_method_choice {
            let methods = methods.map(|m| m.filtered(|m| verdict.permits(m)));
            let default = methods.as_ref().and_then(|m| m.default_for(user));
            let fallback = method.is_token() && attempt.rules.fallback_otp;
            if default.is_some_and(|d| d != method) && !fallback {
                return Ok(Err(Choice::Refused(Some(method), Reason::MethodNotAllowed)));
            }
        }
        Ok(Ok(method))
    }

    /// `admins_must_use_passkey`: an administrator's principal that holds a
    /// passkey gets the passkey by default and is refused any other method.
    async fn admins_passkey_rule(
        &self,
        attempt: &Attempt,
        user: &User,
        method: Method,
    ) -> Result<Result<Method, Choice>, DomainError> {
        let must = self.verifier.settings().read(|s| s.admins_must_use_passkey);
        if !must || method == Method::Webauthn || !is_principal(&user.username) {
            return Ok(Ok(method));
        }
        if self.passkey_count(user).await? == 0 {
            return Ok(Ok(method));
        }
        Ok(match attempt.named_method() {
            None => Ok(Method::Webauthn),
            Some(named) => Err(Choice::Refused(Some(named), Reason::MethodNotAllowed)),
        })
    }

    /// The default among the methods the rule leaves: none left of those
    /// the user has is `method_not_allowed`.
    fn ruled_default(
        &self,
        user: &User,
        methods: Option<&Methods>,
        verdict: &Evaluation,
    ) -> Result<Method, Choice> {
        let Some(methods) = methods.filter(|_| verdict.methods.is_some()) else {
            return self.default_method(user, methods);
        };
        let left = methods.filtered(|m| verdict.permits(m));
        if left.is_empty() && !methods.is_empty() {
            return Err(Choice::Refused(None, Reason::MethodNotAllowed));
        }
        self.default_method(user, Some(&left))
    }

    /// The user's default among the methods this server can deliver: a
    /// phone-only user without an SMS gateway gets `no_method`, and the
    /// log says what the operator sets.
    fn default_method(&self, user: &User, methods: Option<&Methods>) -> Result<Method, Choice> {
        let Some(methods) = methods else {
            return Err(Choice::Refused(None, Reason::NoMethod));
        };
        let usable = self.channels.usable(methods);
        match (usable.default_for(user), methods.default_for(user)) {
            (Some(method), _) => Ok(method),
            (None, Some(wanted)) => {
                undeliverable(user, wanted);
                Err(Choice::Refused(Some(wanted), Reason::NoMethod))
            }
            (None, None) => Err(Choice::Refused(None, Reason::NoMethod)),
        }
    }

    pub(crate) async fn methods_of(
        &self,
        user: &User,
        tokens: &[StoredToken],
    ) -> Result<Methods, DomainError> {
        let devices = self.store.devices_of_user(&user.id).await?.len();
        let yubikeys = tokens.iter().filter(|t| t.kind == Kind::Yubico).count();
        let holdings = Holdings {
            tokens: tokens.len() - yubikeys,
            devices,
            yubikeys,
            passkeys: self.passkey_count(user).await?,
        };
        Ok(Methods::of(user, holdings))
    }

    /// Runs the chosen method.
    async fn run(
        &self,
        attempt: &Attempt,
        method: Method,
        user: User,
        tokens: Vec<StoredToken>,
    ) -> Result<Step, DomainError> {
        let (username, source) = (&attempt.username, &attempt.source);
        match method {
            Method::Otp | Method::Yubico => self.otp(attempt, method, user, tokens).await,
            Method::Push => {
                match self
                    .push
                    .start(username, attempt.context.clone(), source)
                    .await?
                {
                    PushStart::Pending {
                        transaction_id,
                        number,
                    } => Ok(Step::Pending {
                        transaction_id,
                        method,
                        prompt: push_prompt(number),
                        number,
                    }),
                    PushStart::Rejected(Reason::NoDevice)
                        if attempt.rules.fallback_otp && !tokens.is_empty() =>
                    {
                        Ok(Step::otp_challenge(NO_DEVICE_PROMPT))
                    }
                    PushStart::Rejected(reason) => Ok(Step::rejected(reason)),
                }
            }
            Method::Sms | Method::Email => {
                let kind = match method {
                    Method::Sms => MessageKind::Sms,
                    _ => MessageKind::Email,
                };
                code_step(method, self.codes.start(username, kind, source).await?)
            }
            Method::SmsReply => code_step(method, self.codes.start_reply(username, source).await?),
            Method::Webauthn => self.passkey_challenge(attempt, &user).await,
            Method::Call => self.call(attempt, user).await,
        }
    }

    async fn call(&self, attempt: &Attempt, user: User) -> Result<Step, DomainError> {
        let Some(calls) = &self.calls else {
            undeliverable(&user, Method::Call);
            return Ok(Step::rejected(Reason::NoMethod));
        };
        Ok(
            match calls
                .start(&user, &attempt.context, &attempt.source)
                .await?
            {
                CallStart::Pending { transaction_id } => Step::Pending {
                    transaction_id,
                    method: Method::Call,
                    number: None,
                    prompt: CALL_PROMPT.to_string(),
                },
                CallStart::Rejected(reason) => Step::rejected(reason),
            },
        )
    }

    async fn otp(
        &self,
        attempt: &Attempt,
        method: Method,
        user: User,
        tokens: Vec<StoredToken>,
    ) -> Result<Step, DomainError> {
        let Some(code) = &attempt.code else {
            if tokens.is_empty() {
                let started = Instant::now();
                let reason = Reason::NoMethod;
                return self
                    .refuse(attempt, Some(&user), Some(method), reason, started)
                    .await;
            }
            return Ok(Step::otp_challenge(OTP_PROMPT));
        };
        let request = Verification {
            username: attempt.username.clone(),
            code: code.clone(),
            source: attempt.source.clone(),
        };
        let outcome = self
            .verifier
            .verify_loaded(&request, Some((user, tokens)))
            .await?;
        Ok(match outcome {
            crate::Outcome::Accepted { token_id } => Step::Accepted {
                method: Some(method),
                credential: Some(token_id),
                reason: None,
            },
            crate::Outcome::Rejected { reason } => Step::rejected(reason),
        })
    }
}

/// Why `choose` found no method to run.
pub(crate) enum Choice {
    /// No method, and the door lets such users through.
    Unenrolled,
    Refused(Option<Method>, Reason),
}

/// Logged when a user's method cannot be delivered on this server.
fn undeliverable(user: &User, method: Method) {
    tracing::warn!(user = %user.username, method = method.as_str(), fix = Channels::fix(method),
        "no_method: the user's method cannot be delivered because its channel is not configured");
}

fn push_prompt(number: Option<i64>) -> String {
    match number {
        Some(n) => format!("Open the Countersign app and choose {n} to approve the sign-in."),
        None => "Approve the sign-in request on your phone.".to_string(),
    }
}

fn code_step(method: Method, start: CodeStart) -> Result<Step, DomainError> {
    Ok(match start {
        CodeStart::Challenge {
            transaction_id,
            message,
        } => Step::Challenge {
            transaction_id: Some(transaction_id),
            method,
            prompt: message,
            options: None,
        },
        CodeStart::Pending {
            transaction_id,
            message,
        } => Step::Pending {
            transaction_id,
            method,
            number: None,
            prompt: message,
        },
        CodeStart::Rejected(reason) => Step::rejected(reason),
    })
}
