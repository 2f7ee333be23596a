//! otpauth:// parsing never panics, and whatever parses survives a trip
//! through `to_uri` unchanged.
#![no_main]

use countersign_otp::KeyUri;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(key) = KeyUri::parse(&text) {
        let uri = key.to_uri();
        match KeyUri::parse(&uri) {
            Ok(again) => assert_eq!(again, key, "round trip changed the key: {uri}"),
            Err(err) => panic!("to_uri wrote {uri:?}, which does not parse: {err}"),
        }
    }
});
