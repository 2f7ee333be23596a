//! Just enough DER to name a certificate in an error message: the common
//! name (CN) of a distinguished name as webpki hands it over (the content of
//! the Name SEQUENCE, without its tag and length).

/// One DER element: (tag, content, rest of the input).
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[count..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

const OID_TAG: u8 = 0x06;
const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];

/// The first common name in a Name's content, if it is a readable string.
pub fn common_name(name_content: &[u8]) -> Option<String> {
    let mut rdns = name_content;
    while let Some((_set_tag, set, rest)) = element(rdns) {
        rdns = rest;
        let mut attrs = set;
        while let Some((_seq_tag, seq, rest)) = element(attrs) {
            attrs = rest;
            let (tag, oid, value) = element(seq)?;
            if tag == OID_TAG && oid == COMMON_NAME {
                let (_string_tag, text, _) = element(value)?;
                return String::from_utf8(text.to_vec()).ok();
            }
        }
    }
    None
}

/// `"CN"` quoted, or a description when the name has no readable CN.
pub fn describe(name_content: &[u8]) -> String {
    match common_name(name_content) {
        Some(cn) => format!("\"{cn}\""),
        None => "a certificate without a common name".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_common_name() {
        // SET { SEQ { OID 2.5.4.10, UTF8 "Org" } }, SET { SEQ { OID 2.5.4.3, UTF8 "My CA" } }
        let name = [
            0x31, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x03, b'O', b'r', b'g',
            0x31, 0x0e, 0x30, 0x0c, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x05, b'M', b'y', b' ',
            b'C', b'A',
        ];
        assert_eq!(common_name(&name).as_deref(), Some("My CA"));
        assert_eq!(describe(&name), "\"My CA\"");
    }

    #[test]
    fn garbage_gives_no_name() {
        assert_eq!(common_name(&[0x31, 0x7f, 0x00]), None);
        assert_eq!(common_name(&[]), None);
        assert_eq!(describe(&[0x31]), "a certificate without a common name");
    }
}
