//! Enrolling a YubiKey by its AES key and a first OTP: the OTP gives the
//! public id (the token's serial) and, once decrypted, the private id; its
//! counter is used up, so that OTP cannot be replayed.

use countersign_otp::{yubico, Algorithm, Kind};

use super::{Accounts, TokenSpec};
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::token::{StoredToken, Token};
use crate::model::user::User;

impl Accounts {
    pub(super) async fn add_yubikey(
        &self,
        owner: &User,
        spec: &TokenSpec,
    ) -> Result<Token, DomainError> {
        let others = spec.algorithm.is_some()
            || spec.digits.is_some()
            || spec.period.is_some()
            || spec.counter.is_some();
        if others {
            return Err(DomainError::invalid(
                "type",
                "a YubiKey takes only secret (its AES key) and code (an OTP it typed)",
            ));
        }
        let key = aes_key(spec.secret.as_deref())?;
        let otp: String = spec
            .code
            .as_deref()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let (public, block) = yubico::split(&otp).ok_or_else(|| {
            DomainError::invalid(
                "code",
                "touch the YubiKey to type an OTP (44 letters of cbdefghijklnrtuv)",
            )
        })?;
        let opened = yubico::open(&key, &block).ok_or_else(|| {
            DomainError::invalid("code", "the OTP does not decrypt with this AES key: check the key, or that the key is in Yubico OTP mode")
        })?;
        let id = new_id("tok");
        let mut secret = key.to_vec();
        secret.extend_from_slice(&opened.private_id);
        let stored = StoredToken {
            sealed_secret: self.key.seal("tokens", &id, "secret", &secret),
            id,
            user_id: owner.id.clone(),
            kind: Kind::Yubico,
            algorithm: Algorithm::Sha1,
            digits: otp.len() as u32,
            period: 30,
            last_used: opened.counter(),
            drift: 0,
            created_at: self.clock.now(),
            last_used_at: None,
            serial: Some(public),
            issuer: Some("Yubico".into()),
        };
        self.store.insert_token(&stored).await?;
        Ok(stored.view())
    }
}

fn aes_key(text: Option<&str>) -> Result<[u8; 16], DomainError> {
    let bad = || DomainError::invalid("secret", "a YubiKey's AES key is 32 hex digits");
    let text: String = text
        .ok_or_else(bad)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut key = [0u8; 16];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16)
            .map_err(|_| bad())?;
    }
    Ok(key)
}
