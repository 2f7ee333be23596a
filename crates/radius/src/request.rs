//! Building requests as a client does: for tests, the load generator and
//! the upstream (first factor) proxy.

use rand::RngCore;

use crate::response::sign_message_authenticator;
use crate::{attr, hide_password, Attribute, Code, Packet, PacketError};

/// Builds an Access-Request with a fresh random Request Authenticator,
/// returned with the bytes so the response can be verified
/// ([`crate::verify_response`]). See
/// [`encode_access_request_with_authenticator`].
pub fn encode_access_request(
    identifier: u8,
    attributes: Vec<Attribute>,
    password: Option<&[u8]>,
    secret: &[u8],
) -> Result<(Vec<u8>, [u8; 16]), PacketError> {
    let mut authenticator = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut authenticator);
    let bytes = encode_access_request_with_authenticator(
        identifier,
        &authenticator,
        attributes,
        password,
        secret,
    )?;
    Ok((bytes, authenticator))
}

/// Builds an Access-Request with the given Request Authenticator (which
/// must be unpredictable in real use; fixed values are for tests): a
/// Message-Authenticator first, then `attributes`, then, if `password` is
/// given, the hidden User-Password. Message-Authenticator attributes in
/// `attributes` are dropped, and so are User-Password ones when `password`
/// is given.
pub fn encode_access_request_with_authenticator(
    identifier: u8,
    authenticator: &[u8; 16],
    attributes: Vec<Attribute>,
    password: Option<&[u8]>,
    secret: &[u8],
) -> Result<Vec<u8>, PacketError> {
    if secret.is_empty() {
        return Err(PacketError::EmptySecret);
    }
    let mut request = Packet::new(Code::AccessRequest, identifier, *authenticator);
    request.add(attr::MESSAGE_AUTHENTICATOR, [0u8; 16]);
    request
        .attributes
        .extend(attributes.into_iter().filter(|attribute| {
            attribute.typ != attr::MESSAGE_AUTHENTICATOR
                && !(password.is_some() && attribute.typ == attr::USER_PASSWORD)
        }));
    if let Some(password) = password {
        request.add(
            attr::USER_PASSWORD,
            hide_password(password, secret, authenticator)?,
        );
    }
    let mut bytes = request.encode()?;
    sign_message_authenticator(&mut bytes, authenticator, secret)?;
    Ok(bytes)
}
