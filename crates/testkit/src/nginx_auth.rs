//! nginx (Debian's `nginx`, `auth_request` built in) in front of a
//! static page and a proxied echo backend, asking an `auth_request`
//! endpoint about every request (../shared/recipes/OIDC.md §2.1, the
//! "modern" configuration: the endpoint's 401 carries a `Location` that
//! `error_page 401 =302` turns into the browser's redirect). Its own
//! configuration on free ports, run in the foreground as the test's
//! child, stopped on drop.
//!
//! - `/static/` is a file (`<h1>secret static page</h1>`); the answer
//!   carries `Remote-User` (`add_header`) so a test sees who nginx let in.
//! - `/app/...` is proxied to a second server block that answers
//!   `backend saw Remote-User=U Remote-Groups=G Remote-Email=E Remote-Name=N uri=URI`.

use std::path::Path;
use std::time::Duration;

use crate::{free_port, wait_until, Peer, TempDir};

const NGINX: &str = "/usr/sbin/nginx";

/// The text of the protected static page.
pub const STATIC_PAGE: &str = "<h1>secret static page</h1>";

pub struct NginxAuth {
    dir: TempDir,
    peer: Peer,
    port: u16,
}

impl NginxAuth {
    /// Starts nginx on a free port, asking `auth_url` (e.g.
    /// `http://127.0.0.1:PORT/sso/auth/request`) about every request.
    pub fn start(auth_url: &str) -> NginxAuth {
        Self::start_on(free_port(), auth_url)
    }

    /// The same on `port` (chosen ahead, e.g. for a cookie or host rule).
    pub fn start_on(port: u16, auth_url: &str) -> NginxAuth {
        let dir = TempDir::new("nginx-auth");
        std::fs::create_dir_all(dir.join("www/static")).expect("www");
        std::fs::create_dir_all(dir.join("tmp")).expect("tmp");
        std::fs::write(dir.join("www/static/index.html"), STATIC_PAGE).expect("page");
        let backend = free_port();
        let config = dir.join("nginx.conf");
        let text = configuration(dir.path(), port, backend, auth_url);
        std::fs::write(&config, text).expect("nginx.conf");
        let (config, errors) = (
            config.to_str().expect("UTF-8").to_string(),
            dir.join("error.log").to_str().expect("UTF-8").to_string(),
        );
        let peer = Peer::spawn(
            "nginx",
            dir.join("stdout.log"),
            Path::new(NGINX),
            &["-e", &errors, "-c", &config, "-g", "daemon off;"],
        );
        let mut nginx = NginxAuth { dir, peer, port };
        let listening = wait_until(Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", nginx.port)).is_ok()
        });
        nginx.peer.assert_running();
        assert!(listening, "nginx did not listen:\n{}", nginx.error_log());
        nginx
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn error_log(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default();
        format!("{log}{}", self.peer.output())
    }

    /// What nginx logged for each request (`$status $request $upstream_status`).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }
}

fn configuration(dir: &Path, port: u16, backend: u16, auth_url: &str) -> String {
    let d = dir.display();
    format!(
        r#"worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
  log_format short '$status "$request" auth=$upstream_status';
  access_log {d}/access.log short;
  client_body_temp_path {d}/tmp/body; proxy_temp_path {d}/tmp/proxy; fastcgi_temp_path {d}/tmp/fcgi;
  uwsgi_temp_path {d}/tmp/uwsgi; scgi_temp_path {d}/tmp/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {d}/www;
    location = /internal/authz {{
      internal;
      proxy_pass {auth_url};
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
      proxy_set_header X-Forwarded-Method $request_method;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Uri $request_uri;
      proxy_set_header X-Forwarded-For $remote_addr;
    }}
    location / {{
      auth_request /internal/authz;
      auth_request_set $user $upstream_http_remote_user;
      auth_request_set $groups $upstream_http_remote_groups;
      auth_request_set $email $upstream_http_remote_email;
      auth_request_set $name $upstream_http_remote_name;
      auth_request_set $redirection_url $upstream_http_location;
      error_page 401 =302 $redirection_url;
      add_header Remote-User $user always;
      location /app/ {{
        proxy_set_header Remote-User $user;
        proxy_set_header Remote-Groups $groups;
        proxy_set_header Remote-Email $email;
        proxy_set_header Remote-Name $name;
        proxy_pass http://127.0.0.1:{backend};
      }}
    }}
  }}
  server {{
    listen 127.0.0.1:{backend};
    location / {{
      default_type text/plain;
      return 200 "backend saw Remote-User=$http_remote_user Remote-Groups=$http_remote_groups Remote-Email=$http_remote_email Remote-Name=$http_remote_name uri=$request_uri\n";
    }}
  }}
}}
"#
    )
}
