//! A real rsyslog as the audit stream's collector: `rsyslogd -n` with its
//! own configuration, work directory and pid file, on free ports (UDP, TCP
//! and TLS through the gtls driver with a certificate of the testkit's
//! private CA), no system daemon. Its RFC 5424 parser (pmrfc5424) takes
//! each message apart and a JSON template writes the parsed fields, one
//! line per message, to a file the test reads.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use countersign_testkit::pki::{write_pem, Ca};
use countersign_testkit::{free_port, free_udp_port, wait_until, Peer, TempDir};
use serde_json::Value;

const RSYSLOGD: &str = "/usr/sbin/rsyslogd";

pub struct Rsyslog {
    pub dir: TempDir,
    pub udp: u16,
    pub tcp: u16,
    pub tls: u16,
    /// The CA that signed the collector's certificate (for `audit.syslog.ca_file`).
    pub ca_file: PathBuf,
    pub out: PathBuf,
    peer: Option<Peer>,
    runs: u32,
}

/// One message as rsyslog parsed it.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub fields: Value,
    /// The record, from the message's JSON.
    pub record: Value,
}

impl Rsyslog {
    pub fn start() -> Rsyslog {
        let dir = TempDir::new("rsyslog");
        let ca = Ca::root("Countersign test collector CA");
        let leaf = ca.leaf(&["localhost", "127.0.0.1"]);
        let ca_file = write_pem(dir.path(), "ca.pem", &[ca.pem()]);
        write_pem(dir.path(), "cert.pem", &[leaf.pem()]);
        write_pem(dir.path(), "key.pem", &[leaf.key_pem()]);
        std::fs::create_dir_all(dir.path().join("work")).expect("work dir");
        let mut r = Rsyslog {
            udp: free_udp_port(),
            tcp: free_port(),
            tls: free_port(),
            out: dir.path().join("received.jsonl"),
            ca_file,
            dir,
            peer: None,
            runs: 0,
        };
        std::fs::write(r.dir.path().join("rsyslog.conf"), r.config()).expect("config");
        r.run();
        r
    }

    fn config(&self) -> String {
        let d = self.dir.path().display();
        format!(
            r#"global(workDirectory="{d}/work" maxMessageSize="64k"
  defaultNetstreamDriverCAFile="{d}/ca.pem"
  defaultNetstreamDriverCertFile="{d}/cert.pem"
  defaultNetstreamDriverKeyFile="{d}/key.pem")
module(load="imudp")
module(load="imtcp" maxSessions="500")
input(type="imudp" address="127.0.0.1" port="{udp}" name="udp")
input(type="imtcp" address="127.0.0.1" port="{tcp}" name="tcp")
input(type="imtcp" address="127.0.0.1" port="{tls}" name="tls"
  streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
template(name="fields" type="list" option.jsonf="on") {{
  property(outname="input" name="inputname" format="jsonf")
  property(outname="pri" name="pri" format="jsonf")
  property(outname="version" name="protocol-version" format="jsonf")
  property(outname="time" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="app" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="sd" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}}
action(type="omfile" file="{out}" template="fields")
"#,
            udp = self.udp,
            tcp = self.tcp,
            tls = self.tls,
            out = self.out.display(),
        )
    }

    /// Starts rsyslogd and waits until its TCP and TLS ports accept.
    pub fn run(&mut self) {
        self.runs += 1;
        let d = self.dir.path();
        let mut command = Command::new(RSYSLOGD);
        command
            .arg("-n")
            .arg("-f")
            .arg(d.join("rsyslog.conf"))
            .arg("-i")
            .arg(d.join("rsyslogd.pid"));
        let log = d.join(format!("rsyslogd-{}.log", self.runs));
        let mut peer = Peer::spawn_command("rsyslogd", log, command);
        let up = wait_until(Duration::from_secs(15), || {
            listening(self.tcp) && listening(self.tls)
        });
        if !up {
            peer.assert_running();
            panic!("rsyslogd did not listen within 15 s: {}", peer.output());
        }
        self.peer = Some(peer);
    }

    /// Stops rsyslogd (SIGTERM: it finishes what it has read and exits).
    pub fn stop(&mut self) {
        if let Some(mut peer) = self.peer.take() {
            peer.stop();
        }
    }

    /// What it has written so far.
    pub fn received(&self) -> Vec<Parsed> {
        let text = std::fs::read_to_string(&self.out).unwrap_or_default();
        text.lines().filter_map(parse).collect()
    }
}

fn listening(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

fn parse(line: &str) -> Option<Parsed> {
    let fields: Value = serde_json::from_str(line).ok()?;
    let msg = fields["msg"].as_str()?.trim_start();
    let record = serde_json::from_str(msg).ok()?;
    Some(Parsed { fields, record })
}
