//! FreeRADIUS 3.2 in a temporary directory on a free port, as a child in
//! its own process group that is stopped on drop: either a server with a
//! `users` file, checking PAP, CHAP, MS-CHAP and MS-CHAPv2 (the upstream
//! first factor), or a proxy whose home server
//! is Countersign. The configuration is the minimal one of the peers
//! cookbook (§2.1, §2.3), written from scratch; nothing under /etc is used.

use std::path::Path;
use std::time::{Duration, Instant};

use countersign_testkit::{free_udp_port, Peer, TempDir};

use super::PATIENCE;

const PROGRAM: &str = "/usr/sbin/freeradius";

/// Fields drop in order: the process (its group stopped), then its directory.
pub struct FreeRadius {
    pub port: u16,
    peer: Peer,
    _dir: TempDir,
}

/// What the instance does besides answering its client on 127.0.0.1.
enum Role<'a> {
    /// Checks passwords against this `users` file; `signed`: every answer
    /// carries Message-Authenticator (as FreeRADIUS 3.2.5 and later do by
    /// default; older ones add it when told to).
    Users { users: &'a str, signed: bool },
    /// Forwards every request to the home server at 127.0.0.1:port with its secret.
    Proxy {
        home_port: u16,
        home_secret: &'a str,
    },
}

impl FreeRadius {
    /// A server for client 127.0.0.1 with `secret` that checks passwords
    /// against `users` (FreeRADIUS `users` file syntax).
    pub fn with_users(secret: &str, users: &str) -> FreeRadius {
        Self::start(
            secret,
            Role::Users {
                users,
                signed: true,
            },
        )
    }

    /// Like [`FreeRadius::with_users`], answering without Message-Authenticator
    /// (FreeRADIUS before 3.2.5 by default, and other old servers).
    pub fn with_users_unsigned(secret: &str, users: &str) -> FreeRadius {
        Self::start(
            secret,
            Role::Users {
                users,
                signed: false,
            },
        )
    }

    /// A proxy for client 127.0.0.1 with `secret` (which must send
    /// Message-Authenticator) to the home server at 127.0.0.1:`home_port`.
    pub fn proxy(secret: &str, home_port: u16, home_secret: &str) -> FreeRadius {
        Self::start(
            secret,
            Role::Proxy {
                home_port,
                home_secret,
            },
        )
    }

    fn start(secret: &str, role: Role) -> FreeRadius {
        assert!(
            Path::new(PROGRAM).exists(),
            "{PROGRAM} is missing: these tests need the freeradius package \
             (scripts/test installs it; or apt-get install freeradius)"
        );
        let dir = TempDir::new("freeradius");
        let mut last_log = String::new();
        // A port free a moment ago may be taken before FreeRADIUS binds it: retry.
        for _attempt in 0..3 {
            let port = free_udp_port();
            write_config(dir.path(), port, secret, &role);
            let config = dir.path().to_str().expect("a UTF-8 path");
            let args = ["-f", "-l", "stdout", "-d", config];
            let log = dir.path().join("radiusd.out");
            let mut peer = Peer::spawn("FreeRADIUS", log, Path::new(PROGRAM), &args);
            match wait_ready(&mut peer) {
                Ok(()) => {
                    return FreeRadius {
                        port,
                        peer,
                        _dir: dir,
                    }
                }
                Err(log) if log.contains("in use") => last_log = log,
                Err(log) => panic!("FreeRADIUS did not start; its output:\n{log}"),
            }
        }
        panic!("FreeRADIUS could not bind a free port in 3 attempts:\n{last_log}");
    }

    /// Everything FreeRADIUS logged so far (one line per request).
    pub fn log(&self) -> String {
        self.peer.output()
    }
}

/// Ok once the log says "Ready to process requests"; Err(log) if it exited.
fn wait_ready(peer: &mut Peer) -> Result<(), String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if peer.output().contains("Ready to process requests") {
            return Ok(());
        }
        if let Ok(Some(status)) = peer.child_status() {
            return Err(format!("(exited: {status})\n{}", peer.output()));
        }
        if Instant::now() > deadline {
            peer.stop();
            panic!(
                "FreeRADIUS was not ready within {PATIENCE:?}; its output:\n{}",
                peer.output()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn write_config(dir: &Path, port: u16, secret: &str, role: &Role) {
    for sub in ["run", "log"] {
        std::fs::create_dir_all(dir.join(sub)).expect("create a FreeRADIUS directory");
    }
    let d = dir.display();
    let mut post_auth = "";
    let (users, proxy, realm, first, require) = match role {
        Role::Users { users, signed } => {
            if *signed {
                post_auth = SIGNED_ANSWERS;
            }
            (*users, "proxy_requests = no", "", "", "no")
        }
        Role::Proxy {
            home_port,
            home_secret,
        } => {
            std::fs::write(dir.join("proxy.conf"), proxy_conf(*home_port, home_secret))
                .expect("write proxy.conf");
            (
                "",
                "proxy_requests = yes\n$INCLUDE proxy.conf",
                "realm suffix {\n\t\tformat = suffix\n\t\tdelimiter = \"@\"\n\t}",
                "suffix",
                "yes",
            )
        }
    };
    std::fs::write(dir.join("users"), users).expect("write the users file");
    let conf = format!(
        r#"prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = {d}
sbindir = /usr/sbin
logdir = {d}/log
raddbdir = {d}
radacctdir = {d}/log
name = freeradius
confdir = {d}
modconfdir = {d}
run_dir = {d}/run
db_dir = {d}
libdir = /usr/lib/freeradius
pidfile = {d}/run/radiusd.pid
max_request_time = 30
cleanup_delay = 0
max_requests = 1024
hostname_lookups = no

log {{
	destination = files
	file = {d}/log/radius.log
	auth = yes
}}

security {{
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = yes
}}

thread pool {{
	start_servers = 2
	max_servers = 8
	min_spare_servers = 1
	max_spare_servers = 4
	max_requests_per_server = 0
}}

client localhost {{
	ipaddr = 127.0.0.1
	secret = {secret}
	require_message_authenticator = {require}
}}

{proxy}

modules {{
	{realm}
	pap {{
		normalise = yes
	}}
	chap {{
	}}
	mschap {{
		use_mppe = yes
		require_encryption = no
		require_strong = no
	}}
	files {{
		filename = {d}/users
	}}
}}

server default {{
	listen {{
		type = auth
		ipaddr = 127.0.0.1
		port = {port}
	}}
	authorize {{
		{first}
		files
		mschap
		chap
		pap
	}}
	authenticate {{
		Auth-Type PAP {{
			pap
		}}
		Auth-Type CHAP {{
			chap
		}}
		Auth-Type MS-CHAP {{
			mschap
		}}
	}}
	post-auth {{
		{post_auth}
	}}
}}
"#
    );
    std::fs::write(dir.join("radiusd.conf"), conf).expect("write radiusd.conf");
}

/// FreeRADIUS computes a Message-Authenticator it is given in a reply.
const SIGNED_ANSWERS: &str = "update reply {
			Message-Authenticator := 0x00
		}
		Post-Auth-Type REJECT {
			update reply {
				Message-Authenticator := 0x00
			}
		}";

fn proxy_conf(home_port: u16, home_secret: &str) -> String {
    format!(
        r#"proxy server {{
	default_fallback = no
}}
home_server countersign {{
	type = auth
	ipaddr = 127.0.0.1
	port = {home_port}
	secret = {home_secret}
	response_window = 5
	zombie_period = 10
	revive_interval = 10
	status_check = none
}}
home_server_pool countersign_pool {{
	type = fail-over
	home_server = countersign
}}
realm DEFAULT {{
	auth_pool = countersign_pool
	nostrip
}}
"#
    )
}
