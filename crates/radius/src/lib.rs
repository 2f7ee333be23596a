//! Countersign's RADIUS toolkit: RFC 2865 packets and attributes, a
//! dictionary of the standard attribute names, User-Password hiding, the
//! Request and Response Authenticators, and the RFC 2869 / RFC 3579
//! Message-Authenticator, Vendor-Specific attributes and the RFC 2548
//! MPPE key encryption.
//!
//! Pure: no sockets, no clock, no global state. Decoding is strict (every
//! length is checked) and never panics on any input; it keeps unknown and
//! Vendor-Specific attributes as bytes.
//!
//! ```
//! use countersign_radius::{
//!     attr, encode_access_request, encode_response, unhide_password, verify_response,
//!     verify_request_message_authenticator, Attribute, Code, MessageAuth, Packet,
//! };
//!
//! let secret = b"a long shared secret";
//! // A client sends an Access-Request...
//! let (raw_request, sent_authenticator) = encode_access_request(
//!     7,
//!     vec![Attribute::new(attr::USER_NAME, "alice")],
//!     Some(b"123456".as_slice()),
//!     secret,
//! )?;
//!
//! // ...the server checks and reads it...
//! assert_eq!(verify_request_message_authenticator(&raw_request, secret), MessageAuth::Valid);
//! let request = Packet::decode(&raw_request)?;
//! assert_eq!(request.text(attr::USER_NAME).as_deref(), Some("alice"));
//! let hidden = request.attr(attr::USER_PASSWORD).unwrap_or_default();
//! assert_eq!(unhide_password(hidden, secret, &request.authenticator)?, b"123456");
//!
//! // ...and answers; the client checks the answer.
//! let reply = vec![Attribute::new(attr::REPLY_MESSAGE, "Welcome")];
//! let raw_response = encode_response(Code::AccessAccept, &request, reply, secret)?;
//! let response = verify_response(&raw_response, &sent_authenticator, secret)?;
//! assert_eq!(response.code, Code::AccessAccept);
//! assert_eq!(response.identifier, 7);
//! # Ok::<(), countersign_radius::PacketError>(())
//! ```

pub mod attr;
mod auth;
mod code;
mod error;
mod mppe;
mod packet;
mod password;
mod request;
mod response;
pub mod vsa;

pub use auth::{
    response_authenticator, verify_accounting_request_authenticator,
    verify_request_message_authenticator, MessageAuth,
};
pub use code::Code;
pub use error::PacketError;
pub use mppe::{
    decrypt_chap_mppe_keys, decrypt_mppe_key, encrypt_chap_mppe_keys, encrypt_mppe_key, mppe_salt,
    MAX_MPPE_KEY_LEN,
};
pub use packet::{Attribute, Packet, HEADER_LEN, MAX_PACKET_LEN, MAX_VALUE_LEN};
pub use password::{hide_password, unhide_password, MAX_PASSWORD_LEN};
pub use request::{encode_access_request, encode_access_request_with_authenticator};
pub use response::{encode_response, verify_response};
