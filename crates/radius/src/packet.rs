//! The packet format (RFC 2865 section 3 and 5): a 20-byte header (Code,
//! Identifier, Length, Authenticator) followed by type-length-value
//! attributes. Decoding is strict and never panics; encoding refuses what
//! the wire cannot carry.

use crate::{Code, PacketError};

/// Size of the header: Code, Identifier, Length (2) and Authenticator (16).
pub const HEADER_LEN: usize = 20;
/// The largest packet RFC 2865 allows.
pub const MAX_PACKET_LEN: usize = 4096;
/// The largest attribute value: the length byte counts type and length too.
pub const MAX_VALUE_LEN: usize = 253;

/// One attribute. Values are kept as raw bytes, including Vendor-Specific
/// (26), whose vendor sub-attributes are left to the caller.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    pub typ: u8,
    pub value: Vec<u8>,
}

impl Attribute {
    pub fn new(typ: u8, value: impl Into<Vec<u8>>) -> Self {
        Attribute {
            typ,
            value: value.into(),
        }
    }
}

/// A decoded RADIUS packet. Attributes keep their order, which matters for
/// Proxy-State and for values split over several attributes (EAP-Message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub code: Code,
    pub identifier: u8,
    pub authenticator: [u8; 16],
    pub attributes: Vec<Attribute>,
}

impl Packet {
    /// A packet without attributes.
    pub fn new(code: Code, identifier: u8, authenticator: [u8; 16]) -> Self {
        Packet {
            code,
            identifier,
            authenticator,
            attributes: Vec::new(),
        }
    }

    /// Parses a datagram. The Length field must be 20..=4096 and no larger
    /// than the datagram; bytes after Length are padding and ignored (RFC
    /// 2865 section 3). Every attribute must have a non-zero type, a length
    /// of at least 2 and end within Length.
    pub fn decode(bytes: &[u8]) -> Result<Packet, PacketError> {
        let length = checked_length(bytes)?;
        let header: &[u8; HEADER_LEN] = bytes
            .get(..HEADER_LEN)
            .and_then(|header| header.try_into().ok())
            .ok_or(PacketError::TooShort { len: bytes.len() })?;
        let [code, identifier, _, _, authenticator @ ..] = *header;
        let body = bytes.get(HEADER_LEN..length).unwrap_or_default();
        Ok(Packet {
            code: Code::from(code),
            identifier,
            authenticator,
            attributes: decode_attributes(body)?,
        })
    }

    /// The wire bytes, with the authenticator field as it is in `self`.
    /// Fails if a value exceeds 253 bytes, an attribute has type 0, or the
    /// packet would exceed 4096 bytes.
    pub fn encode(&self) -> Result<Vec<u8>, PacketError> {
        let length = self.encoded_len()?;
        let mut out = Vec::with_capacity(length);
        out.push(u8::from(self.code));
        out.push(self.identifier);
        out.extend_from_slice(&length_bytes(length));
        out.extend_from_slice(&self.authenticator);
        for attribute in &self.attributes {
            out.push(attribute.typ);
            out.push(attr_len_byte(attribute.value.len()));
            out.extend_from_slice(&attribute.value);
        }
        Ok(out)
    }

    /// The length [`Packet::encode`] would produce, after checking every
    /// attribute.
    pub fn encoded_len(&self) -> Result<usize, PacketError> {
        let mut length = HEADER_LEN;
        for attribute in &self.attributes {
            check_attribute(attribute, length)?;
            length += 2 + attribute.value.len();
        }
        if length > MAX_PACKET_LEN {
            return Err(PacketError::PacketTooLong { len: length });
        }
        Ok(length)
    }

    /// The value of the first attribute of this type.
    pub fn attr(&self, typ: u8) -> Option<&[u8]> {
        self.attrs(typ).next()
    }

    /// The values of every attribute of this type, in packet order.
    pub fn attrs(&self, typ: u8) -> impl Iterator<Item = &[u8]> + '_ {
        self.attributes
            .iter()
            .filter(move |attribute| attribute.typ == typ)
            .map(|attribute| attribute.value.as_slice())
    }

    /// Appends an attribute (checked when the packet is encoded).
    pub fn add(&mut self, typ: u8, value: impl Into<Vec<u8>>) {
        self.attributes.push(Attribute::new(typ, value));
    }

    /// The first attribute of this type as text (invalid UTF-8 replaced).
    pub fn text(&self, typ: u8) -> Option<String> {
        self.attr(typ)
            .map(|value| String::from_utf8_lossy(value).into_owned())
    }

    /// Removes every attribute of this type.
    pub fn remove(&mut self, typ: u8) {
        self.attributes.retain(|attribute| attribute.typ != typ);
    }
}

/// Checks the header and returns the Length field, which is then known to
/// be within 20..=4096 and within `bytes`.
pub(crate) fn checked_length(bytes: &[u8]) -> Result<usize, PacketError> {
    let (Some(&high), Some(&low)) = (bytes.get(2), bytes.get(3)) else {
        return Err(PacketError::TooShort { len: bytes.len() });
    };
    if bytes.len() < HEADER_LEN {
        return Err(PacketError::TooShort { len: bytes.len() });
    }
    let length = usize::from(u16::from_be_bytes([high, low]));
    if length < HEADER_LEN {
        return Err(PacketError::LengthTooSmall { length });
    }
    if length > MAX_PACKET_LEN {
        return Err(PacketError::LengthTooLarge { length });
    }
    if length > bytes.len() {
        return Err(PacketError::Truncated {
            length,
            received: bytes.len(),
        });
    }
    Ok(length)
}

/// Parses the attributes of a packet body (the bytes after the header, up
/// to Length).
fn decode_attributes(body: &[u8]) -> Result<Vec<Attribute>, PacketError> {
    let mut attributes = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let offset = HEADER_LEN + (body.len() - rest.len());
        let (attribute, tail) = decode_attribute(rest, offset)?;
        attributes.push(attribute);
        rest = tail;
    }
    Ok(attributes)
}

/// Parses one attribute at the start of `rest`; `offset` is its position in
/// the packet, for error messages.
fn decode_attribute(rest: &[u8], offset: usize) -> Result<(Attribute, &[u8]), PacketError> {
    let (Some(&typ), Some(&len)) = (rest.first(), rest.get(1)) else {
        return Err(PacketError::AttributeHeaderTruncated { offset });
    };
    let length = usize::from(len);
    if typ == 0 {
        return Err(PacketError::AttributeTypeZero { offset });
    }
    if length < 2 {
        return Err(PacketError::AttributeLengthTooSmall {
            typ,
            offset,
            length,
        });
    }
    let (Some(value), Some(tail)) = (rest.get(2..length), rest.get(length..)) else {
        return Err(PacketError::AttributeOverrun {
            typ,
            offset,
            length,
            remaining: rest.len(),
        });
    };
    Ok((Attribute::new(typ, value), tail))
}

/// Checks an attribute to be encoded at `offset`.
fn check_attribute(attribute: &Attribute, offset: usize) -> Result<(), PacketError> {
    if attribute.typ == 0 {
        return Err(PacketError::AttributeTypeZero { offset });
    }
    if attribute.value.len() > MAX_VALUE_LEN {
        return Err(PacketError::ValueTooLong {
            typ: attribute.typ,
            len: attribute.value.len(),
        });
    }
    Ok(())
}

/// The Length field; callers have checked `length <= 4096`.
fn length_bytes(length: usize) -> [u8; 2] {
    u16::try_from(length).unwrap_or(u16::MAX).to_be_bytes()
}

/// The attribute length byte; callers have checked `len <= 253`.
fn attr_len_byte(len: usize) -> u8 {
    u8::try_from(len + 2).unwrap_or(u8::MAX)
}

#[cfg(test)]
#[path = "packet_tests.rs"]
mod tests;
