//! A real Kannel (Debian's `kannel`: bearerbox and smsbox) on free loopback
//! ports in its own temp dir, stopped on drop. Its fake SMSC is either
//! Kannel's own client `fakesmsc`, which prints every message delivered
//! ([`Kannel::start`]), or the test itself speaking fakesmsc's line protocol
//! `SENDER RECEIVER text MESSAGE` both ways ([`Kannel::start_on`]).

use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use crate::{free_port, wait_until_async, Peer, TempDir};

/// The sendsms user of the configuration.
pub const USER: &str = "tester";
pub const PASSWORD: &str = "testpw";
const BEARERBOX: &str = "/usr/sbin/bearerbox";
const SMSBOX: &str = "/usr/sbin/smsbox";
const FAKESMSC: &str = "/usr/lib/kannel/test/fakesmsc";
const PATIENCE: Duration = Duration::from_secs(15);

/// The ports of one Kannel: admin (status page), smsbox, SMSC and sendsms.
pub struct Ports {
    pub admin: u16,
    pub smsbox: u16,
    pub smsc: u16,
    pub sendsms: u16,
}

impl Ports {
    /// Four ports free right now.
    pub fn pick() -> Ports {
        Ports {
            admin: free_port(),
            smsbox: free_port(),
            smsc: free_port(),
            sendsms: free_port(),
        }
    }

    /// `http://127.0.0.1:PORT/cgi-bin/sendsms`
    pub fn sendsms_url(&self) -> String {
        format!("http://127.0.0.1:{}/cgi-bin/sendsms", self.sendsms)
    }

    fn status_url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/status.txt?password=statuspw",
            self.admin
        )
    }
}

/// Who plays the operator's SMSC.
enum Smsc {
    /// Kannel's `fakesmsc`, whose output lists the messages delivered.
    Fakesmsc(Peer),
    /// The test, over a TCP connection to the SMSC port.
    Line {
        lines: Lines<BufReader<OwnedReadHalf>>,
        writer: OwnedWriteHalf,
    },
}

/// Fields drop in order: the SMSC, smsbox, bearerbox, then the dir.
pub struct Kannel {
    /// `http://127.0.0.1:PORT/cgi-bin/sendsms`
    pub sendsms_url: String,
    smsc: Smsc,
    _smsbox: Peer,
    _bearerbox: Peer,
    dir: TempDir,
}

impl Kannel {
    /// Kannel on free ports with `fakesmsc` as its SMSC ([`Kannel::received`]);
    /// tries again with other ports when a daemon exits at start (another
    /// test took a port in between).
    pub async fn start() -> Kannel {
        for _ in 0..3 {
            let ports = Ports::pick();
            let Some(boxes) = Boxes::start(&ports, None).await else {
                continue;
            };
            let smsc = ports.smsc.to_string();
            let args = ["-H", "127.0.0.1", "-r", &smsc, "-m", "0", "x y text z"];
            let log = boxes.dir.path().join("fakesmsc.out");
            let fakesmsc = Peer::spawn("fakesmsc", log, Path::new(FAKESMSC), &args);
            return boxes.with_smsc(&ports, Smsc::Fakesmsc(fakesmsc)).await;
        }
        panic!("Kannel did not start in 3 attempts (see the daemons' output above)");
    }

    /// Kannel on `ports` with this test as its SMSC ([`Kannel::next_mt`],
    /// [`Kannel::send_mo`]); smsbox hands incoming texts to `get_url`
    /// (Kannel escapes: %p from, %a text).
    pub async fn start_on(ports: &Ports, get_url: &str) -> Kannel {
        let boxes = Boxes::start(ports, Some(get_url))
            .await
            .expect("Kannel starts on the ports chosen (see the daemons' output above)");
        let stream = TcpStream::connect(("127.0.0.1", ports.smsc))
            .await
            .expect("connect as the fake SMSC");
        let (reader, writer) = stream.into_split();
        let lines = BufReader::new(reader).lines();
        boxes.with_smsc(ports, Smsc::Line { lines, writer }).await
    }

    /// What fakesmsc received, one `<SENDER RECEIVER TYPE DATA>` per message.
    pub fn received(&self) -> Vec<String> {
        let Smsc::Fakesmsc(fakesmsc) = &self.smsc else {
            panic!("only a Kannel from Kannel::start has fakesmsc");
        };
        fakesmsc
            .output()
            .lines()
            .filter_map(|l| l.split_once("Got message ").map(|(_, m)| m.to_owned()))
            .filter_map(|m| m.split_once(": ").map(|(_, body)| body.to_owned()))
            .collect()
    }

    /// Waits for `count` delivered messages; panics with Kannel's logs if they do not come.
    pub async fn wait_received(&self, count: usize) -> Vec<String> {
        let arrived = wait_until_async(PATIENCE, async || self.received().len() >= count).await;
        assert!(
            arrived,
            "fakesmsc got {:?}, not {count} messages; bearerbox log:\n{}\nsmsbox log:\n{}",
            self.received(),
            read(&self.dir.path().join("bearerbox.log")),
            read(&self.dir.path().join("smsbox.log")),
        );
        self.received()
    }

    /// The next message Kannel delivers to a phone: (receiver, text).
    pub async fn next_mt(&mut self) -> (String, String) {
        let Smsc::Line { lines, .. } = &mut self.smsc else {
            panic!("only a Kannel from Kannel::start_on has the test as its SMSC");
        };
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("an SMS through Kannel within 20 s")
            .expect("read")
            .expect("the SMSC link stays open");
        let mut parts = line.splitn(4, ' ');
        let (_sender, receiver, _kind, text) =
            (parts.next(), parts.next(), parts.next(), parts.next());
        (
            receiver.unwrap_or_default().to_string(),
            text.unwrap_or_default().to_string(),
        )
    }

    /// A text from a phone (MO), which smsbox hands to the get-url.
    pub async fn send_mo(&mut self, from: &str, text: &str) {
        let Smsc::Line { writer, .. } = &mut self.smsc else {
            panic!("only a Kannel from Kannel::start_on has the test as its SMSC");
        };
        writer
            .write_all(format!("{from} 4000 text {text}\n").as_bytes())
            .await
            .expect("send MO");
        writer.flush().await.expect("flush");
    }
}

/// bearerbox and smsbox up, sendsms answering, no SMSC yet.
struct Boxes {
    smsbox: Peer,
    bearerbox: Peer,
    dir: TempDir,
}

impl Boxes {
    /// None when a daemon exited at start (a port taken by another test).
    async fn start(ports: &Ports, get_url: Option<&str>) -> Option<Boxes> {
        let dir = TempDir::new("kannel");
        let conf = dir.path().join("kannel.conf");
        std::fs::write(&conf, config(dir.path(), ports, get_url)).expect("write kannel.conf");
        let conf = conf.to_str().expect("a UTF-8 path").to_owned();
        let status_url = ports.status_url();
        let mut bearerbox = spawn(&dir, "bearerbox", BEARERBOX, &["-v", "0", &conf]);
        if !came_up(&mut bearerbox, &status_url, "").await {
            return None;
        }
        // smsbox panics if bearerbox is not listening yet, hence the order.
        let mut smsbox = spawn(&dir, "smsbox", SMSBOX, &["-v", "0", &conf]);
        if !came_up(&mut smsbox, &status_url, "smsbox:(none), IP 127.0.0.1").await {
            return None;
        }
        let sendsms_url = ports.sendsms_url();
        let ready = wait_until_async(PATIENCE, async || reqwest::get(&sendsms_url).await.is_ok());
        assert!(
            ready.await,
            "smsbox's sendsms port does not answer:\n{}",
            smsbox.output()
        );
        Some(Boxes {
            smsbox,
            bearerbox,
            dir,
        })
    }

    /// Waits until the SMSC is online on the status page.
    async fn with_smsc(self, ports: &Ports, smsc: Smsc) -> Kannel {
        let status_url = ports.status_url();
        let online = wait_until_async(PATIENCE, async || {
            status_contains(&status_url, "(online ").await
        })
        .await;
        let mut kannel = Kannel {
            sendsms_url: ports.sendsms_url(),
            smsc,
            _smsbox: self.smsbox,
            _bearerbox: self.bearerbox,
            dir: self.dir,
        };
        if let Smsc::Fakesmsc(fakesmsc) = &mut kannel.smsc {
            fakesmsc.assert_running();
        }
        assert!(
            online,
            "the fake SMSC link did not come up; bearerbox log:\n{}",
            read(&kannel.dir.path().join("bearerbox.log"))
        );
        kannel
    }
}

fn spawn(dir: &TempDir, name: &str, program: &str, args: &[&str]) -> Peer {
    let log = dir.path().join(format!("{name}.out"));
    Peer::spawn(name, log, Path::new(program), args)
}

/// Whether the status page answers and contains `needle` (`""`: answers at all).
async fn status_contains(status_url: &str, needle: &str) -> bool {
    match reqwest::get(status_url).await {
        Ok(reply) => reply.text().await.is_ok_and(|t| t.contains(needle)),
        Err(_) => false,
    }
}

/// Waits until the status page contains `needle`; false when it does not,
/// or when the daemon exited (a port taken by another test: the caller can
/// retry on other ports).
async fn came_up(peer: &mut Peer, status_url: &str, needle: &str) -> bool {
    let ready =
        wait_until_async(PATIENCE, async || status_contains(status_url, needle).await).await;
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

fn config(dir: &Path, ports: &Ports, get_url: Option<&str>) -> String {
    let d = dir.display();
    let Ports {
        admin,
        smsbox,
        smsc,
        sendsms,
    } = ports;
    let service = match get_url {
        Some(url) => format!("get-url = \"{url}\"\nomit-empty = true"),
        None => "text = \"unused\"".to_owned(),
    };
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
{service}
max-messages = 0
"#
    )
}
