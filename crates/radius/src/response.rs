//! Responses: building a signed answer to a request (server side) and
//! checking an answer from an upstream server (client side).

use subtle::ConstantTimeEq;

use crate::auth::{
    compute_message_authenticator, decode_raw, message_authenticator_matches,
    message_authenticator_offset, response_authenticator, write_16,
};
use crate::packet::HEADER_LEN;
use crate::{attr, Attribute, Code, Packet, PacketError};

/// Where the value of a Message-Authenticator placed first sits.
const FIRST_ATTR_VALUE: usize = HEADER_LEN + 2;

/// Builds the wire bytes of a response (Accept, Reject, Challenge, ...) to
/// `request`: the request's Identifier, a Message-Authenticator as the
/// first attribute (always, against BlastRADIUS), then `attributes`, then
/// every Proxy-State of the request in order (RFC 2865 section 5.33). The
/// Message-Authenticator is computed first, then the Response
/// Authenticator over the result.
///
/// Message-Authenticator and Proxy-State attributes in `attributes` are
/// dropped: this function owns them (so an upstream server's reply can be
/// passed through as it is).
pub fn encode_response(
    code: Code,
    request: &Packet,
    attributes: Vec<Attribute>,
    secret: &[u8],
) -> Result<Vec<u8>, PacketError> {
    if secret.is_empty() {
        return Err(PacketError::EmptySecret);
    }
    let mut response = Packet::new(code, request.identifier, request.authenticator);
    response.add(attr::MESSAGE_AUTHENTICATOR, [0u8; 16]);
    response
        .attributes
        .extend(attributes.into_iter().filter(|attribute| {
            attribute.typ != attr::MESSAGE_AUTHENTICATOR && attribute.typ != attr::PROXY_STATE
        }));
    for proxy_state in request.attrs(attr::PROXY_STATE) {
        response.add(attr::PROXY_STATE, proxy_state);
    }
    let mut bytes = response.encode()?;
    sign_message_authenticator(&mut bytes, &request.authenticator, secret)?;
    let authenticator = response_authenticator(&bytes, &request.authenticator, secret);
    write_16(&mut bytes, 4, &authenticator)?;
    Ok(bytes)
}

/// Checks a response received from an upstream server against the Request
/// Authenticator we sent: the Response Authenticator always, the
/// Message-Authenticator if present (a caller that requires one checks
/// `packet.attr(attr::MESSAGE_AUTHENTICATOR).is_some()`). The caller also
/// matches the Identifier and the source address.
pub fn verify_response(
    raw_response: &[u8],
    request_authenticator: &[u8; 16],
    secret: &[u8],
) -> Result<Packet, PacketError> {
    if secret.is_empty() {
        return Err(PacketError::EmptySecret);
    }
    let (packet, raw) = decode_raw(raw_response)?;
    if let Some(offset) = message_authenticator_offset(&packet)? {
        if !message_authenticator_matches(raw, request_authenticator, offset, secret) {
            return Err(PacketError::BadMessageAuthenticator);
        }
    }
    let expected = response_authenticator(raw, request_authenticator, secret);
    if !bool::from(expected.ct_eq(&packet.authenticator)) {
        return Err(PacketError::BadResponseAuthenticator);
    }
    Ok(packet)
}

/// Fills the (zeroed) first-attribute Message-Authenticator of `bytes`,
/// computed with `auth_field` in the authenticator field.
pub(crate) fn sign_message_authenticator(
    bytes: &mut [u8],
    auth_field: &[u8; 16],
    secret: &[u8],
) -> Result<(), PacketError> {
    let value = compute_message_authenticator(bytes, auth_field, FIRST_ATTR_VALUE, secret)
        .ok_or(PacketError::EmptySecret)?;
    write_16(bytes, FIRST_ATTR_VALUE, &value)
}
