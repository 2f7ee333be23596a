//! A real Samba 4 Active Directory domain controller (Debian's `samba`),
//! provisioned by the test in a temporary directory and run LDAP-only on a
//! loopback address of its own (the recipe of ../shared/recipes/samba-ad.sh,
//! RECIPES.md §A): realm CS.TEST, base DC=cs,DC=test, a private CA and
//! the DC's certificate from it with the address in it, Administrator's password
//! [`ADMIN_PW`]. samba-tool works on the DC's database directly and the
//! running server sees its changes at once.
//!
//! Samba's LDAP ports (389, 636, 3268, 3269) are fixed, so each DC gets a
//! random 127.x.y.z instead of a random port; provisioning chowns files
//! and those ports are privileged, so it needs root: [`Samba::start`]
//! answers `None` (with the reason printed) when the test is not root.
//! Any other failure is a test failure with the log's tail.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use countersign_testkit::TempDir;

mod provision;
use provision::{issue_certificate, provision};

pub const REALM: &str = "CS.TEST";
pub const DOMAIN: &str = "cs.test";
pub const BASE: &str = "DC=cs,DC=test";
pub const USERS: &str = "CN=Users,DC=cs,DC=test";
pub const ADMIN_PW: &str = "Adm1n!Pass";

/// How long the started DC may take to answer LDAPS on a loaded 2-core machine.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Samba {
    dir: TempDir,
    child: Child,
    /// Kept open: samba started with `-i` exits when its stdin closes, so
    /// it follows the test process even if the test is killed.
    _stdin: ChildStdin,
    pub ip: String,
}

/// The DN of a user or group under CN=Users.
pub fn dn(cn: &str) -> String {
    format!("CN={cn},{USERS}")
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// A 127.x.y.z whose LDAP ports are free (two DCs may run side by side).
fn free_loopback() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    for _ in 0..50 {
        let ip = format!(
            "127.{}.{}.{}",
            rng.gen_range(100..200),
            rng.gen_range(1..251),
            rng.gen_range(2..252)
        );
        let free = [389u16, 636, 3268, 3269]
            .iter()
            .all(|port| std::net::TcpListener::bind((ip.as_str(), *port)).is_ok());
        if free {
            return ip;
        }
    }
    panic!("no 127.x.y.z with ports 389, 636, 3268 and 3269 free after 50 tries");
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Runs `command`; its stdout, or a panic with what it said.
fn run(command: &mut Command, what: &str) -> String {
    let out = command.output().unwrap_or_else(|e| {
        panic!("{what}: {e} (scripts/test installs samba, ldb-tools and ldap-utils)")
    });
    assert!(
        out.status.success(),
        "{what} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

impl Samba {
    /// Provisions and starts a DC; `None` (with the reason printed) when not root.
    pub fn start() -> Option<Samba> {
        if !is_root() {
            eprintln!("SKIPPED: a Samba AD DC needs root (provision chowns its sysvol; LDAP ports 389/636 cannot be moved)");
            return None;
        }
        let dir = TempDir::new("samba");
        let t = dir.path().to_path_buf();
        let ip = free_loopback();
        issue_certificate(&t, &ip);
        let started = Instant::now();
        provision(&t, &ip);
        eprintln!(
            "samba: provisioned {ip} in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let log = std::fs::File::create(t.join("samba.log")).expect("samba log");
        let mut child = Command::new("samba")
            .args(["-i", "-M", "single", "--debug-stdout", "-d", "1", "-s"])
            .arg(t.join("dc/etc/smb.conf"))
            .stdin(Stdio::piped())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("samba: {e} (scripts/test installs samba)"));
        let stdin = child.stdin.take().expect("samba's stdin");
        let mut samba = Samba {
            dir,
            child,
            _stdin: stdin,
            ip,
        };
        samba.wait_ready(started);
        Some(samba)
    }

    fn wait_ready(&mut self, started: Instant) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let answered = self
                .ldap("ldapsearch")
                .args(["-b", "", "-s", "base", "dn"])
                .output()
                .is_ok_and(|o| o.status.success());
            if answered {
                eprintln!(
                    "samba: LDAPS answers after {:.1} s in all",
                    started.elapsed().as_secs_f64()
                );
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "samba exited ({status}) before answering:\n{}",
                    self.log_tail()
                );
            }
            assert!(
                Instant::now() < deadline,
                "samba did not answer LDAPS within {READY_TIMEOUT:?}:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log_tail(&self) -> String {
        tail(&self.dir.path().join("samba.log"))
    }

    pub fn ldaps_url(&self) -> String {
        format!("ldaps://{}", self.ip)
    }

    /// What clients trust: the CA that issued the DC's certificate.
    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("tls/ca.pem")
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("dc/etc/smb.conf")
    }

    /// An ldap-utils command against the DC over LDAPS, trusting its certificate.
    fn ldap(&self, tool: &str) -> Command {
        let mut command = Command::new(tool);
        command
            .env("LDAPTLS_CACERT", self.cert())
            .args(["-x", "-H", &self.ldaps_url()]);
        command
    }

    /// `samba-tool ARGS -s smb.conf`; its output.
    pub fn tool(&self, args: &[&str]) -> String {
        let conf = self.conf();
        run(
            Command::new("samba-tool").args(args).arg("-s").arg(&conf),
            &format!("samba-tool {}", args.join(" ")),
        )
    }

    /// A user whose CN is their name (predictable DNs), with `extra` samba-tool options.
    pub fn user_create(&self, name: &str, password: &str, extra: &[&str]) {
        let mut args = vec!["user", "create", name, password, "--use-username-as-cn"];
        args.extend_from_slice(extra);
        self.tool(&args);
    }

    pub fn user_disable(&self, name: &str) {
        self.tool(&["user", "disable", name]);
    }

    pub fn user_enable(&self, name: &str) {
        self.tool(&["user", "enable", name]);
    }

    /// New sAMAccountName, UPN and CN (so the DN changes too).
    pub fn user_rename(&self, old: &str, new: &str) {
        self.tool(&[
            "user",
            "rename",
            old,
            &format!("--samaccountname={new}"),
            &format!("--upn={new}@{DOMAIN}"),
            &format!("--force-new-cn={new}"),
        ]);
    }

    pub fn group_add(&self, name: &str) {
        self.tool(&["group", "add", name]);
    }

    /// `members`: sAMAccountNames of users or groups, comma-separated.
    pub fn group_add_members(&self, group: &str, members: &str) {
        self.tool(&["group", "addmembers", group, members]);
    }

    pub fn group_remove_members(&self, group: &str, members: &str) {
        self.tool(&["group", "removemembers", group, members]);
    }

    /// `ldapmodify` over LDAPS as Administrator (with the server's ACL checks).
    pub fn modify(&self, ldif: &str) {
        let mut child = self
            .ldap("ldapmodify")
            .args(["-D", &format!("Administrator@{DOMAIN}"), "-w", ADMIN_PW])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ldapmodify (scripts/test installs ldap-utils)");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(ldif.as_bytes())
            .expect("ldif to ldapmodify");
        let out = child.wait_with_output().expect("ldapmodify");
        assert!(
            out.status.success(),
            "ldapmodify failed: {}{}\n{ldif}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// One attribute of one entry, read as Administrator (`attr::` values base64-decoded).
    pub fn attribute(&self, entry_dn: &str, attr: &str) -> Option<Vec<u8>> {
        let out = run(
            self.ldap("ldapsearch")
                .args(["-LLL", "-o", "ldif-wrap=no"])
                .args(["-D", &format!("Administrator@{DOMAIN}"), "-w", ADMIN_PW])
                .args(["-b", entry_dn, "-s", "base", attr]),
            "ldapsearch",
        );
        let lower = attr.to_ascii_lowercase();
        out.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            if name.to_ascii_lowercase() != lower {
                return None;
            }
            match value.strip_prefix(':') {
                Some(b64) => {
                    use base64::Engine;
                    base64::engine::general_purpose::STANDARD
                        .decode(b64.trim())
                        .ok()
                }
                None => Some(value.trim().as_bytes().to_vec()),
            }
        })
    }

    /// An entry's objectGUID in its usual text form (the first three
    /// fields little-endian, as AD and `uuid.UUID(bytes_le=...)` write it).
    pub fn guid(&self, entry_dn: &str) -> String {
        let b = self
            .attribute(entry_dn, "objectGUID")
            .unwrap_or_else(|| panic!("{entry_dn} has no objectGUID"));
        assert_eq!(b.len(), 16, "objectGUID is 16 bytes");
        let hex = |bytes: &[u8]| bytes.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let rev = |bytes: &[u8]| bytes.iter().rev().copied().collect::<Vec<u8>>();
        format!(
            "{}-{}-{}-{}-{}",
            hex(&rev(&b[0..4])),
            hex(&rev(&b[4..6])),
            hex(&rev(&b[6..8])),
            hex(&b[8..10]),
            hex(&b[10..16])
        )
    }

    /// Whether `name@cs.test` can bind with `password` (AD's answer, 0 or 49).
    pub fn binds(&self, name: &str, password: &str) -> bool {
        self.ldap("ldapsearch")
            .args(["-D", &format!("{name}@{DOMAIN}"), "-w", password])
            .args(["-b", "", "-s", "base", "dn"])
            .output()
            .is_ok_and(|o| o.status.success())
    }
}

impl Drop for Samba {
    fn drop(&mut self) {
        // SIGTERM (-M single exits in about 0.1 s), then SIGKILL if it lingers.
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").arg(&pid).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
