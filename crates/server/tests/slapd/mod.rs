//! A real OpenLDAP `slapd` (Debian's) started by the test on free ports,
//! with TLS (a throwaway self-signed certificate), the memberof overlay,
//! suffix dc=example,dc=org and admin cn=admin,dc=example,dc=org / adminpw
//! (the recipe of ../shared/peers.md §1). Entries are loaded online with
//! ldapadd, so memberOf is kept.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use countersign_testkit::{free_port, wait_until, TempDir};

pub const BASE: &str = "dc=example,dc=org";
pub const ADMIN_DN: &str = "cn=admin,dc=example,dc=org";
pub const ADMIN_PW: &str = "adminpw";
pub const GROUP: &str = "cn=mfa-users,ou=groups,dc=example,dc=org";

pub struct Slapd {
    dir: TempDir,
    child: Child,
    pub ldap_port: u16,
    pub ldaps_port: u16,
}

fn run(command: &mut Command, what: &str) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e} (scripts/test installs slapd and ldap-utils)"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// A private CA (`cert.pem`, what clients trust) and slapd's certificate
/// from it (`server.pem`, `key.pem`): as an AD's LDAPS certificate would be.
fn issue_certificate(t: &std::path::Path) {
    let openssl = |args: &[&str], what: &str| {
        run(Command::new("openssl").args(args).current_dir(t), what);
    };
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=Test Directory CA",
            "-keyout",
            "ca-key.pem",
            "-out",
            "cert.pem",
        ],
        "openssl CA",
    );
    openssl(
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "key.pem",
            "-out",
            "server.csr",
        ],
        "openssl CSR",
    );
    std::fs::write(t.join("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        .expect("ext");
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "cert.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "ext.cnf",
            "-out",
            "server.pem",
        ],
        "openssl sign",
    );
}

/// One self-signed certificate (OpenSSL's default: basicConstraints
/// CA:TRUE, as directories' generated certificates often are) as both
/// slapd's certificate (`server.pem`) and what clients trust (`cert.pem`).
fn self_signed_certificate(t: &std::path::Path) {
    run(
        Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                "key.pem",
                "-out",
                "server.pem",
            ])
            .current_dir(t),
        "openssl self-signed",
    );
    std::fs::copy(t.join("server.pem"), t.join("cert.pem")).expect("cert.pem");
}

impl Slapd {
    pub fn start() -> Slapd {
        Self::start_with(issue_certificate)
    }

    /// A slapd whose certificate is self-signed; `cert()` is that certificate.
    pub fn start_self_signed() -> Slapd {
        Self::start_with(self_signed_certificate)
    }

    fn start_with(certificate: fn(&std::path::Path)) -> Slapd {
        let dir = TempDir::new("slapd");
        let t = dir.path().to_path_buf();
        std::fs::create_dir_all(t.join("slapd.d")).expect("dir");
        std::fs::create_dir_all(t.join("db")).expect("dir");
        certificate(&t);
        let root_pw = run(
            Command::new("/usr/sbin/slappasswd").args(["-s", ADMIN_PW]),
            "slappasswd",
        );
        let config = format!(
            "dn: cn=config\nobjectClass: olcGlobal\ncn: config\nolcPidFile: {t}/slapd.pid\nolcArgsFile: {t}/slapd.args\n\
             olcTLSCertificateFile: {t}/server.pem\nolcTLSCertificateKeyFile: {t}/key.pem\n\n\
             dn: cn=module{{0}},cn=config\nobjectClass: olcModuleList\ncn: module{{0}}\nolcModulePath: /usr/lib/ldap\n\
             olcModuleLoad: back_mdb\nolcModuleLoad: memberof\n\n\
             dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n\n\
             include: file:///etc/ldap/schema/core.ldif\ninclude: file:///etc/ldap/schema/cosine.ldif\n\
             include: file:///etc/ldap/schema/nis.ldif\ninclude: file:///etc/ldap/schema/inetorgperson.ldif\n\n\
             dn: olcDatabase={{-1}}frontend,cn=config\nobjectClass: olcDatabaseConfig\nobjectClass: olcFrontendConfig\n\
             olcDatabase: {{-1}}frontend\nolcSizeLimit: 1000\n\n\
             dn: olcDatabase={{0}}config,cn=config\nobjectClass: olcDatabaseConfig\nolcDatabase: {{0}}config\nolcAccess: {{0}}to * by * none\n\n\
             dn: olcDatabase={{1}}mdb,cn=config\nobjectClass: olcDatabaseConfig\nobjectClass: olcMdbConfig\nolcDatabase: {{1}}mdb\n\
             olcSuffix: {BASE}\nolcRootDN: {ADMIN_DN}\nolcRootPW: {pw}\nolcDbDirectory: {t}/db\nolcDbMaxSize: 1073741824\n\
             olcDbIndex: objectClass eq\nolcDbIndex: uid,mail eq\nolcDbIndex: memberOf eq\n\
             olcLimits: dn.exact=\"{ADMIN_DN}\" size.prtotal=unlimited size.hard=unlimited\n\
             olcAccess: {{0}}to attrs=userPassword by self write by anonymous auth by * none\nolcAccess: {{1}}to * by * read\n\n\
             dn: olcOverlay={{0}}memberof,olcDatabase={{1}}mdb,cn=config\nobjectClass: olcOverlayConfig\nobjectClass: olcMemberOf\n\
             olcOverlay: {{0}}memberof\nolcMemberOfRefInt: TRUE\n",
            t = t.display(),
            pw = root_pw.trim()
        );
        std::fs::write(t.join("config.ldif"), config).expect("config");
        run(
            Command::new("/usr/sbin/slapadd")
                .args(["-n", "0", "-F"])
                .arg(t.join("slapd.d"))
                .arg("-l")
                .arg(t.join("config.ldif")),
            "slapadd",
        );
        let (ldap_port, ldaps_port) = (free_port(), free_port());
        let log = std::fs::File::create(t.join("slapd.log")).expect("log");
        let child = Command::new("/usr/sbin/slapd")
            .arg("-F")
            .arg(t.join("slapd.d"))
            .arg("-h")
            .arg(format!(
                "ldap://127.0.0.1:{ldap_port}/ ldaps://127.0.0.1:{ldaps_port}/"
            ))
            .args(["-d", "0"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("slapd starts (scripts/test installs it)");
        let slapd = Slapd {
            dir,
            child,
            ldap_port,
            ldaps_port,
        };
        slapd.wait_ready();
        slapd.add(&format!(
            "dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n\
             dn: ou=people,{BASE}\nobjectClass: organizationalUnit\nou: people\n\n\
             dn: ou=groups,{BASE}\nobjectClass: organizationalUnit\nou: groups\n"
        ));
        slapd
    }

    fn wait_ready(&self) {
        let ready = wait_until(Duration::from_secs(10), || {
            Command::new("ldapsearch")
                .args([
                    "-x",
                    "-H",
                    &self.ldap_url(),
                    "-b",
                    "",
                    "-s",
                    "base",
                    "namingContexts",
                ])
                .output()
                .is_ok_and(|o| o.status.success())
        });
        assert!(
            ready,
            "slapd did not answer within 10 s: {}",
            std::fs::read_to_string(self.dir.path().join("slapd.log")).unwrap_or_default()
        );
    }

    pub fn ldap_url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.ldap_port)
    }

    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.ldaps_port)
    }

    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// `COUNTERSIGN_DIRECTORY_*` for a server that syncs the group over
    /// LDAPS and checks passwords here.
    pub fn server_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("COUNTERSIGN_DIRECTORY_URL", self.ldaps_url()),
            ("COUNTERSIGN_DIRECTORY_KIND", "ldap".into()),
            ("COUNTERSIGN_DIRECTORY_BIND_DN", ADMIN_DN.into()),
            ("COUNTERSIGN_DIRECTORY_BIND_PASSWORD", ADMIN_PW.into()),
            (
                "COUNTERSIGN_DIRECTORY_CA_FILE",
                self.cert().display().to_string(),
            ),
            ("COUNTERSIGN_DIRECTORY_BASE_DN", BASE.into()),
            ("COUNTERSIGN_DIRECTORY_GROUP_DN", GROUP.into()),
        ]
    }

    fn tool(&self, tool: &str, ldif: &str, extra: &[&str]) {
        let file = self.dir.path().join("change.ldif");
        std::fs::write(&file, ldif).expect("ldif");
        run(
            Command::new(tool)
                .args(["-x", "-H", &self.ldap_url(), "-D", ADMIN_DN, "-w", ADMIN_PW])
                .args(extra)
                .arg("-f")
                .arg(&file),
            tool,
        );
    }

    pub fn add(&self, ldif: &str) {
        self.tool("ldapadd", ldif, &[]);
    }

    pub fn modify(&self, ldif: &str) {
        self.tool("ldapmodify", ldif, &[]);
    }

    /// Renames `uid=OLD` to `uid=NEW` under ou=people.
    pub fn rename(&self, old: &str, new: &str) {
        run(
            Command::new("ldapmodrdn")
                .args([
                    "-x",
                    "-H",
                    &self.ldap_url(),
                    "-D",
                    ADMIN_DN,
                    "-w",
                    ADMIN_PW,
                    "-r",
                ])
                .arg(format!("uid={old},ou=people,{BASE}"))
                .arg(format!("uid={new}")),
            "ldapmodrdn",
        );
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An inetOrgPerson entry for `uid`.
pub fn person(uid: &str, mobile: &str) -> String {
    format!(
        "dn: uid={uid},ou=people,{BASE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: User {uid}\nsn: {uid}\n\
         mail: {uid}@example.org\nmobile: {mobile}\nuserPassword: {uid}-password\n\n"
    )
}
