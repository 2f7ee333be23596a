//! A `countersign` node run as a process for the server's tests: the
//! testkit's [`Countersign`] node (data directory, settings, CLI, `serve`
//! stopped on drop) of this crate's binary, on a test's [`Db`], ready when
//! it answers `/healthz`, with JSON clients of its API.

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use countersign_testkit::server::Countersign;
use countersign_testkit::serving::Startup;

use super::{Api, Db, BIN};

const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// One `countersign` node: everything of the testkit's [`Countersign`]
/// (through `Deref`), started on its database, with an HTTP client.
pub struct Server {
    node: Countersign,
    http: reqwest::Client,
}

impl Deref for Server {
    type Target = Countersign;

    fn deref(&self) -> &Countersign {
        &self.node
    }
}

impl DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Countersign {
        &mut self.node
    }
}

impl Server {
    /// A node on `db` that is not started yet: its CLI already works.
    pub fn new(db: &Db) -> Server {
        Self::with_env(db, &[])
    }

    /// Like [`Server::new`], with extra `COUNTERSIGN_*` settings.
    pub fn with_env(db: &Db, extra: &[(&str, &str)]) -> Server {
        let mut env = db.env();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        Server {
            node: Countersign::with_binary(BIN, env),
            http,
        }
    }

    /// Starts a node on `db` and waits until it answers `/healthz`.
    pub async fn start(db: &Db) -> Server {
        Self::start_with(db, &[]).await
    }

    pub async fn start_with(db: &Db, extra: &[(&str, &str)]) -> Server {
        let mut server = Self::with_env(db, extra);
        server.spawn().await;
        server
    }

    /// Starts `countersign serve` on a free port and waits until it is ready.
    pub async fn spawn(&mut self) {
        self.node.launch();
        self.wait_started().await;
    }

    /// Starts `serve` on `port` (chosen ahead, e.g. for a WebAuthn origin
    /// in the settings) and waits until it is ready.
    pub async fn spawn_on(&mut self, port: u16) {
        self.node.launch_on(port);
        assert!(
            self.wait_ready().await,
            "port {port} was taken; its log:\n{}",
            self.stderr()
        );
    }

    /// Starts `serve` again on the port it had (after a crash: where the
    /// load balancer expects it) and waits until it is ready.
    pub async fn respawn(&mut self) {
        let port = self.node.port();
        self.node.launch_on(port);
        self.wait_started().await;
    }

    /// Starts `count` nodes on `db` at the same moment, as a cluster coming
    /// up does, and waits until every one is ready.
    pub async fn start_together(db: &Db, count: usize, extra: &[(&str, &str)]) -> Vec<Server> {
        let mut servers: Vec<Server> = (0..count).map(|_| Self::with_env(db, extra)).collect();
        for server in &mut servers {
            server.node.launch();
        }
        for server in &mut servers {
            server.wait_started().await;
        }
        servers
    }

    /// Waits for the launched process, launching it again on another port
    /// when another program took its port between choosing and binding it.
    async fn wait_started(&mut self) {
        for _retry in 0..5 {
            if self.wait_ready().await {
                return;
            }
            self.node.launch();
        }
        panic!(
            "the server could not bind a free port in 5 attempts; its log:\n{}",
            self.stderr()
        );
    }

    /// true when it answers `/healthz`; false when it could not bind its port (retry).
    async fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            match self.node.startup() {
                Startup::PortTaken => return false,
                Startup::Listening => {
                    if let Ok(reply) = self.http.get(self.url("/healthz")).send().await {
                        if reply.status() == 200 {
                            return true;
                        }
                    }
                }
                Startup::Starting => {}
            }
            if Instant::now() > deadline {
                self.node.crash();
                panic!(
                    "the server did not answer GET /healthz with 200 within {READY_TIMEOUT:?}; its stderr:\n{}",
                    self.stderr()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A client calling with this API key.
    pub fn api(&self, key: &str) -> Api {
        Api::new(self.http.clone(), self.base(), Some(key.to_string()))
    }

    /// A client sending no Authorization header.
    pub fn anonymous(&self) -> Api {
        Api::new(self.http.clone(), self.base(), None)
    }
}
