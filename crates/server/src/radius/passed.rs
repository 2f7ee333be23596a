//! What an upstream's Access-Accept hands on to the final answer: its
//! reply attributes, and its MPPE keys (MS-MPPE-Send-Key, -Recv-Key,
//! MS-CHAP-MPPE-Keys) decrypted. The keys were encrypted for the upstream's
//! secret and the request we forwarded; the client needs them encrypted for
//! its own secret and the request the final Accept answers (with the
//! challenge flow that is the second round), so they are kept in the clear
//! in memory only, encrypted again for each answer, and sealed with the
//! encryption key while they wait in a challenge row.

use countersign_domain::crypto::SecretKey;
use countersign_radius::vsa::{self, ms, vendor_attributes, MICROSOFT};
use countersign_radius::{
    decrypt_chap_mppe_keys, decrypt_mppe_key, encrypt_chap_mppe_keys, encrypt_mppe_key, mppe_salt,
    Attribute, Packet, PacketError,
};

/// Where waiting keys are sealed (associated data: table, State, column).
const TABLE: &str = "radius_challenges";
const COLUMN: &str = "attributes";
/// Marks the sealed keys after the plain attributes in a challenge row:
/// type 0 is never a valid attribute, so rows written before it still read.
const SEALED_MARK: u8 = 0;

/// The reply attributes of an upstream's Access-Accept, ready to pass on.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Passed {
    attributes: Vec<Attribute>,
    keys: Vec<Key>,
}

/// One decrypted key: its Microsoft vendor type and value (for
/// MS-CHAP-MPPE-Keys, the padded 32 bytes). Never logged; wiped on drop.
#[derive(Clone, PartialEq, Eq)]
struct Key {
    typ: u8,
    plain: Vec<u8>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({}, ..)", self.typ)
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        self.plain.fill(0);
    }
}

impl Passed {
    /// Takes the attributes of `reply` worth passing on (not `dropped`),
    /// decrypting the keys with the upstream's `secret` and the
    /// authenticator of the request that was forwarded.
    pub fn from_reply(
        reply: &Packet,
        dropped: &[u8],
        secret: &[u8],
        authenticator: &[u8; 16],
    ) -> Passed {
        let mut passed = Passed::default();
        for attribute in reply
            .attributes
            .iter()
            .filter(|a| !dropped.contains(&a.typ))
        {
            match vendor_attributes(attribute) {
                Some(subs) if subs.iter().any(|s| s.vendor == MICROSOFT && is_key(s.typ)) => {
                    for sub in subs {
                        passed.take_sub(sub, secret, authenticator);
                    }
                }
                _ => passed.attributes.push(attribute.clone()),
            }
        }
        passed
    }

    fn take_sub(&mut self, sub: vsa::VendorAttribute, secret: &[u8], authenticator: &[u8; 16]) {
        if !is_key(sub.typ) {
            if let Ok(a) = vsa::encode_vendor_specific(sub.vendor, sub.typ, &sub.value) {
                self.attributes.push(a);
            }
            return;
        }
        let plain = match sub.typ {
            ms::CHAP_MPPE_KEYS => decrypt_chap_mppe_keys(&sub.value, secret, authenticator),
            _ => decrypt_mppe_key(&sub.value, secret, authenticator),
        };
        match plain {
            Ok(plain) => self.keys.push(Key {
                typ: sub.typ,
                plain,
            }),
            Err(e) => tracing::warn!(vendor_type = sub.typ, error = %e,
                "an MPPE key from the upstream RADIUS server could not be decrypted and is not passed on (check upstream_secret)"),
        }
    }

    /// Whether the upstream sent keys.
    #[cfg(test)]
    pub fn has_keys(&self) -> bool {
        !self.keys.is_empty()
    }

    /// The attributes for the answer to the request with `authenticator`,
    /// the keys encrypted with the client's `secret` (fresh salts).
    pub fn for_answer(&self, secret: &[u8], authenticator: &[u8; 16]) -> Vec<Attribute> {
        let mut out = self.attributes.clone();
        let mut salts = Vec::new();
        for key in &self.keys {
            match encrypt_key(key, secret, authenticator, &mut salts) {
                Ok(attribute) => out.push(attribute),
                Err(e) => {
                    tracing::warn!(vendor_type = key.typ, error = %e, "an MPPE key could not be encrypted for the client")
                }
            }
        }
        out
    }

    /// The form kept in the `radius_challenges` row of `state`: the plain
    /// attributes back to back, then, if there are keys, a 0 byte and the
    /// keys sealed to that row.
    pub fn seal(&self, key: &SecretKey, state: &str) -> Vec<u8> {
        let mut out = encode_attributes(&self.attributes);
        if !self.keys.is_empty() {
            let keys: Vec<Attribute> = self
                .keys
                .iter()
                .map(|k| Attribute::new(k.typ, k.plain.clone()))
                .collect();
            let mut plain = encode_attributes(&keys);
            for mut k in keys {
                k.value.fill(0);
            }
            out.push(SEALED_MARK);
            out.extend(key.seal(TABLE, state, COLUMN, &plain));
            plain.fill(0);
        }
        out
    }

    /// Reads what [`Passed::seal`] wrote for `state`. Keys that do not open
    /// (another encryption key) are left out, with a warning.
    pub fn open(bytes: &[u8], key: &SecretKey, state: &str) -> Passed {
        let (attributes, sealed) = decode_attributes(bytes);
        let mut passed = Passed {
            attributes,
            keys: Vec::new(),
        };
        let Some(sealed) = sealed else {
            return passed;
        };
        let mut plain = match key.open(TABLE, state, COLUMN, sealed) {
            Ok(plain) => plain,
            Err(e) => {
                tracing::warn!(error = %e, "the MPPE keys kept with a RADIUS challenge do not open; the answer goes without them");
                return passed;
            }
        };
        let (keys, _) = decode_attributes(&plain);
        plain.fill(0);
        passed.keys = keys
            .into_iter()
            .map(|a| Key {
                typ: a.typ,
                plain: a.value,
            })
            .collect();
        passed
    }
}

fn is_key(typ: u8) -> bool {
    matches!(
        typ,
        ms::MPPE_SEND_KEY | ms::MPPE_RECV_KEY | ms::CHAP_MPPE_KEYS
    )
}

fn encrypt_key(
    key: &Key,
    secret: &[u8],
    authenticator: &[u8; 16],
    salts: &mut Vec<[u8; 2]>,
) -> Result<Attribute, PacketError> {
    let value = match key.typ {
        ms::CHAP_MPPE_KEYS => encrypt_chap_mppe_keys(&key.plain, secret, authenticator)?,
        _ => {
            let salt = mppe_salt(salts);
            salts.push(salt);
            encrypt_mppe_key(&key.plain, secret, authenticator, salt)?
        }
    };
    vsa::encode_vendor_specific(MICROSOFT, key.typ, &value)
}

/// Attributes back to back in their wire form (values over 253 bytes,
/// which cannot come off the wire, are left out).
fn encode_attributes(attributes: &[Attribute]) -> Vec<u8> {
    let mut out = Vec::new();
    for a in attributes.iter().filter(|a| a.typ != SEALED_MARK) {
        let Ok(len) = u8::try_from(a.value.len() + 2) else {
            continue;
        };
        out.push(a.typ);
        out.push(len);
        out.extend_from_slice(&a.value);
    }
    out
}

/// The attributes, and what follows the sealed mark if there is one. A
/// cut-off attribute ends the list.
fn decode_attributes(mut bytes: &[u8]) -> (Vec<Attribute>, Option<&[u8]>) {
    let mut out = Vec::new();
    while let [typ, rest @ ..] = bytes {
        if *typ == SEALED_MARK {
            return (out, Some(rest));
        }
        let [len, rest @ ..] = rest else { break };
        let value_len = usize::from(*len).saturating_sub(2);
        let (Some(value), Some(next)) = (rest.get(..value_len), rest.get(value_len..)) else {
            break;
        };
        out.push(Attribute::new(*typ, value.to_vec()));
        bytes = next;
    }
    (out, None)
}

#[cfg(test)]
#[path = "passed_tests.rs"]
mod tests;
