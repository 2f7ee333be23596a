//! The LDAP bind proxy in front of the Samba AD DC (part of
//! tests/directory_ad.rs, on its DC and node): a bind by UPN with the AD
//! password and a code after it succeeds and the search that follows is
//! answered by AD on the user's own connection; a wrong code and a wrong
//! password are invalidCredentials (49).

use std::path::PathBuf;
use std::process::Output;

use countersign_testkit::{free_port, pki, TempDir};

use crate::common::{hotp, stderr, stdout, wrong_code, Api, RFC_SECRET, RFC_SECRET_B32};
use crate::samba::{dn, USERS};

/// The proxy's listener: its config file (for COUNTERSIGN_CONFIG), port and CA.
pub struct ProxyConfig {
    pub file: PathBuf,
    pub port: u16,
    ca: PathBuf,
    _dir: TempDir,
}

/// An `[ldap]` section on a free port with a certificate from a private CA.
pub fn config() -> ProxyConfig {
    let dir = TempDir::new("ad-proxy");
    let ca = pki::Ca::root("Countersign AD proxy test CA");
    let leaf = ca.leaf(&["127.0.0.1", "localhost"]);
    let cert = pki::write_pem(dir.path(), "proxy.pem", &[leaf.pem()]);
    let key = pki::write_pem(dir.path(), "proxy-key.pem", &[leaf.key_pem()]);
    let ca = pki::write_pem(dir.path(), "ca.pem", &[ca.pem()]);
    let port = free_port();
    let file = dir.path().join("countersign.toml");
    std::fs::write(
        &file,
        format!(
            "[ldap]\nlisten = \"127.0.0.1:{port}\"\ntls = \"ldaps\"\ncert = \"{}\"\nkey = \"{}\"\n\n\
             [[ldap.clients]]\nname = \"wiki\"\naddress = \"127.0.0.0/8\"\n",
            cert.display(),
            key.display()
        ),
    )
    .expect("config file");
    ProxyConfig {
        file,
        port,
        ca,
        _dir: dir,
    }
}

impl ProxyConfig {
    /// ldapsearch through the proxy, bound as `name`, for one sAMAccountName.
    async fn search(&self, name: &str, password: &str, wanted: &str) -> Output {
        let url = format!("ldaps://127.0.0.1:{}", self.port);
        let filter = format!("(sAMAccountName={wanted})");
        tokio::process::Command::new("ldapsearch")
            .args(["-x", "-LLL", "-H", &url, "-D", name, "-w", password])
            .args(["-b", USERS, &filter, "mail"])
            .env("LDAPTLS_CACERT", &self.ca)
            .env("LDAPTLS_REQCERT", "demand")
            .env("LDAPCONF", "/dev/null")
            .output()
            .await
            .expect("ldapsearch (scripts/test installs ldap-utils)")
    }
}

/// `user` (synced, AD password `password`) binds by `upn` with an HOTP code after the password.
pub async fn binds_by_upn(proxy: &ProxyConfig, api: &Api, user: &str, upn: &str, password: &str) {
    api.post(
        &format!("/api/v1/users/{user}/tokens"),
        serde_json::json!({"type": "hotp", "secret": RFC_SECRET_B32}),
    )
    .await
    .expect(201, "an HOTP token");
    wait_listening(proxy.port).await;
    let right = format!("{password}{}", hotp(RFC_SECRET, 0));
    let out = proxy.search(upn, &right, user).await;
    assert!(
        out.status.success(),
        "UPN, AD password and code through the proxy: {} {}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains(&format!("dn: {}", dn(user))),
        "AD answers the search: {}",
        stdout(&out)
    );
    let wrong = format!("{password}{}", wrong_code(RFC_SECRET, 3));
    let out = proxy.search(upn, &wrong, user).await;
    assert_eq!(
        out.status.code(),
        Some(49),
        "a wrong code: {}",
        stderr(&out)
    );
    let out = proxy
        .search(upn, &format!("N0t!it{}", hotp(RFC_SECRET, 1)), user)
        .await;
    assert_eq!(
        out.status.code(),
        Some(49),
        "a wrong password: {}",
        stderr(&out)
    );
}

async fn wait_listening(port: u16) {
    for _ in 0..400 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the LDAP proxy did not listen on {port} within 10 s");
}
