//! Authenticators: the Response Authenticator (RFC 2865 section 3), the
//! Accounting-Request Authenticator (RFC 2866 section 3) and the
//! Message-Authenticator attribute (RFC 2869 section 5.14, RFC 3579
//! section 3.2). Every comparison is constant-time.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

use crate::packet::{checked_length, HEADER_LEN};
use crate::{attr, Code, Packet, PacketError};

type HmacMd5 = Hmac<Md5>;

/// Where the authenticator field sits in the header.
const AUTH_FIELD: std::ops::Range<usize> = 4..HEADER_LEN;

/// The outcome of checking a request's Message-Authenticator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageAuth {
    /// The request carries no Message-Authenticator.
    Missing,
    /// Present and computed with this secret.
    Valid,
    /// Present but wrong (wrong secret or altered packet), malformed
    /// (not 16 bytes, or more than one), or the packet itself is malformed.
    Invalid,
}

/// The Response Authenticator of a response:
/// `MD5(Code + Identifier + Length + Request Authenticator + Attributes + Secret)`.
///
/// `response` is the encoded response; its own authenticator field is
/// ignored (the request's takes its place), so it may hold anything. Bytes
/// after the header are hashed as given: pass exactly the packet (up to its
/// Length). A slice shorter than the header is hashed as far as it goes.
pub fn response_authenticator(
    response: &[u8],
    request_authenticator: &[u8; 16],
    secret: &[u8],
) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(response.get(..4).unwrap_or(response));
    md5.update(request_authenticator);
    md5.update(response.get(HEADER_LEN..).unwrap_or_default());
    md5.update(secret);
    md5.finalize().into()
}

/// Checks the Message-Authenticator of a request (Access-Request,
/// Status-Server, Accounting-Request, CoA/Disconnect-Request) on the raw
/// bytes received. Bytes after the Length field are ignored.
pub fn verify_request_message_authenticator(raw_request: &[u8], secret: &[u8]) -> MessageAuth {
    let Ok((packet, raw)) = decode_raw(raw_request) else {
        return MessageAuth::Invalid;
    };
    let offset = match message_authenticator_offset(&packet) {
        Ok(None) => return MessageAuth::Missing,
        Ok(Some(offset)) => offset,
        Err(_) => return MessageAuth::Invalid,
    };
    let field = request_auth_field(&packet);
    match message_authenticator_matches(raw, &field, offset, secret) {
        true => MessageAuth::Valid,
        false => MessageAuth::Invalid,
    }
}

/// Checks the Request Authenticator of an Accounting-Request (RFC 2866):
/// `MD5(Code + Identifier + Length + 16 zero octets + Attributes + Secret)`.
/// False for a malformed packet.
pub fn verify_accounting_request_authenticator(raw_request: &[u8], secret: &[u8]) -> bool {
    let Ok((packet, raw)) = decode_raw(raw_request) else {
        return false;
    };
    let expected = response_authenticator(raw, &[0; 16], secret);
    expected.ct_eq(&packet.authenticator).into()
}

/// Decodes a packet and returns it with the raw bytes cut at Length.
pub(crate) fn decode_raw(raw: &[u8]) -> Result<(Packet, &[u8]), PacketError> {
    let packet = Packet::decode(raw)?;
    let length = checked_length(raw)?;
    Ok((packet, raw.get(..length).unwrap_or(raw)))
}

/// What the authenticator field holds while a request's
/// Message-Authenticator is computed: the Request Authenticator itself for
/// Access-Request and Status-Server (RFC 3579), zeros for the requests
/// whose authenticator is itself a hash of the packet (Accounting-Request,
/// RFC 5176 CoA-Request 43 and Disconnect-Request 40), as FreeRADIUS does.
fn request_auth_field(packet: &Packet) -> [u8; 16] {
    match packet.code {
        Code::AccountingRequest | Code::Other(40) | Code::Other(43) => [0; 16],
        _ => packet.authenticator,
    }
}

/// The offset of the 16-byte Message-Authenticator value in the encoded
/// packet, `None` if absent. Errors if it is not 16 bytes or repeated.
pub(crate) fn message_authenticator_offset(packet: &Packet) -> Result<Option<usize>, PacketError> {
    let mut found = None;
    let mut count = 0;
    let mut offset = HEADER_LEN;
    for attribute in &packet.attributes {
        if attribute.typ == attr::MESSAGE_AUTHENTICATOR {
            count += 1;
            if attribute.value.len() != 16 {
                let len = attribute.value.len();
                return Err(PacketError::MessageAuthenticatorLength { len });
            }
            found = Some(offset + 2);
        }
        offset += 2 + attribute.value.len();
    }
    if count > 1 {
        return Err(PacketError::DuplicateMessageAuthenticator { count });
    }
    Ok(found)
}

/// HMAC-MD5 over `packet` with `auth_field` in the authenticator field and
/// the 16 bytes at `offset` zeroed. `None` if `offset` is not inside the
/// packet.
pub(crate) fn compute_message_authenticator(
    packet: &[u8],
    auth_field: &[u8; 16],
    offset: usize,
    secret: &[u8],
) -> Option<[u8; 16]> {
    let mut copy = packet.to_vec();
    copy.get_mut(range_16(offset)?)?.fill(0);
    copy.get_mut(AUTH_FIELD)?.copy_from_slice(auth_field);
    let mut mac = HmacMd5::new_from_slice(secret).ok()?;
    mac.update(&copy);
    Some(mac.finalize().into_bytes().into())
}

/// Whether the Message-Authenticator at `offset` in `packet` is right.
pub(crate) fn message_authenticator_matches(
    packet: &[u8],
    auth_field: &[u8; 16],
    offset: usize,
    secret: &[u8],
) -> bool {
    let (Some(expected), Some(received)) = (
        compute_message_authenticator(packet, auth_field, offset, secret),
        range_16(offset).and_then(|range| packet.get(range)),
    ) else {
        return false;
    };
    expected.ct_eq(received).into()
}

/// Overwrites 16 bytes of `packet` at `offset`.
pub(crate) fn write_16(
    packet: &mut [u8],
    offset: usize,
    value: &[u8; 16],
) -> Result<(), PacketError> {
    let len = packet.len();
    let slot = range_16(offset)
        .and_then(|range| packet.get_mut(range))
        .ok_or(PacketError::TooShort { len })?;
    slot.copy_from_slice(value);
    Ok(())
}

/// The 16 bytes starting at `offset`.
fn range_16(offset: usize) -> Option<std::ops::Range<usize>> {
    Some(offset..offset.checked_add(16)?)
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
