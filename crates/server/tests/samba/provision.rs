//! Provisioning a DC in a temp dir, as the recipe does: a private CA and
//! the DC's certificate, then `samba-tool domain provision` LDAP-only.

use std::path::Path;
use std::process::Command;

use super::{run, tail, ADMIN_PW, DOMAIN, REALM};

/// A private CA (`tls/ca.pem`, what clients trust) and the DC's certificate
/// from it naming its address (`tls/cert.pem`, `tls/key.pem`), as an AD's
/// LDAPS certificate comes from the domain's CA. (A self-signed certificate
/// trusted directly is refused by rustls: CaUsedAsEndEntity.)
pub(super) fn issue_certificate(t: &Path, ip: &str) {
    std::fs::create_dir_all(t.join("tls")).expect("tls dir");
    // Arguments split at spaces: none of these has one.
    let openssl = |args: String| {
        let args: Vec<&str> = args.split_whitespace().collect();
        let what = format!("openssl {}", args[..2].join(" "));
        run(
            Command::new("openssl")
                .args(&args)
                .current_dir(t.join("tls")),
            &what,
        );
    };
    let key = "-newkey rsa:2048 -nodes";
    openssl(format!(
        "req -x509 {key} -days 2 -subj /CN=CS-Test-Root-CA -keyout ca-key.pem -out ca.pem"
    ));
    openssl(format!(
        "req {key} -subj /CN=dc1.{DOMAIN} -keyout key.pem -out dc.csr"
    ));
    let ext = format!(
        "subjectAltName=DNS:dc1.{DOMAIN},DNS:{DOMAIN},IP:{ip}\n\
         basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    );
    std::fs::write(t.join("tls/ext.cnf"), ext).expect("ext.cnf");
    openssl(
        "x509 -req -in dc.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
         -extfile ext.cnf -out cert.pem"
            .to_string(),
    );
    // samba refuses a key file that others may read.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        t.join("tls/key.pem"),
        std::fs::Permissions::from_mode(0o600),
    )
    .expect("chmod key");
}

pub(super) fn provision(t: &Path, ip: &str) {
    // An empty --configfile: else provision copies /etc/samba/smb.conf's shares and log paths.
    std::fs::write(t.join("empty.conf"), "").expect("empty.conf");
    let d = t.join("dc");
    let d = d.display();
    let tls = t.join("tls");
    let tls = tls.display();
    // Everything that defaults to /run/samba moves into the temp dir, or a
    // second DC on the machine refuses to start ("samba is already running").
    let options = [
        format!("interfaces = {ip}/8"),
        "bind interfaces only = yes".into(),
        "server services = ldap".into(),
        format!("log file = {d}/log.%m"),
        format!("pid directory = {d}/run"),
        format!("ncalrpc dir = {d}/run/ncalrpc"),
        format!("winbindd socket directory = {d}/run/winbindd"),
        format!("ntp signd socket directory = {d}/run/ntp_signd"),
        format!("tls certfile = {tls}/cert.pem"),
        format!("tls keyfile = {tls}/key.pem"),
        format!("tls cafile = {tls}/ca.pem"),
    ];
    let log = t.join("provision.log");
    let mut command = Command::new("samba-tool");
    command
        .args(["domain", "provision"])
        .arg(format!("--configfile={}", t.join("empty.conf").display()))
        .arg(format!("--targetdir={d}"))
        .args([
            &format!("--realm={REALM}"),
            "--domain=CS",
            "--host-name=DC1",
            "--server-role=dc",
            "--dns-backend=NONE",
            "--use-rfc2307",
            &format!("--adminpass={ADMIN_PW}"),
            &format!("--host-ip={ip}"),
        ]);
    for option in &options {
        command.arg(format!("--option={option}"));
    }
    let out = std::fs::File::create(&log).expect("provision log");
    let status = command
        .stdout(out.try_clone().expect("provision log"))
        .stderr(out)
        .status()
        .unwrap_or_else(|e| panic!("samba-tool: {e} (scripts/test installs samba)"));
    assert!(
        status.success(),
        "samba-tool domain provision failed ({status}):\n{}",
        tail(&log)
    );
}
