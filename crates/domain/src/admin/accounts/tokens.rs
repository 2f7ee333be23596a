//! The tokens of a user's account: listing, removing, adding OATH tokens
//! (generated or given seeds) and the portal's TOTP enrolment, which is saved
//! only with a right first code.

use countersign_otp::{base32, uri::KeyUri, Algorithm, Kind};

use super::{Accounts, Enrolment, TokenSpec};
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::token::{StoredToken, Token};
use crate::model::user::User;

impl Accounts {
    pub async fn tokens(&self, username: &str) -> Result<Vec<Token>, DomainError> {
        let found = self.user(username).await?;
        self.tokens_of(&found).await
    }

    /// The tokens of a user already read (the portal's own user).
    pub async fn tokens_of(&self, owner: &User) -> Result<Vec<Token>, DomainError> {
        let rows = self.store.tokens_of_user(&owner.id).await?;
        Ok(rows.iter().map(StoredToken::view).collect())
    }

    pub async fn delete_token(&self, username: &str, token_id: &str) -> Result<(), DomainError> {
        let found = self.user(username).await?;
        if self.store.delete_token(&found.id, token_id).await? {
            Ok(())
        } else {
            Err(DomainError::not_found("token", token_id))
        }
    }

    /// Adds an OATH token; returns the enrolment data once when the seed was generated here.
    pub async fn add_token(
        &self,
        username: &str,
        spec: TokenSpec,
    ) -> Result<(Token, Option<Enrolment>), DomainError> {
        let found = self.user(username).await?;
        self.add_token_to(&found, spec).await
    }

    pub(super) async fn add_token_to(
        &self,
        found: &User,
        spec: TokenSpec,
    ) -> Result<(Token, Option<Enrolment>), DomainError> {
        if spec.assignment()?.is_some() {
            return Err(DomainError::invalid(
                "serial",
                "pool tokens are assigned by the token pool",
            ));
        }
        if spec.kind == Some(Kind::Yubico) {
            return Ok((self.add_yubikey(found, &spec).await?, None));
        }
        let params = TokenParams::from_spec(&spec)?;
        let (secret, generated) = match &spec.secret {
            Some(text) => (decode_secret(text)?, false),
            None => (
                countersign_otp::generate_secret(countersign_otp::DEFAULT_SECRET_BYTES),
                true,
            ),
        };
        let id = new_id("tok");
        let stored = StoredToken {
            sealed_secret: self.key.seal("tokens", &id, "secret", &secret),
            id,
            user_id: found.id.clone(),
            kind: params.kind,
            algorithm: params.algorithm,
            digits: params.digits,
            period: params.period,
            last_used: params.first_counter - 1,
            drift: 0,
            created_at: self.clock.now(),
            last_used_at: None,
            serial: None,
            issuer: None,
        };
        self.store.insert_token(&stored).await?;
        let enrolment = if generated {
            Some(Enrolment {
                secret: base32::encode(&secret),
                otpauth_uri: self.key_uri(found, &params, secret).to_uri(),
            })
        } else {
            None
        };
        Ok((stored.view(), enrolment))
    }

    /// A new TOTP seed and its `otpauth://` URI for `owner`, not saved yet:
    /// the portal saves it only once the user's app shows the right code.
    pub fn propose_totp(&self, owner: &User) -> Result<Enrolment, DomainError> {
        let params = TokenParams::from_spec(&TokenSpec::default())?;
        let secret = countersign_otp::generate_secret(countersign_otp::DEFAULT_SECRET_BYTES);
        Ok(Enrolment {
            secret: base32::encode(&secret),
            otpauth_uri: self.key_uri(owner, &params, secret).to_uri(),
        })
    }

    /// Saves a proposed TOTP seed if `code` is its current code (one step
    /// either side allowed for a slow typist); the code is then used up.
    /// `None` when the code does not match: nothing is saved.
    pub async fn confirm_totp(
        &self,
        owner: &User,
        secret: &str,
        code: &str,
    ) -> Result<Option<Token>, DomainError> {
        let seed = decode_secret(secret)?;
        let code: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
        let now = self.clock.now().max(0) as u64;
        let step = countersign_otp::totp_step(now, 30);
        let matched = [step.saturating_sub(1), step, step + 1]
            .into_iter()
            .find(|s| {
                let expected = countersign_otp::hotp(&seed, *s, 6, Algorithm::Sha1);
                countersign_otp::code_matches(&expected, &code)
            });
        let Some(matched) = matched else {
            return Ok(None);
        };
        let spec = TokenSpec {
            secret: Some(secret.to_string()),
            ..TokenSpec::default()
        };
        let (token, _) = self.add_token_to(owner, spec).await?;
        self.store
            .advance_token(&token.id, matched as i64, 0, self.clock.now())
            .await?;
        Ok(Some(token))
    }

    fn key_uri(&self, owner: &User, params: &TokenParams, secret: Vec<u8>) -> KeyUri {
        KeyUri {
            kind: params.kind,
            issuer: Some(self.issuer.clone()),
            account: owner.username.clone(),
            secret,
            algorithm: params.algorithm,
            digits: params.digits,
            period: params.period,
            counter: (params.kind == Kind::Hotp).then_some(params.first_counter as u64),
        }
    }
}

struct TokenParams {
    kind: Kind,
    algorithm: Algorithm,
    digits: u32,
    period: u64,
    first_counter: i64,
}

impl TokenParams {
    fn from_spec(spec: &TokenSpec) -> Result<Self, DomainError> {
        let kind = spec.kind.unwrap_or(Kind::Totp);
        let digits = spec.digits.unwrap_or(6);
        if !(6..=8).contains(&digits) {
            return Err(DomainError::invalid("digits", "must be 6, 7 or 8"));
        }
        let period = spec.period.unwrap_or(30);
        if kind == Kind::Totp && !(period == 30 || period == 60) {
            return Err(DomainError::invalid("period", "must be 30 or 60 seconds"));
        }
        if kind == Kind::Totp && spec.counter.is_some() {
            return Err(DomainError::invalid(
                "counter",
                "only HOTP tokens have a counter",
            ));
        }
        let first_counter = spec.counter.unwrap_or(0);
        if first_counter > i64::MAX as u64 / 2 {
            return Err(DomainError::invalid("counter", "is too large"));
        }
        Ok(Self {
            kind,
            algorithm: spec.algorithm.unwrap_or_default(),
            digits,
            period,
            first_counter: first_counter as i64,
        })
    }
}

fn decode_secret(text: &str) -> Result<Vec<u8>, DomainError> {
    let secret = base32::decode(text).map_err(|e| DomainError::invalid("secret", e.to_string()))?;
    if secret.len() < 10 {
        return Err(DomainError::invalid(
            "secret",
            "is shorter than 80 bits (16 base32 characters); RFC 4226 asks for at least 128 bits",
        ));
    }
    if secret.len() > 128 {
        return Err(DomainError::invalid("secret", "is longer than 1024 bits"));
    }
    Ok(secret)
}
