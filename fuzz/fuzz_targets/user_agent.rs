//! A browser's User-Agent, named for a remembered browser's label: any
//! bytes give a short label, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let label = countersign_domain::model::remembered::browser_label(Some(&text));
    assert!(label.len() < 64);
});
