//! Helpers shared by the integration tests.

/// Bytes from hex text; spaces and newlines are ignored.
pub fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

/// The shared secret of the RFC 2865 section 7 examples.
pub const RFC_SECRET: &[u8] = b"xyzzy5461";
