//! Kannel as the SMS gateway: bearerbox, smsbox and the fake SMSC client
//! `fakesmsc`, which prints every message the gateway delivers.

use std::path::Path;
use std::time::Duration;

use super::{free_port, wait_until, Peer, TempDir};

pub const USER: &str = "tester";
pub const PASSWORD: &str = "testpw";
const BEARERBOX: &str = "/usr/sbin/bearerbox";
const SMSBOX: &str = "/usr/sbin/smsbox";
const FAKESMSC: &str = "/usr/lib/kannel/test/fakesmsc";

/// Fields drop in order: the SMSC client, smsbox, bearerbox, then the dir.
pub struct Kannel {
    /// `http://127.0.0.1:PORT/cgi-bin/sendsms`
    pub sendsms_url: String,
    fakesmsc: Peer,
    smsbox: Peer,
    bearerbox: Peer,
    status_url: String,
    dir: TempDir,
}

impl Kannel {
    /// Starts Kannel on free ports; tries again with other ports when a
    /// daemon exits at start (another test took a port in between).
    pub async fn start() -> Kannel {
        for _ in 0..3 {
            if let Some(kannel) = Self::try_start().await {
                return kannel;
            }
        }
        panic!("Kannel did not start in 3 attempts (see the daemons' output above)");
    }

    async fn try_start() -> Option<Kannel> {
        let dir = TempDir::new("kannel");
        let (admin, smsbox_port, smsc, sendsms) =
            (free_port(), free_port(), free_port(), free_port());
        let conf = dir.path().join("kannel.conf");
        std::fs::write(&conf, config(dir.path(), admin, smsbox_port, smsc, sendsms)).unwrap();
        let conf = conf.to_str().unwrap().to_owned();
        let status_url = format!("http://127.0.0.1:{admin}/status.txt?password=statuspw");

        let mut bearerbox = spawn(&dir, "bearerbox", BEARERBOX, &["-v", "0", &conf]);
        if !came_up(&mut bearerbox, &status_url, "").await {
            return None;
        }
        // smsbox panics if bearerbox is not listening yet, hence the order.
        let mut smsbox = spawn(&dir, "smsbox", SMSBOX, &["-v", "0", &conf]);
        if !came_up(&mut smsbox, &status_url, "smsbox:(none), IP 127.0.0.1").await {
            return None;
        }
        let sendsms_url = format!("http://127.0.0.1:{sendsms}/cgi-bin/sendsms");
        let ready = wait_until(Duration::from_secs(15), || answers(&sendsms_url)).await;
        assert!(
            ready,
            "smsbox's sendsms port does not answer:\n{}",
            smsbox.output()
        );
        let smsc = smsc.to_string();
        let args = ["-H", "127.0.0.1", "-r", &smsc, "-m", "0", "x y text z"];
        let mut fakesmsc = spawn(&dir, "fakesmsc", FAKESMSC, &args);
        wait_status(&mut fakesmsc, &status_url, "(online ", "fakesmsc").await;
        Some(Kannel {
            sendsms_url,
            fakesmsc,
            smsbox,
            bearerbox,
            status_url,
            dir,
        })
    }

    /// What fakesmsc received, one `<SENDER RECEIVER TYPE DATA>` per message.
    pub fn received(&self) -> Vec<String> {
        self.fakesmsc
            .output()
            .lines()
            .filter_map(|l| l.split_once("Got message ").map(|(_, m)| m.to_owned()))
            .filter_map(|m| m.split_once(": ").map(|(_, body)| body.to_owned()))
            .collect()
    }

    /// Waits for `count` delivered messages; panics with Kannel's logs if they do not come.
    pub async fn wait_received(&self, count: usize) -> Vec<String> {
        let arrived = wait_until(Duration::from_secs(15), || async {
            self.received().len() >= count
        })
        .await;
        assert!(
            arrived,
            "fakesmsc got {:?}, not {count} messages; bearerbox log:\n{}\nsmsbox log:\n{}",
            self.received(),
            read(&self.dir.path().join("bearerbox.log")),
            read(&self.dir.path().join("smsbox.log")),
        );
        self.received()
    }
}

fn spawn(dir: &TempDir, name: &str, program: &str, args: &[&str]) -> Peer {
    let log = dir.path().join(format!("{name}.out"));
    Peer::spawn(name, log, Path::new(program), args)
}

async fn answers(url: &str) -> bool {
    reqwest::get(url).await.is_ok()
}

/// Waits until bearerbox's status page contains `needle` (`""`: answers at all).
async fn wait_status(peer: &mut Peer, status_url: &str, needle: &str, what: &str) {
    let ready = wait_until(Duration::from_secs(15), || async {
        match reqwest::get(status_url).await {
            Ok(r) => r.text().await.map(|t| t.contains(needle)).unwrap_or(false),
            Err(_) => false,
        }
    })
    .await;
    peer.assert_running();
    assert!(ready, "{what} did not come up:\n{}", peer.output());
}

/// Like [`wait_status`], but reports a daemon that exited (a port taken by
/// another test) instead of failing, so the caller can retry.
async fn came_up(peer: &mut Peer, status_url: &str, needle: &str) -> bool {
    let ready = wait_until(Duration::from_secs(15), || async {
        match reqwest::get(status_url).await {
            Ok(r) => r.text().await.map(|t| t.contains(needle)).unwrap_or(false),
            Err(_) => false,
        }
    })
    .await;
    if let Ok(Some(status)) = peer.child_status() {
        eprintln!(
            "a Kannel daemon exited at start ({status}); retrying on other ports:\n{}",
            peer.output()
        );
        return false;
    }
    ready
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn config(dir: &Path, admin: u16, smsbox: u16, smsc: u16, sendsms: u16) -> String {
    let d = dir.display();
    format!(
        r#"group = core
admin-port = {admin}
admin-interface = 127.0.0.1
admin-password = adminpw
status-password = statuspw
admin-allow-ip = "127.0.0.1"
smsbox-port = {smsbox}
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "{d}/bearerbox.log"
log-level = 0
access-log = "{d}/access.log"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake1
port = {smsc}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
global-sender = 4000
log-file = "{d}/smsbox.log"
log-level = 0
access-log = "{d}/smsbox-access.log"

group = sendsms-user
username = {USER}
password = {PASSWORD}
max-messages = 3
concatenation = true

group = sms-service
keyword = default
catch-all = true
text = "unused"
max-messages = 0
"#
    )
}
