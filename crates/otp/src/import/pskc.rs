//! RFC 6030 Portable Symmetric Key Container: plain values, values
//! encrypted with a pre-shared AES key, and with a key derived from a
//! password by PBKDF2; HOTP and TOTP keys; the MAC of every encrypted
//! value checked before anything is returned.
//!
//! Elements are matched by local name (files in the wild use prefixes and
//! namespaces loosely). The parser refuses a DTD, so it never expands an
//! entity nor reads another file.

use base64::Engine;
use roxmltree::{Document, Node, ParsingOptions};

use super::crypto::{self, Cipher, DecryptError};
use super::pskc_keys::{open_keys, Keys};
use super::{check_size, Entry, ImportError, Parsed, Seed};
use crate::algorithm::{Algorithm, Kind};

/// What opens an encrypted container.
#[derive(Clone, Default)]
pub enum Protection {
    #[default]
    None,
    /// The pre-shared key (`EncryptionKey/KeyName`).
    Key(Vec<u8>),
    /// The password of a PBKDF2 container (`EncryptionKey/DerivedKey`).
    Password(String),
}

/// Parses a PSKC file: one [`Entry`] per key, or an error for the whole file.
pub fn parse(data: &[u8], protection: &Protection) -> Result<Vec<Entry>, ImportError> {
    check_size(data.len())?;
    let text = std::str::from_utf8(data).map_err(|_| ImportError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let options = ParsingOptions {
        allow_dtd: false,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => ImportError::Dtd,
        other => ImportError::Xml(other.to_string()),
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "KeyContainer" {
        return Err(ImportError::NotPskc(root.tag_name().name().to_string()));
    }
    match root.attribute("Version") {
        Some("1.0") => {}
        other => return Err(ImportError::Version(other.unwrap_or("(none)").to_string())),
    }
    let keys = open_keys(root, protection)?;
    let mut entries = Vec::new();
    for (index, package) in children(root, "KeyPackage").enumerate() {
        let serial = child(package, "DeviceInfo")
            .and_then(|d| child(d, "SerialNo"))
            .map(text_of)
            .filter(|s| !s.is_empty());
        let mut any = false;
        for key in children(package, "Key") {
            any = true;
            let serial = serial
                .clone()
                .or_else(|| key.attribute("Id").map(|s| s.trim().to_string()));
            entries.push(entry(index + 1, serial, key, &keys)?);
        }
        if !any {
            entries.push(Entry {
                at: index + 1,
                serial,
                parsed: Parsed::Failed("the key package has no <Key>".into()),
            });
        }
    }
    Ok(entries)
}

fn entry(at: usize, serial: Option<String>, key: Node, keys: &Keys) -> Result<Entry, ImportError> {
    let uri = key.attribute("Algorithm").unwrap_or("");
    let kind = if uri.ends_with("hotp") {
        Kind::Hotp
    } else if uri.ends_with("totp") {
        Kind::Totp
    } else if uri.ends_with("pin") {
        let parsed = Parsed::Skipped("a PIN key, not an OTP key".into());
        return Ok(Entry { at, serial, parsed });
    } else {
        let reason = format!("the key's algorithm '{uri}' is not HOTP or TOTP");
        return Ok(Entry::new(at, serial, Err(reason)));
    };
    let Some(serial_text) = serial.clone() else {
        let reason = "the key has no serial number (DeviceInfo/SerialNo) and no Id".to_string();
        return Ok(Entry::new(at, None, Err(reason)));
    };
    let secret = match secret_of(key, keys, at, &serial_text)? {
        Ok(secret) => secret,
        Err(reason) => return Ok(Entry::new(at, serial, Err(reason))),
    };
    let seed = params(key, kind).map(|(algorithm, digits, period, counter)| Seed {
        serial: serial_text,
        kind,
        secret,
        algorithm,
        digits,
        period,
        counter,
        issuer: child(key, "Issuer").map(text_of).filter(|s| !s.is_empty()),
    });
    Ok(Entry::new(at, serial, seed))
}

/// Algorithm, digits, period and counter of a key, with the RFC's defaults.
fn params(key: Node, kind: Kind) -> Result<(Algorithm, u32, u64, u64), String> {
    let parameters = child(key, "AlgorithmParameters");
    let format = parameters.and_then(|p| child(p, "ResponseFormat"));
    if let Some(encoding) = format.and_then(|f| f.attribute("Encoding")) {
        if !encoding.eq_ignore_ascii_case("DECIMAL") {
            return Err(format!(
                "the response encoding is {encoding}; only DECIMAL codes are supported"
            ));
        }
    }
    let digits = match format.and_then(|f| f.attribute("Length")) {
        Some(text) => number(text, "ResponseFormat Length")? as u32,
        None => 6,
    };
    let algorithm = match parameters.and_then(|p| child(p, "Suite")).map(text_of) {
        Some(suite) => suite
            .trim_start_matches("HMAC-")
            .parse::<Algorithm>()
            .map_err(|_| format!("the suite '{suite}' is not HMAC-SHA1, -SHA256 or -SHA512"))?,
        None => Algorithm::Sha1,
    };
    let data = child(key, "Data");
    let plain = |name: &str| -> Result<Option<u64>, String> {
        let Some(element) = data.and_then(|d| child(d, name)) else {
            return Ok(None);
        };
        match child(element, "PlainValue") {
            Some(value) => number(&text_of(value), name).map(Some),
            None => Err(format!(
                "the {name} is encrypted; only plain counters and time steps are supported"
            )),
        }
    };
    let counter = plain("Counter")?.unwrap_or(0);
    let period = plain("TimeInterval")?.unwrap_or(30);
    let counter = if kind == Kind::Hotp { counter } else { 0 };
    Ok((algorithm, digits, period, counter))
}

/// The key's secret: plain, or decrypted after its MAC is checked. An
/// error for the whole file (wrong key, bad MAC) is the outer `Err`.
fn secret_of(
    key: Node,
    keys: &Keys,
    at: usize,
    serial: &str,
) -> Result<Result<Vec<u8>, String>, ImportError> {
    let Some(secret) = child(key, "Data").and_then(|d| child(d, "Secret")) else {
        return Ok(Err(
            "the file carries no secret for this key (it is derived on the token from a \
             master key); ask the vendor for a file with the secrets"
                .into(),
        ));
    };
    if let Some(plain) = child(secret, "PlainValue") {
        return Ok(base64(&text_of(plain)).map_err(|e| format!("the secret is not base64: {e}")));
    }
    let Some(encrypted) = child(secret, "EncryptedValue") else {
        return Ok(Err(
            "the secret has neither a PlainValue nor an EncryptedValue".into(),
        ));
    };
    let Some(enc_key) = &keys.encryption else {
        return Ok(Err(
            "the secret is encrypted but the container names no EncryptionKey".into(),
        ));
    };
    let (cipher, data) = match encrypted_parts(encrypted) {
        Ok(parts) => parts,
        Err(reason) => return Ok(Err(reason)),
    };
    let Some((mac_algorithm, mac_key)) = &keys.mac else {
        return Ok(Err("the secret is encrypted without a MACMethod; RFC 6030 requires a MAC for AES-CBC, so it cannot be checked".into()));
    };
    let Some(mac) = child(secret, "ValueMAC").map(text_of) else {
        return Ok(Err(
            "the encrypted secret has no ValueMAC; it cannot be checked".into(),
        ));
    };
    let mac = base64(&mac).map_err(|e| {
        ImportError::Malformed(format!("key {at}: the ValueMAC is not base64: {e}"))
    })?;
    if !crypto::mac_matches(*mac_algorithm, mac_key, &data, &mac) {
        return Err(ImportError::MacMismatch {
            at,
            serial: serial.to_string(),
            secret: keys.secret,
        });
    }
    decrypt(cipher, enc_key, &data, keys.secret, "encryption key").map(Ok)
}

pub(super) fn decrypt(
    cipher: Cipher,
    key: &[u8],
    data: &[u8],
    secret: &'static str,
    what: &'static str,
) -> Result<Vec<u8>, ImportError> {
    crypto::decrypt(cipher, key, data).map_err(|e| match e {
        DecryptError::KeyLength { expected, found } => ImportError::KeyLength {
            what,
            cipher: cipher_name(cipher),
            expected,
            found,
        },
        DecryptError::TooShort => {
            ImportError::Malformed("an encrypted value is shorter than an IV and one block".into())
        }
        DecryptError::Padding => ImportError::WrongKey { secret },
    })
}

fn cipher_name(cipher: Cipher) -> &'static str {
    match cipher {
        Cipher::Aes128 => "AES-128-CBC",
        Cipher::Aes192 => "AES-192-CBC",
        Cipher::Aes256 => "AES-256-CBC",
    }
}

/// The cipher and `IV || ciphertext` of an xmlenc EncryptedData element.
pub(super) fn encrypted_parts(node: Node) -> Result<(Cipher, Vec<u8>), String> {
    let uri = child(node, "EncryptionMethod")
        .and_then(|m| m.attribute("Algorithm"))
        .ok_or("an encrypted value has no EncryptionMethod")?;
    let cipher = Cipher::from_uri(uri)
        .ok_or_else(|| format!("the encryption method {uri} is not supported (AES-CBC is)"))?;
    let value = child(node, "CipherData")
        .and_then(|d| child(d, "CipherValue"))
        .map(text_of)
        .ok_or("an encrypted value has no CipherData/CipherValue")?;
    let data = base64(&value).map_err(|e| format!("a CipherValue is not base64: {e}"))?;
    Ok((cipher, data))
}

fn number(text: &str, what: &str) -> Result<u64, String> {
    text.trim()
        .parse::<u64>()
        .map_err(|_| format!("the {what} '{}' is not a whole number", text.trim()))
}

pub(super) fn base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact)
}

pub(super) fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

pub(super) fn text_of(node: Node) -> String {
    node.text().unwrap_or("").trim().to_string()
}
