//! A real Kannel (bearerbox + smsbox, Debian's `kannel`) on free ports,
//! with this test as its fake SMSC: the operator side of the line protocol
//! `SENDER RECEIVER text MESSAGE` (what fakesmsc speaks), both ways.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use countersign_testkit::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

pub struct Ports {
    pub admin: u16,
    pub smsbox: u16,
    pub smsc: u16,
    pub sendsms: u16,
}

impl Ports {
    pub fn pick() -> Ports {
        let port = || {
            std::net::TcpListener::bind("127.0.0.1:0")
                .expect("bind")
                .local_addr()
                .expect("addr")
                .port()
        };
        Ports {
            admin: port(),
            smsbox: port(),
            smsc: port(),
            sendsms: port(),
        }
    }

    pub fn sendsms_url(&self) -> String {
        format!("http://127.0.0.1:{}/cgi-bin/sendsms", self.sendsms)
    }
}

pub struct Kannel {
    dir: TempDir,
    children: Vec<Child>,
    lines: tokio::io::Lines<BufReader<OwnedReadHalf>>,
    writer: OwnedWriteHalf,
}

fn config(ports: &Ports, dir: &std::path::Path, get_url: &str) -> String {
    let d = dir.display();
    format!(
        "group = core\nadmin-port = {admin}\nadmin-interface = 127.0.0.1\nadmin-password = adminpw\nstatus-password = statuspw\n\
         admin-allow-ip = \"127.0.0.1\"\nsmsbox-port = {smsbox}\nsmsbox-interface = 127.0.0.1\nbox-allow-ip = \"127.0.0.1\"\n\
         log-file = \"{d}/bearerbox.log\"\nlog-level = 0\naccess-log = \"{d}/access.log\"\ndlr-storage = internal\n\n\
         group = smsc\nsmsc = fake\nsmsc-id = fake1\nport = {smsc}\nconnect-allow-ip = 127.0.0.1\n\n\
         group = smsbox\nbearerbox-host = 127.0.0.1\nbearerbox-port = {smsbox}\nsendsms-port = {sendsms}\nsendsms-interface = 127.0.0.1\n\
         global-sender = 4000\nlog-file = \"{d}/smsbox.log\"\nlog-level = 0\naccess-log = \"{d}/smsbox-access.log\"\n\n\
         group = sendsms-user\nusername = tester\npassword = testpw\nmax-messages = 3\nconcatenation = true\n\n\
         group = sms-service\nkeyword = default\ncatch-all = true\nget-url = \"{get_url}\"\nmax-messages = 0\nomit-empty = true\n",
        admin = ports.admin, smsbox = ports.smsbox, smsc = ports.smsc, sendsms = ports.sendsms,
    )
}

async fn status(ports: &Ports) -> String {
    let url = format!(
        "http://127.0.0.1:{}/status.txt?password=statuspw",
        ports.admin
    );
    match reqwest::get(&url).await {
        Ok(reply) => reply.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn wait_until(what: &str, mut ready: impl AsyncFnMut() -> bool) {
    for _ in 0..150 {
        if ready().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("Kannel: {what} not ready within 15 s");
}

fn spawn(program: &str, conf: &std::path::Path, dir: &std::path::Path, name: &str) -> Child {
    let log = std::fs::File::create(dir.join(format!("{name}.out"))).expect("log file");
    Command::new(program)
        .args(["-v", "0", &conf.display().to_string()])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {program} (Debian package kannel; scripts/test installs it): {e}")
        })
}

impl Kannel {
    /// Starts bearerbox and smsbox, then connects as the fake SMSC.
    /// Incoming (MO) messages go to `get_url` (Kannel escapes: %p from, %a text).
    pub async fn start(ports: &Ports, get_url: &str) -> Kannel {
        let dir = TempDir::new("kannel");
        let conf = dir.path().join("kannel.conf");
        std::fs::write(&conf, config(ports, dir.path(), get_url)).expect("write kannel.conf");
        let mut children = vec![spawn("/usr/sbin/bearerbox", &conf, dir.path(), "bearerbox")];
        wait_until("bearerbox", async || !status(ports).await.is_empty()).await;
        children.push(spawn("/usr/sbin/smsbox", &conf, dir.path(), "smsbox"));
        wait_until("smsbox", async || {
            status(ports).await.contains("smsbox:(none), IP 127.0.0.1")
        })
        .await;
        let sendsms = ports.sendsms;
        wait_until("sendsms", async || {
            TcpStream::connect(("127.0.0.1", sendsms)).await.is_ok()
        })
        .await;
        let stream = TcpStream::connect(("127.0.0.1", ports.smsc))
            .await
            .expect("connect as the fake SMSC");
        let (reader, writer) = stream.into_split();
        wait_until("the fake SMSC link", async || {
            let text = status(ports).await;
            text.lines()
                .any(|l| l.contains("fake1") && l.contains("online"))
        })
        .await;
        Kannel {
            dir,
            children,
            lines: BufReader::new(reader).lines(),
            writer,
        }
    }

    /// The next message Kannel delivers to a phone: (receiver, text).
    pub async fn next_mt(&mut self) -> (String, String) {
        let line = tokio::time::timeout(Duration::from_secs(20), self.lines.next_line())
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
        self.writer
            .write_all(format!("{from} 4000 text {text}\n").as_bytes())
            .await
            .expect("send MO");
        self.writer.flush().await.expect("flush");
    }
}

impl Drop for Kannel {
    fn drop(&mut self) {
        for child in self.children.iter_mut().rev() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}
