//! Where one LDAP message ends: every message is a BER SEQUENCE with a
//! definite length (RFC 4511 §5.1), so its size is known from its first
//! bytes and a peer cannot make the proxy buffer more than `limit`.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("not an LDAP message: {0}")]
    Malformed(&'static str),
    #[error("an LDAP message of {size} bytes is larger than the {limit} allowed")]
    TooLarge { size: u64, limit: usize },
}

/// The length of the first whole message in `buf`, header included;
/// `Ok(None)` while more bytes are needed.
pub fn frame_len(buf: &[u8], limit: usize) -> Result<Option<usize>, FrameError> {
    let Some(&tag) = buf.first() else {
        return Ok(None);
    };
    if tag != 0x30 {
        return Err(FrameError::Malformed(
            "an LDAP message starts with a SEQUENCE (0x30)",
        ));
    }
    let Some(&first) = buf.get(1) else {
        return Ok(None);
    };
    let (content, header) = if first < 0x80 {
        (u64::from(first), 2usize)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 {
            return Err(FrameError::Malformed(
                "indefinite lengths are not allowed in LDAP",
            ));
        }
        if count > 8 {
            return Err(FrameError::Malformed("a length of more than 8 bytes"));
        }
        let Some(bytes) = buf.get(2..2 + count) else {
            return Ok(None);
        };
        let content = bytes.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
        (content, 2 + count)
    };
    let size = content.saturating_add(header as u64);
    if size > limit as u64 {
        return Err(FrameError::TooLarge { size, limit });
    }
    // size <= limit, so it fits a usize.
    let size = size as usize;
    Ok((buf.len() >= size).then_some(size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths() {
        assert_eq!(frame_len(&[], 100), Ok(None));
        assert_eq!(frame_len(&[0x30], 100), Ok(None));
        assert_eq!(frame_len(&[0x30, 0x03, 1, 2], 100), Ok(None));
        assert_eq!(frame_len(&[0x30, 0x03, 1, 2, 3, 9], 100), Ok(Some(5)));
        assert_eq!(frame_len(&[0x30, 0x82, 0x00], 1000), Ok(None));
        let mut long = vec![0x30, 0x82, 0x01, 0x00];
        long.resize(4 + 256, 0);
        assert_eq!(frame_len(&long, 1000), Ok(Some(260)));
    }

    #[test]
    fn refuses_what_is_not_a_message() {
        assert!(matches!(
            frame_len(&[0x04, 0x01, 0], 100),
            Err(FrameError::Malformed(_))
        ));
        assert!(matches!(
            frame_len(&[0x30, 0x80], 100),
            Err(FrameError::Malformed(_))
        ));
        assert!(matches!(
            frame_len(&[0x30, 0x89], 100),
            Err(FrameError::Malformed(_))
        ));
        assert_eq!(
            frame_len(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff], 1024),
            Err(FrameError::TooLarge {
                size: 0xffff_ffff + 6,
                limit: 1024
            })
        );
        assert_eq!(
            frame_len(
                &[0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                10
            ),
            Err(FrameError::TooLarge {
                size: u64::MAX,
                limit: 10
            })
        );
    }
}
