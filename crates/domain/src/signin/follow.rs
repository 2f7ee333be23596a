//! The follow-ups of a sign-in: answering a challenge with a code, and
//! waiting for a pending one (push, two-way SMS) to be decided.

use std::time::{Duration, Instant};

use crate::methods::codes::sms_reply::ReplyStatus;
use crate::methods::codes::CodeCheckError;
use crate::model::audit::Source;
use crate::model::error::DomainError;
use crate::model::push::TxStatus;
use crate::model::reason::Reason;
use crate::signin::{DoorRules, Method, SignIn, Step};

const PHONE_SILENT_PROMPT: &str =
    "Your phone did not answer in time: enter the code from your authenticator app.";

#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("no code was sent with this transaction_id for this user: ask for a new code")]
    NotFound,
    #[error(transparent)]
    Domain(#[from] DomainError),
}

/// Where a pending transaction stands.
enum Standing {
    Pending {
        expires_at: i64,
        number: Option<i64>,
    },
    Decided(Step),
}

impl SignIn {
    /// Answers a texted or emailed code's challenge.
    pub async fn answer(
        &self,
        username: &str,
        transaction_id: &str,
        code: &str,
        source: &Source,
    ) -> Result<Step, AnswerError> {
        match self
            .codes
            .check(username, transaction_id, code, source)
            .await
        {
            Ok((None, channel)) => Ok(Step::Accepted {
                method: Method::parse(&channel),
                credential: Some(transaction_id.to_string()),
                reason: None,
            }),
            Ok((Some(reason), _)) => Ok(Step::rejected(reason)),
            Err(CodeCheckError::NotFound) => Err(AnswerError::NotFound),
            Err(CodeCheckError::Domain(e)) => Err(e.into()),
        }
    }

    /// Waits up to `wait` for a push or two-way SMS to be decided; `None`
    /// when there is no such transaction. A push still unanswered when the
    /// wait ends (or timed out) becomes an OATH code challenge where the
    /// door asks for that fallback and the user has a token.
    pub async fn wait(
        &self,
        transaction_id: &str,
        wait: Duration,
        rules: &DoorRules,
    ) -> Result<Option<Step>, DomainError> {
        let deadline = Instant::now() + wait;
        // The first read gives the expiry (it never changes) and may already be the answer.
        let Some(mut standing) = self.standing(transaction_id).await? else {
            return Ok(None);
        };
        loop {
            let (expires_at, number) = match standing {
                Standing::Decided(step) => return self.fallback(transaction_id, step, rules).await,
                Standing::Pending { expires_at, number } => (expires_at, number),
            };
            let now = Instant::now();
            if now >= deadline {
                let pending = Step::Pending {
                    transaction_id: transaction_id.to_string(),
                    method: method_of(transaction_id),
                    number,
                    prompt: String::new(),
                };
                return self.fallback(transaction_id, pending, rules).await;
            }
            // Wake at the decision, the caller's deadline, or the transaction's own
            // expiry; registered before the read, so a decision in between is seen.
            let until_expiry = Duration::from_secs((expires_at - self.clock.now()).max(0) as u64)
                + Duration::from_millis(200);
            let signal = self
                .signals
                .listen(transaction_id, (deadline - now).min(until_expiry));
            standing = match self.standing(transaction_id).await? {
                Some(Standing::Pending { number, .. }) => {
                    signal.await;
                    Standing::Pending { expires_at, number }
                }
                Some(decided) => decided,
                None => return Ok(None),
            };
        }
    }

    async fn standing(&self, id: &str) -> Result<Option<Standing>, DomainError> {
        if method_of(id) == Method::SmsReply {
            return Ok(self.codes.reply_status(id).await?.map(
                |(status, expires_at)| match status {
                    ReplyStatus::Pending => Standing::Pending {
                        expires_at,
                        number: None,
                    },
                    ReplyStatus::Accepted => Standing::Decided(Step::Accepted {
                        method: Some(Method::SmsReply),
                        credential: Some(id.to_string()),
                        reason: None,
                    }),
                    ReplyStatus::Rejected(reason) => Standing::Decided(Step::rejected(reason)),
                },
            ));
        }
        let Some(t) = self.push.status(id).await? else {
            return Ok(None);
        };
        Ok(Some(match t.status {
            TxStatus::Pending => Standing::Pending {
                expires_at: t.expires_at,
                number: t.number,
            },
            TxStatus::Accepted => Standing::Decided(Step::Accepted {
                method: Some(method_of(id)),
                credential: t.device_id,
                reason: None,
            }),
            TxStatus::Rejected => Standing::Decided(Step::rejected(
                t.reason
                    .as_deref()
                    .and_then(Reason::parse)
                    .unwrap_or(Reason::PushDenied),
            )),
        }))
    }

    /// A push the phone did not answer becomes a code challenge where the door wants that.
    async fn fallback(
        &self,
        id: &str,
        step: Step,
        rules: &DoorRules,
    ) -> Result<Option<Step>, DomainError> {
        let unanswered = matches!(
            step,
            Step::Pending {
                method: Method::Push,
                ..
            } | Step::Rejected {
                reason: Reason::PushTimeout
            }
        );
        if !(unanswered && rules.fallback_otp && method_of(id) == Method::Push) {
            return Ok(Some(step));
        }
        let Some(t) = self.store.transaction(id).await? else {
            return Ok(Some(step));
        };
        if self.store.tokens_of_user(&t.user_id).await?.is_empty() {
            return Ok(Some(step));
        }
        tracing::info!(user = %t.username, transaction = %id, "push unanswered: asking for an OATH code instead (fallback_otp)");
        Ok(Some(Step::otp_challenge(PHONE_SILENT_PROMPT)))
    }
}

/// Texted-code transactions are `chl_...`; calls `cal_...`; pushes are `txn_...`.
fn method_of(transaction_id: &str) -> Method {
    if transaction_id.starts_with("chl_") {
        Method::SmsReply
    } else if crate::methods::call::is_call(transaction_id) {
        Method::Call
    } else {
        Method::Push
    }
}
