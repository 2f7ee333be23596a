//! A software passkey for the load generator: countersign-webauthn's test
//! authenticator (ring ES256 keys, CBOR written by hand), at any origin.

use anyhow::{Context, Result};
use countersign_webauthn::parse::base64url_decode;
use countersign_webauthn::testutil::{self, TestKey};
use serde_json::Value;

pub struct SoftKey {
    key: TestKey,
    id: Vec<u8>,
    counter: u32,
    handle: Vec<u8>,
    origin: String,
    rp_id: String,
}

fn challenge_of(options: &Value) -> Result<Vec<u8>> {
    let text = options["challenge"]
        .as_str()
        .context("no challenge in the options")?;
    Ok(base64url_decode(text, "challenge")?)
}

impl SoftKey {
    pub fn new(origin: &str, rp_id: &str) -> Self {
        SoftKey {
            key: TestKey::es256(),
            id: (0..16).map(|_| rand::random::<u8>()).collect(),
            counter: 0,
            handle: Vec::new(),
            origin: origin.to_string(),
            rp_id: rp_id.to_string(),
        }
    }

    pub fn register(&mut self, options: &Value) -> Result<Value> {
        let handle = options["user"]["id"]
            .as_str()
            .context("no user.id in the options")?;
        self.handle = base64url_decode(handle, "user.id")?;
        let rest = testutil::attested([0; 16], &self.id, &self.key.cose());
        let flags = testutil::UP | testutil::UV | testutil::AT;
        let auth = testutil::auth_data(&self.rp_id, flags, 0, &rest);
        let client =
            testutil::client_data("webauthn.create", &challenge_of(options)?, &self.origin);
        let object = testutil::attestation_object("none", &[0xa0], &auth);
        Ok(serde_json::from_str(&testutil::registration_json(
            &self.id, &client, &object,
        ))?)
    }

    /// The next assertion (counter one more than the last).
    pub fn assert(&mut self, options: &Value) -> Result<Value> {
        self.counter += 1;
        let auth = testutil::auth_data(&self.rp_id, testutil::UP | testutil::UV, self.counter, &[]);
        let client = testutil::client_data("webauthn.get", &challenge_of(options)?, &self.origin);
        let json =
            testutil::assertion_json(&self.key, &self.id, &auth, &client, Some(&self.handle));
        Ok(serde_json::from_str(&json)?)
    }
}
