//! COSE_Key public keys (RFC 9052/9053, RFC 8230) and signature checks on ring.

use minicbor::data::Type;
use minicbor::Decoder;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};

use crate::error::WebauthnError;
use crate::types::Algorithm;

/// A credential public key this crate can verify signatures with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// P-256 point, uncompressed (0x04 || x || y).
    Es256 { point: [u8; 65] },
    /// Ed25519 public key.
    EdDsa { x: [u8; 32] },
    /// RSA modulus and exponent, big-endian without leading zeros.
    Rs256 { n: Vec<u8>, e: Vec<u8> },
}

/// A COSE map value, before the key type tells what it means.
#[derive(Clone, Copy)]
enum Value<'a> {
    Int(i64),
    Bytes(&'a [u8]),
    Other,
}

/// The labels of a COSE_Key this crate reads (RFC 9052 §7, RFC 9053 §7, RFC 8230 §4).
#[derive(Default)]
struct Fields<'a> {
    kty: Option<Value<'a>>,
    alg: Option<Value<'a>>,
    m1: Option<Value<'a>>,
    m2: Option<Value<'a>>,
    m3: Option<Value<'a>>,
}

fn cbor_err(e: minicbor::decode::Error) -> WebauthnError {
    WebauthnError::MalformedCbor {
        what: "credential public key",
        detail: e.to_string(),
    }
}

fn bad(what: &'static str) -> WebauthnError {
    WebauthnError::InvalidPublicKey(what)
}

impl PublicKey {
    /// Reads one COSE_Key from the start of `bytes`; answers the key and
    /// how many bytes it took (authenticator data may go on after it).
    pub fn parse_prefix(bytes: &[u8]) -> Result<(PublicKey, usize), WebauthnError> {
        let mut d = Decoder::new(bytes);
        let fields = read_fields(&mut d)?;
        Ok((from_fields(&fields)?, d.position()))
    }

    /// Reads a stored COSE_Key: all of `bytes`, nothing after it.
    pub fn from_cose(bytes: &[u8]) -> Result<PublicKey, WebauthnError> {
        let (key, used) = PublicKey::parse_prefix(bytes)?;
        if used != bytes.len() {
            return Err(bad("bytes follow the COSE key"));
        }
        Ok(key)
    }

    pub fn algorithm(&self) -> Algorithm {
        match self {
            PublicKey::Es256 { .. } => Algorithm::Es256,
            PublicKey::EdDsa { .. } => Algorithm::EdDsa,
            PublicKey::Rs256 { .. } => Algorithm::Rs256,
        }
    }

    /// Verifies `signature` over `message` (ES256 signatures are DER, as WebAuthn sends them).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), WebauthnError> {
        let ok = match self {
            PublicKey::Es256 { point } => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, point)
                    .verify(message, signature)
            }
            PublicKey::EdDsa { x } => {
                UnparsedPublicKey::new(&signature::ED25519, x).verify(message, signature)
            }
            PublicKey::Rs256 { n, e } => RsaPublicKeyComponents { n, e }.verify(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                message,
                signature,
            ),
        };
        ok.map_err(|_| WebauthnError::BadSignature)
    }

    /// Checks what can be checked before any signature: the P-256 point is
    /// on the curve (ring validates a peer's ECDH public key), the RSA
    /// modulus and exponent are in the range ring verifies.
    pub fn validate(&self) -> Result<(), WebauthnError> {
        match self {
            PublicKey::Es256 { point } => validate_p256(point),
            PublicKey::EdDsa { .. } => Ok(()),
            PublicKey::Rs256 { n, e } => validate_rsa(n, e),
        }
    }
}

fn read_value<'a>(d: &mut Decoder<'a>) -> Result<Value<'a>, WebauthnError> {
    Ok(match d.datatype().map_err(cbor_err)? {
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => Value::Int(d.i64().map_err(cbor_err)?),
        Type::I8 | Type::I16 | Type::I32 | Type::I64 | Type::Int => {
            Value::Int(d.i64().map_err(cbor_err)?)
        }
        Type::Bytes => Value::Bytes(d.bytes().map_err(cbor_err)?),
        _ => {
            d.skip().map_err(cbor_err)?;
            Value::Other
        }
    })
}

fn read_fields<'a>(d: &mut Decoder<'a>) -> Result<Fields<'a>, WebauthnError> {
    let len = d
        .map()
        .map_err(cbor_err)?
        .ok_or_else(|| bad("the COSE key is a map of indefinite length"))?;
    let mut f = Fields::default();
    for _ in 0..len {
        let label = match d.datatype().map_err(cbor_err)? {
            Type::String | Type::StringIndef => {
                // Text labels are private use: skip the label and its value.
                d.skip().map_err(cbor_err)?;
                d.skip().map_err(cbor_err)?;
                continue;
            }
            _ => d.i64().map_err(cbor_err)?,
        };
        let slot = match label {
            1 => &mut f.kty,
            3 => &mut f.alg,
            -1 => &mut f.m1,
            -2 => &mut f.m2,
            -3 => &mut f.m3,
            _ => {
                d.skip().map_err(cbor_err)?;
                continue;
            }
        };
        if slot.is_some() {
            return Err(bad("a COSE key label appears twice"));
        }
        *slot = Some(read_value(d)?);
    }
    Ok(f)
}

fn int(v: Option<Value<'_>>, what: &'static str) -> Result<i64, WebauthnError> {
    match v {
        Some(Value::Int(i)) => Ok(i),
        _ => Err(bad(what)),
    }
}

fn bytes<'a>(v: Option<Value<'a>>, what: &'static str) -> Result<&'a [u8], WebauthnError> {
    match v {
        Some(Value::Bytes(b)) => Ok(b),
        _ => Err(bad(what)),
    }
}

fn fixed<const N: usize>(b: &[u8], what: &'static str) -> Result<[u8; N], WebauthnError> {
    b.try_into().map_err(|_| bad(what))
}

fn from_fields(f: &Fields<'_>) -> Result<PublicKey, WebauthnError> {
    let kty = int(f.kty, "the COSE key has no integer key type (kty)")?;
    let alg = int(f.alg, "the COSE key names no integer algorithm (alg)")?;
    let algorithm = Algorithm::from_cose(alg).ok_or(WebauthnError::UnsupportedAlgorithm(alg))?;
    match (algorithm, kty) {
        (Algorithm::Es256, 2) => {
            if int(f.m1, "the EC2 key has no curve")? != 1 {
                return Err(bad("the ES256 key is not on curve P-256 (crv 1)"));
            }
            let x: [u8; 32] = fixed(bytes(f.m2, "no x")?, "x is not 32 bytes")?;
            let y: [u8; 32] = fixed(
                bytes(f.m3, "no y (compressed points are not used)")?,
                "y is not 32 bytes",
            )?;
            let mut point = [4u8; 65];
            point[1..33].copy_from_slice(&x);
            point[33..].copy_from_slice(&y);
            Ok(PublicKey::Es256 { point })
        }
        (Algorithm::EdDsa, 1) => {
            if int(f.m1, "the OKP key has no curve")? != 6 {
                return Err(bad("the EdDSA key is not an Ed25519 key (crv 6)"));
            }
            let x = fixed(bytes(f.m2, "no x")?, "the Ed25519 key is not 32 bytes")?;
            Ok(PublicKey::EdDsa { x })
        }
        (Algorithm::Rs256, 3) => {
            let n = strip_zeros(bytes(f.m1, "the RSA key has no modulus n")?);
            let e = strip_zeros(bytes(f.m2, "the RSA key has no exponent e")?);
            Ok(PublicKey::Rs256 { n, e })
        }
        _ => Err(bad("the key type (kty) does not match the algorithm")),
    }
}

fn strip_zeros(b: &[u8]) -> Vec<u8> {
    let start = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    b[start..].to_vec()
}

fn validate_p256(point: &[u8; 65]) -> Result<(), WebauthnError> {
    use ring::agreement;
    let rng = ring::rand::SystemRandom::new();
    let own = agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, &rng)
        .map_err(|_| WebauthnError::Random)?;
    let peer = agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, point);
    agreement::agree_ephemeral(own, &peer, |_| ())
        .map_err(|_| bad("the ES256 key is not a point on P-256"))
}

fn validate_rsa(n: &[u8], e: &[u8]) -> Result<(), WebauthnError> {
    // n has no leading zero byte, so its first byte sets the bit length.
    let bits = match n.first() {
        None => 0,
        Some(first) => n.len() * 8 - first.leading_zeros() as usize,
    };
    if !(2048..=8192).contains(&bits) {
        return Err(bad("the RSA modulus is not 2048 to 8192 bits"));
    }
    if n.last().is_some_and(|b| b % 2 == 0) {
        return Err(bad("the RSA modulus is even"));
    }
    let e_value = match e.len() {
        1..=5 => e.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b)),
        _ => return Err(bad("the RSA exponent is not 3 to 2^33 - 1")),
    };
    if e_value < 3 || e_value % 2 == 0 || e_value >= 1 << 33 {
        return Err(bad(
            "the RSA exponent is not an odd number from 3 to 2^33 - 1",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "cose_tests.rs"]
mod tests;
