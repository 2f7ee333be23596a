//! The first factor by proxy: the Access-Request is forwarded to an
//! upstream RADIUS server (NPS, FreeRADIUS) and the second factor runs only
//! on its Access-Accept, whose reply attributes are passed through.
//!
//! Any authentication the request carries is forwarded: User-Password
//! (hidden again with the upstream's secret), CHAP, MS-CHAP and MS-CHAPv2
//! (Vendor-Specific, vendor 311). The Accept's MPPE keys are decrypted here
//! and encrypted again for each answer ([`Passed`]).

use std::time::Duration;

use countersign_domain::admin::radius_clients::Upstream;
use countersign_radius::{attr, encode_access_request, verify_response, Attribute, Code, Packet};
use tokio::net::UdpSocket;

pub use super::passed::Passed;

const TRIES: u32 = 3;
const WAIT: Duration = Duration::from_secs(3);

pub enum FirstFactor {
    Accepted(Passed),
    Rejected(String),
    Unreachable(String),
}

/// Attributes the upstream must not see or that are ours to set.
fn forwarded(request: &Packet) -> Vec<Attribute> {
    let ours = [
        attr::USER_PASSWORD,
        attr::MESSAGE_AUTHENTICATOR,
        attr::PROXY_STATE,
        attr::STATE,
    ];
    let mut attributes: Vec<Attribute> = request
        .attributes
        .iter()
        .filter(|a| !ours.contains(&a.typ))
        .cloned()
        .collect();
    // CHAP without CHAP-Challenge is computed over the Request
    // Authenticator, which the forwarded request does not share.
    if request.attr(attr::CHAP_PASSWORD).is_some() && request.attr(attr::CHAP_CHALLENGE).is_none() {
        attributes.push(Attribute::new(attr::CHAP_CHALLENGE, request.authenticator));
    }
    attributes
}

/// Reply attributes not passed to the client in the final Accept.
const NOT_PASSED: [u8; 4] = [
    attr::MESSAGE_AUTHENTICATOR,
    attr::PROXY_STATE,
    attr::STATE,
    attr::REPLY_MESSAGE,
];

/// Forwards `request` (with `password`, the unhidden User-Password, if the
/// request had one: an MS-CHAP or CHAP request has none) and judges the answer.
pub async fn check(upstream: &Upstream, request: &Packet, password: &[u8]) -> FirstFactor {
    let identifier = rand::random::<u8>();
    let password = request.attr(attr::USER_PASSWORD).map(|_| password);
    let (bytes, authenticator) =
        match encode_access_request(identifier, forwarded(request), password, &upstream.secret) {
            Ok(encoded) => encoded,
            Err(e) => {
                return FirstFactor::Rejected(format!("the request cannot be forwarded: {e}"))
            }
        };
    let socket = match UdpSocket::bind("0.0.0.0:0").await {
        Ok(s) => s,
        Err(e) => return FirstFactor::Unreachable(e.to_string()),
    };
    if let Err(e) = socket.connect(&upstream.address).await {
        return FirstFactor::Unreachable(format!("{}: {e}", upstream.address));
    }
    let mut buffer = vec![0u8; 4096];
    for _ in 0..TRIES {
        if socket.send(&bytes).await.is_err() {
            continue;
        }
        let Ok(Ok(len)) = tokio::time::timeout(WAIT, socket.recv(&mut buffer)).await else {
            continue;
        };
        let Some(raw) = buffer.get(..len) else {
            continue;
        };
        match verify_response(raw, &authenticator, &upstream.secret) {
            Ok(reply) if reply.identifier == identifier => {
                if let Some(refusal) = unsigned(&reply, upstream) {
                    return refusal;
                }
                return judge(&reply, &upstream.secret, &authenticator);
            }
            Ok(_) => continue,
            Err(e) => {
                tracing::warn!(upstream = %upstream.address, error = %e, "upstream RADIUS answer failed verification (wrong upstream_secret?)");
                continue;
            }
        }
    }
    FirstFactor::Unreachable(format!("{} did not answer {TRIES} tries", upstream.address))
}

/// A verified answer without Message-Authenticator is refused unless the
/// upstream is allowed to omit it: its Response Authenticator is MD5 only,
/// which BlastRADIUS (CVE-2024-3596) forges.
fn unsigned(reply: &Packet, upstream: &Upstream) -> Option<FirstFactor> {
    if reply.attr(attr::MESSAGE_AUTHENTICATOR).is_some() {
        return None;
    }
    if !upstream.require_message_authenticator {
        tracing::debug!(upstream = %upstream.address, "upstream answer without Message-Authenticator accepted (upstream_require_message_authenticator = false)");
        return None;
    }
    tracing::warn!(upstream = %upstream.address, "upstream RADIUS answer refused: it carries no Message-Authenticator \
        (BlastRADIUS, CVE-2024-3596); make the upstream add it to every answer, or, for an upstream that cannot, \
        set upstream_require_message_authenticator = false for this client");
    Some(FirstFactor::Unreachable(format!(
        "{} answered without Message-Authenticator",
        upstream.address
    )))
}

fn judge(reply: &Packet, secret: &[u8], authenticator: &[u8; 16]) -> FirstFactor {
    match reply.code {
        Code::AccessAccept => FirstFactor::Accepted(Passed::from_reply(
            reply,
            &NOT_PASSED,
            secret,
            authenticator,
        )),
        Code::AccessReject => FirstFactor::Rejected("the password was not accepted".to_string()),
        other => FirstFactor::Rejected(format!(
            "the upstream server answered {other}, which is not relayed"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chap_without_challenge_gets_the_original_authenticator() {
        let mut request = Packet::new(Code::AccessRequest, 1, [9; 16]);
        request.add(attr::USER_NAME, "alice");
        request.add(attr::CHAP_PASSWORD, [1; 17]);
        request.add(attr::MESSAGE_AUTHENTICATOR, [0; 16]);
        let out = forwarded(&request);
        assert_eq!(out.len(), 3);
        assert_eq!(out[2], Attribute::new(attr::CHAP_CHALLENGE, [9; 16]));
        request.add(attr::CHAP_CHALLENGE, [3; 16]);
        assert_eq!(
            forwarded(&request).len(),
            3,
            "an explicit challenge is kept as it is"
        );
    }
}
