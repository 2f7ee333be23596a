//! `doctor`'s reachability check of the trunk: one SIP OPTIONS request,
//! its answer read by rsipstack's parser. Any final answer (200, but also
//! 401, 403, 404, 405) shows that a SIP server listens there.

use crate::config::SipTransport;
use crate::error::VoiceError;
use rsipstack::sip::SipMessage;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

/// Sends OPTIONS to `target` (`host:port`) and returns the status of the
/// first final answer, retransmitting over UDP every 500 ms until `limit`.
pub async fn options(
    target: &str,
    transport: SipTransport,
    limit: Duration,
) -> Result<u16, VoiceError> {
    let sip = |e: std::io::Error| VoiceError::Sip(format!("{target}: {e}"));
    let remote = tokio::net::lookup_host(target)
        .await
        .map_err(sip)?
        .next()
        .ok_or_else(|| VoiceError::Sip(format!("{target}: no address")))?;
    let work = async {
        match transport {
            SipTransport::Udp => {
                let socket = UdpSocket::bind(if remote.is_ipv4() {
                    "0.0.0.0:0"
                } else {
                    "[::]:0"
                })
                .await
                .map_err(sip)?;
                socket.connect(remote).await.map_err(sip)?;
                let request = request(
                    target,
                    "UDP",
                    &socket.local_addr().map_err(sip)?.to_string(),
                );
                let mut buffer = vec![0u8; 8192];
                loop {
                    socket.send(request.as_bytes()).await.map_err(sip)?;
                    let read =
                        tokio::time::timeout(Duration::from_millis(500), socket.recv(&mut buffer));
                    if let Ok(Ok(n)) = read.await {
                        if let Some(status) = final_status(&buffer[..n]) {
                            return Ok(status);
                        }
                    }
                }
            }
            // The TLS trunk is checked by a handshake with the configured roots (`tls::check`).
            SipTransport::Tls => Err(VoiceError::Sip(format!(
                "{target}: OPTIONS is not probed over TLS; countersign_voice::tls::check handshakes instead"
            ))),
            SipTransport::Tcp => {
                let mut stream = TcpStream::connect(remote).await.map_err(sip)?;
                let local = stream.local_addr().map_err(sip)?.to_string();
                stream
                    .write_all(request(target, "TCP", &local).as_bytes())
                    .await
                    .map_err(sip)?;
                let mut buffer = vec![0u8; 8192];
                let mut seen = 0;
                loop {
                    let n = stream.read(&mut buffer[seen..]).await.map_err(sip)?;
                    if n == 0 || seen + n == buffer.len() {
                        return Err(VoiceError::Sip(format!(
                            "{target}: closed without an answer"
                        )));
                    }
                    seen += n;
                    if let Some(status) = final_status(&buffer[..seen]) {
                        return Ok(status);
                    }
                }
            }
        }
    };
    tokio::time::timeout(limit, work)
        .await
        .map_err(|_| VoiceError::Sip(format!("{target}: no answer to OPTIONS in {limit:?}")))?
}

/// The status of a final (non-1xx) SIP response.
fn final_status(bytes: &[u8]) -> Option<u16> {
    match SipMessage::try_from(bytes) {
        Ok(SipMessage::Response(r)) if r.status_code.code() >= 200 => Some(r.status_code.code()),
        _ => None,
    }
}

fn request(target: &str, transport: &str, local: &str) -> String {
    let tag: u64 = rand::random();
    format!(
        "OPTIONS sip:{target} SIP/2.0\r\n\
         Via: SIP/2.0/{transport} {local};branch=z9hG4bK{tag:x};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:countersign@{local}>;tag={tag:x}\r\n\
         To: <sip:{target}>\r\n\
         Call-ID: {tag:x}@countersign\r\n\
         CSeq: 1 OPTIONS\r\n\
         Accept: application/sdp\r\n\
         User-Agent: Countersign doctor\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_final_answers_only() {
        let ok = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(final_status(ok), Some(200));
        let trying = b"SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(final_status(trying), None);
        assert_eq!(final_status(b"not sip at all"), None);
        assert!(request("192.0.2.1:5060", "UDP", "127.0.0.1:4000")
            .starts_with("OPTIONS sip:192.0.2.1:5060 SIP/2.0\r\n"));
    }
}
