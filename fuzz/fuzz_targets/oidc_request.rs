//! The OpenID Provider's hand-written parsers: the token request form and
//! the authorize query (`parse_params`), the `Authorization: Basic` client
//! credentials, the authorize request checks, and compact JWS parsing.

#![no_main]

use countersign_domain::model::oidc::{ClientConfig, SigningAlg, StoredOidcClient};
use countersign_domain::oidc::{authorize, form, jws};
use libfuzzer_sys::fuzz_target;

fn client(public: bool) -> StoredOidcClient {
    StoredOidcClient {
        id: "oidc_1".into(),
        name: "wiki".into(),
        secret_hash: None,
        config: ClientConfig {
            redirect_uris: vec!["https://app.example.org/cb".into()],
            post_logout_redirect_uris: vec![],
            public,
            scopes: vec!["openid".into(), "profile".into()],
            allowed_groups: vec![],
            signing_alg: SigningAlg::ES256,
            id_token_seconds: 300,
            access_token_seconds: 600,
            refresh_token_seconds: None,
        },
        created_at: 0,
        updated_at: 0,
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(params) = form::parse_params(data) {
        // Every parameter re-encodes and parses back to itself.
        let encoded: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", form::encode(k), form::encode(v))).collect();
        let encoded = encoded.join("&");
        if encoded.len() <= 64 * 1024 {
            assert_eq!(form::parse_params(encoded.as_bytes()).as_ref(), Ok(&params));
        }
        for public in [false, true] {
            let _ = authorize::check(&params, Some(client(public)));
        }
        let _ = authorize::check(&params, None);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = form::basic_credentials(text);
        let _ = jws::parse(text);
    }
});
