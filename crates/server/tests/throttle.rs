//! Holding under abuse (issue 24): the rate limits in front of the
//! guessable doors and the work pool behind them, over real sockets.
//! Limits are set small in the configuration, so nothing here depends on
//! timing: one address is refused 429 with Retry-After after its tries
//! while another still gets through; a full directory lane (a directory
//! that accepts connections and never answers holds the one place) is
//! answered at once: HTTP 429, LDAP busy (51), RADIUS no answer (dropped,
//! cause `busy`); `doctor` and `/metrics` show the limits and the refusals.

mod common;
mod radius_peers;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use countersign_testkit::{free_port, pki, TempDir};
use radius_peers::{radclient, RadiusNode};
use reqwest::header::{COOKIE, RETRY_AFTER, SET_COOKIE};

/// A browser behind the test's trusted proxy, at `address` (X-Forwarded-For).
struct Browser {
    http: reqwest::Client,
    base: String,
    address: String,
    cookies: HashMap<String, String>,
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: String,
}

impl Browser {
    fn new(server: &Server, address: &str) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: server.base().trim_end_matches('/').to_string(),
            address: address.to_string(),
            cookies: HashMap::new(),
        }
    }

    async fn send(&mut self, builder: reqwest::RequestBuilder) -> Answer {
        let cookies: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let response = builder
            .header("x-forwarded-for", &self.address)
            .header(COOKIE, cookies.join("; "))
            .send()
            .await
            .expect("request");
        for value in response.headers().get_all(SET_COOKIE) {
            let value = value.to_str().unwrap_or_default();
            if let Some((name, rest)) = value.split_once('=') {
                let v = rest.split(';').next().unwrap_or_default();
                self.cookies.insert(name.to_string(), v.to_string());
            }
        }
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.text().await.unwrap_or_default();
        Answer {
            status,
            retry_after,
            body,
        }
    }

    /// Fetches the sign-in form (its csrf, the pre-session cookie), then
    /// posts a name and a password, as a browser does.
    async fn sign_in(&mut self, door: &str, username: &str, password: &str) -> Answer {
        let form = self
            .send(self.http.get(format!("{}{door}", self.base)))
            .await;
        assert_eq!(form.status, 200, "{door}: {}", form.body);
        let csrf = form
            .body
            .split_once("name=\"csrf\" value=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(csrf, _)| csrf.to_string())
            .expect("a csrf field");
        let post = self.http.post(format!("{}{door}", self.base)).form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
        ]);
        self.send(post).await
    }
}

async fn metrics(server: &Server) -> String {
    server.anonymous().get("/metrics").await.text
}

fn metric(text: &str, line_start: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(line_start))
        .and_then(|v| v.trim().parse().ok())
}

const PROXY: [(&str, &str); 2] = [
    ("COUNTERSIGN_HTTP_BEHIND_PROXY", "true"),
    ("COUNTERSIGN_HTTP_TRUSTED_PROXIES", "127.0.0.1/32"),
];

#[tokio::test]
async fn one_address_is_refused_while_another_gets_through() {
    let mut env = PROXY.to_vec();
    env.push(("COUNTERSIGN_LIMITS_SIGNIN_PER_ADDRESS", "2"));
    let server = Server::start_with(&Db::sqlite(), &env).await;
    for door in ["/portal/login", "/admin/login"] {
        let mut flood = Browser::new(&server, "203.0.113.7");
        for n in 1..=2 {
            let wrong = flood.sign_in(door, "nobody", "wrong password").await;
            assert_eq!(wrong.status, 401, "{door} try {n}: {}", wrong.body);
        }
        let refused = flood.sign_in(door, "nobody", "wrong password").await;
        assert_eq!(refused.status, 429, "{door}: {}", refused.body);
        // 2 a minute: the next try in 30 s.
        assert_eq!(refused.retry_after.as_deref(), Some("30"), "{door}");
        assert!(
            refused
                .body
                .contains("Too many sign-in attempts from your address"),
            "{}",
            refused.body
        );
        // Another address is still answered (and refused for its password).
        let mut other = Browser::new(&server, "198.51.100.20");
        let wrong = other.sign_in(door, "nobody", "wrong password").await;
        assert_eq!(wrong.status, 401, "{door} from another address");
    }
    let text = metrics(&server).await;
    for door in ["portal_signin", "console_signin"] {
        let line = format!("countersign_rate_limited_total{{door=\"{door}\",limit=\"address\"}}");
        assert_eq!(metric(&text, &line), Some(1), "{line} in {text}");
    }
    // The other doors' buckets are not touched by sign-ins.
    let link = "countersign_rate_limited_total{door=\"signin_link\",limit=\"address\"}";
    assert_eq!(metric(&text, link), Some(0));
}

#[tokio::test]
async fn the_api_key_limit_on_verify() {
    let server =
        Server::start_with(&Db::sqlite(), &[("COUNTERSIGN_LIMITS_VERIFY_PER_KEY", "2")]).await;
    let api = server.api(&server.create_key("app", "verify,admin"));
    let other = server.api(&server.create_key("other", "verify"));
    for _ in 0..2 {
        let reply = api
            .post(
                "/api/v1/verify",
                serde_json::json!({"username": "nobody", "code": "123456"}),
            )
            .await;
        assert_ne!(reply.status, 429, "{}", reply.text);
    }
    let refused = api
        .post(
            "/api/v1/verify",
            serde_json::json!({"username": "nobody", "code": "123456"}),
        )
        .await;
    let message = refused.expect_error(429, "rate_limited", "the third verification");
    assert!(message.contains("with this API key"), "{message}");
    let fine = other
        .post(
            "/api/v1/verify",
            serde_json::json!({"username": "nobody", "code": "123456"}),
        )
        .await;
    assert_ne!(fine.status, 429, "another key has its own bucket");
}

/// A directory that takes connections and never answers: a bind to it
/// holds its place in the directory lane until the directory's timeout.
fn silent_directory() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    (listener, port)
}

#[tokio::test]
async fn a_full_directory_lane_answers_busy_at_once() {
    let (_silent, dir_port) = silent_directory();
    let pki_dir = TempDir::new("throttle-pki");
    let ca = pki::Ca::root("Countersign throttle test CA");
    let leaf = ca.leaf(&["127.0.0.1"]);
    let cert = pki::write_pem(pki_dir.path(), "proxy.pem", &[leaf.pem()]);
    let key = pki::write_pem(pki_dir.path(), "proxy-key.pem", &[leaf.key_pem()]);
    let ldap_port = free_port();
    let file = pki_dir.path().join("countersign.toml");
    std::fs::write(
        &file,
        format!(
            "[limits]\ndirectory_binds = 1\ndirectory_queue = 0\nsignin_per_address = 0\n\n\
             [directory]\nurl = \"ldap://127.0.0.1:{dir_port}\"\nkind = \"ldap\"\nallow_plain = true\n\
             bind_dn = \"cn=admin,dc=example,dc=org\"\nbind_password = \"pw\"\nbase_dn = \"dc=example,dc=org\"\n\
             timeout_seconds = 60\n\n\
             [ldap]\nlisten = \"127.0.0.1:{ldap_port}\"\ntls = \"starttls\"\nallow_plain = true\n\
             cert = \"{}\"\nkey = \"{}\"\n\n[[ldap.clients]]\nname = \"wiki\"\naddress = \"127.0.0.0/8\"\n",
            cert.display(),
            key.display()
        ),
    )
    .expect("config file");
    let path = file.display().to_string();
    let secret = "vpn-shared-secret-0123";
    let client: &[&str] = &[
        "--name",
        "vpn",
        "--address",
        "127.0.0.1",
        "--secret",
        secret,
        "--flow",
        "challenge",
        "--first-factor",
        "ldap",
    ];
    let env = [("COUNTERSIGN_CONFIG", path.as_str())];
    let node = RadiusNode::start_with(&Db::sqlite(), &env, &[client]).await;
    let server = &node.server;

    // The first sign-in takes the lane's one place and waits on the directory.
    let mut first = Browser::new(server, "127.0.0.1");
    let held = tokio::spawn(async move { first.sign_in("/portal/login", "alice", "pw").await });
    let in_use = "countersign_work_pool_in_use{lane=\"directory\"}";
    let mut taken = false;
    for _ in 0..400 {
        if metric(&metrics(server).await, in_use) == Some(1) {
            taken = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(taken, "the first sign-in holds the directory lane");

    let mut second = Browser::new(server, "127.0.0.1");
    let busy = second.sign_in("/portal/login", "bob", "pw").await;
    assert_eq!(busy.status, 429, "{}", busy.body);
    assert_eq!(busy.retry_after.as_deref(), Some("1"));
    assert!(busy.body.contains("busy"), "{}", busy.body);

    // The LDAP proxy: a bind is answered busy (51) at once.
    let out = tokio::process::Command::new("ldapwhoami")
        .args(["-x", "-H", &format!("ldap://127.0.0.1:{ldap_port}")])
        .args(["-D", "uid=carol,dc=example,dc=org", "-w", "pw"])
        .env("LDAPCONF", "/dev/null")
        .output()
        .await
        .expect("ldap-utils are installed (scripts/test installs ldap-utils)");
    assert_eq!(out.status.code(), Some(51), "busy: {}", stderr(&out));

    // RADIUS with the password checked by the directory: no answer (the NAS retries).
    let pap = "User-Name = \"dave\", User-Password = \"pw\", Message-Authenticator = 0x00";
    let dropped = radclient(node.port, secret, pap).await;
    assert_eq!(dropped.code, None, "no answer: {}", dropped.output);

    let text = metrics(server).await;
    let refused = "countersign_work_pool_refused_total{lane=\"directory\"}";
    assert_eq!(metric(&text, refused), Some(3), "{text}");
    let busy = "countersign_radius_dropped_total{cause=\"busy\"}";
    assert_eq!(metric(&text, busy), Some(1), "{text}");
    held.abort();
}

#[tokio::test]
async fn doctor_shows_the_limits() {
    let server = Server::with_env(
        &Db::sqlite(),
        &[
            ("COUNTERSIGN_LIMITS_SIGNIN_PER_ADDRESS", "0"),
            ("COUNTERSIGN_LIMITS_ACTIVATION_PER_ADDRESS", "7"),
        ],
    );
    let out = server.cli(&["doctor", "--json"]);
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).expect("doctor --json");
    let finding = |check: &str| {
        findings
            .as_array()
            .and_then(|all| all.iter().find(|f| f["check"] == check))
            .cloned()
            .unwrap_or_else(|| panic!("no {check} in {findings}"))
    };
    let signin = finding("limits.portal_signin");
    assert_eq!(signin["status"], "warn", "{signin}");
    assert!(signin["fix"]
        .as_str()
        .unwrap_or_default()
        .contains("[limits]"));
    let activation = finding("limits.activation");
    assert_eq!(activation["status"], "pass");
    assert!(
        activation["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("7 activation attempts a minute per address"),
        "{activation}"
    );
    let pool = finding("limits.pool");
    assert_eq!(pool["status"], "pass", "{pool}");
}

#[tokio::test]
async fn links_and_activation_are_limited_per_address() {
    let mut env = PROXY.to_vec();
    env.push(("COUNTERSIGN_LIMITS_LINKS_PER_ADDRESS", "1"));
    env.push(("COUNTERSIGN_LIMITS_ACTIVATION_PER_ADDRESS", "1"));
    env.push(("COUNTERSIGN_LIMITS_REFUSAL_DELAY_MS", "0"));
    let server = Server::start_with(&Db::sqlite(), &env).await;
    let mut guesser = Browser::new(&server, "203.0.113.50");
    let link = format!(
        "{}/portal/link/not-a-link",
        server.base().trim_end_matches('/')
    );
    let first = guesser.send(guesser.http.get(&link)).await;
    assert_eq!(first.status, 410, "an unknown link: {}", first.body);
    let second = guesser.send(guesser.http.get(&link)).await;
    assert_eq!(second.status, 429, "{}", second.body);
    assert_eq!(second.retry_after.as_deref(), Some("60"), "1 a minute");
    let mut other = Browser::new(&server, "198.51.100.50");
    assert_eq!(other.send(other.http.get(&link)).await.status, 410);

    let activate = format!("{}/device/v1/activate", server.base().trim_end_matches('/'));
    let body = serde_json::json!({"code": "not-a-code"});
    let first = guesser.send(guesser.http.post(&activate).json(&body)).await;
    assert_ne!(first.status, 429, "{}", first.body);
    let second = guesser.send(guesser.http.post(&activate).json(&body)).await;
    assert_eq!(second.status, 429, "{}", second.body);
    let error: serde_json::Value =
        serde_json::from_str(&second.body).expect("the JSON error shape");
    assert_eq!(error["error"]["code"], "rate_limited", "{error}");
    assert!(second.retry_after.is_some());
}
