//! The proxy's own connections to the directory, one per bound client:
//! the servers of directory.url in order, secured as the directory is
//! configured (ldaps://, or ldap:// + StartTLS unless allow_plain).

use std::time::Duration;

use countersign_directory::Directory;
use countersign_ldap::{decode, result_code, simple_bind, start_tls_request, ResultCode};
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::wire::{Stream, Wire};

/// Messages from the directory: search entries can be large (photos, certificates).
pub const UPSTREAM_LIMIT: usize = 64 * 1024 * 1024;

/// What went wrong reaching the directory, in words for the log.
pub type Unreachable = String;

/// A connection to the first server that answers, TLS set up, not bound.
pub async fn connect(directory: &Directory) -> Result<Wire, Unreachable> {
    let settings = directory.settings();
    let mut problems = Vec::new();
    for url in &settings.urls {
        match timeout(settings.timeout, connect_one(directory, url)).await {
            Ok(Ok(wire)) => return Ok(wire),
            Ok(Err(problem)) => problems.push(format!("{url}: {problem}")),
            Err(_) => problems.push(format!(
                "{url}: no answer within {} seconds",
                settings.timeout.as_secs()
            )),
        }
    }
    Err(problems.join("; "))
}

async fn connect_one(directory: &Directory, url: &str) -> Result<Wire, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    let secure = parsed.scheme() == "ldaps";
    let host = parsed
        .host_str()
        .ok_or("no host")?
        .trim_matches(['[', ']'])
        .to_string();
    let port = parsed.port().unwrap_or(if secure { 636 } else { 389 });
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot connect ({e})"))?;
    let _ = tcp.set_nodelay(true);
    let plain = Wire::new(Stream::Plain(tcp), UPSTREAM_LIMIT);
    if secure {
        return tls(directory, &host, plain).await;
    }
    if directory.settings().allow_plain {
        return Ok(plain);
    }
    start_tls(directory, &host, plain).await
}

async fn start_tls(directory: &Directory, host: &str, mut wire: Wire) -> Result<Wire, String> {
    const MSGID: i32 = 1;
    wire.send(&start_tls_request(MSGID))
        .await
        .map_err(|e| e.to_string())?;
    let (code, message) = response(&mut wire, MSGID).await?;
    if code != ResultCode::Success {
        return Err(format!(
            "StartTLS refused: {} (use ldaps://, or set directory.allow_plain on a trusted network)",
            countersign_directory::describe(code as u32, &message)
        ));
    }
    tls(directory, host, wire).await
}

async fn tls(directory: &Directory, host: &str, wire: Wire) -> Result<Wire, String> {
    let Stream::Plain(tcp) = wire.into_stream() else {
        return Err("TLS is already on".into());
    };
    let name = ServerName::try_from(host.to_string()).map_err(|e| e.to_string())?;
    let connector = tokio_rustls::TlsConnector::from(directory.tls_config());
    let stream = connector
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS: {e} ({})", directory.tls_advice()))?;
    Ok(Wire::new(
        Stream::Tls(Box::new(tokio_rustls::TlsStream::Client(stream))),
        UPSTREAM_LIMIT,
    ))
}

/// A simple bind on `wire`: the directory's result code and message.
pub async fn bind(
    wire: &mut Wire,
    msgid: i32,
    dn: &str,
    password: &str,
    within: Duration,
) -> Result<(ResultCode, String), String> {
    wire.send(&simple_bind(msgid, dn, password))
        .await
        .map_err(|e| e.to_string())?;
    timeout(within, response(wire, msgid))
        .await
        .map_err(|_| format!("no answer to a bind within {} seconds", within.as_secs()))?
}

/// The bind or extended response to `msgid` (the connection carries nothing else yet).
async fn response(wire: &mut Wire, msgid: i32) -> Result<(ResultCode, String), String> {
    loop {
        let frame = wire
            .next()
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the directory closed the connection")?;
        let message = decode(&frame).map_err(|e| e.to_string())?;
        if let (true, Some((code, text))) = (message.msgid == msgid, result_code(&message)) {
            return Ok((code, text.to_string()));
        }
        if message.msgid == 0 {
            return Err("the directory sent a notice of disconnection".into());
        }
    }
}
