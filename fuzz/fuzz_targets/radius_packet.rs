//! RADIUS packet decoding never panics; a decoded packet re-encodes to the
//! exact bytes it came from (up to its Length) and decodes to itself; an
//! answer to it verifies; the password and authenticator checks never panic
//! on the same input.
#![no_main]

use countersign_radius::{
    encode_response, unhide_password, verify_accounting_request_authenticator,
    verify_request_message_authenticator, verify_response, Code, MessageAuth, Packet,
};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzzing-secret";

fuzz_target!(|data: &[u8]| {
    if let Ok(packet) = Packet::decode(data) {
        let length = usize::from(u16::from_be_bytes([data[2], data[3]]));
        let encoded = packet.encode().expect("a decoded packet encodes");
        assert_eq!(encoded, &data[..length]);
        assert_eq!(Packet::decode(&encoded).as_ref(), Ok(&packet));

        // Answering it gives a response that verifies against its authenticator.
        let reply = packet.attributes.clone();
        if let Ok(response) = encode_response(Code::AccessChallenge, &packet, reply, SECRET) {
            let verified = verify_response(&response, &packet.authenticator, SECRET);
            assert_eq!(
                verified.map(|answer| answer.identifier),
                Ok(packet.identifier)
            );
        }
    } else {
        // A packet that does not decode can never verify.
        assert_eq!(
            verify_request_message_authenticator(data, SECRET),
            MessageAuth::Invalid
        );
    }

    let authenticator: [u8; 16] = data
        .get(..16)
        .and_then(|bytes| bytes.try_into().ok())
        .unwrap_or([0; 16]);
    let hidden = data.get(16..).unwrap_or_default();
    if let Ok(password) = unhide_password(hidden, SECRET, &authenticator) {
        assert!(password.len() <= hidden.len());
    }
    let _ = verify_request_message_authenticator(data, SECRET);
    let _ = verify_accounting_request_authenticator(data, SECRET);
    let _ = verify_response(data, &authenticator, SECRET);
});
