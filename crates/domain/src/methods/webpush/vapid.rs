//! RFC 8292 VAPID: the server's own P-256 key identifies it to push
//! services; each request carries a short-lived ES256 JWT.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;

use super::WebPushError;

/// A JWT is valid this long (RFC 8292 allows at most 24 hours).
pub const JWT_LIFETIME: i64 = 12 * 3600;

/// The server's VAPID key pair. Never logged.
pub struct VapidKey {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VapidKey({})", self.public_key_base64url())
    }
}

impl VapidKey {
    /// A new key pair and its PKCS#8 document (to seal and store).
    pub fn generate() -> Result<(VapidKey, Vec<u8>), WebPushError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| WebPushError::Crypto("VAPID key generation"))?;
        let key = Self::from_pkcs8(pkcs8.as_ref())?;
        Ok((key, pkcs8.as_ref().to_vec()))
    }

    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<VapidKey, WebPushError> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|_| WebPushError::Crypto("the stored VAPID key does not parse"))?;
        Ok(VapidKey { pair, rng })
    }

    /// The uncompressed public point (65 bytes), base64url without padding:
    /// the `applicationServerKey` the app subscribes with.
    pub fn public_key_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.pair.public_key().as_ref())
    }

    /// `Authorization: vapid t=<JWT>, k=<public key>` for a push to `endpoint`.
    pub fn authorization(
        &self,
        endpoint: &str,
        subject: &str,
        now: i64,
    ) -> Result<String, WebPushError> {
        let jwt = self.jwt(&audience(endpoint)?, subject, now + JWT_LIFETIME)?;
        Ok(format!("vapid t={jwt}, k={}", self.public_key_base64url()))
    }

    fn jwt(&self, audience: &str, subject: &str, expires: i64) -> Result<String, WebPushError> {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = json!({"aud": audience, "exp": expires, "sub": subject}).to_string();
        let signing_input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims));
        let signature = self
            .pair
            .sign(&self.rng, signing_input.as_bytes())
            .map_err(|_| WebPushError::Crypto("ES256 signature"))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        ))
    }
}

/// The JWT's `aud`: the push service's origin (scheme://host[:port]).
pub fn audience(endpoint: &str) -> Result<String, WebPushError> {
    let (scheme, rest) = endpoint
        .split_once("://")
        .ok_or(WebPushError::BadSubscription("the endpoint is not a URL"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || !(scheme == "https" || scheme == "http") {
        return Err(WebPushError::BadSubscription(
            "the endpoint is not an http(s) URL",
        ));
    }
    Ok(format!("{}://{}", scheme.to_ascii_lowercase(), authority))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

    #[test]
    fn the_jwt_verifies_with_the_public_key_and_names_the_audience() {
        let (key, pkcs8) = VapidKey::generate().expect("a key");
        let again = VapidKey::from_pkcs8(&pkcs8).expect("parses");
        assert_eq!(key.public_key_base64url(), again.public_key_base64url());
        let header = key
            .authorization(
                "https://push.example.net:8443/wpush/abc?x=1",
                "mailto:ops@example.org",
                1_000,
            )
            .expect("authorization");
        let rest = header.strip_prefix("vapid t=").expect("scheme");
        let (jwt, k) = rest.split_once(", k=").expect("k");
        assert_eq!(k, key.public_key_base64url());
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(claims["aud"], "https://push.example.net:8443");
        assert_eq!(claims["exp"], 1_000 + JWT_LIFETIME);
        assert_eq!(claims["sub"], "mailto:ops@example.org");
        let public = URL_SAFE_NO_PAD.decode(k).expect("b64");
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("b64");
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &public)
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .expect("the signature verifies");
    }

    #[test]
    fn audience_refuses_what_is_not_a_url() {
        assert!(audience("push.example.net/x").is_err());
        assert!(audience("ftp://x/y").is_err());
        assert_eq!(
            audience("http://127.0.0.1:9/p").expect("ok"),
            "http://127.0.0.1:9"
        );
    }
}
