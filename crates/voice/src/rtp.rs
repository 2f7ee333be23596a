//! RTP packets (RFC 3550 §5.1): the fixed header, CSRCs, the header
//! extension and padding are read; only the fixed header is written.

use thiserror::Error;

/// Size of the fixed RTP header.
pub const HEADER_LEN: usize = 12;

/// Why a datagram is not an RTP packet this side accepts.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RtpError {
    #[error("RTP packet too short: {0} bytes (the header alone is 12)")]
    TooShort(usize),
    #[error("RTP version {0}, only version 2 exists")]
    Version(u8),
    #[error("RTCP packet (type {0}) on the RTP port: ignored")]
    Rtcp(u8),
    #[error("RTP header claims more CSRC, extension or padding bytes than the packet has")]
    Truncated,
}

/// The fields of the fixed header that matter to a receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

/// A parsed packet: its header and a borrowed payload (padding removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub header: RtpHeader,
    pub payload: &'a [u8],
}

/// Reads one datagram as RTP.
pub fn parse(buf: &[u8]) -> Result<RtpPacket<'_>, RtpError> {
    if buf.len() < HEADER_LEN {
        return Err(RtpError::TooShort(buf.len()));
    }
    let version = buf[0] >> 6;
    if version != 2 {
        return Err(RtpError::Version(version));
    }
    // RFC 5761 §4: RTCP packet types 192-223 map onto RTP "payload types" 64-95
    // with the marker bit; the ones in use (SR, RR, SDES, BYE, APP, ...) are 200-207.
    if (200..=207).contains(&buf[1]) {
        return Err(RtpError::Rtcp(buf[1]));
    }
    let padding = buf[0] & 0x20 != 0;
    let extension = buf[0] & 0x10 != 0;
    let csrc_count = usize::from(buf[0] & 0x0F);
    let header = RtpHeader {
        marker: buf[1] & 0x80 != 0,
        payload_type: buf[1] & 0x7F,
        sequence: u16::from_be_bytes([buf[2], buf[3]]),
        timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
        ssrc: u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
    };
    let mut start = HEADER_LEN + 4 * csrc_count;
    if extension {
        let words = buf.get(start + 2..start + 4).ok_or(RtpError::Truncated)?;
        start += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
    }
    let mut end = buf.len();
    if padding {
        let pad = usize::from(buf[end - 1]);
        if pad == 0 {
            return Err(RtpError::Truncated);
        }
        end = end.checked_sub(pad).ok_or(RtpError::Truncated)?;
    }
    let payload = buf.get(start..end).ok_or(RtpError::Truncated)?;
    Ok(RtpPacket { header, payload })
}

/// Appends a packet (version 2, no padding, extension or CSRCs) to `out`.
pub fn write(header: &RtpHeader, payload: &[u8], out: &mut Vec<u8>) {
    out.reserve(HEADER_LEN + payload.len());
    out.push(0x80);
    out.push((u8::from(header.marker) << 7) | (header.payload_type & 0x7F));
    out.extend_from_slice(&header.sequence.to_be_bytes());
    out.extend_from_slice(&header.timestamp.to_be_bytes());
    out.extend_from_slice(&header.ssrc.to_be_bytes());
    out.extend_from_slice(payload);
}

/// The sending side of one stream: one SSRC, a sequence number that goes up
/// by one per packet and a timestamp that goes up by the samples sent, both
/// starting at random values (RFC 3550 §5.1).
#[derive(Debug, Clone)]
pub struct RtpSender {
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    payload_type: u8,
    first: bool,
}

impl RtpSender {
    pub fn new(payload_type: u8, ssrc: u32, sequence: u16, timestamp: u32) -> Self {
        RtpSender {
            ssrc,
            sequence,
            timestamp,
            payload_type,
            first: true,
        }
    }

    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Writes the next packet carrying `payload` (which holds `samples`
    /// samples) into `out` (cleared first). The first packet has the marker
    /// bit, as a talkspurt's first packet should.
    pub fn next(&mut self, payload: &[u8], samples: u32, out: &mut Vec<u8>) {
        out.clear();
        let header = RtpHeader {
            marker: self.first,
            payload_type: self.payload_type,
            sequence: self.sequence,
            timestamp: self.timestamp,
            ssrc: self.ssrc,
        };
        write(&header, payload, out);
        self.first = false;
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(samples);
    }
}

/// RFC 3550 §6.4.1 interarrival jitter, in timestamp units (1/8000 s for G.711).
#[derive(Debug, Clone, Default)]
pub struct Jitter {
    last_transit: Option<i64>,
    jitter: f64,
}

impl Jitter {
    /// Records a packet with RTP timestamp `timestamp` that arrived at
    /// `arrival` (in the same units, from any fixed origin).
    pub fn record(&mut self, timestamp: u32, arrival: i64) {
        let transit = arrival - i64::from(timestamp);
        if let Some(last) = self.last_transit {
            // The difference of two transits across a timestamp wrap is still small.
            let d = ((transit - last) as i32).unsigned_abs() as f64;
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.last_transit = Some(transit);
    }

    /// The estimate in timestamp units.
    pub fn value(&self) -> f64 {
        self.jitter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_parse() {
        let header = RtpHeader {
            marker: true,
            payload_type: 101,
            sequence: 65535,
            timestamp: 0xDEAD_BEEF,
            ssrc: 0x0102_0304,
        };
        let mut buf = Vec::new();
        write(&header, &[1, 2, 3, 4], &mut buf);
        assert_eq!(buf[..2], [0x80, 0x80 | 101]);
        let packet = parse(&buf).expect("parses");
        assert_eq!(packet.header, header);
        assert_eq!(packet.payload, &[1, 2, 3, 4]);
    }

    #[test]
    fn sender_counts_and_wraps() {
        let mut s = RtpSender::new(0, 7, 65535, u32::MAX - 100);
        let mut buf = Vec::new();
        s.next(&[0xFF; 160], 160, &mut buf);
        let first = parse(&buf).expect("parses").header;
        assert!(first.marker);
        assert_eq!((first.sequence, first.timestamp), (65535, u32::MAX - 100));
        s.next(&[0xFF; 160], 160, &mut buf);
        let second = parse(&buf).expect("parses").header;
        assert!(!second.marker);
        assert_eq!((second.sequence, second.timestamp), (0, 59));
        assert_eq!(buf.len(), HEADER_LEN + 160);
    }

    #[test]
    fn csrc_extension_and_padding_are_skipped() {
        let mut buf = vec![0x80 | 0x20 | 0x10 | 0x01, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        buf.extend_from_slice(&[9, 9, 9, 9]); // one CSRC
        buf.extend_from_slice(&[0xBE, 0xDE, 0, 1, 7, 7, 7, 7]); // extension, one word
        buf.extend_from_slice(&[0xAA, 0xBB]); // payload
        buf.extend_from_slice(&[0, 0, 3]); // three bytes of padding
        let packet = parse(&buf).expect("parses");
        assert_eq!(packet.payload, &[0xAA, 0xBB]);
    }

    #[test]
    fn bad_packets_are_refused() {
        assert_eq!(parse(&[0x80; 5]), Err(RtpError::TooShort(5)));
        assert_eq!(parse(&[0x40; 12]), Err(RtpError::Version(1)));
        let mut rtcp = vec![0x81, 200];
        rtcp.extend_from_slice(&[0; 10]);
        assert_eq!(parse(&rtcp), Err(RtpError::Rtcp(200)));
        // Padding larger than the packet, zero padding, CSRCs past the end.
        let mut pad = vec![0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200];
        assert_eq!(parse(&pad), Err(RtpError::Truncated));
        pad[12] = 0;
        assert_eq!(parse(&pad), Err(RtpError::Truncated));
        assert_eq!(parse(&[0x8F; 12]), Err(RtpError::Truncated));
        let ext = [
            0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE, 0xDE, 0xFF, 0xFF,
        ];
        assert_eq!(parse(&ext), Err(RtpError::Truncated));
    }

    #[test]
    fn jitter_is_zero_for_a_steady_stream_and_grows_with_wobble() {
        let mut j = Jitter::default();
        for i in 0..50u32 {
            j.record(i * 160, i64::from(i) * 160 + 1000);
        }
        assert_eq!(j.value(), 0.0);
        for i in 50..100u32 {
            let wobble = if i % 2 == 0 { 40 } else { -40 };
            j.record(i * 160, i64::from(i) * 160 + 1000 + wobble);
        }
        assert!(j.value() > 40.0, "{}", j.value());
    }
}
