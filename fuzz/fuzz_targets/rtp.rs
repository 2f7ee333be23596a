//! RTP datagrams: `parse` never panics and its payload lies inside the
//! datagram; a plain packet (version 2, no padding, extension or CSRC)
//! written back from what was parsed is the same bytes. The G.711 laws
//! decode every byte and re-encode it stably.
#![no_main]

use countersign_voice::g711::Law;
use countersign_voice::rtp::{parse, write, HEADER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(packet) = parse(data) {
        assert!(packet.payload.len() <= data.len().saturating_sub(HEADER_LEN));
        if data[0] == 0x80 {
            let mut out = Vec::new();
            write(&packet.header, packet.payload, &mut out);
            assert_eq!(out, data);
        }
    }
    for law in [Law::Ulaw, Law::Alaw] {
        for &b in data.iter().take(64) {
            let sample = law.decode(b);
            assert_eq!(law.decode(law.encode(sample)), sample);
        }
    }
});
