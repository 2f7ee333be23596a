//! The OpenID Provider's rows: relying parties (clients), the ID token
//! signing keys, grants (an authorization code and what was issued for it)
//! and refresh tokens. The protocol is in `crate::oidc`.

use serde::{Deserialize, Serialize};

/// How a client's ID tokens (and access tokens) are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum SigningAlg {
    /// ECDSA P-256 with SHA-256: the default.
    #[default]
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (2048-bit keys), for RPs that need it.
    RS256,
}

impl SigningAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::ES256 => "ES256",
            SigningAlg::RS256 => "RS256",
        }
    }

    pub fn parse(text: &str) -> Option<SigningAlg> {
        match text.to_ascii_uppercase().as_str() {
            "ES256" => Some(SigningAlg::ES256),
            "RS256" => Some(SigningAlg::RS256),
            _ => None,
        }
    }
}

/// What a client is allowed, stored as JSON next to its name and secret hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientConfig {
    /// Exact redirect URIs (compared byte for byte).
    pub redirect_uris: Vec<String>,
    /// Where `end_session_endpoint` may send the browser afterwards.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// A public client has no secret and must use PKCE (S256).
    #[serde(default)]
    pub public: bool,
    /// Scopes the client may ask for (`openid` always included).
    pub scopes: Vec<String>,
    /// Only members of one of these groups may sign in to it; empty: everyone.
    #[serde(default)]
    pub allowed_groups: Vec<String>,
    pub signing_alg: SigningAlg,
    pub id_token_seconds: i64,
    pub access_token_seconds: i64,
    /// Refresh tokens are issued only when set.
    #[serde(default)]
    pub refresh_token_seconds: Option<i64>,
}

/// A client as stored: the secret only as a hash (`None` for public clients).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOidcClient {
    pub id: String,
    /// Also the `client_id` relying parties send.
    pub name: String,
    pub secret_hash: Option<Vec<u8>>,
    pub config: ClientConfig,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A signing key, its PKCS#8 private key sealed to its `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSigningKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub sealed_private_key: Vec<u8>,
    pub created_at: i64,
    /// Rotated out: no longer signs, still published until its tokens expire.
    pub retired_at: Option<i64>,
}

/// How the user signed in, carried from the authorization to the tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct GrantData {
    pub redirect_uri: String,
    pub scope: Vec<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    /// The S256 code challenge, when the client sent one.
    #[serde(default)]
    pub code_challenge: Option<String>,
    pub auth_time: i64,
    pub amr: Vec<String>,
    pub acr: String,
    /// The SSO session's hash: ended with it by RP-initiated logout.
    #[serde(default)]
    pub session_hash: Option<String>,
}

/// An authorization code and what was issued for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: String,
    pub code_hash: Vec<u8>,
    pub client: String,
    pub user_id: String,
    pub data: GrantData,
    pub code_expires_at: i64,
    /// The grant (its refresh tokens) ends here.
    pub expires_at: i64,
    pub redeemed_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// Ours now: it was unused and unexpired.
    Taken(Grant),
    /// Redeemed before (or revoked): a replay. The grant is returned so its tokens can be revoked.
    Replayed(Grant),
    /// Expired unused.
    Expired(Grant),
    Unknown,
}

/// A refresh token row (the token only as a hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub token_hash: Vec<u8>,
    pub grant_id: String,
    pub expires_at: i64,
    pub created_at: i64,
}

/// What using a refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshUse {
    /// Unused and unexpired: now used; the grant it belongs to.
    Taken(Grant),
    /// Used before: the family is revoked by the caller.
    Reused(Grant),
    /// Expired, or its grant revoked.
    Dead,
    Unknown,
}
