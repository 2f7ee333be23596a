//! RFC 4733 telephone-events (DTMF as RTP, §2.3): the 4-byte payload and a
//! decoder that turns a stream of event packets into keys.
//!
//! A key press is many packets: the same event and RTP timestamp, the marker
//! bit on the first, a growing duration, and (usually) three copies of the
//! last one with the end bit. The decoder reports a key once, when its first
//! end packet arrives; if the end packets are lost, when the next event
//! starts or when no packet has come for [`IDLE_END_MS`].

use crate::rtp::RtpHeader;

/// The keys of events 0-15 (§3.2): digits, `*`, `#`, `A`-`D`.
const KEYS: &[u8; 16] = b"0123456789*#ABCD";

/// A started event with no packet for this long is taken as ended.
pub const IDLE_END_MS: u64 = 300;

/// How many finished events are remembered to drop their late copies.
const RECENT: usize = 8;

/// One telephone-event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub code: u8,
    pub end: bool,
    pub volume: u8,
    pub duration: u16,
}

impl Event {
    /// Reads the payload; `None` if it is shorter than 4 bytes. Redundant
    /// trailing bytes (RFC 2198 is not negotiated) are ignored.
    pub fn parse(payload: &[u8]) -> Option<Event> {
        let b = payload.get(..4)?;
        Some(Event {
            code: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3F,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }

    /// The payload bytes (for tests and a sender).
    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.code,
            (u8::from(self.end) << 7) | (self.volume & 0x3F),
            d[0],
            d[1],
        ]
    }

    /// The key for events 0-15; other events (tones, §3.2's later codes) have none.
    pub fn key(self) -> Option<char> {
        KEYS.get(usize::from(self.code)).map(|&k| char::from(k))
    }
}

/// The event being received: which stream and timestamp, and the key.
#[derive(Debug, Clone, Copy)]
struct Current {
    ssrc: u32,
    timestamp: u32,
    key: Option<char>,
    last_ms: u64,
}

/// Turns telephone-event packets into keys, each key once.
#[derive(Debug, Default)]
pub struct Decoder {
    current: Option<Current>,
    recent: Vec<(u32, u32)>,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one packet of the telephone-event payload type, received at
    /// `now_ms` (any monotonic clock in milliseconds). Returns the keys this
    /// packet completes: at most two (a previous event whose end was lost,
    /// then this one).
    pub fn push(&mut self, header: &RtpHeader, payload: &[u8], now_ms: u64) -> Vec<char> {
        let mut keys = Vec::new();
        let Some(event) = Event::parse(payload) else {
            return keys;
        };
        let id = (header.ssrc, header.timestamp);
        if self.recent.contains(&id) {
            return keys; // a late copy of a finished event
        }
        match self.current.as_mut() {
            Some(c) if (c.ssrc, c.timestamp) == id => c.last_ms = now_ms,
            _ => {
                keys.extend(self.finish());
                self.current = Some(Current {
                    ssrc: header.ssrc,
                    timestamp: header.timestamp,
                    key: event.key(),
                    last_ms: now_ms,
                });
            }
        }
        if event.end {
            keys.extend(self.finish());
        }
        keys
    }

    /// Reports an unfinished event whose packets stopped more than
    /// [`IDLE_END_MS`] before `now_ms`.
    pub fn tick(&mut self, now_ms: u64) -> Option<char> {
        let idle = self
            .current
            .is_some_and(|c| now_ms.saturating_sub(c.last_ms) > IDLE_END_MS);
        if idle {
            self.finish()
        } else {
            None
        }
    }

    /// Ends the current event and gives its key; its later packets are dropped.
    pub fn finish(&mut self) -> Option<char> {
        let c = self.current.take()?;
        if self.recent.len() == RECENT {
            self.recent.remove(0);
        }
        self.recent.push((c.ssrc, c.timestamp));
        c.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The packets libre (baresip) sends for one key: marker first, growing
    /// duration, three end packets, all with one timestamp.
    fn press(key: u8, ts: u32, seq: &mut u16) -> Vec<(RtpHeader, [u8; 4])> {
        let mut out = Vec::new();
        for i in 0..11u16 {
            let end = i >= 8;
            let header = RtpHeader {
                marker: i == 0,
                payload_type: 101,
                sequence: *seq,
                timestamp: ts,
                ssrc: 9,
            };
            *seq = seq.wrapping_add(1);
            let ev = Event {
                code: key,
                end,
                volume: 10,
                duration: 160 * (i.min(8) + 1),
            };
            out.push((header, ev.to_bytes()));
        }
        out
    }

    fn feed(d: &mut Decoder, packets: &[(RtpHeader, [u8; 4])], t: &mut u64) -> String {
        let mut s = String::new();
        for (h, p) in packets {
            *t += 20;
            s.extend(d.push(h, p, *t));
        }
        s
    }

    #[test]
    fn keys_once_each_from_end_packets() {
        let (mut d, mut seq, mut t) = (Decoder::new(), 100u16, 0u64);
        let mut all = press(1, 1000, &mut seq);
        all.extend(press(2, 3000, &mut seq));
        all.extend(press(11, 5000, &mut seq));
        assert_eq!(feed(&mut d, &all, &mut t), "12#");
        // A retransmitted end packet of the first key much later: nothing.
        assert_eq!(feed(&mut d, &all[8..9], &mut t), "");
        assert_eq!(d.tick(t + 10_000), None);
    }

    #[test]
    fn lost_end_packets_are_made_up_by_the_next_event_or_silence() {
        let (mut d, mut seq, mut t) = (Decoder::new(), 0u16, 0u64);
        let zero = press(0, 160, &mut seq);
        let pound = press(11, 8000, &mut seq);
        assert_eq!(feed(&mut d, &zero[..5], &mut t), "");
        assert_eq!(feed(&mut d, &pound[..3], &mut t), "0");
        assert_eq!(d.tick(t + 100), None);
        assert_eq!(d.tick(t + IDLE_END_MS + 1), Some('#'));
        assert_eq!(d.tick(t + 5000), None);
    }

    #[test]
    fn same_timestamp_on_another_stream_is_another_key() {
        let (mut d, mut seq, mut t) = (Decoder::new(), 0u16, 0u64);
        let mut a = press(5, 700, &mut seq);
        let b: Vec<_> = press(5, 700, &mut seq)
            .into_iter()
            .map(|(mut h, p)| {
                h.ssrc = 10;
                (h, p)
            })
            .collect();
        a.extend(b);
        assert_eq!(feed(&mut d, &a, &mut t), "55");
    }

    #[test]
    fn short_payloads_and_non_key_events_give_nothing() {
        let (mut d, mut seq, mut t) = (Decoder::new(), 0u16, 0u64);
        let h = RtpHeader {
            marker: true,
            payload_type: 101,
            sequence: 1,
            timestamp: 1,
            ssrc: 1,
        };
        assert!(d.push(&h, &[1, 2], 0).is_empty());
        assert_eq!(feed(&mut d, &press(32, 50, &mut seq), &mut t), "");
        assert_eq!(
            Event::parse(&[11, 0x8A, 0x05, 0xA0]).and_then(Event::key),
            Some('#')
        );
    }

    #[test]
    fn an_end_packet_alone_is_a_key() {
        let mut d = Decoder::new();
        let h = RtpHeader {
            marker: false,
            payload_type: 101,
            sequence: 9,
            timestamp: 77,
            ssrc: 3,
        };
        let p = Event {
            code: 10,
            end: true,
            volume: 0,
            duration: 800,
        }
        .to_bytes();
        assert_eq!(d.push(&h, &p, 5), vec!['*']);
        assert!(d.push(&h, &p, 6).is_empty());
    }
}
