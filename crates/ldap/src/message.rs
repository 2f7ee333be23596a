//! LDAP messages decoded by ldap3_proto, sorted into what the proxy acts on
//! itself (binds, StartTLS, unbind) and what it passes on as it came.

use bytes::BytesMut;
pub use ldap3_proto::proto::LdapResultCode as ResultCode;
use ldap3_proto::proto::{
    LdapBindCred, LdapBindRequest, LdapBindResponse, LdapExtendedRequest, LdapExtendedResponse,
    LdapMsg, LdapOp, LdapResult,
};
use ldap3_proto::LdapCodec;
use tokio_util::codec::{Decoder, Encoder};

/// The StartTLS extended operation (RFC 4511 §4.14).
pub const START_TLS: &str = "1.3.6.1.4.1.1466.20037";
/// The unsolicited notice of disconnection (RFC 4511 §4.4.1).
const NOTICE_OF_DISCONNECTION: &str = "1.3.6.1.4.1.1466.20036";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid LDAP message: {0}")]
pub struct DecodeError(pub String);

/// One whole message (as [`crate::frame_len`] cut it), decoded.
pub fn decode(frame: &[u8]) -> Result<LdapMsg, DecodeError> {
    // ldap3_proto prints an operation it does not know to standard output;
    // such a message is refused here first.
    if !known_operation(frame) {
        return Err(DecodeError("not an LDAP operation".into()));
    }
    let mut codec = LdapCodec::new(Some(frame.len().max(2)), None);
    let mut buf = BytesMut::from(frame);
    match codec.decode(&mut buf) {
        Ok(Some(message)) if buf.is_empty() => Ok(message),
        Ok(Some(_)) => Err(DecodeError("bytes after the message".into())),
        Ok(None) => Err(DecodeError("the message ends early".into())),
        Err(e) => Err(DecodeError(e.to_string())),
    }
}

/// Whether the protocolOp after the message id is one RFC 4511 defines,
/// with the form it defines (constructed, or primitive for delete and abandon).
fn known_operation(frame: &[u8]) -> bool {
    let Some(body) = skip_header(frame).and_then(|at| frame.get(at..)) else {
        return false;
    };
    // The message id: an INTEGER.
    if body.first() != Some(&0x02) {
        return false;
    }
    let Some(op) = skip_element(body).and_then(|end| body.get(end)) else {
        return false;
    };
    match op & 0x1f {
        0 | 1 | 3..=9 | 11..=15 | 19 | 23..=25 => *op == 0x60 | (op & 0x1f),
        2 => *op == 0x42 || *op == 0x62,
        10 | 16 => *op == 0x40 | (op & 0x1f),
        _ => false,
    }
}

/// Where the content of the element at the start of `bytes` begins.
fn skip_header(bytes: &[u8]) -> Option<usize> {
    let first = *bytes.get(1)?;
    match first < 0x80 {
        true => Some(2),
        false => Some(2 + usize::from(first & 0x7f)),
    }
}

/// Where the element at the start of `bytes` ends.
fn skip_element(bytes: &[u8]) -> Option<usize> {
    let header = skip_header(bytes)?;
    let first = *bytes.get(1)?;
    let len = match first < 0x80 {
        true => usize::from(first),
        false => bytes.get(2..header)?.iter().try_fold(0usize, |n, b| {
            n.checked_mul(256)?.checked_add(usize::from(*b))
        })?,
    };
    header.checked_add(len)
}

fn encode(message: LdapMsg) -> Vec<u8> {
    let mut buf = BytesMut::new();
    // Encoding into memory cannot fail: the codec's only error is the writer's.
    let _ = LdapCodec::default().encode(message, &mut buf);
    buf.to_vec()
}

/// What a client asked, as far as the proxy is concerned.
#[derive(Clone, PartialEq, Eq)]
pub enum Request {
    /// A simple bind (version 3): the name and the password as sent.
    SimpleBind {
        msgid: i32,
        name: String,
        password: String,
    },
    /// A bind the proxy cannot check: SASL, or a version other than 3.
    UnsupportedBind {
        msgid: i32,
        code: ResultCode,
        message: &'static str,
    },
    StartTls {
        msgid: i32,
    },
    Unbind,
    /// Anything else (search, compare, whoami, abandon, ...): passed to
    /// the directory as it came.
    Other {
        msgid: i32,
    },
    /// A response or other message no client sends.
    NotARequest {
        msgid: i32,
    },
}

impl std::fmt::Debug for Request {
    /// Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::SimpleBind { msgid, name, .. } => {
                write!(f, "SimpleBind {{ msgid: {msgid}, name: {name:?} }}")
            }
            Request::UnsupportedBind { msgid, message, .. } => {
                write!(f, "UnsupportedBind {{ msgid: {msgid}, {message} }}")
            }
            Request::StartTls { msgid } => write!(f, "StartTls {{ msgid: {msgid} }}"),
            Request::Unbind => write!(f, "Unbind"),
            Request::Other { msgid } => write!(f, "Other {{ msgid: {msgid} }}"),
            Request::NotARequest { msgid } => write!(f, "NotARequest {{ msgid: {msgid} }}"),
        }
    }
}

pub fn classify(message: LdapMsg) -> Request {
    let msgid = message.msgid;
    match message.op {
        LdapOp::BindRequest(LdapBindRequest { version, dn, cred }) => match cred {
            _ if version != 3 => Request::UnsupportedBind {
                msgid,
                code: ResultCode::ProtocolError,
                message: "only LDAP version 3 binds are supported",
            },
            LdapBindCred::Simple(password) => Request::SimpleBind {
                msgid,
                name: dn,
                password,
            },
            LdapBindCred::SASL(_) | LdapBindCred::Unsupported => Request::UnsupportedBind {
                msgid,
                code: ResultCode::AuthMethodNotSupported,
                message: "only simple binds (a name and a password) are supported",
            },
        },
        LdapOp::ExtendedRequest(LdapExtendedRequest { name, .. }) if name == START_TLS => {
            Request::StartTls { msgid }
        }
        LdapOp::UnbindRequest => Request::Unbind,
        LdapOp::BindResponse(_)
        | LdapOp::SearchResultEntry(_)
        | LdapOp::SearchResultDone(_)
        | LdapOp::SearchResultReference(_)
        | LdapOp::ModifyResponse(_)
        | LdapOp::AddResponse(_)
        | LdapOp::DelResponse(_)
        | LdapOp::ModifyDNResponse(_)
        | LdapOp::CompareResult(_)
        | LdapOp::ExtendedResponse(_)
        | LdapOp::IntermediateResponse(_) => Request::NotARequest { msgid },
        _ => Request::Other { msgid },
    }
}

/// The result code of a bind or extended response (what the proxy waits
/// for from the directory), with its diagnostic message.
pub fn result_code(message: &LdapMsg) -> Option<(ResultCode, &str)> {
    match &message.op {
        LdapOp::BindResponse(LdapBindResponse { res, .. })
        | LdapOp::ExtendedResponse(LdapExtendedResponse { res, .. }) => {
            Some((res.code.clone(), res.message.as_str()))
        }
        _ => None,
    }
}

fn result(code: ResultCode, message: &str) -> LdapResult {
    LdapResult {
        code,
        matcheddn: String::new(),
        message: message.to_string(),
        referral: Vec::new(),
    }
}

pub fn bind_response(msgid: i32, code: ResultCode, message: &str) -> Vec<u8> {
    encode(LdapMsg::new(
        msgid,
        LdapOp::BindResponse(LdapBindResponse {
            res: result(code, message),
            saslcreds: None,
        }),
    ))
}

pub fn extended_response(msgid: i32, code: ResultCode, message: &str) -> Vec<u8> {
    encode(LdapMsg::new(
        msgid,
        LdapOp::ExtendedResponse(LdapExtendedResponse {
            res: result(code, message),
            name: None,
            value: None,
        }),
    ))
}

/// Sent before the proxy closes a connection on its own (RFC 4511 §4.4.1).
pub fn notice_of_disconnection(code: ResultCode, message: &str) -> Vec<u8> {
    encode(LdapMsg::new(
        0,
        LdapOp::ExtendedResponse(LdapExtendedResponse {
            res: result(code, message),
            name: Some(NOTICE_OF_DISCONNECTION.to_string()),
            value: None,
        }),
    ))
}

pub fn simple_bind(msgid: i32, name: &str, password: &str) -> Vec<u8> {
    encode(LdapMsg::new(
        msgid,
        LdapOp::BindRequest(LdapBindRequest {
            version: 3,
            dn: name.to_string(),
            cred: LdapBindCred::Simple(password.to_string()),
        }),
    ))
}

pub fn start_tls_request(msgid: i32) -> Vec<u8> {
    encode(LdapMsg::new(
        msgid,
        LdapOp::ExtendedRequest(LdapExtendedRequest {
            name: START_TLS.to_string(),
            value: None,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame_len;

    #[test]
    fn a_simple_bind_round_trips() {
        let bytes = simple_bind(7, "uid=alice,dc=example,dc=org", "secret123456");
        assert_eq!(frame_len(&bytes, 1024), Ok(Some(bytes.len())));
        let request = classify(decode(&bytes).expect("decodes"));
        assert_eq!(
            request,
            Request::SimpleBind {
                msgid: 7,
                name: "uid=alice,dc=example,dc=org".into(),
                password: "secret123456".into()
            }
        );
        assert!(!format!("{request:?}").contains("secret"));
    }

    #[test]
    fn start_tls_and_responses() {
        let bytes = start_tls_request(1);
        assert_eq!(
            classify(decode(&bytes).expect("decodes")),
            Request::StartTls { msgid: 1 }
        );
        let answer = decode(&bind_response(3, ResultCode::InvalidCredentials, "no")).expect("ok");
        assert_eq!(
            result_code(&answer),
            Some((ResultCode::InvalidCredentials, "no"))
        );
        assert_eq!(classify(answer), Request::NotARequest { msgid: 3 });
        let notice =
            decode(&notice_of_disconnection(ResultCode::ProtocolError, "bad")).expect("ok");
        assert_eq!(notice.msgid, 0);
    }

    #[test]
    fn unknown_operations_are_refused_before_ldap3_proto() {
        // Application tag 20 (not an operation), and a primitive bind.
        assert!(decode(&[0x30, 0x05, 0x02, 0x01, 0x01, 0x74, 0x00]).is_err());
        assert!(decode(&[0x30, 0x05, 0x02, 0x01, 0x01, 0x40, 0x00]).is_err());
        // An unbind, either form.
        assert_eq!(
            classify(decode(&[0x30, 0x05, 0x02, 0x01, 0x02, 0x42, 0x00]).expect("unbind")),
            Request::Unbind
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(decode(&[0x30, 0x03, 0x02, 0x01]).is_err());
        assert!(decode(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_err());
        assert!(decode(&[0x30, 0x00]).is_err());
        let mut bind = simple_bind(1, "cn=x", "y");
        bind.push(0);
        assert!(decode(&bind).is_err());
    }
}
