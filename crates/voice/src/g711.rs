//! G.711 (ITU-T, 1988) µ-law and A-law: 16-bit linear PCM to 8-bit codes and back.
//!
//! Decoding goes through 256-entry tables built at compile time; encoding is
//! the segment search of the reference implementation (Sun's `g711.c`, which
//! every PBX and softphone agrees with bit for bit).

/// The two G.711 laws, with their static RTP payload types (RFC 3551).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// µ-law, PCMU, payload type 0 (North America, Japan).
    Ulaw,
    /// A-law, PCMA, payload type 8 (Europe and most of the world).
    Alaw,
}

impl Law {
    /// The static RTP payload type: 0 for PCMU, 8 for PCMA.
    pub fn payload_type(self) -> u8 {
        match self {
            Law::Ulaw => 0,
            Law::Alaw => 8,
        }
    }

    /// The SDP encoding name (`PCMU`, `PCMA`).
    pub fn name(self) -> &'static str {
        match self {
            Law::Ulaw => "PCMU",
            Law::Alaw => "PCMA",
        }
    }

    /// The law for an SDP encoding name, case-insensitively.
    pub fn from_name(name: &str) -> Option<Law> {
        if name.eq_ignore_ascii_case("PCMU") {
            Some(Law::Ulaw)
        } else if name.eq_ignore_ascii_case("PCMA") {
            Some(Law::Alaw)
        } else {
            None
        }
    }

    /// One sample to its 8-bit code.
    pub fn encode(self, sample: i16) -> u8 {
        match self {
            Law::Ulaw => ulaw_encode(sample),
            Law::Alaw => alaw_encode(sample),
        }
    }

    /// One 8-bit code to its sample.
    pub fn decode(self, code: u8) -> i16 {
        match self {
            Law::Ulaw => ULAW_DECODE[code as usize],
            Law::Alaw => ALAW_DECODE[code as usize],
        }
    }

    /// Encodes `samples` into `out` (cleared first), one byte per sample.
    pub fn encode_into(self, samples: &[i16], out: &mut Vec<u8>) {
        out.clear();
        out.extend(samples.iter().map(|&s| self.encode(s)));
    }
}

const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 32635;

/// µ-law encode (the magnitude clipped at 32635, biased by 0x84, segment and
/// four mantissa bits, all bits inverted).
pub fn ulaw_encode(sample: i16) -> u8 {
    let mut magnitude = i32::from(sample);
    let sign = if magnitude < 0 {
        magnitude = -magnitude;
        0x80
    } else {
        0
    };
    magnitude = magnitude.min(ULAW_CLIP) + ULAW_BIAS;
    let mut exponent = 7;
    let mut mask = 0x4000;
    while exponent > 0 && magnitude & mask == 0 {
        exponent -= 1;
        mask >>= 1;
    }
    let mantissa = (magnitude >> (exponent + 3)) & 0x0F;
    !((sign | (exponent << 4) | mantissa) as u8)
}

const fn ulaw_decode(code: u8) -> i16 {
    let u = !code;
    let exponent = ((u >> 4) & 0x07) as i32;
    let mantissa = (u & 0x0F) as i32;
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
    if u & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// Segment ends of the A-law compander on the 13-bit magnitude.
const ALAW_SEGMENT_END: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];

/// A-law encode (13-bit magnitude, segment, four bits, even bits inverted).
pub fn alaw_encode(sample: i16) -> u8 {
    let mut value = i32::from(sample) >> 3;
    let mask: u8 = if value >= 0 {
        0xD5
    } else {
        value = -value - 1;
        0x55
    };
    let segment = ALAW_SEGMENT_END
        .iter()
        .position(|&end| value <= end)
        .unwrap_or(8);
    if segment >= 8 {
        return 0x7F ^ mask;
    }
    let shift = if segment < 2 { 1 } else { segment };
    let code = ((segment as i32) << 4) | ((value >> shift) & 0x0F);
    (code as u8) ^ mask
}

const fn alaw_decode(code: u8) -> i16 {
    let a = code ^ 0x55;
    let mut t = ((a & 0x0F) as i32) << 4;
    let segment = ((a & 0x70) >> 4) as i32;
    match segment {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= segment - 1;
        }
    }
    if a & 0x80 != 0 {
        t as i16
    } else {
        -t as i16
    }
}

const fn ulaw_table() -> [i16; 256] {
    let mut out = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        out[i] = ulaw_decode(i as u8);
        i += 1;
    }
    out
}

const fn alaw_table() -> [i16; 256] {
    let mut out = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        out[i] = alaw_decode(i as u8);
        i += 1;
    }
    out
}

/// µ-law code to sample.
pub static ULAW_DECODE: [i16; 256] = ulaw_table();
/// A-law code to sample.
pub static ALAW_DECODE: [i16; 256] = alaw_table();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values() {
        // Silence: µ-law 0xFF (and 0x7F, negative zero), A-law 0xD5.
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ULAW_DECODE[0xFF], 0);
        assert_eq!(ULAW_DECODE[0x7F], 0);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(ALAW_DECODE[0xD5], 8);
        assert_eq!(ALAW_DECODE[0x55], -8);
        // Full scale.
        assert_eq!(ULAW_DECODE[0x80], 32124);
        assert_eq!(ULAW_DECODE[0x00], -32124);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(ALAW_DECODE[0xAA], 32256);
        assert_eq!(ALAW_DECODE[0x2A], -32256);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
    }

    #[test]
    fn every_code_survives_a_round_trip() {
        for law in [Law::Ulaw, Law::Alaw] {
            for code in 0..=255u8 {
                let sample = law.decode(code);
                let again = law.decode(law.encode(sample));
                assert_eq!(again, sample, "{law:?} code {code:#04x}");
            }
        }
    }

    #[test]
    fn error_stays_within_the_segment_step() {
        for law in [Law::Ulaw, Law::Alaw] {
            for s in (i16::MIN as i32..=i16::MAX as i32).step_by(7) {
                let s = s as i16;
                let back = i32::from(law.decode(law.encode(s)));
                let err = (back - i32::from(s)).abs();
                // The step doubles per segment: 1/16 of the magnitude plus the bias is a safe bound.
                let bound = (i32::from(s).abs() / 16).max(16) + 140;
                assert!(err <= bound, "{law:?} {s} -> {back}");
            }
        }
    }

    #[test]
    fn monotonic() {
        for law in [Law::Ulaw, Law::Alaw] {
            let mut last = i16::MIN;
            for s in (i16::MIN..=i16::MAX).step_by(3) {
                let back = law.decode(law.encode(s));
                assert!(back >= last, "{law:?} not monotonic at {s}");
                last = back;
            }
        }
    }

    #[test]
    fn names_and_payload_types() {
        assert_eq!(Law::from_name("pcmu"), Some(Law::Ulaw));
        assert_eq!(Law::from_name("PCMA"), Some(Law::Alaw));
        assert_eq!(Law::from_name("G722"), None);
        assert_eq!(Law::Ulaw.payload_type(), 0);
        assert_eq!(Law::Alaw.payload_type(), 8);
    }
}
