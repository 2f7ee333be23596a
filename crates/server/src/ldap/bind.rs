//! A simple bind through the proxy: the password checked by binding as the
//! user on the proxy's own connection to the directory (a code may follow
//! the password, as in the RADIUS otp flow), then the second factor decided
//! by the sign-in engine (a code, or the user's push held while the phone
//! is answered). Only then does the bind succeed, and that connection,
//! bound as the user, carries the application's further requests.

use std::net::SocketAddr;
use std::time::Duration;

use countersign_directory::{looks_like_dn, BindUser, Directory};
use countersign_domain::methods::push::PushContext;
use countersign_domain::signin::{Attempt, Refusal, Step};
use countersign_domain::{Reason, Source};
use countersign_ldap::ResultCode;

use super::upstream;
use super::wire::Wire;
use super::Context;
use crate::config::LdapClient;

/// How a bind ended for the application.
pub enum Bound {
    /// The directory connection, bound as the user.
    Yes(Wire),
    No(ResultCode, String),
}

/// What the proxy says for a wrong password: never which of name and password.
const INVALID: &str = "invalid credentials";
/// What the proxy says when the directory lane of the work pool is full.
const BUSY: &str = "the server is busy checking other passwords; try again in a second";
/// Longer bind names are refused before any lookup (a DN is rarely 300 bytes).
pub const MAX_NAME: usize = 1024;

pub async fn bind(
    ctx: &Context,
    client: &LdapClient,
    peer: SocketAddr,
    msgid: i32,
    name: &str,
    password: &str,
) -> Bound {
    let Some(directory) = &ctx.directory else {
        return Bound::No(ResultCode::Unavailable, "no directory is configured".into());
    };
    if name.is_empty() || name.len() > MAX_NAME {
        return refused(ctx, Reason::PasswordIncorrect);
    }
    // The lookup and the binds take one place in the directory lane; when
    // it is full the application hears "busy" at once and may retry.
    let checked = ctx
        .pool
        .directory(async {
            let user = identify(directory, name)
                .await
                .map_err(|why| unavailable(client, &why))?;
            let tried = try_passwords(directory, client, &user, msgid, password).await?;
            Ok::<_, Bound>((user, tried))
        })
        .await;
    let (user, (wire, code)) = match checked {
        Ok(Ok(checked)) => checked,
        // A bind the directory refused: worded like every refusal.
        Ok(Err(Bound::No(ResultCode::InvalidCredentials, _))) => {
            return refused(ctx, Reason::PasswordIncorrect)
        }
        Ok(Err(no)) => return no,
        Err(_) => return Bound::No(ResultCode::Busy, BUSY.into()),
    };
    let attempt = attempt(client, peer, &user.username, code.clone().flatten());
    decide(ctx, client, &attempt, wire, code.is_some()).await
}

/// The user a bind name stands for. Someone the directory does not have
/// binds with a DN that fails (or, with their own DN, an entry that the
/// sync does not cover); the engine then sees a name it does not know.
async fn identify(directory: &Directory, name: &str) -> Result<BindUser, String> {
    let found = directory
        .find_bind_user(name)
        .await
        .map_err(|e| e.to_string())?;
    Ok(found.unwrap_or_else(|| BindUser {
        dn: match looks_like_dn(name) {
            true => name.to_string(),
            false => directory.absent_dn(),
        },
        username: name.to_string(),
    }))
}

/// Binds as the user with each reading of what was typed; on success, the
/// bound connection and the code that followed the password (if any).
/// `Ok((_, None))` when no reading was the password.
async fn try_passwords(
    directory: &Directory,
    client: &LdapClient,
    user: &BindUser,
    msgid: i32,
    typed: &str,
) -> Result<(Wire, Option<Option<String>>), Bound> {
    let mut wire = upstream::connect(directory)
        .await
        .map_err(|why| unavailable(client, &why))?;
    let timeout = directory.settings().timeout;
    for (secret, code) in candidates(typed) {
        match upstream::bind(&mut wire, msgid, &user.dn, secret, timeout).await {
            Ok((ResultCode::Success, _)) => return Ok((wire, Some(code))),
            Ok((ResultCode::InvalidCredentials, text)) => {
                if let Some("532" | "773") = countersign_directory::ad_data(&text).as_deref() {
                    let detail = countersign_directory::describe(49, &text);
                    tracing::warn!(user = ?user.username, dn = ?user.dn, detail = %detail, "directory password expired or must change");
                }
            }
            Ok((code @ (ResultCode::Busy | ResultCode::Unavailable), text)) => {
                let why = countersign_directory::describe(code as u32, &text);
                return Err(unavailable(client, &why));
            }
            Ok((code, text)) => {
                let why = countersign_directory::describe(code as u32, &text);
                tracing::warn!(user = ?user.username, client = %client.name, why = %why, "the directory refused a bind");
                return Err(Bound::No(ResultCode::InvalidCredentials, INVALID.into()));
            }
            Err(why) => return Err(unavailable(client, &why)),
        }
    }
    Ok((wire, None))
}

/// The engine's decision on the second factor, mapped to the bind's answer.
async fn decide(
    ctx: &Context,
    client: &LdapClient,
    attempt: &Attempt,
    wire: Wire,
    password_right: bool,
) -> Bound {
    let step = match ctx.signin.first_factor(attempt, password_right).await {
        Ok(step) => step,
        Err(e) => {
            tracing::error!(error = %e, client = %client.name, "an LDAP bind could not be decided");
            return Bound::No(
                ResultCode::Unavailable,
                "the server could not decide; try again".into(),
            );
        }
    };
    match held(ctx, client, step).await {
        Step::Accepted { .. } if password_right => Bound::Yes(wire),
        Step::Rejected { reason } => refused(ctx, reason),
        Step::Challenge { prompt, .. } => Bound::No(
            ResultCode::InvalidCredentials,
            format!("second factor: {prompt} Bind again with the code right after the password."),
        ),
        _ => refused(ctx, Reason::PasswordIncorrect),
    }
}

/// A refused bind's diagnostic message: the engine's generic words for
/// every reason (the default), else the reason after "second factor:"
/// ("invalid credentials" for a wrong password, never which of the two).
fn refused(ctx: &Context, reason: Reason) -> Bound {
    let words = match ctx.signin.refusal(reason) {
        Refusal::Told(Reason::PasswordIncorrect) => INVALID.to_string(),
        told @ Refusal::Told(_) => format!("second factor: {}", told.words_with_code()),
        generic => generic.words(),
    };
    Bound::No(ResultCode::InvalidCredentials, words)
}

/// A pending push held while the phone is answered (`ldap.hold_seconds`).
async fn held(ctx: &Context, client: &LdapClient, step: Step) -> Step {
    let Step::Pending { transaction_id, .. } = step else {
        return step;
    };
    let hold = Duration::from_secs(ctx.hold_seconds);
    match ctx.signin.wait(&transaction_id, hold, &client.rules).await {
        Ok(Some(Step::Pending { .. }) | None) => Step::rejected(Reason::PushTimeout),
        Ok(Some(decided)) => decided,
        Err(e) => {
            tracing::error!(error = %e, "waiting for a push failed");
            Step::rejected(Reason::PushTimeout)
        }
    }
}

fn attempt(client: &LdapClient, peer: SocketAddr, username: &str, code: Option<String>) -> Attempt {
    Attempt {
        username: username.to_string(),
        code,
        context: PushContext {
            application: Some(format!("LDAP: {}", client.name)),
            client_address: Some(peer.ip().to_string()),
            // An application's sign-in form cannot show a number to type.
            number_matching: Some(false),
        },
        source: Source {
            client: Some(format!("ldap:{}", client.name)),
            address: Some(peer.ip().to_string()),
            rule: None,
        },
        rules: client.rules,
        ..Attempt::default()
    }
}

/// The ways to read what was typed, most specific first: the password
/// followed by a YubiKey OTP (44 modhex letters), by 8 or 6 digits, and
/// the password alone (a push, or a user without a second factor). Each
/// wrong reading is a failed bind in the directory: a password that itself
/// ends in 6 digits costs one failed bind before the push.
pub fn candidates(typed: &str) -> Vec<(&str, Option<String>)> {
    let mut out = Vec::new();
    let tail = |n: usize| {
        typed
            .len()
            .checked_sub(n)
            .filter(|&at| at > 0 && typed.is_char_boundary(at))
    };
    if let Some(at) = tail(44) {
        let code = &typed[at..];
        if code.chars().all(|c| "cbdefghijklnrtuv".contains(c)) {
            out.push((&typed[..at], Some(code.to_string())));
        }
    }
    for digits in [8, 6] {
        if let Some(at) = tail(digits) {
            let code = &typed[at..];
            if code.bytes().all(|b| b.is_ascii_digit()) {
                out.push((&typed[..at], Some(code.to_string())));
            }
        }
    }
    out.push((typed, None));
    out
}

fn unavailable(client: &LdapClient, why: &str) -> Bound {
    tracing::warn!(client = %client.name, why = %why, "the LDAP proxy cannot reach the directory");
    Bound::No(
        ResultCode::Unavailable,
        "the directory cannot be reached; try again later".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::candidates;

    #[test]
    fn codes_after_the_password() {
        assert_eq!(
            candidates("secret123456"),
            vec![("secret", Some("123456".into())), ("secret123456", None)]
        );
        assert_eq!(
            candidates("pw12345678"),
            vec![
                ("pw", Some("12345678".into())),
                ("pw12", Some("345678".into())),
                ("pw12345678", None)
            ]
        );
        assert_eq!(candidates("summer"), vec![("summer", None)]);
        // A code alone is not a password and a code.
        assert_eq!(candidates("123456"), vec![("123456", None)]);
        let otp = "ccccccbcgujhingjrdejhgfnuetrgigvejhhgbkugded";
        let typed = format!("pw{otp}");
        assert_eq!(candidates(&typed)[0], ("pw", Some(otp.to_string())));
        // Multi-byte characters are not split.
        assert_eq!(candidates("pässwörd"), vec![("pässwörd", None)]);
    }
}
