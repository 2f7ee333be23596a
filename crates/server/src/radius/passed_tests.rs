use countersign_radius::{attr, Code};

use super::*;

const UPSTREAM: &[u8] = b"upstream-secret";
const FORWARDED: [u8; 16] = [1; 16];
const CLIENT: &[u8] = b"client-secret";
const ANSWERED: [u8; 16] = [2; 16];
const SEND: [u8; 16] = [0xa5; 16];
const RECV: [u8; 16] = [0x5a; 16];

fn ms(typ: u8, value: &[u8]) -> Attribute {
    vsa::encode_vendor_specific(MICROSOFT, typ, value).unwrap()
}

/// An Accept as FreeRADIUS's mschap module sends it for MS-CHAPv2.
fn upstream_accept() -> Packet {
    let mut reply = Packet::new(Code::AccessAccept, 9, [0; 16]);
    reply.add(attr::MESSAGE_AUTHENTICATOR, [0; 16]);
    reply.add(attr::CLASS, "vpn-users");
    reply
        .attributes
        .push(ms(ms::CHAP2_SUCCESS, b"\x01S=407A5589"));
    let send = encrypt_mppe_key(&SEND, UPSTREAM, &FORWARDED, [0x80, 1]).unwrap();
    let recv = encrypt_mppe_key(&RECV, UPSTREAM, &FORWARDED, [0x80, 2]).unwrap();
    reply.attributes.push(ms(ms::MPPE_SEND_KEY, &send));
    reply.attributes.push(ms(ms::MPPE_RECV_KEY, &recv));
    reply
}

/// The decrypted value of each key attribute of an answer.
fn keys_in(answer: &[Attribute], secret: &[u8], authenticator: &[u8; 16]) -> Vec<(u8, Vec<u8>)> {
    answer
        .iter()
        .filter_map(vendor_attributes)
        .flatten()
        .filter(|s| is_key(s.typ))
        .map(|s| {
            let plain = decrypt_mppe_key(&s.value, secret, authenticator).unwrap();
            (s.typ, plain)
        })
        .collect()
}

#[test]
fn keys_are_encrypted_again_for_the_client_and_the_answered_request() {
    let passed = Passed::from_reply(
        &upstream_accept(),
        &[attr::MESSAGE_AUTHENTICATOR],
        UPSTREAM,
        &FORWARDED,
    );
    assert!(passed.has_keys());
    let answer = passed.for_answer(CLIENT, &ANSWERED);
    assert_eq!(answer[0], Attribute::new(attr::CLASS, "vpn-users"));
    assert_eq!(answer[1], ms(ms::CHAP2_SUCCESS, b"\x01S=407A5589"));
    assert_eq!(
        keys_in(&answer, CLIENT, &ANSWERED),
        vec![
            (ms::MPPE_SEND_KEY, SEND.to_vec()),
            (ms::MPPE_RECV_KEY, RECV.to_vec())
        ]
    );
    let salts: Vec<&[u8]> = answer[2..].iter().map(|a| &a.value[6..8]).collect();
    assert_ne!(salts[0], salts[1], "salts differ within one packet");
}

#[test]
fn keys_of_a_vendor_attribute_with_several_subs_are_taken_apart() {
    let mut value = MICROSOFT.to_be_bytes().to_vec();
    value.extend([ms::MPPE_ENCRYPTION_POLICY, 6, 0, 0, 0, 1]);
    let send = encrypt_mppe_key(&SEND, UPSTREAM, &FORWARDED, [0x80, 1]).unwrap();
    value.extend([ms::MPPE_SEND_KEY, 2 + send.len() as u8]);
    value.extend(&send);
    let mut reply = Packet::new(Code::AccessAccept, 1, [0; 16]);
    reply.add(attr::VENDOR_SPECIFIC, value);
    let answer =
        Passed::from_reply(&reply, &[], UPSTREAM, &FORWARDED).for_answer(CLIENT, &ANSWERED);
    assert_eq!(answer[0], ms(ms::MPPE_ENCRYPTION_POLICY, &[0, 0, 0, 1]));
    assert_eq!(
        keys_in(&answer, CLIENT, &ANSWERED),
        vec![(ms::MPPE_SEND_KEY, SEND.to_vec())]
    );
}

#[test]
fn sealed_keys_open_only_for_their_state_and_never_sit_in_the_clear() {
    let (key, _) = SecretKey::generate();
    let passed = Passed::from_reply(&upstream_accept(), &[], UPSTREAM, &FORWARDED);
    let stored = passed.seal(&key, "state-1");
    assert!(!stored.windows(16).any(|w| w == SEND || w == RECV));
    assert_eq!(Passed::open(&stored, &key, "state-1"), passed);
    let elsewhere = Passed::open(&stored, &key, "state-2");
    assert!(!elsewhere.has_keys());
    assert_eq!(elsewhere.attributes, passed.attributes);
}

#[test]
fn chap_mppe_keys_keep_their_padding() {
    let mut plain = [7u8; 32];
    plain[24..].fill(0);
    let hidden = encrypt_chap_mppe_keys(&plain, UPSTREAM, &FORWARDED).unwrap();
    let mut reply = Packet::new(Code::AccessAccept, 1, [0; 16]);
    reply.attributes.push(ms(ms::CHAP_MPPE_KEYS, &hidden));
    let answer =
        Passed::from_reply(&reply, &[], UPSTREAM, &FORWARDED).for_answer(CLIENT, &ANSWERED);
    let subs = vendor_attributes(&answer[0]).unwrap();
    assert_eq!(
        decrypt_chap_mppe_keys(&subs[0].value, CLIENT, &ANSWERED).unwrap(),
        plain
    );
}

#[test]
fn a_key_that_does_not_decrypt_is_left_out() {
    let mut reply = Packet::new(Code::AccessAccept, 1, [0; 16]);
    reply.attributes.push(ms(ms::MPPE_SEND_KEY, &[0x80, 1, 2]));
    let passed = Passed::from_reply(&reply, &[], UPSTREAM, &FORWARDED);
    assert!(!passed.has_keys());
    assert!(passed.for_answer(CLIENT, &ANSWERED).is_empty());
}

#[test]
fn rows_written_before_sealing_still_read() {
    let (key, _) = SecretKey::generate();
    let old = [25, 11, b'v', b'p', b'n', b'-', b'u', b's', b'e', b'r', b's'];
    let passed = Passed::open(&old, &key, "s");
    assert_eq!(
        passed.attributes,
        vec![Attribute::new(attr::CLASS, "vpn-users")]
    );
    assert!(Passed::open(&[25, 10, 1], &key, "s").attributes.is_empty());
}
