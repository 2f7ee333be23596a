//! Seeded random property tests (a fixed seed, so a failure reproduces):
//! round trips of packets and passwords, and decoding of random and
//! mutated bytes never panics.

use countersign_radius::{
    attr, encode_access_request, encode_response, hide_password, unhide_password,
    verify_request_message_authenticator, verify_response, Attribute, Code, MessageAuth, Packet,
    MAX_PACKET_LEN, MAX_VALUE_LEN,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const CASES: usize = 2_000;

fn rng() -> StdRng {
    StdRng::seed_from_u64(0x5241_4449_5553)
}

fn random_bytes(rng: &mut StdRng, max: usize) -> Vec<u8> {
    let len = rng.gen_range(0..=max);
    (0..len).map(|_| rng.gen()).collect()
}

/// A random packet that fits in 4096 bytes.
fn random_packet(rng: &mut StdRng) -> Packet {
    let mut packet = Packet::new(Code::from(rng.gen::<u8>()), rng.gen(), rng.gen());
    let mut room = MAX_PACKET_LEN - 20;
    for _ in 0..rng.gen_range(0..40) {
        let max = if rng.gen_bool(0.1) { MAX_VALUE_LEN } else { 20 };
        let value = random_bytes(rng, max.min(room.saturating_sub(2)));
        if value.len() + 2 > room {
            break;
        }
        room -= value.len() + 2;
        packet.add(rng.gen_range(1..=u8::MAX), value);
    }
    packet
}

#[test]
fn random_packets_round_trip() {
    let mut rng = rng();
    for case in 0..CASES {
        let packet = random_packet(&mut rng);
        let bytes = packet.encode().unwrap();
        assert_eq!(bytes.len(), packet.encoded_len().unwrap());
        assert_eq!(Packet::decode(&bytes).as_ref(), Ok(&packet), "case {case}");
    }
}

#[test]
fn random_and_mutated_bytes_never_panic_and_reencode_exactly() {
    let mut rng = rng();
    for _ in 0..CASES * 5 {
        let mut bytes = if rng.gen_bool(0.3) {
            random_bytes(&mut rng, 300)
        } else {
            random_packet(&mut rng).encode().unwrap()
        };
        for _ in 0..rng.gen_range(0..4) {
            let index = rng.gen_range(0..bytes.len().max(1));
            if let Some(byte) = bytes.get_mut(index) {
                *byte = rng.gen();
            }
        }
        if let Ok(packet) = Packet::decode(&bytes) {
            let length = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
            assert_eq!(packet.encode().unwrap(), &bytes[..length]);
        }
        let _ = verify_request_message_authenticator(&bytes, b"secret");
        let _ = verify_response(&bytes, &[0; 16], b"secret");
        let _ = unhide_password(&bytes, b"secret", &[0; 16]);
    }
}

#[test]
fn random_passwords_round_trip_for_every_length() {
    let mut rng = rng();
    for len in 0..=128usize {
        for _ in 0..20 {
            let password: Vec<u8> = (0..len).map(|_| rng.gen_range(1..=u8::MAX)).collect();
            let secret = random_bytes(&mut rng, 64);
            let secret = if secret.is_empty() { vec![1] } else { secret };
            let authenticator: [u8; 16] = rng.gen();
            let hidden = hide_password(&password, &secret, &authenticator).unwrap();
            assert_eq!(hidden.len(), len.div_ceil(16).max(1) * 16);
            let recovered = unhide_password(&hidden, &secret, &authenticator).unwrap();
            assert_eq!(recovered, password, "length {len}");
        }
    }
}

#[test]
fn random_exchanges_verify_and_tampering_is_caught() {
    let mut rng = rng();
    for _ in 0..CASES / 4 {
        let secret = random_bytes(&mut rng, 32);
        let secret = if secret.is_empty() {
            vec![b's']
        } else {
            secret
        };
        let attributes: Vec<Attribute> = (0..rng.gen_range(0..6))
            .map(|_| Attribute::new(attr::PROXY_STATE, random_bytes(&mut rng, 30)))
            .collect();
        let password = random_bytes(&mut rng, 128);
        let (raw, sent) =
            encode_access_request(rng.gen(), attributes, Some(&password), &secret).unwrap();
        assert_eq!(
            verify_request_message_authenticator(&raw, &secret),
            MessageAuth::Valid
        );

        let request = Packet::decode(&raw).unwrap();
        let reply = vec![Attribute::new(attr::STATE, random_bytes(&mut rng, 64))];
        let response = encode_response(Code::AccessChallenge, &request, reply, &secret).unwrap();
        let verified = verify_response(&response, &sent, &secret).unwrap();
        assert!(verified
            .attrs(attr::PROXY_STATE)
            .eq(request.attrs(attr::PROXY_STATE)));

        let mut tampered = response.clone();
        let index = rng.gen_range(4..tampered.len());
        tampered[index] ^= 1 << rng.gen_range(0..8);
        assert!(verify_response(&tampered, &sent, &secret).is_err());
    }
}
