//! Helpers shared by the authenticator's integration tests; the
//! `countersign` server, the certificates and the temporary directories
//! come from countersign-testkit. Each test file uses part of it.
#![allow(dead_code)]

pub mod admin;
pub mod cli;
pub mod server;

use countersign_authenticator::tls::SpkiPin;
use countersign_testkit::pki::Leaf;

/// The `sha256/...` pin of a certificate's key, as the authenticator makes it.
pub trait LeafPin {
    fn pin(&self) -> String;
}

impl LeafPin for Leaf {
    fn pin(&self) -> String {
        SpkiPin::of_spki(&self.key.public_key_der()).to_string()
    }
}
