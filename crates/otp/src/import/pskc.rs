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

use super::crypto::{self, Cipher, DecryptError, MacAlgorithm};
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

impl Protection {
    /// A pre-shared key as written in a key file: hex (32, 48 or 64
    /// digits, spaces allowed) or base64.
    pub fn key_from_text(text: &str) -> Result<Self, String> {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let bytes = super::csv::secret(&format!("hex:{compact}"))
            .or_else(|_| base64(&compact).map_err(|_| ()))
            .map_err(|_| {
                "the key is neither hex nor base64; write it as 32 hex digits for AES-128"
                    .to_string()
            })?;
        if ![16, 24, 32].contains(&bytes.len()) {
            return Err(format!(
                "the key is {} bytes; AES keys are 16, 24 or 32 bytes (32, 48 or 64 hex digits)",
                bytes.len()
            ));
        }
        Ok(Self::Key(bytes))
    }
}

/// The keys of a container, opened: what decrypts values and checks MACs.
struct Keys {
    encryption: Option<Vec<u8>>,
    mac: Option<(MacAlgorithm, Vec<u8>)>,
    /// "pre-shared key" or "password", for messages.
    secret: &'static str,
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

fn decrypt(
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
fn encrypted_parts(node: Node) -> Result<(Cipher, Vec<u8>), String> {
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

/// Opens the container's encryption key and MAC key, if it has them.
fn open_keys(root: Node, protection: &Protection) -> Result<Keys, ImportError> {
    let Some(spec) = child(root, "EncryptionKey") else {
        return Ok(Keys {
            encryption: None,
            mac: None,
            secret: "key",
        });
    };
    let (encryption, secret) = if let Some(derived) = child(spec, "DerivedKey") {
        (derive(derived, protection)?, "password")
    } else if let Some(name) = child(spec, "KeyName") {
        match protection {
            Protection::Key(key) => (key.clone(), "pre-shared key"),
            _ => {
                return Err(ImportError::NeedKey {
                    name: named(&text_of(name)),
                })
            }
        }
    } else {
        let what = spec
            .children()
            .find(Node::is_element)
            .map(|n| n.tag_name().name().to_string())
            .unwrap_or_else(|| "an empty EncryptionKey".into());
        return Err(ImportError::Unsupported(what));
    };
    let mac = match child(root, "MACMethod") {
        Some(method) => Some(mac_key(method, &encryption, secret)?),
        None => None,
    };
    Ok(Keys {
        encryption: Some(encryption),
        mac,
        secret,
    })
}

fn mac_key(
    method: Node,
    encryption: &[u8],
    secret: &'static str,
) -> Result<(MacAlgorithm, Vec<u8>), ImportError> {
    let uri = method.attribute("Algorithm").unwrap_or("");
    let algorithm = MacAlgorithm::from_uri(uri)
        .ok_or_else(|| ImportError::Unsupported(format!("the MAC algorithm '{uri}'")))?;
    let Some(key) = child(method, "MACKey") else {
        // Drafts before RFC 6030 used the encryption key as MAC key.
        return Ok((algorithm, encryption.to_vec()));
    };
    let (cipher, data) =
        encrypted_parts(key).map_err(|e| ImportError::Malformed(format!("the MAC key: {e}")))?;
    let opened = decrypt(cipher, encryption, &data, secret, "key")?;
    Ok((algorithm, opened))
}

/// PBKDF2 as `DerivedKey/KeyDerivationMethod/PBKDF2-params` says.
fn derive(derived: Node, protection: &Protection) -> Result<Vec<u8>, ImportError> {
    let name = child(derived, "MasterKeyName")
        .map(|n| named(&text_of(n)))
        .unwrap_or_default();
    let method = child(derived, "KeyDerivationMethod").ok_or_else(|| {
        ImportError::Malformed("the DerivedKey has no KeyDerivationMethod".into())
    })?;
    let uri = method.attribute("Algorithm").unwrap_or("");
    if !uri.ends_with("pbkdf2") {
        return Err(ImportError::Unsupported(format!(
            "the key derivation '{uri}'"
        )));
    }
    let Protection::Password(password) = protection else {
        return Err(ImportError::NeedPassword { name });
    };
    let bad = |what: &str| ImportError::Malformed(format!("the PBKDF2 parameters: {what}"));
    let params = child(method, "PBKDF2-params").ok_or_else(|| bad("missing"))?;
    let salt = child(params, "Salt")
        .and_then(|s| child(s, "Specified"))
        .map(text_of)
        .ok_or_else(|| bad("no Salt/Specified"))?;
    let salt = base64(&salt).map_err(|_| bad("the salt is not base64"))?;
    let rounds = child(params, "IterationCount")
        .map(text_of)
        .and_then(|t| t.parse::<u32>().ok())
        .filter(|n| (1..=1_000_000).contains(n))
        .ok_or_else(|| bad("no IterationCount from 1 to 1,000,000"))?;
    let len = child(params, "KeyLength")
        .map(text_of)
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(16);
    if ![16, 24, 32].contains(&len) {
        return Err(bad("a KeyLength other than 16, 24 or 32"));
    }
    let sha256 = match child(params, "PRF").and_then(|p| p.attribute("Algorithm")) {
        None => false,
        Some(uri) if uri.ends_with("hmac-sha1") => false,
        Some(uri) if uri.ends_with("hmac-sha256") => true,
        Some(uri) => return Err(ImportError::Unsupported(format!("the PBKDF2 PRF '{uri}'"))),
    };
    Ok(crypto::pbkdf2(
        password.as_bytes(),
        &salt,
        rounds,
        len,
        sha256,
    ))
}

fn named(name: &str) -> String {
    if name.is_empty() {
        String::new()
    } else {
        format!(" named '{name}'")
    }
}

fn number(text: &str, what: &str) -> Result<u64, String> {
    text.trim()
        .parse::<u64>()
        .map_err(|_| format!("the {what} '{}' is not a whole number", text.trim()))
}

fn base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact)
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
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

fn text_of(node: Node) -> String {
    node.text().unwrap_or("").trim().to_string()
}
