//! Bytes from an application connected to the LDAP proxy: cut into
//! messages, decoded and sorted as the proxy does, never a panic; a
//! decoded simple bind re-encodes to a message that decodes the same.
#![no_main]

use countersign_ldap::{classify, decode, frame_len, simple_bind, Request};
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some(len)) = frame_len(rest, LIMIT) {
        assert!(len <= rest.len() && len >= 2);
        let (frame, after) = rest.split_at(len);
        rest = after;
        let Ok(message) = decode(frame) else {
            break;
        };
        if let Request::SimpleBind {
            msgid,
            name,
            password,
        } = classify(message)
        {
            let again = decode(&simple_bind(msgid, &name, &password)).expect("re-encoded bind");
            assert_eq!(
                classify(again),
                Request::SimpleBind {
                    msgid,
                    name,
                    password
                }
            );
        }
    }
});
