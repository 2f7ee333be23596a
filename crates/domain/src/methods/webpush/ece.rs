//! RFC 8291 message encryption for Web Push, `aes128gcm` content coding
//! (RFC 8188), with ring only: ECDH P-256 (`agreement`), HKDF-SHA-256
//! (`hkdf`) and AES-128-GCM (`aead`). One record; the sender's key pair is
//! ephemeral, made for each message.

use ring::rand::{SecureRandom, SystemRandom};
use ring::{aead, agreement, hkdf};

use super::WebPushError;

/// The record size written in the header; one record holds the message.
const RECORD_SIZE: u32 = 4096;
/// The most plaintext one record takes: rs − 16 (tag) − 1 (delimiter).
pub const MAX_PLAINTEXT: usize = RECORD_SIZE as usize - 17;

/// A length for ring's HKDF expand.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn expand(prk: &hkdf::Prk, info: &[&[u8]], out: &mut [u8]) -> Result<(), WebPushError> {
    prk.expand(info, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| WebPushError::Crypto("HKDF expand"))
}

/// What the subscription gave: the user agent's public key (`p256dh`,
/// 65-byte uncompressed point) and its 16-byte `auth` secret.
pub struct Receiver<'a> {
    pub p256dh: &'a [u8],
    pub auth: &'a [u8],
}

/// Encrypts `plaintext` for the receiver: the body of the POST to the push
/// service (header `salt ‖ rs ‖ idlen ‖ keyid` then the record).
pub fn encrypt(receiver: &Receiver<'_>, plaintext: &[u8]) -> Result<Vec<u8>, WebPushError> {
    let rng = SystemRandom::new();
    let mut salt = [0u8; 16];
    rng.fill(&mut salt)
        .map_err(|_| WebPushError::Crypto("random salt"))?;
    let private = agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, &rng)
        .map_err(|_| WebPushError::Crypto("ephemeral key"))?;
    let public = private
        .compute_public_key()
        .map_err(|_| WebPushError::Crypto("ephemeral public key"))?;
    let peer = agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, receiver.p256dh);
    let shared = agreement::agree_ephemeral(private, &peer, |secret| secret.to_vec())
        .map_err(|_| WebPushError::BadSubscription("p256dh is not a P-256 public key"))?;
    seal(receiver, &shared, public.as_ref(), &salt, plaintext)
}

/// The deterministic part of [`encrypt`], given the ECDH secret, the
/// sender's public key and the salt (RFC 8291 §3.3, §3.4).
pub(crate) fn seal(
    receiver: &Receiver<'_>,
    ecdh_secret: &[u8],
    sender_public: &[u8],
    salt: &[u8; 16],
    plaintext: &[u8],
) -> Result<Vec<u8>, WebPushError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(WebPushError::TooLarge(plaintext.len()));
    }
    if receiver.auth.len() != 16 {
        return Err(WebPushError::BadSubscription("auth must be 16 bytes"));
    }
    let prk_key = hkdf::Salt::new(hkdf::HKDF_SHA256, receiver.auth).extract(ecdh_secret);
    let mut ikm = [0u8; 32];
    expand(
        &prk_key,
        &[b"WebPush: info\0", receiver.p256dh, sender_public],
        &mut ikm,
    )?;
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(&ikm);
    let mut cek = [0u8; 16];
    expand(&prk, &[b"Content-Encoding: aes128gcm\0"], &mut cek)?;
    let mut nonce = [0u8; 12];
    expand(&prk, &[b"Content-Encoding: nonce\0"], &mut nonce)?;

    let key = aead::LessSafeKey::new(
        aead::UnboundKey::new(&aead::AES_128_GCM, &cek)
            .map_err(|_| WebPushError::Crypto("AES key"))?,
    );
    let mut record = plaintext.to_vec();
    record.push(2); // the last (only) record's delimiter
    key.seal_in_place_append_tag(
        aead::Nonce::assume_unique_for_key(nonce),
        aead::Aad::empty(),
        &mut record,
    )
    .map_err(|_| WebPushError::Crypto("AES-GCM seal"))?;

    let mut body = Vec::with_capacity(16 + 4 + 1 + sender_public.len() + record.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(sender_public.len() as u8);
    body.extend_from_slice(sender_public);
    body.extend_from_slice(&record);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    fn b64(text: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(text).expect("base64url")
    }

    /// RFC 8291 Appendix A: the same keys, salt and secret give the same body.
    #[test]
    fn matches_the_rfc_8291_example() {
        let ua_public = b64("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4");
        let as_public = b64("BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8");
        let auth = b64("BTBZMqHH6r4Tts7J_aSIgg");
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().expect("16 bytes");
        // ECDH(as_private, ua_public), from the RFC's intermediate values.
        let shared = b64("kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs");
        let receiver = Receiver {
            p256dh: &ua_public,
            auth: &auth,
        };
        let body = seal(
            &receiver,
            &shared,
            &as_public,
            &salt,
            b"When I grow up, I want to be a watermelon",
        )
        .expect("sealed");
        let expected = b64("DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN");
        assert_eq!(body, expected);
    }

    #[test]
    fn refuses_a_bad_receiver_key_and_large_messages() {
        let auth = [0u8; 16];
        let bad = Receiver {
            p256dh: &[4u8; 65],
            auth: &auth,
        };
        assert!(encrypt(&bad, b"x").is_err());
        let salt = [0u8; 16];
        let big = vec![0u8; MAX_PLAINTEXT + 1];
        assert!(matches!(
            seal(&bad, &[0; 32], &[4; 65], &salt, &big),
            Err(WebPushError::TooLarge(_))
        ));
    }
}
