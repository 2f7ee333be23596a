//! A software passkey for the engine's tests: countersign-webauthn's test
//! authenticator (ring keys, CBOR written by hand) answering the options
//! the engine gives, with the flags, counter, origin and RP ID a test sets.

use countersign_webauthn::parse::{base64url_decode, base64url_encode};
use countersign_webauthn::testutil::{self, TestKey};
use serde_json::Value;

/// The relying party the harness's passkeys are registered with.
pub const RP_ID: &str = testutil::RP_ID;
pub const ORIGIN: &str = testutil::ORIGIN;
/// User present and user verified.
pub const UP_UV: u8 = testutil::UP | testutil::UV;
pub const UP: u8 = testutil::UP;

/// One credential on a software authenticator.
pub struct SoftKey {
    key: TestKey,
    pub id: Vec<u8>,
    /// The signature counter the next assertion carries (then one more).
    pub counter: u32,
    /// The user handle it was registered with.
    pub handle: Vec<u8>,
}

impl Default for SoftKey {
    fn default() -> Self {
        Self::new()
    }
}

fn challenge_of(options: &Value) -> Vec<u8> {
    let text = options["challenge"].as_str().expect("options.challenge");
    base64url_decode(text, "challenge").expect("a base64url challenge")
}

impl SoftKey {
    /// A fresh ES256 credential with a random 16-byte id.
    pub fn new() -> Self {
        let id: Vec<u8> = (0..16).map(|_| rand::random::<u8>()).collect();
        SoftKey {
            key: TestKey::es256(),
            id,
            counter: 1,
            handle: Vec::new(),
        }
    }

    /// The credential id as stored and shown (base64url).
    pub fn credential_id(&self) -> String {
        base64url_encode(&self.id)
    }

    /// `RegistrationResponseJSON` for creation `options` (attestation none).
    pub fn register(&mut self, options: &Value) -> Value {
        let handle = options["user"]["id"].as_str().expect("options.user.id");
        self.handle = base64url_decode(handle, "user.id").expect("a base64url user handle");
        let rest = testutil::attested([0; 16], &self.id, &self.key.cose());
        let auth = testutil::auth_data(RP_ID, UP_UV | testutil::AT, 0, &rest);
        let client = testutil::client_data("webauthn.create", &challenge_of(options), ORIGIN);
        let object = testutil::attestation_object("none", &[0xa0], &auth);
        let json = testutil::registration_json(&self.id, &client, &object);
        serde_json::from_str(&json).expect("registration JSON")
    }

    /// `AuthenticationResponseJSON` for request `options`, user verified,
    /// from the right origin; the counter moves on by one.
    pub fn assert(&mut self, options: &Value) -> Value {
        let counter = self.counter;
        self.counter += 1;
        self.assert_with(options, UP_UV, counter, ORIGIN, RP_ID)
    }

    /// An assertion with every part chosen by the test.
    pub fn assert_with(
        &self,
        options: &Value,
        flags: u8,
        counter: u32,
        origin: &str,
        rp_id: &str,
    ) -> Value {
        let auth = testutil::auth_data(rp_id, flags, counter, &[]);
        let client = testutil::client_data("webauthn.get", &challenge_of(options), origin);
        let json =
            testutil::assertion_json(&self.key, &self.id, &auth, &client, Some(&self.handle));
        serde_json::from_str(&json).expect("assertion JSON")
    }
}
