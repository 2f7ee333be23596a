//! Typed errors. Messages say what is wrong with the packet (offsets count
//! bytes from the start of the packet) so that a dropped packet can be
//! explained in a log line. No message ever contains a secret or a password.

use thiserror::Error;

/// Everything that can be wrong with a RADIUS packet or a value in it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PacketError {
    #[error("RADIUS packet too short: {len} bytes received, the header alone is 20 bytes")]
    TooShort { len: usize },
    #[error("RADIUS packet Length field is {length}, below the minimum of 20 (the header)")]
    LengthTooSmall { length: usize },
    #[error(
        "RADIUS packet Length field is {length}, above the maximum of 4096 (RFC 2865 section 3)"
    )]
    LengthTooLarge { length: usize },
    #[error(
        "RADIUS packet truncated: the Length field says {length} bytes but only {received} were received"
    )]
    Truncated { length: usize, received: usize },
    #[error("RADIUS attribute at offset {offset} is cut off: one byte left where a 2-byte type and length header is needed")]
    AttributeHeaderTruncated { offset: usize },
    #[error("RADIUS attribute at offset {offset} has type 0, which is reserved and never valid")]
    AttributeTypeZero { offset: usize },
    #[error("RADIUS attribute {typ} at offset {offset} has length {length}; the minimum is 2 (type and length bytes)")]
    AttributeLengthTooSmall {
        typ: u8,
        offset: usize,
        length: usize,
    },
    #[error(
        "RADIUS attribute {typ} at offset {offset} has length {length} but only {remaining} bytes remain in the packet"
    )]
    AttributeOverrun {
        typ: u8,
        offset: usize,
        length: usize,
        remaining: usize,
    },
    #[error("RADIUS attribute {typ} value is {len} bytes; the maximum is 253 (split long values into several attributes)")]
    ValueTooLong { typ: u8, len: usize },
    #[error("RADIUS packet would be {len} bytes; the maximum is 4096 (send fewer or shorter attributes)")]
    PacketTooLong { len: usize },
    #[error("User-Password is {len} bytes; RFC 2865 allows at most 128")]
    PasswordTooLong { len: usize },
    #[error(
        "hidden User-Password is {len} bytes; it must be a non-zero multiple of 16, at most 128"
    )]
    HiddenPasswordLength { len: usize },
    #[error(
        "the RADIUS shared secret is empty; configure a long random secret shared with the client"
    )]
    EmptySecret,
    #[error("RADIUS response authenticator does not match: wrong shared secret, or not a response to our request")]
    BadResponseAuthenticator,
    #[error("RADIUS Message-Authenticator does not match: wrong shared secret, or the packet was altered")]
    BadMessageAuthenticator,
    #[error("RADIUS Message-Authenticator is {len} bytes; it must be exactly 16")]
    MessageAuthenticatorLength { len: usize },
    #[error("RADIUS packet carries {count} Message-Authenticator attributes; at most one is allowed (RFC 3579)")]
    DuplicateMessageAuthenticator { count: usize },
    #[error("Vendor-Specific attribute is {len} bytes; it needs a 4-byte vendor id and at least one sub-attribute")]
    VendorSpecificTooShort { len: usize },
    #[error("Vendor-Specific sub-attribute {typ} of vendor {vendor} has a length that does not fit the attribute")]
    VendorAttributeMalformed { vendor: u32, typ: u8 },
    #[error("MPPE key is {len} bytes; at most 239 fit an attribute")]
    MppeKeyTooLong { len: usize },
    #[error("encrypted MPPE key value is {len} bytes; it must be a 2-byte salt and 1 to 15 blocks of 16")]
    MppeValueLength { len: usize },
    #[error("decrypted MPPE key claims {len} bytes, more than the attribute holds: wrong shared secret or request authenticator")]
    MppeKeyLength { len: usize },
}
