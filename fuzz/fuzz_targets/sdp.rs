//! SDP answers: `parse_answer` never panics on any body; what it accepts
//! names a codec that was offered, a non-zero port, and a telephone-event
//! type only if the body says so. An offer built from the input's first
//! bytes reads back as itself.
#![no_main]

use countersign_voice::g711::Law;
use countersign_voice::sdp::{parse_answer, Offer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let offered: &[Law] = match data.first().map(|b| b % 3) {
        Some(0) => &[Law::Ulaw],
        Some(1) => &[Law::Alaw],
        _ => &[Law::Ulaw, Law::Alaw],
    };
    let body = data.get(1..).unwrap_or_default();
    if let Ok(answer) = parse_answer(body, offered) {
        assert!(offered.contains(&answer.codec));
        assert_ne!(answer.remote.port(), 0);
        if answer.dtmf_payload_type.is_some() {
            let text = String::from_utf8_lossy(body).to_ascii_lowercase();
            assert!(text.contains("telephone-event"));
        }
    }

    if data.len() >= 7 {
        let port = u16::from_be_bytes([data[1], data[2]]).max(1);
        let address = std::net::IpAddr::from([data[3], data[4], data[5], data[6]]);
        let offer = Offer {
            address,
            port,
            codecs: offered.to_vec(),
            telephone_event: data[0] & 0x80 != 0,
            session_id: u64::from(data[0]),
        };
        let back = parse_answer(offer.to_sdp().as_bytes(), offered).expect("own offer parses");
        assert_eq!(back.remote, std::net::SocketAddr::new(address, port));
        assert_eq!(back.codec, offered[0]);
        assert_eq!(back.dtmf_payload_type.is_some(), offer.telephone_event);
    }
});
