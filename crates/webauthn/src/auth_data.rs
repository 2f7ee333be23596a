//! Authenticator data (WebAuthn §6.1): RP ID hash, flags, counter, attested credential, extensions.

use minicbor::Decoder;

use crate::cose::PublicKey;
use crate::error::WebauthnError;
use crate::types::Aaguid;

/// The flags byte of authenticator data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags(pub u8);

impl Flags {
    /// UP: the user was present (touched the key, confirmed).
    pub fn user_present(self) -> bool {
        self.0 & 0x01 != 0
    }
    /// UV: the user was verified (PIN, biometric).
    pub fn user_verified(self) -> bool {
        self.0 & 0x04 != 0
    }
    /// BE: the credential may be backed up (synced).
    pub fn backup_eligible(self) -> bool {
        self.0 & 0x08 != 0
    }
    /// BS: the credential is backed up.
    pub fn backup_state(self) -> bool {
        self.0 & 0x10 != 0
    }
    /// AT: attested credential data follows.
    pub fn attested(self) -> bool {
        self.0 & 0x40 != 0
    }
    /// ED: extension data follows.
    pub fn extensions(self) -> bool {
        self.0 & 0x80 != 0
    }
}

/// The credential an authenticator made, as its data at registration tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedCredential<'a> {
    pub aaguid: Aaguid,
    pub credential_id: &'a [u8],
    pub public_key: PublicKey,
    /// The COSE_Key bytes as sent (what is stored).
    pub public_key_bytes: &'a [u8],
}

/// Parsed authenticator data, borrowing from the bytes it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorData<'a> {
    pub rp_id_hash: [u8; 32],
    pub flags: Flags,
    pub sign_count: u32,
    pub attested: Option<AttestedCredential<'a>>,
    /// The extension outputs (one CBOR map), if the ED flag is set.
    pub extensions: Option<&'a [u8]>,
}

fn malformed(what: &'static str) -> WebauthnError {
    WebauthnError::MalformedAuthenticatorData(what)
}

/// Splits `n` bytes off the front of `rest`.
fn take<'a>(rest: &mut &'a [u8], n: usize, what: &'static str) -> Result<&'a [u8], WebauthnError> {
    if rest.len() < n {
        return Err(malformed(what));
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Ok(head)
}

impl<'a> AuthenticatorData<'a> {
    /// Reads authenticator data; every byte must belong to a part the flags announce.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WebauthnError> {
        let mut rest = bytes;
        let rp_id_hash: [u8; 32] = take(&mut rest, 32, "shorter than 37 bytes")?
            .try_into()
            .map_err(|_| malformed("shorter than 37 bytes"))?;
        let flags = Flags(take(&mut rest, 1, "shorter than 37 bytes")?[0]);
        let counter = take(&mut rest, 4, "shorter than 37 bytes")?;
        let sign_count = u32::from_be_bytes([counter[0], counter[1], counter[2], counter[3]]);
        let attested = if flags.attested() {
            Some(parse_attested(&mut rest)?)
        } else {
            None
        };
        let extensions = if flags.extensions() {
            Some(parse_extensions(&mut rest)?)
        } else {
            None
        };
        if !rest.is_empty() {
            return Err(malformed("bytes follow what the flags announce"));
        }
        Ok(AuthenticatorData {
            rp_id_hash,
            flags,
            sign_count,
            attested,
            extensions,
        })
    }
}

fn parse_attested<'a>(rest: &mut &'a [u8]) -> Result<AttestedCredential<'a>, WebauthnError> {
    let short = "the attested credential data is cut short";
    let aaguid: [u8; 16] = take(rest, 16, short)?
        .try_into()
        .map_err(|_| malformed(short))?;
    let len = take(rest, 2, short)?;
    let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
    if len > 1023 {
        return Err(WebauthnError::CredentialIdTooLong(len));
    }
    if len == 0 {
        return Err(malformed("the credential id is empty"));
    }
    let credential_id = take(rest, len, short)?;
    let (public_key, used) = PublicKey::parse_prefix(rest)?;
    let public_key_bytes = take(rest, used, short)?;
    Ok(AttestedCredential {
        aaguid: Aaguid(aaguid),
        credential_id,
        public_key,
        public_key_bytes,
    })
}

fn parse_extensions<'a>(rest: &mut &'a [u8]) -> Result<&'a [u8], WebauthnError> {
    let mut d = Decoder::new(rest);
    let cbor = |e: minicbor::decode::Error| WebauthnError::MalformedCbor {
        what: "authenticator extension outputs",
        detail: e.to_string(),
    };
    match d.map().map_err(cbor)? {
        Some(_) => {}
        None => {
            return Err(malformed(
                "the extension outputs are a map of indefinite length",
            ))
        }
    }
    d.set_position(0);
    d.skip().map_err(cbor)?;
    let used = d.position();
    take(rest, used, "the extension outputs are cut short")
}

#[cfg(test)]
#[path = "auth_data_tests.rs"]
mod tests;
