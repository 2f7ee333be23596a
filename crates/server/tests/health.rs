//! `countersign health`, the container's health check: exit 0 when the
//! node's own listener answers /healthz, 1 with the reason when it does not.

mod common;

use common::*;

#[tokio::test]
async fn health_asks_the_configured_listener() {
    let mut server = Server::start(&Db::sqlite()).await;
    let listen = server.base().trim_start_matches("http://").to_string();
    let up = server
        .command()
        .env("COUNTERSIGN_HTTP_LISTEN", &listen)
        .arg("health")
        .output()
        .expect("run health");
    assert!(
        up.status.success(),
        "a running node is healthy: {}",
        stderr(&up)
    );
    assert!(
        stdout(&up).contains("/healthz answered 200"),
        "{}",
        stdout(&up)
    );
    server.stop();
    let down = server
        .command()
        .env("COUNTERSIGN_HTTP_LISTEN", &listen)
        .arg("health")
        .output()
        .expect("run health");
    assert_eq!(down.status.code(), Some(1), "a stopped node is not healthy");
    assert!(
        stderr(&down).contains("does not answer"),
        "{}",
        stderr(&down)
    );
}
