//! Vendor-Specific attributes (RFC 2865 section 5.26) in the recommended
//! format: a 4-byte vendor id followed by sub-attributes of one type
//! byte, one length byte (counting both) and the value. Microsoft's
//! (vendor 311, RFC 2548) carry MS-CHAP and the MPPE keys.
//!
//! Decoding is strict and never panics; a vendor that does not use the
//! recommended format simply fails to decode and is passed on as bytes.

use crate::{attr, Attribute, PacketError, MAX_VALUE_LEN};

/// Microsoft's IANA enterprise number (RFC 2548).
pub const MICROSOFT: u32 = 311;

/// Microsoft vendor attribute types (RFC 2548, RFC 2759).
pub mod ms {
    pub const CHAP_RESPONSE: u8 = 1;
    pub const CHAP_ERROR: u8 = 2;
    pub const MPPE_ENCRYPTION_POLICY: u8 = 7;
    pub const MPPE_ENCRYPTION_TYPES: u8 = 8;
    pub const CHAP_CHALLENGE: u8 = 11;
    pub const CHAP_MPPE_KEYS: u8 = 12;
    pub const MPPE_SEND_KEY: u8 = 16;
    pub const MPPE_RECV_KEY: u8 = 17;
    pub const CHAP2_RESPONSE: u8 = 25;
    pub const CHAP2_SUCCESS: u8 = 26;
}

/// The largest sub-attribute value that fits one Vendor-Specific attribute:
/// 253 minus the vendor id (4) and the sub-attribute header (2).
pub const MAX_VENDOR_VALUE_LEN: usize = MAX_VALUE_LEN - 6;

/// One vendor sub-attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorAttribute {
    pub vendor: u32,
    pub typ: u8,
    pub value: Vec<u8>,
}

/// Splits the value of a Vendor-Specific attribute into its vendor id and
/// sub-attributes.
pub fn decode_vendor_specific(value: &[u8]) -> Result<Vec<VendorAttribute>, PacketError> {
    let Some((id, mut rest)) = value.split_first_chunk::<4>() else {
        return Err(PacketError::VendorSpecificTooShort { len: value.len() });
    };
    let vendor = u32::from_be_bytes(*id);
    if rest.is_empty() {
        return Err(PacketError::VendorSpecificTooShort { len: value.len() });
    }
    let mut out = Vec::new();
    while let [typ, len, tail @ ..] = rest {
        let value_len = usize::from(*len)
            .checked_sub(2)
            .ok_or(PacketError::VendorAttributeMalformed { vendor, typ: *typ })?;
        let (Some(value), Some(next)) = (tail.get(..value_len), tail.get(value_len..)) else {
            return Err(PacketError::VendorAttributeMalformed { vendor, typ: *typ });
        };
        out.push(VendorAttribute {
            vendor,
            typ: *typ,
            value: value.to_vec(),
        });
        rest = next;
    }
    if let [typ] = rest {
        return Err(PacketError::VendorAttributeMalformed { vendor, typ: *typ });
    }
    Ok(out)
}

/// A Vendor-Specific attribute holding one sub-attribute.
pub fn encode_vendor_specific(
    vendor: u32,
    typ: u8,
    value: &[u8],
) -> Result<Attribute, PacketError> {
    if value.len() > MAX_VENDOR_VALUE_LEN {
        return Err(PacketError::ValueTooLong {
            typ: attr::VENDOR_SPECIFIC,
            len: value.len() + 6,
        });
    }
    let mut bytes = Vec::with_capacity(6 + value.len());
    bytes.extend_from_slice(&vendor.to_be_bytes());
    bytes.push(typ);
    bytes.push(u8::try_from(value.len() + 2).unwrap_or(u8::MAX));
    bytes.extend_from_slice(value);
    Ok(Attribute::new(attr::VENDOR_SPECIFIC, bytes))
}

/// The sub-attributes of an attribute if it is a well-formed
/// Vendor-Specific one, else `None`.
pub fn vendor_attributes(attribute: &Attribute) -> Option<Vec<VendorAttribute>> {
    (attribute.typ == attr::VENDOR_SPECIFIC)
        .then(|| decode_vendor_specific(&attribute.value).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_one_sub_attribute() {
        let encoded = encode_vendor_specific(MICROSOFT, ms::CHAP2_SUCCESS, b"\x01S=40").unwrap();
        assert_eq!(encoded.typ, attr::VENDOR_SPECIFIC);
        assert_eq!(&encoded.value[..6], &[0, 0, 1, 0x37, 26, 7]);
        let decoded = vendor_attributes(&encoded).unwrap();
        assert_eq!(
            decoded,
            vec![VendorAttribute {
                vendor: 311,
                typ: 26,
                value: b"\x01S=40".to_vec()
            }]
        );
    }

    #[test]
    fn decodes_several_sub_attributes() {
        let value = [0, 0, 1, 0x37, 7, 6, 0, 0, 0, 1, 8, 6, 0, 0, 0, 6];
        let decoded = decode_vendor_specific(&value).unwrap();
        assert_eq!(decoded.len(), 2);
        assert_eq!(decoded[1].typ, ms::MPPE_ENCRYPTION_TYPES);
        assert_eq!(decoded[1].value, [0, 0, 0, 6]);
    }

    #[test]
    fn refuses_malformed_values() {
        for bad in [
            &[][..],
            &[0, 0, 1],
            &[0, 0, 1, 0x37],
            &[0, 0, 1, 0x37, 7],
            &[0, 0, 1, 0x37, 7, 1],
            &[0, 0, 1, 0x37, 7, 9, 0],
            &[0, 0, 1, 0x37, 7, 2, 8],
        ] {
            assert!(decode_vendor_specific(bad).is_err(), "{bad:?}");
        }
        assert!(vendor_attributes(&Attribute::new(attr::CLASS, [0, 0, 1, 0x37, 1, 2])).is_none());
        assert!(encode_vendor_specific(MICROSOFT, 1, &[0; 248]).is_err());
        assert!(encode_vendor_specific(MICROSOFT, 1, &[0; 247]).is_ok());
    }
}
