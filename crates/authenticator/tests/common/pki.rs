//! Certificates for the TLS tests, made with rcgen: roots, intermediates,
//! leaves (names and dates chosen by the test), self-signed leaves.

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA: a root (self-signed) or an intermediate.
pub struct Ca {
    pub cert: rcgen::Certificate,
    pub key: KeyPair,
}

/// A server certificate and its key.
pub struct Leaf {
    pub cert: rcgen::Certificate,
    pub key: KeyPair,
}

fn new_key() -> KeyPair {
    KeyPair::generate().expect("generate a P-256 key")
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.use_authority_key_identifier_extension = true;
    params
}

fn leaf_params(names: &[&str]) -> CertificateParams {
    let sans: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(sans).expect("leaf parameters");
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params
}

impl Ca {
    pub fn root(name: &str) -> Ca {
        let key = new_key();
        let cert = ca_params(name).self_signed(&key).expect("sign the root");
        Ca { cert, key }
    }

    pub fn intermediate(&self, name: &str) -> Ca {
        let key = new_key();
        let cert = ca_params(name)
            .signed_by(&key, &self.cert, &self.key)
            .expect("sign the intermediate");
        Ca { cert, key }
    }

    /// A leaf for `names`, valid from 1975 to 4096 (rcgen's defaults).
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        let key = new_key();
        let cert = leaf_params(names)
            .signed_by(&key, &self.cert, &self.key)
            .expect("sign the leaf");
        Leaf { cert, key }
    }

    /// A leaf valid during 2020 only.
    pub fn expired_leaf(&self, names: &[&str]) -> Leaf {
        let key = new_key();
        let mut params = leaf_params(names);
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2021, 1, 1);
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .expect("sign the leaf");
        Leaf { cert, key }
    }

    pub fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    pub fn pem(&self) -> String {
        self.cert.pem()
    }
}

impl Leaf {
    pub fn self_signed(names: &[&str]) -> Leaf {
        let key = new_key();
        let cert = leaf_params(names).self_signed(&key).expect("self-sign");
        Leaf { cert, key }
    }

    pub fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.serialize_der()))
    }

    /// The `sha256/...` pin of this leaf's key.
    pub fn pin(&self) -> String {
        countersign_authenticator::tls::SpkiPin::of_spki(&self.key.public_key_der()).to_string()
    }
}
