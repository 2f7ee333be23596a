//! Opening a PSKC container's keys: the pre-shared key or the PBKDF2
//! password gives the encryption key, which opens the MAC key.

use roxmltree::Node;

use super::crypto::{self, MacAlgorithm};
use super::pskc::{base64, child, decrypt, encrypted_parts, text_of, Protection};
use super::ImportError;

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
pub(super) struct Keys {
    pub encryption: Option<Vec<u8>>,
    pub mac: Option<(MacAlgorithm, Vec<u8>)>,
    /// "pre-shared key" or "password", for messages.
    pub secret: &'static str,
}

/// Opens the container's encryption key and MAC key, if it has them.
pub(super) fn open_keys(root: Node, protection: &Protection) -> Result<Keys, ImportError> {
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
