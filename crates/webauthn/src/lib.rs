//! A WebAuthn Level 3 relying party (passkeys), pure and without I/O.
//!
//! - [`RelyingParty`] is made once from the RP ID, name, allowed origins and
//!   a [`Policy`] (user verification required, resident key preferred,
//!   attestation `none`, ES256/EdDSA/RS256 by default).
//! - [`RelyingParty::creation_options`] and [`RelyingParty::request_options`]
//!   give the JSON the browser's `PublicKeyCredential.parseCreationOptionsFromJSON`
//!   and `parseRequestOptionsFromJSON` take.
//! - [`RelyingParty::verify_registration`] reads a [`RegistrationResponse`]
//!   (the browser's `credential.toJSON()`) into a [`Credential`] to store;
//!   [`RelyingParty::verify_authentication`] checks an
//!   [`AuthenticationResponse`] against a stored credential.
//! - Every refusal is its own [`WebauthnError`] variant with a stable
//!   [`WebauthnError::code`]; nothing here panics on any input.
//!
//! Signatures are verified by ring; CBOR is read by minicbor from borrowed
//! slices (docs/decisions/0003-webauthn.md). The single use and expiry of
//! challenges, unique credential ids and the counter's compare-and-set are
//! the store's work.

mod attestation;
mod auth_data;
mod b64;
mod client_data;
mod cose;
mod error;
mod options;
mod response;
mod rp;
mod types;
mod verify;

/// A software authenticator made of ring keys and hand-written CBOR, for
/// tests of this crate and of the engine (feature `testutil`).
#[cfg(any(test, feature = "testutil"))]
pub mod testutil;

pub use error::{ConfigError, WebauthnError};
pub use options::{
    AuthenticatorSelectionJson, CreationExtensionsJson, CreationOptionsJson,
    CredentialDescriptorJson, CredentialParameters, RequestOptionsJson, RpEntityJson, User,
    UserEntityJson,
};
pub use response::{
    AssertionResponseJson, AttestationResponseJson, AuthenticationResponse,
    ClientExtensionResultsJson, CredPropsJson, RegistrationResponse,
};
pub use rp::{
    check_origin, AttestationPreference, Policy, RelyingParty, ResidentKey, UserVerification,
};
pub use types::{
    random_bytes, Aaguid, Algorithm, Attestation, Authentication, Challenge, Credential,
};
pub use verify::check_counter;

/// The parsers of untrusted bytes, public for the fuzz targets and for tests.
pub mod parse {
    pub use crate::attestation::AttestationObject;
    pub use crate::auth_data::{AttestedCredential, AuthenticatorData, Flags};
    pub use crate::b64::{decode as base64url_decode, encode as base64url_encode};
    pub use crate::client_data::{Ceremony, ClientData};
    pub use crate::cose::PublicKey;
}
