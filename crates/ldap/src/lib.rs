//! LDAP (RFC 4511) for the bind proxy: [`frame`] cuts whole messages out of
//! a byte stream without trusting it, [`message`] decodes them with
//! ldap3_proto and builds the answers the proxy writes itself (bind and
//! extended responses, StartTLS, the notice of disconnection).

pub mod frame;
pub mod message;

pub use frame::{frame_len, FrameError};
pub use message::{
    bind_response, classify, decode, extended_response, notice_of_disconnection, result_code,
    simple_bind, start_tls_request, DecodeError, Request, ResultCode, START_TLS,
};
