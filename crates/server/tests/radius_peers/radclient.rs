//! `radclient` (freeradius-utils) as the NAS: one Access-Request from the
//! attribute list it reads on stdin, and what it printed about the answer.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;

/// What radclient printed for one request.
#[derive(Debug)]
pub struct Radclient {
    /// radclient exits 0 only on Access-Accept.
    pub accepted: bool,
    /// The packet type received ("Access-Accept", ...), None when no answer came.
    pub code: Option<String>,
    /// The attributes of the answer as radclient printed them, quotes removed.
    pub attributes: Vec<(String, String)>,
    /// Everything it printed, for failure messages.
    pub output: String,
}

impl Radclient {
    /// The first attribute of the answer with this name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Panics unless the answer was `code`.
    #[track_caller]
    pub fn expect(&self, code: &str, what: &str) -> &Self {
        assert_eq!(
            self.code.as_deref(),
            Some(code),
            "{what}: expected {code}; radclient printed:\n{}",
            self.output
        );
        assert_eq!(
            self.accepted,
            code == "Access-Accept",
            "{what}: radclient's exit status disagrees with {code}:\n{}",
            self.output
        );
        self
    }

    /// The Reply-Message of the answer, or a panic.
    #[track_caller]
    pub fn reply_message(&self) -> &str {
        self.attr("Reply-Message")
            .unwrap_or_else(|| panic!("the answer has no Reply-Message:\n{}", self.output))
    }
}

/// One Access-Request to 127.0.0.1:`port` (3 s to answer, no retry).
/// `attributes` is radclient's input, e.g.
/// `User-Name = "alice", User-Password = "123456", Message-Authenticator = 0x00`.
pub async fn radclient(port: u16, secret: &str, attributes: &str) -> Radclient {
    radclient_with(port, secret, attributes, "3").await
}

/// Like [`radclient`], waiting `timeout` seconds for the answer (for
/// requests expected to be dropped, keep it short: it is how long the test waits).
pub async fn radclient_with(port: u16, secret: &str, attributes: &str, timeout: &str) -> Radclient {
    let mut child = tokio::process::Command::new(program())
        .args(["-x", "-r", "1", "-t", timeout])
        .arg(format!("127.0.0.1:{port}"))
        .args(["auth", secret])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run radclient: {e}"));
    let mut stdin = child.stdin.take().expect("radclient's stdin");
    stdin
        .write_all(format!("{attributes}\n").as_bytes())
        .await
        .expect("write radclient's input");
    drop(stdin);
    let out = child.wait_with_output().await.expect("radclient finishes");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, attributes) = parse(&output);
    Radclient {
        accepted: out.status.success(),
        code,
        attributes,
        output,
    }
}

/// radclient, after checking that it is installed.
fn program() -> &'static str {
    static CHECKED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    CHECKED.get_or_init(|| {
        let found = std::process::Command::new("radclient")
            .arg("-h")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Err(e) = found {
            panic!(
                "radclient is missing ({e}): these tests need the freeradius-utils package \
                 (scripts/test installs it; or apt-get install freeradius-utils)"
            );
        }
    });
    "radclient"
}

/// `Received Access-Accept Id 7 from ...` and the tab-indented `Name = value`
/// lines after it.
fn parse(output: &str) -> (Option<String>, Vec<(String, String)>) {
    let mut lines = output.lines().skip_while(|l| !l.starts_with("Received "));
    let Some(received) = lines.next() else {
        return (None, Vec::new());
    };
    let code = received.split_whitespace().nth(1).map(str::to_string);
    let attributes = lines
        .map_while(|l| l.strip_prefix('\t'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(name, value)| (name.trim().to_string(), unquote(value.trim())))
        .collect();
    (code, attributes)
}

fn unquote(value: &str) -> String {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
        .to_string()
}

#[test]
fn parses_radclient_output() {
    let printed = "Sent Access-Request Id 219 from 0.0.0.0:46984 to 127.0.0.1:41812 length 69\n\
        \tUser-Name = \"alice\"\n\
        Received Access-Challenge Id 219 from 127.0.0.1:41812 to 127.0.0.1:46984 length 63\n\
        \tReply-Message = \"Enter the code\"\n\
        \tState = 0x6162\n\
        (0) -: Expected Access-Accept got Access-Challenge\n";
    let (code, attributes) = parse(printed);
    assert_eq!(code.as_deref(), Some("Access-Challenge"));
    assert_eq!(
        attributes,
        vec![
            ("Reply-Message".to_string(), "Enter the code".to_string()),
            ("State".to_string(), "0x6162".to_string())
        ]
    );
    assert_eq!(
        parse("(0) No reply from server for ID 1"),
        (None, Vec::new())
    );
}
