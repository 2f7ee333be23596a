//! What an ID token says about how the user signed in: `amr` (RFC 8176)
//! and `acr`, from the SSO sign-in's methods; and the user's claims by scope.

use serde_json::{json, Map, Value};

use crate::model::method::Method;
use crate::model::user::User;

/// `acr` when two factors were proved (a password and a second factor, or
/// a passkey with user verification).
pub const ACR_MFA: &str = "urn:countersign:mfa";
/// `acr` when only one factor was proved.
pub const ACR_ONE: &str = "urn:countersign:1fa";
pub const ACR_VALUES: [&str; 2] = [ACR_MFA, ACR_ONE];

/// `amr` values for a sign-in: `pwd` for the password (unless a passkey
/// was both factors), each method's RFC 8176 value, `mfa` for two factors.
pub fn amr(methods: &[Method], passkey: bool) -> Vec<String> {
    let mut amr: Vec<&str> = Vec::new();
    if passkey {
        amr.extend(["hwk", "user"]);
    } else {
        amr.push("pwd");
    }
    for method in methods {
        let values: &[&str] = match method {
            Method::Otp => &["otp"],
            Method::Yubico => &["hwk", "otp"],
            Method::Push => &["swk"],
            Method::Sms | Method::SmsReply => &["sms"],
            Method::Email => &["otp"],
            Method::Webauthn => &["hwk"],
            Method::Call => &["tel"],
        };
        amr.extend(values);
    }
    let factors = usize::from(!passkey) + methods.len() + if passkey { 2 } else { 0 };
    if factors >= 2 {
        amr.push("mfa");
    }
    let mut out: Vec<String> = Vec::new();
    for v in amr {
        if !out.iter().any(|o| o == v) {
            out.push(v.to_string());
        }
    }
    out
}

pub fn acr(amr: &[String]) -> &'static str {
    match amr.iter().any(|v| v == "mfa") {
        true => ACR_MFA,
        false => ACR_ONE,
    }
}

/// The user's claims the scopes allow (`profile`, `email`, `groups`).
pub fn user_claims(user: &User, scope: &[String], groups: &[String], out: &mut Map<String, Value>) {
    let has = |s: &str| scope.iter().any(|x| x == s);
    if has("profile") {
        out.insert("preferred_username".into(), json!(user.username));
        out.insert(
            "name".into(),
            json!(user
                .display_name
                .clone()
                .unwrap_or_else(|| user.username.clone())),
        );
    }
    if has("email") {
        if let Some(email) = &user.email {
            out.insert("email".into(), json!(email));
            // Set by an administrator or the directory, or confirmed by a code at the portal.
            out.insert("email_verified".into(), json!(true));
        }
    }
    if has("groups") {
        out.insert("groups".into(), json!(groups));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_and_push_is_mfa() {
        let amr = amr(&[Method::Push], false);
        assert_eq!(amr, ["pwd", "swk", "mfa"]);
        assert_eq!(acr(&amr), ACR_MFA);
    }

    #[test]
    fn a_passkey_alone_is_two_factors_and_a_password_alone_one() {
        assert_eq!(amr(&[], true), ["hwk", "user", "mfa"]);
        let one = amr(&[], false);
        assert_eq!(one, ["pwd"]);
        assert_eq!(acr(&one), ACR_ONE);
        assert_eq!(amr(&[Method::Yubico], false), ["pwd", "hwk", "otp", "mfa"]);
    }
}
