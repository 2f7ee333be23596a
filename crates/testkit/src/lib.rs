//! Helpers for tests, shared by every crate's integration tests: throwaway
//! directories and PostgreSQL databases that clean up after themselves,
//! free ports and polling, a private PKI, the real `countersign` binary as
//! a process, and real peers (an SMTP sink, Kannel, headless Chromium over
//! WebDriver, HAProxy, a PostgreSQL server of the test's own, Apache with
//! mod_auth_openidc, nginx auth_request, Caddy forward_auth), each stopped on drop.

pub mod apache_oidc;
pub mod browser;
pub mod caddy_auth;
pub mod haproxy;
pub mod kannel;
pub mod nginx_auth;
mod peer;
mod pg;
mod pg_server;
pub mod pki;
mod ports;
pub mod server;
pub mod serving;
pub mod sip;
pub mod smtp_sink;
mod tempdir;
mod wait;

pub use peer::{python, Peer};
pub use pg::{postgres_admin_url, TempPostgres};
pub use pg_server::PgServer;
pub use ports::{free_port, free_udp_port, try_free_port};
pub use tempdir::TempDir;
pub use wait::{wait_until, wait_until_async};

/// A short random lower-case name part.
pub fn random_suffix() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| char::from(b'a' + rng.gen_range(0..26u8)))
        .collect()
}

/// The sign-in engine in-process, on a temporary SQLite store.
pub mod engine;
