//! Changing the phone or email address: the new one is saved only after the
//! code sent to it comes back, so a typo never locks a user out.

use rand::Rng;

use super::session::{hex, PendingContact, PortalLive};
use super::Portal;
use crate::model::error::DomainError;
use crate::model::messages::{mask_email, mask_phone, MessageContent, MessageKind};
use crate::model::user::{self, User};

/// Codes one session may have sent to new addresses.
const CODES_PER_SESSION: u32 = 5;
/// Wrong codes before the change has to start again.
const ATTEMPTS: u32 = 5;

/// Why a confirmation code was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactError {
    NothingPending,
    Expired,
    Wrong,
    TooManyAttempts,
}

impl ContactError {
    pub fn message(self) -> &'static str {
        match self {
            ContactError::NothingPending => "There is no change waiting for a code. Start again.",
            ContactError::Expired => "The code has expired. Send a new one.",
            ContactError::Wrong => "That code is not right. Check the message and try again.",
            ContactError::TooManyAttempts => "Too many wrong codes. Start the change again.",
        }
    }
}

impl Portal {
    /// Checks the new phone or address and sends a code to it; the pending
    /// change is kept in the session (the caller saves it). Returns the masked address.
    pub async fn start_contact_change(
        &self,
        live: &mut PortalLive,
        kind: MessageKind,
        address: &str,
    ) -> Result<String, DomainError> {
        let (field, address) = match kind {
            MessageKind::Sms => ("phone", user::normalize_phone(address.trim())?),
            MessageKind::Email => {
                let address = address.trim().to_string();
                user::validate_email(&address)?;
                ("email", address)
            }
        };
        if live.data.contact_codes_sent >= CODES_PER_SESSION {
            return Err(DomainError::invalid(
                field,
                "too many codes were sent in this session; sign out, wait a while and try again",
            ));
        }
        // The server-wide limits, shared by every node and every path: a
        // new sign-in (a fresh session count) or parallel requests pass
        // the session's cap, not these.
        let admitted = self
            .gate
            .admit(&live.subject.id, kind, &address, "confirm")
            .await?;
        if let Err(why) = admitted {
            return Err(DomainError::invalid(field, why.message()));
        }
        let code: String = (0..6)
            .map(|_| char::from(b'0' + rand::rngs::OsRng.gen_range(0..10u8)))
            .collect();
        let content = self.confirmation(kind, &live.subject, &code)?;
        self.outbox
            .enqueue(kind, "confirm", &address, &content)
            .await?;
        live.data.contact_codes_sent += 1;
        live.data.contact = Some(PendingContact {
            channel: kind.as_str().to_string(),
            code_mac: self.code_mac(&live.id_hash, &code),
            address: address.clone(),
            expires_at: self.clock.now() + self.policy.contact_code_seconds,
            attempts: 0,
        });
        tracing::info!(user = %live.subject.username, channel = kind.as_str(), "contact change: code sent");
        Ok(match kind {
            MessageKind::Sms => mask_phone(&address),
            MessageKind::Email => mask_email(&address),
        })
    }

    /// Takes the code: saves the new phone or email and returns the user.
    /// The session's state changes either way (the caller saves it).
    pub async fn confirm_contact(
        &self,
        live: &mut PortalLive,
        code: &str,
    ) -> Result<Result<User, ContactError>, DomainError> {
        let Some(pending) = live.data.contact.as_mut() else {
            return Ok(Err(ContactError::NothingPending));
        };
        if pending.expires_at <= self.clock.now() {
            live.data.contact = None;
            return Ok(Err(ContactError::Expired));
        }
        let code: String = code.chars().filter(char::is_ascii_digit).collect();
        let expected = pending.code_mac.clone();
        let given = self.code_mac(&live.id_hash, &code);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            given.as_bytes(),
            expected.as_bytes(),
        )) {
            pending.attempts += 1;
            if pending.attempts >= ATTEMPTS {
                live.data.contact = None;
                return Ok(Err(ContactError::TooManyAttempts));
            }
            return Ok(Err(ContactError::Wrong));
        }
        let Some(pending) = live.data.contact.take() else {
            return Ok(Err(ContactError::NothingPending));
        };
        let mut user = self
            .store
            .user_by_id(&live.subject.id)
            .await?
            .ok_or_else(|| DomainError::not_found("user", &live.subject.username))?;
        let (kind, old) = match pending.channel.as_str() {
            "sms" => (
                MessageKind::Sms,
                user.phone.replace(pending.address.clone()),
            ),
            _ => (
                MessageKind::Email,
                user.email.replace(pending.address.clone()),
            ),
        };
        user.updated_at = self.clock.now();
        self.store.update_user(&user).await?;
        tracing::info!(user = %user.username, channel = %pending.channel, "contact changed in the portal");
        if let Some(old) = old.filter(|old| *old != pending.address) {
            self.notify_old(kind, &user, &old, &pending.address).await?;
        }
        live.subject = user.clone();
        Ok(Ok(user))
    }

    /// Tells the old phone or address that it was replaced, so that an
    /// account taken over through the portal does not go unnoticed.
    async fn notify_old(
        &self,
        kind: MessageKind,
        user: &User,
        old: &str,
        new: &str,
    ) -> Result<(), DomainError> {
        let (what, masked) = match kind {
            MessageKind::Sms => ("phone number", mask_phone(new)),
            MessageKind::Email => ("email address", mask_email(new)),
        };
        let context = serde_json::json!({
            "user": user.username,
            "display_name": user.display_name,
            "what": what,
            "new_masked": masked,
            "issuer": self.settings.read(|s| s.account_name.clone()),
        });
        let language = user.language.as_deref();
        let render = |name: &str| {
            self.composer
                .render(name, language, &context)
                .map_err(|e| DomainError::invalid("template", e))
        };
        let content = match kind {
            MessageKind::Sms => MessageContent {
                text: render("changed_sms.txt")?,
                ..MessageContent::default()
            },
            MessageKind::Email => MessageContent {
                subject: Some(render("changed_email.subject")?.trim().to_string()),
                text: render("changed_email.txt")?,
                ..MessageContent::default()
            },
        };
        self.outbox.enqueue(kind, "changed", old, &content).await?;
        tracing::info!(user = %user.username, channel = kind.as_str(), "contact change: the old address was told");
        Ok(())
    }

    fn code_mac(&self, session: &str, code: &str) -> String {
        hex(&self
            .key
            .mac("portal-contact", format!("{session}:{code}").as_bytes()))
    }

    fn confirmation(
        &self,
        kind: MessageKind,
        user: &User,
        code: &str,
    ) -> Result<MessageContent, DomainError> {
        let account_name = self.settings.read(|s| s.account_name.clone());
        let minutes = self.policy.contact_code_seconds / 60;
        crate::methods::codes::code_message(
            self.composer.as_ref(),
            kind,
            "confirm",
            user,
            code,
            minutes,
            &account_name,
        )
    }
}
