//! The first factor by proxy: the Access-Request is forwarded to an
//! upstream RADIUS server (NPS, FreeRADIUS) and the second factor runs only
//! on its Access-Accept, whose reply attributes are passed through.

use std::time::Duration;

use countersign_domain::radius_clients::Upstream;
use countersign_radius::{attr, encode_access_request, verify_response, Attribute, Code, Packet};
use tokio::net::UdpSocket;

const TRIES: u32 = 3;
const WAIT: Duration = Duration::from_secs(3);

pub enum FirstFactor {
    Accepted(Vec<Attribute>),
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
    request
        .attributes
        .iter()
        .filter(|a| !ours.contains(&a.typ))
        .cloned()
        .collect()
}

/// Reply attributes worth passing to the client in the final Accept.
fn passed_through(reply: &Packet) -> Vec<Attribute> {
    let dropped = [
        attr::MESSAGE_AUTHENTICATOR,
        attr::PROXY_STATE,
        attr::STATE,
        attr::REPLY_MESSAGE,
    ];
    reply
        .attributes
        .iter()
        .filter(|a| !dropped.contains(&a.typ))
        .cloned()
        .collect()
}

pub async fn check(upstream: &Upstream, request: &Packet, password: &[u8]) -> FirstFactor {
    let identifier = rand::random::<u8>();
    let (bytes, authenticator) = match encode_access_request(
        identifier,
        forwarded(request),
        Some(password),
        &upstream.secret,
    ) {
        Ok(encoded) => encoded,
        Err(e) => return FirstFactor::Rejected(format!("the request cannot be forwarded: {e}")),
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
            Ok(reply) if reply.identifier == identifier => return judge(&reply),
            Ok(_) => continue,
            Err(e) => {
                tracing::warn!(upstream = %upstream.address, error = %e, "upstream RADIUS answer failed verification (wrong upstream_secret?)");
                continue;
            }
        }
    }
    FirstFactor::Unreachable(format!("{} did not answer {TRIES} tries", upstream.address))
}

fn judge(reply: &Packet) -> FirstFactor {
    match reply.code {
        Code::AccessAccept => FirstFactor::Accepted(passed_through(reply)),
        Code::AccessReject => FirstFactor::Rejected("the password was not accepted".to_string()),
        other => FirstFactor::Rejected(format!(
            "the upstream server answered {other}, which is not relayed"
        )),
    }
}

/// Attributes as stored with a challenge: their wire form, back to back.
pub fn encode_attributes(attributes: &[Attribute]) -> Vec<u8> {
    let mut out = Vec::new();
    for a in attributes.iter().filter(|a| a.value.len() <= 253) {
        out.push(a.typ);
        out.push((a.value.len() + 2) as u8);
        out.extend_from_slice(&a.value);
    }
    out
}

pub fn decode_attributes(mut bytes: &[u8]) -> Vec<Attribute> {
    let mut out = Vec::new();
    while let [typ, len, rest @ ..] = bytes {
        let value_len = usize::from(*len).saturating_sub(2);
        let Some(value) = rest.get(..value_len) else {
            break;
        };
        out.push(Attribute::new(*typ, value.to_vec()));
        bytes = &rest[value_len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_attributes_round_trip() {
        let attrs = vec![
            Attribute::new(attr::CLASS, b"vpn-users".to_vec()),
            Attribute::new(8, vec![10, 0, 0, 7]),
        ];
        assert_eq!(decode_attributes(&encode_attributes(&attrs)), attrs);
        assert!(decode_attributes(&[25, 10, 1]).is_empty());
    }
}
