//! Apache with mod_auth_openidc (Debian's `apache2` and
//! `libapache2-mod-auth-openidc`) as an OpenID Connect relying party:
//! a throwaway `httpd.conf` on a free port (../shared/recipes/OIDC.md §1),
//! run in the foreground as the test's child, stopped on drop.
//!
//! `/protected/` needs a sign-in at the OP (code flow, `OIDCPKCEMethod
//! S256`); `/protected/claims.cgi` prints `REMOTE_USER` and every
//! `OIDC_CLAIM_*` the module set. Its errors come back as HTTP 200 pages,
//! so a test looks for the claims, never only at the status.

use std::path::Path;
use std::time::Duration;

use crate::{random_suffix, wait_until, Peer, TempDir};

const APACHE: &str = "/usr/sbin/apache2";
const MODULES: &str = "/usr/lib/apache2/modules";

/// The claims page: the environment mod_auth_openidc gives a CGI.
const CLAIMS_CGI: &str = "#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
env | grep -E '^(REMOTE_USER=|OIDC_CLAIM_)' | sort
";

/// What the relying party is told about its OP.
pub struct RpSettings<'a> {
    /// The issuer: discovery is `ISSUER/.well-known/openid-configuration`.
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    /// Extra directives appended to the server config (e.g. `OIDCIDTokenSignedResponseAlg RS256`).
    pub extra: &'a str,
}

pub struct ApacheRp {
    dir: TempDir,
    peer: Peer,
    port: u16,
}

impl ApacheRp {
    /// The redirect URI it will use on `port` (register it at the OP first).
    pub fn redirect_uri_on(port: u16) -> String {
        format!("http://127.0.0.1:{port}/protected/redirect_uri")
    }

    /// Starts Apache on `port` (from [`free_port`]) as the RP of `settings.issuer`.
    pub fn start(port: u16, settings: &RpSettings) -> ApacheRp {
        let dir = TempDir::new("apache-rp");
        let htdocs = dir.join("htdocs/protected");
        std::fs::create_dir_all(&htdocs).expect("htdocs");
        let cgi = htdocs.join("claims.cgi");
        std::fs::write(&cgi, CLAIMS_CGI).expect("claims.cgi");
        make_executable(&cgi);
        let config = dir.join("httpd.conf");
        std::fs::write(&config, configuration(dir.path(), port, settings)).expect("httpd.conf");
        share_with_children(dir.path());
        let config = config.to_str().expect("a UTF-8 temp path").to_string();
        let peer = Peer::spawn(
            "apache2",
            dir.join("stdout.log"),
            Path::new(APACHE),
            &["-f", &config, "-DFOREGROUND"],
        );
        let mut rp = ApacheRp { dir, peer, port };
        let listening = wait_until(Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", rp.port)).is_ok()
        });
        rp.peer.assert_running();
        assert!(listening, "apache did not listen:\n{}", rp.error_log());
        rp
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The page behind the sign-in that prints the claims.
    pub fn claims_url(&self) -> String {
        format!("{}/protected/claims.cgi", self.base())
    }

    pub fn redirect_uri(&self) -> String {
        Self::redirect_uri_on(self.port)
    }

    /// Apache's error log (mod_auth_openidc writes its reasons there).
    pub fn error_log(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default();
        format!("{log}{}", self.peer.output())
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
}

/// Run as root, Apache's children are `www-data`: they must read the
/// pages and the CGI, and the CGI daemon its socket directory.
fn share_with_children(dir: &Path) {
    let _ = std::process::Command::new("chown")
        .args(["-R", "www-data:", &dir.join("htdocs").to_string_lossy()])
        .status();
}

fn configuration(dir: &Path, port: u16, s: &RpSettings) -> String {
    let d = dir.display();
    let passphrase = random_suffix() + &random_suffix();
    let redirect = ApacheRp::redirect_uri_on(port);
    format!(
        r#"ServerRoot {d}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {d}/httpd.pid
DefaultRuntimeDir {d}
ErrorLog {d}/error.log
LogLevel warn auth_openidc:info
LogFormat "%h %u \"%r\" %>s" short
CustomLog {d}/access.log short
User www-data
Group www-data
StartServers 1
ServerLimit 1
ThreadsPerChild 8
MaxRequestWorkers 8
MinSpareThreads 1
MaxSpareThreads 9
LoadModule mpm_event_module {MODULES}/mod_mpm_event.so
LoadModule authn_core_module {MODULES}/mod_authn_core.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
LoadModule authz_user_module {MODULES}/mod_authz_user.so
LoadModule headers_module {MODULES}/mod_headers.so
LoadModule cgid_module {MODULES}/mod_cgid.so
LoadModule auth_openidc_module {MODULES}/mod_auth_openidc.so
ScriptSock {d}/cgisock
DocumentRoot {d}/htdocs

OIDCProviderMetadataURL {issuer}/.well-known/openid-configuration
OIDCClientID {client_id}
OIDCClientSecret {client_secret}
OIDCRedirectURI {redirect}
OIDCCryptoPassphrase {passphrase}
OIDCScope "openid profile email groups"
OIDCPKCEMethod S256
OIDCRemoteUserClaim sub
OIDCPassClaimsAs environment
{extra}
<Directory {d}/htdocs/protected>
  Options +ExecCGI
  <Files "*.cgi">
    SetHandler cgi-script
  </Files>
</Directory>
<Location /protected>
  AuthType openid-connect
  Require valid-user
</Location>
"#,
        issuer = s.issuer.trim_end_matches('/'),
        client_id = s.client_id,
        client_secret = s.client_secret,
        extra = s.extra,
    )
}
