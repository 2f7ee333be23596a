//! DTMF from the callee: a stream of RTP telephone-event packets (each
//! record: 2 bytes of time step, 4 of timestamp, 1 of SSRC, 1 of flags, 4 of
//! payload) fed to the RFC 4733 decoder never panics, yields only keys, and
//! at most one key per (SSRC, timestamp) event while no more than 8 are seen; SIP INFO bodies and prompt
//! WAV files never panic their readers either.
#![no_main]

use countersign_voice::rtp::RtpHeader;
use countersign_voice::{info, rfc4733::Decoder, wav};
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    let mut decoder = Decoder::new();
    let (mut now, mut keys, mut events) = (0u64, String::new(), HashSet::new());
    for (seq, r) in data.chunks_exact(12).enumerate() {
        now += u64::from(u16::from_be_bytes([r[0], r[1]]));
        let header = RtpHeader {
            marker: r[7] & 1 != 0,
            payload_type: 101,
            sequence: seq as u16,
            timestamp: u32::from_be_bytes([r[2], r[3], r[4], r[5]]),
            ssrc: u32::from(r[6] & 3),
        };
        events.insert((header.ssrc, header.timestamp));
        let cut = usize::from(r[7] >> 5).min(4);
        keys.extend(decoder.push(&header, &r[8..8 + cut], now));
        if r[7] & 2 != 0 {
            keys.extend(decoder.tick(now));
        }
    }
    keys.extend(decoder.finish());
    assert!(keys.chars().all(|k| "0123456789*#ABCD".contains(k)));
    // The decoder remembers the last 8 events: with no more than that, each gives one key at most.
    // (A late copy of an older event may come back as a key; never more keys than packets.)
    let count = keys.chars().count();
    assert!(count <= data.len() / 12);
    if events.len() <= 8 {
        assert!(count <= events.len(), "{count} keys from {} events", events.len());
    }

    let text = String::from_utf8_lossy(data);
    let (content_type, body) = text.split_once('\n').unwrap_or((&text, ""));
    if let Some(k) = info::key(content_type, body.as_bytes()) {
        assert!("0123456789*#ABCD".contains(k));
    }
    if let Ok(samples) = wav::parse(data) {
        assert!(samples.len() * 2 <= data.len());
    }
});
