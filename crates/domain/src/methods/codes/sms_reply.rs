//! Two-way SMS: the text asks the user to reply with a short code; the
//! gateway delivers the reply, and the sign-in completes like a push.

use std::time::Instant;

use rand::Rng;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::methods::codes::{CodeStart, Codes};
use crate::model::audit::Source;
use crate::model::code::CodeChallenge;
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::messages::{mask_phone, MessageContent, MessageKind};
use crate::model::reason::Reason;
use crate::signin::verifier::Entry;

pub const CHANNEL: &str = "sms_reply";

/// Where a two-way SMS sign-in stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyStatus {
    Pending,
    Accepted,
    Rejected(Reason),
}

impl Codes {
    pub async fn start_reply(
        &self,
        username: &str,
        source: &Source,
    ) -> Result<CodeStart, DomainError> {
        let (user, phone) = match self
            .recipient(username, MessageKind::Sms, CHANNEL, source)
            .await?
        {
            Ok(found) => found,
            Err(reason) => return Ok(CodeStart::Rejected(reason)),
        };
        let admitted = self.admitted((&user, &phone), MessageKind::Sms, CHANNEL, source);
        if let Err(reason) = admitted.await? {
            return Ok(CodeStart::Rejected(reason));
        }
        let code: String = (0..4)
            .map(|_| char::from(b'0' + rand::rngs::OsRng.gen_range(0..10u8)))
            .collect();
        let id = new_id("chl");
        let now = self.clock.now();
        let masked = mask_phone(&phone);
        let challenge = CodeChallenge {
            code_hash: self
                .key
                .mac("code", format!("{id}:{code}").as_bytes())
                .to_vec(),
            id: id.clone(),
            user_id: user.id.clone(),
            username: user.username.clone(),
            channel: CHANNEL.into(),
            destination: masked.clone(),
            status: "pending".into(),
            attempts: 0,
            created_at: now,
            expires_at: now + self.policy.validity_seconds,
        };
        self.store.insert_code_challenge(&challenge).await?;
        let context = json!({"user": user.username, "code": code, "minutes": self.policy.validity_seconds / 60, "account_name": self.verifier.settings().get().account_name});
        let text = self
            .composer
            .render("reply_sms.txt", None, &context)
            .map_err(|e| DomainError::invalid("template", e))?;
        self.outbox
            .enqueue(
                MessageKind::Sms,
                CHANNEL,
                &phone,
                &MessageContent {
                    text,
                    ..MessageContent::default()
                },
            )
            .await?;
        Ok(CodeStart::Pending {
            transaction_id: id,
            message: format!("Reply to the text sent to {masked}"),
        })
    }

    /// A text from `from` arrived; returns the challenge it completed, if any.
    pub async fn inbound(&self, from: &str, text: &str) -> Result<Option<String>, DomainError> {
        let digits: String = from.chars().filter(|c| c.is_ascii_digit()).collect();
        let phone = format!("+{}", digits.trim_start_matches("00"));
        let reply = text.split_whitespace().next().unwrap_or_default();
        let now = self.clock.now();
        let mut wrong = Vec::new();
        for user in self.store.users_by_phone(&phone).await? {
            for challenge in self
                .store
                .pending_code_challenges(&user.id, CHANNEL, now)
                .await?
            {
                if challenge.attempts >= self.policy.max_attempts {
                    continue;
                }
                let expected = self
                    .key
                    .mac("code", format!("{}:{reply}", challenge.id).as_bytes());
                if !bool::from(expected.ct_eq(challenge.code_hash.as_slice())) {
                    wrong.push(challenge.id.clone());
                    continue;
                }
                if self
                    .store
                    .settle_code_challenge(&challenge.id, "accepted")
                    .await?
                {
                    let source = Source {
                        client: Some("sms".into()),
                        address: Some(phone.clone()),
                        rule: None,
                    };
                    let entry = Entry {
                        username: &user.username,
                        user: Some(&user),
                        method: CHANNEL,
                        token_id: Some(challenge.id.clone()),
                        source: &source,
                    };
                    self.verifier.record(entry, None, Instant::now()).await?;
                    return Ok(Some(challenge.id));
                }
            }
        }
        self.count_wrong_replies(&wrong).await?;
        tracing::info!(from = %phone, "an inbound SMS matched no pending sign-in");
        Ok(None)
    }

    /// A reply that matched none of the sender's pending codes counts one
    /// attempt against each; at `codes.max_attempts` the code is rejected,
    /// so four digits cannot be guessed by texting them all.
    async fn count_wrong_replies(&self, challenges: &[String]) -> Result<(), DomainError> {
        for id in challenges {
            let attempts = self.store.count_code_attempt(id).await?;
            if attempts >= self.policy.max_attempts {
                self.store.settle_code_challenge(id, "rejected").await?;
                tracing::warn!(challenge = %id, "two-way SMS: too many wrong replies, the sign-in is rejected");
            }
        }
        Ok(())
    }

    /// The state of a two-way SMS sign-in; `None` when there is no such challenge.
    pub async fn reply_status(&self, id: &str) -> Result<Option<(ReplyStatus, i64)>, DomainError> {
        let Some(challenge) = self
            .store
            .code_challenge(id)
            .await?
            .filter(|c| c.channel == CHANNEL)
        else {
            return Ok(None);
        };
        let status = match challenge.status.as_str() {
            "accepted" => ReplyStatus::Accepted,
            "pending" if challenge.expires_at <= self.clock.now() => {
                ReplyStatus::Rejected(Reason::CodeExpired)
            }
            "pending" => ReplyStatus::Pending,
            _ => ReplyStatus::Rejected(Reason::AttemptsExceeded),
        };
        Ok(Some((status, challenge.expires_at)))
    }
}
