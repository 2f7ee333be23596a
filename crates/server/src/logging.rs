//! Structured logs on standard error, as text or JSON.

use tracing_subscriber::EnvFilter;

/// `level` is the configured filter; `RUST_LOG` wins when set.
pub fn init(level: &str, json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // ldap3_proto logs every malformed message a client sends at ERROR; the
    // LDAP proxy reports those itself (peer, client, why) at INFO.
    let filter = match "ldap3_proto=off".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    use std::io::IsTerminal;
    // Colours only for people at a terminal: files and journald get plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
