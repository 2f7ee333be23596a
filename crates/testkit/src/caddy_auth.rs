//! Caddy (Debian's `caddy` 2.6) with `forward_auth` in front of an echo
//! backend (../shared/recipes/OIDC.md §2.3): a Caddyfile on free ports
//! (`admin off`, `auto_https off`), `caddy run` in the foreground as the
//! test's child with its config and data dirs in the temp dir, stopped on
//! drop. The backend answers
//! `backend saw Remote-User=U Remote-Groups=G Remote-Email=E Remote-Name=N uri=URI`.
//!
//! Caddy 2.6.2 forwards the literal placeholder
//! `{http.reverse_proxy.header.Remote-Groups}` when the auth answer leaves
//! a `copy_headers` name out: the endpoint must send every one.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::{free_port, wait_until, Peer, TempDir};

const CADDY: &str = "/usr/bin/caddy";

pub struct CaddyAuth {
    dir: TempDir,
    peer: Peer,
    port: u16,
}

impl CaddyAuth {
    /// Starts Caddy on a free port; `upstream` is the auth server's
    /// `127.0.0.1:PORT`, `uri` its forward-auth path (`/sso/auth/forward`).
    pub fn start(upstream: &str, uri: &str) -> CaddyAuth {
        let dir = TempDir::new("caddy-auth");
        let (port, backend) = (free_port(), free_port());
        let caddyfile = dir.join("Caddyfile");
        let text = caddyfile_text(dir.path(), port, backend, upstream, uri);
        std::fs::write(&caddyfile, text).expect("Caddyfile");
        let mut command = Command::new(CADDY);
        command
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&caddyfile)
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.join("xdg"))
            .env("XDG_DATA_HOME", dir.join("xdg"));
        let peer = Peer::spawn_command("caddy", dir.join("stdout.log"), command);
        let mut caddy = CaddyAuth { dir, peer, port };
        let listening = wait_until(Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", caddy.port)).is_ok()
        });
        caddy.peer.assert_running();
        assert!(listening, "caddy did not listen:\n{}", caddy.log());
        caddy
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("caddy.log")).unwrap_or_default();
        format!("{log}{}", self.peer.output())
    }
}

fn caddyfile_text(dir: &Path, port: u16, backend: u16, upstream: &str, uri: &str) -> String {
    let d = dir.display();
    format!(
        r#"{{
  admin off
  auto_https off
  log {{
    output file {d}/caddy.log
  }}
}}
http://127.0.0.1:{port} {{
  forward_auth {upstream} {{
    uri {uri}
    copy_headers Remote-User Remote-Groups Remote-Email Remote-Name
  }}
  reverse_proxy 127.0.0.1:{backend}
}}
http://127.0.0.1:{backend} {{
  respond "backend saw Remote-User={{header.Remote-User}} Remote-Groups={{header.Remote-Groups}} Remote-Email={{header.Remote-Email}} Remote-Name={{header.Remote-Name}} uri={{uri}}
" 200
}}
"#
    )
}
