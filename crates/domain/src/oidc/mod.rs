//! The OpenID Provider (issue 27): OpenID Connect Core 1.0 code flow,
//! RFC 7636 PKCE, RFC 9207 `iss`, RP-Initiated Logout. The web door
//! (`crates/web/src/oidc/`) parses and answers HTTP; everything it decides
//! is here: clients, keys, codes, tokens, claims and the audit records of
//! every token issued or refused.

pub mod authorize;
pub mod claims;
pub mod clients;
pub mod error;
pub mod form;
pub mod jws;
pub mod keys;
pub mod metrics;
mod provider;
mod token;
mod userinfo;

pub use authorize::{AuthorizeError, AuthorizeRequest};
pub use clients::{ClientPatch, ClientSpec, ClientView, ClientWithSecret, OidcClients};
pub use error::{OAuthError, Refusal};
pub use keys::{KeyView, OidcKeys};
pub use metrics::OidcMetrics;
pub use provider::{OidcProvider, SignedIn};
pub use token::{TokenRequest, TokenResponse};
