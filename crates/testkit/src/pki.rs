//! A private PKI for the TLS tests, built with rcgen: a root CA,
//! intermediates and server certificates (names and validity chosen by the
//! test), self-signed leaves, and the PEM files servers read.

use std::path::{Path, PathBuf};

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::OffsetDateTime;

/// `n` days from now (negative: in the past).
pub fn days_from_now(n: i64) -> OffsetDateTime {
    OffsetDateTime::now_utc() + time::Duration::days(n)
}

/// A certificate authority: a root (self-signed) or an intermediate.
pub struct Ca {
    pub cert: rcgen::Certificate,
    pub key: KeyPair,
}

/// A server certificate and its private key.
pub struct Leaf {
    pub cert: rcgen::Certificate,
    pub key: KeyPair,
}

fn new_key() -> KeyPair {
    KeyPair::generate().expect("generate an ECDSA P-256 key")
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.distinguished_name.remove(DnType::CommonName);
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = days_from_now(-365);
    params.not_after = days_from_now(3650);
    params
}

fn leaf_params(
    sans: &[&str],
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> CertificateParams {
    let names: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names).expect("leaf parameters (SANs)");
    params.distinguished_name.remove(DnType::CommonName);
    params.distinguished_name.push(DnType::CommonName, sans[0]);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = not_before;
    params.not_after = not_after;
    params
}

impl Ca {
    /// A self-signed root, valid from a year ago for ten years.
    pub fn root(name: &str) -> Ca {
        let key = new_key();
        let cert = ca_params(name).self_signed(&key).expect("sign the root");
        Ca { cert, key }
    }

    /// An intermediate CA issued by this one.
    pub fn intermediate(&self, name: &str) -> Ca {
        let key = new_key();
        let mut params = ca_params(name);
        params.use_authority_key_identifier_extension = true;
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .expect("sign the intermediate");
        Ca { cert, key }
    }

    /// A server certificate for `sans`, valid from yesterday for a year.
    pub fn leaf(&self, sans: &[&str]) -> Leaf {
        self.leaf_valid(sans, days_from_now(-1), days_from_now(365))
    }

    /// A server certificate for `sans` valid during 2020 only.
    pub fn expired_leaf(&self, sans: &[&str]) -> Leaf {
        self.leaf_valid(sans, date_time_ymd(2020, 1, 1), date_time_ymd(2021, 1, 1))
    }

    /// A server certificate for `sans` with the given validity.
    pub fn leaf_valid(
        &self,
        sans: &[&str],
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Leaf {
        let key = new_key();
        let cert = leaf_params(sans, not_before, not_after)
            .signed_by(&key, &self.cert, &self.key)
            .expect("sign the leaf");
        Leaf { cert, key }
    }

    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    pub fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }
}

impl Leaf {
    /// A self-signed server certificate (no CA at all), valid for a year.
    pub fn self_signed(sans: &[&str]) -> Leaf {
        let key = new_key();
        let cert = leaf_params(sans, days_from_now(-1), days_from_now(365))
            .self_signed(&key)
            .expect("self-sign the leaf");
        Leaf { cert, key }
    }

    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    pub fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    /// The private key, PKCS#8, as rustls takes it.
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.serialize_der()))
    }
}

/// Writes the PEM blocks `parts`, in order, to `dir/name`; returns the path.
pub fn write_pem(dir: &Path, name: &str, parts: &[String]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, parts.concat())
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// Replaces `path` with `contents` in one step (write aside, then rename),
/// as certificate renewal tools do.
pub fn replace_file(path: &Path, contents: &str) {
    let aside = path.with_extension("new");
    std::fs::write(&aside, contents)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", aside.display()));
    std::fs::rename(&aside, path)
        .unwrap_or_else(|e| panic!("cannot rename onto {}: {e}", path.display()));
}

/// Text for a `Path` in an environment variable.
pub fn text(path: &Path) -> String {
    path.display().to_string()
}
