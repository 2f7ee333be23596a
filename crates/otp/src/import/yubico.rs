//! YubiKeys programmed for Yubico OTP, from the CSV log the YubiKey
//! Personalization Tool writes (`Yubico OTP,<time>,<serial>,<public id>,
//! <private id>,<AES key>,...`) or three columns `public_id,private_id,aes_key`
//! (an optional header naming them). The public id is the token's serial.

use super::{check_size, Entry, ImportError, Seed};
use crate::algorithm::{Algorithm, Kind};
use crate::yubico::{modhex_decode, modhex_encode, BLOCK_CHARS};

pub fn parse(data: &[u8]) -> Result<Vec<Entry>, ImportError> {
    check_size(data.len())?;
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    let mut entries = Vec::new();
    for (index, raw) in data.split(|b| *b == b'\n').enumerate() {
        let number = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(line) = std::str::from_utf8(raw) else {
            let reason = "the line is not UTF-8 text; save the file as UTF-8".to_string();
            entries.push(Entry::new(number, None, Err(reason)));
            continue;
        };
        let line = line.trim();
        if line.is_empty()
            || line.starts_with('#')
            || line.to_ascii_lowercase().starts_with("public")
        {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let columns = match fields.first() {
            Some(first) if first.eq_ignore_ascii_case("Yubico OTP") => fields.get(3..6),
            _ => fields.get(0..3).filter(|_| fields.len() == 3),
        };
        let Some([public, private, key]) = columns else {
            let reason = format!("{} columns: expected the personalization tool's log or public_id,private_id,aes_key", fields.len());
            entries.push(Entry::new(number, None, Err(reason)));
            continue;
        };
        let serial = public_id(public);
        let seed = seed(serial.clone(), private, key);
        entries.push(Entry::new(number, serial.ok(), seed));
    }
    if entries.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(entries)
}

/// The public id in modhex (as the key types it), from modhex or hex.
fn public_id(text: &str) -> Result<String, String> {
    let lower = text.to_ascii_lowercase();
    if modhex_decode(&lower).is_some_and(|b| (1..=16).contains(&b.len())) {
        return Ok(lower);
    }
    match hex(&lower) {
        Some(bytes) if (1..=16).contains(&bytes.len()) => Ok(modhex_encode(&bytes)),
        _ => Err(format!(
            "the public id '{text}' is neither modhex nor hex of 1 to 16 bytes"
        )),
    }
}

fn seed(serial: Result<String, String>, private: &str, key: &str) -> Result<Seed, String> {
    let serial = serial?;
    let private = hex(private)
        .filter(|b| b.len() == 6)
        .ok_or("the private id is not 6 bytes in hex (12 digits)")?;
    let mut secret = hex(key)
        .filter(|b| b.len() == 16)
        .ok_or("the AES key is not 16 bytes in hex (32 digits)")?;
    secret.extend_from_slice(&private);
    Ok(Seed {
        digits: (serial.len() + BLOCK_CHARS) as u32,
        serial,
        kind: Kind::Yubico,
        secret,
        algorithm: Algorithm::Sha1,
        period: 30,
        counter: 0,
        issuer: Some("Yubico".into()),
    })
}

fn hex(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    super::csv::hex(&compact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Parsed;

    #[test]
    fn reads_the_personalization_log_and_three_columns() {
        let text = "Yubico OTP,12/03/2026 10:00,1,vvccccfhcbvd,8792ebfe26cc,ecde18dbe76fbd0c33330f1c354871db,,,0,0,0,0,0,0,0,0,0,0\n\
                    public_id,private_id,aes_key\n\
                    vvccccfhcbve,8792ebfe26cd,ecde18dbe76fbd0c33330f1c354871dc\n\
                    vvccccfhcbvf,8792ebfe26,ecde18dbe76fbd0c33330f1c354871dc\n";
        let entries = parse(text.as_bytes()).expect("parses");
        assert_eq!(entries.len(), 3);
        let Parsed::Seed(seed) = &entries[0].parsed else {
            panic!("{:?}", entries[0])
        };
        assert_eq!(
            (seed.serial.as_str(), seed.kind, seed.digits),
            ("vvccccfhcbvd", Kind::Yubico, 44)
        );
        assert_eq!(seed.secret.len(), 22);
        assert_eq!(&seed.secret[16..], &[0x87, 0x92, 0xeb, 0xfe, 0x26, 0xcc]);
        assert!(matches!(&entries[2].parsed, Parsed::Failed(r) if r.contains("private id")));
        assert_eq!(entries[2].at, 4);
    }
}
