//! The shapes of request and response bodies, as the OpenAPI document shows them.

use countersign_domain::ports::clock::rfc3339;
use countersign_domain::{AuditRecord, Method, Token, User};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The number a phone call dials when it is not `phone` (E.164 or an extension).
    pub voice_phone: Option<String>,
    pub enabled: bool,
    /// Set while the user is locked out after repeated failures (RFC 3339).
    pub locked_until: Option<String>,
    pub failed_attempts: i64,
    pub created_at: String,
    pub updated_at: String,
    /// Push number matching for this user; null follows the server's policy.
    pub push_number_matching: Option<bool>,
    /// Whether this user proves a PIN on pushes; null follows the server's policy.
    pub push_pin_required: Option<bool>,
    /// The method used when a door names none; null: chosen from what the
    /// user has (push, else otp, else sms, else email).
    #[schema(value_type = Option<String>)]
    pub default_method: Option<Method>,
    /// The methods this user may use; null: every method they have.
    #[schema(value_type = Option<Vec<String>>)]
    pub allowed_methods: Option<Vec<Method>>,
    /// A one-time bypass waiting to be used, until this time (RFC 3339).
    pub bypass_until: Option<String>,
    pub bypass_reason: Option<String>,
    /// The language of the user's messages (`de`, `pt-BR`); null: the templates' default.
    pub language: Option<String>,
    /// The groups the user is in (local and from the directory), by name;
    /// given by `GET /api/v1/users/{username}`, left out of lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            username: u.username,
            display_name: u.display_name,
            email: u.email,
            phone: u.phone,
            voice_phone: u.voice_phone,
            enabled: u.enabled,
            locked_until: u.locked_until.map(rfc3339),
            failed_attempts: u.failed_attempts,
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
            push_number_matching: u.push_number_matching,
            push_pin_required: u.push_pin_required,
            default_method: u.default_method,
            allowed_methods: u.allowed_methods,
            bypass_until: u.bypass_until.map(rfc3339),
            bypass_reason: u.bypass_reason,
            language: u.language,
            groups: None,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// E.164, e.g. +441632960123.
    pub phone: Option<String>,
}

/// Fields to change; `null` clears a field, an absent field stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUser {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// The number a phone call dials (E.164 or an extension); null: calls go to `phone`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub voice_phone: Option<Option<String>>,
    pub enabled: Option<bool>,
    /// true or false for this user; null returns to the server's policy.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<bool>)]
    pub push_number_matching: Option<Option<bool>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<bool>)]
    pub push_pin_required: Option<Option<bool>>,
    /// Welcome emails for this user: true, false, or null for the server's setting.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<bool>)]
    pub welcome_email: Option<Option<bool>>,
    /// `otp`, `yubico`, `push`, `sms`, `sms_reply`, `email` or `call`; null returns to the automatic choice.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub default_method: Option<Option<Method>>,
    /// A list of methods the user may use; null lifts the restriction.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub allowed_methods: Option<Option<Vec<Method>>>,
    /// The language of the user's messages (`de`, `pt-BR`); null returns to the default.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub language: Option<Option<String>>,
}

/// Distinguishes `"field": null` (Some(None)) from an absent field (None).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub users: Vec<UserView>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    /// `totp` or `hotp`.
    #[serde(rename = "type")]
    pub kind: String,
    pub algorithm: String,
    pub digits: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counter: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<i64>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// A hardware token's serial number (imported tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Pool listings: the user the token is assigned to (null: in the pool).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<Option<String>>,
    /// Base32 seed; only in the answer that created a server-generated token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// For any standard authenticator app; only when the server generated the seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otpauth_uri: Option<String>,
    /// The otpauth URI as a QR code (SVG) to scan; only when the server generated the seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_svg: Option<String>,
}

impl From<Token> for TokenView {
    fn from(t: Token) -> Self {
        Self {
            id: t.id,
            kind: t.kind.to_string(),
            algorithm: t.algorithm.to_string(),
            digits: t.digits,
            period: t.period,
            counter: t.counter,
            drift: t.drift,
            created_at: rfc3339(t.created_at),
            last_used_at: t.last_used_at.map(rfc3339),
            serial: t.serial,
            issuer: t.issuer,
            assigned_to: None,
            secret: None,
            otpauth_uri: None,
            qr_svg: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub tokens: Vec<TokenView>,
}

/// One audit record as the API, the exports and the audit stream show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    /// The record's position: increasing, never reused; the cursor of
    /// `after` and `before`.
    pub seq: i64,
    pub id: String,
    pub at: String,
    pub username: String,
    pub method: String,
    pub token_id: Option<String>,
    pub result: String,
    pub reason: Option<String>,
    pub api_key: Option<String>,
    pub source_address: Option<String>,
    /// The sign-in rule that decided (`denied_by_rule`, `trusted_network`,
    /// narrowed methods); null: no rule matched (the default).
    pub rule: Option<String>,
}

impl AuditView {
    pub fn new(seq: i64, r: AuditRecord) -> Self {
        Self {
            seq,
            id: r.id,
            at: rfc3339(r.at),
            username: r.username,
            method: r.method,
            token_id: r.token_id,
            result: r.result,
            reason: r.reason,
            api_key: r.api_key,
            source_address: r.source_address,
            rule: r.rule,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub records: Vec<AuditView>,
    /// The cursor of the next page: pass it as `after` (when this page was
    /// read with `after`: the last record's `seq`, or `after` itself when
    /// nothing newer is there yet) or as `before` (newest first; null at
    /// the oldest end).
    pub next: Option<i64>,
}
