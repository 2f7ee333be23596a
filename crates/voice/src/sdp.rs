//! SDP (RFC 4566) for one audio stream: the offer Countersign sends and the
//! few things it reads from the answer (RFC 3264): the codec the callee
//! chose, where to send RTP and the telephone-event payload type.

use crate::g711::Law;
use std::net::{IpAddr, SocketAddr};
use thiserror::Error;

/// The payload type offered for telephone-event/8000 (RFC 4733). baresip and
/// most phones send keys as RTP events only when the offer has it.
pub const DTMF_PAYLOAD_TYPE: u8 = 101;

/// Longest answer body read; real ones are a few hundred bytes.
pub const MAX_SDP_LEN: usize = 16 * 1024;

/// Why an SDP answer cannot carry the call.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SdpError {
    #[error("the SDP answer is {0} bytes, more than the 16 KiB allowed")]
    TooLong(usize),
    #[error("the SDP answer is not UTF-8 text")]
    NotText,
    #[error("the SDP answer has no audio stream (m=audio with a port other than 0): the callee refused audio")]
    NoAudio,
    #[error("the SDP answer's audio line is malformed: {0:?}")]
    BadMedia(String),
    #[error("the SDP answer has no connection address (c=) for its audio stream")]
    NoConnection,
    #[error("the SDP answer's connection address {0:?} is not an IP address (host names are not resolved)")]
    BadAddress(String),
    #[error("the callee answered with no codec Countersign offered (PCMU or PCMA); check the PBX's codec settings")]
    NoCommonCodec,
}

/// What Countersign offers: the audio port and address, the laws in order of
/// preference, and whether telephone-event is offered.
#[derive(Debug, Clone)]
pub struct Offer {
    pub address: IpAddr,
    pub port: u16,
    pub codecs: Vec<Law>,
    pub telephone_event: bool,
    /// The o= line's session id (any number; a random one is usual).
    pub session_id: u64,
}

impl Offer {
    /// The offer as SDP text, CRLF line ends.
    pub fn to_sdp(&self) -> String {
        let ip = match self.address {
            IpAddr::V4(_) => "IP4",
            IpAddr::V6(_) => "IP6",
        };
        let mut formats: Vec<String> = self
            .codecs
            .iter()
            .map(|c| c.payload_type().to_string())
            .collect();
        if self.telephone_event {
            formats.push(DTMF_PAYLOAD_TYPE.to_string());
        }
        let mut sdp = format!(
            "v=0\r\no=countersign {id} {id} IN {ip} {addr}\r\ns=countersign\r\nc=IN {ip} {addr}\r\nt=0 0\r\nm=audio {port} RTP/AVP {formats}\r\n",
            id = self.session_id,
            addr = self.address,
            port = self.port,
            formats = formats.join(" "),
        );
        for codec in &self.codecs {
            sdp.push_str(&format!(
                "a=rtpmap:{} {}/8000\r\n",
                codec.payload_type(),
                codec.name()
            ));
        }
        if self.telephone_event {
            sdp.push_str(&format!(
                "a=rtpmap:{DTMF_PAYLOAD_TYPE} telephone-event/8000\r\na=fmtp:{DTMF_PAYLOAD_TYPE} 0-15\r\n"
            ));
        }
        sdp.push_str("a=ptime:20\r\na=sendrecv\r\n");
        sdp
    }
}

/// What the answer settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Where the callee wants RTP (until its own packets show another source).
    pub remote: SocketAddr,
    /// The law and the payload type the callee uses for it.
    pub codec: Law,
    pub codec_payload_type: u8,
    /// The telephone-event payload type, if the callee accepted it.
    pub dtmf_payload_type: Option<u8>,
}

/// The first active audio stream of an SDP answer, matched against `offered`.
pub fn parse_answer(body: &[u8], offered: &[Law]) -> Result<Answer, SdpError> {
    if body.len() > MAX_SDP_LEN {
        return Err(SdpError::TooLong(body.len()));
    }
    let text = std::str::from_utf8(body).map_err(|_| SdpError::NotText)?;
    let mut session_addr: Option<&str> = None;
    let mut media: Option<Media> = None;
    let mut in_other_media = false;
    for line in text.lines().map(str::trim_end) {
        let Some((kind, value)) = line.split_once('=') else {
            continue;
        };
        match kind {
            "m" => {
                if media.is_some() {
                    break; // only the first active audio stream counts
                }
                in_other_media = true;
                if let Some(m) = Media::parse(value)? {
                    media = Some(m);
                    in_other_media = false;
                }
            }
            _ if in_other_media => {}
            "c" => match media.as_mut() {
                Some(m) => m.address = Some(connection_address(value)?),
                None => session_addr = Some(connection_address(value)?),
            },
            "a" => {
                if let Some(m) = media.as_mut() {
                    m.attribute(value);
                }
            }
            _ => {}
        }
    }
    let media = media.ok_or(SdpError::NoAudio)?;
    let addr = media
        .address
        .or(session_addr)
        .ok_or(SdpError::NoConnection)?;
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| SdpError::BadAddress(addr.to_string()))?;
    media.settle(SocketAddr::new(ip, media.port), offered)
}

/// One `m=audio` line and the `a=rtpmap` lines under it.
struct Media<'a> {
    port: u16,
    formats: Vec<u8>,
    rtpmap: Vec<(u8, &'a str)>,
    address: Option<&'a str>,
}

impl<'a> Media<'a> {
    /// `Some` for an active audio stream, `None` for other or refused streams.
    fn parse(value: &'a str) -> Result<Option<Media<'a>>, SdpError> {
        let bad = || SdpError::BadMedia(value.chars().take(100).collect());
        let mut parts = value.split_ascii_whitespace();
        if parts.next() != Some("audio") {
            return Ok(None);
        }
        let port_text = parts.next().ok_or_else(bad)?;
        let port_text = port_text.split('/').next().unwrap_or(port_text);
        let port: u16 = port_text.parse().map_err(|_| bad())?;
        let proto = parts.next().ok_or_else(bad)?;
        if port == 0 || !proto.eq_ignore_ascii_case("RTP/AVP") {
            return Ok(None);
        }
        let formats = parts.filter_map(|f| f.parse::<u8>().ok()).collect();
        Ok(Some(Media {
            port,
            formats,
            rtpmap: Vec::new(),
            address: None,
        }))
    }

    fn attribute(&mut self, value: &'a str) {
        let Some(map) = value.strip_prefix("rtpmap:") else {
            return;
        };
        let mut parts = map.split_ascii_whitespace();
        if let (Some(pt), Some(encoding)) = (parts.next(), parts.next()) {
            if let Ok(pt) = pt.parse() {
                self.rtpmap.push((pt, encoding));
            }
        }
    }

    /// The encoding name and clock rate of a payload type: its rtpmap, or
    /// the static assignments of RFC 3551 for 0 and 8.
    fn encoding(&self, pt: u8) -> Option<(&'a str, &'a str)> {
        if let Some((_, enc)) = self.rtpmap.iter().find(|(p, _)| *p == pt) {
            let mut it = enc.split('/');
            return Some((it.next()?, it.next().unwrap_or("")));
        }
        match pt {
            0 => Some(("PCMU", "8000")),
            8 => Some(("PCMA", "8000")),
            _ => None,
        }
    }

    fn settle(&self, remote: SocketAddr, offered: &[Law]) -> Result<Answer, SdpError> {
        let mut codec = None;
        let mut dtmf = None;
        for &pt in &self.formats {
            let Some((name, rate)) = self.encoding(pt) else {
                continue;
            };
            if rate != "8000" {
                continue;
            }
            if name.eq_ignore_ascii_case("telephone-event") {
                dtmf = dtmf.or(Some(pt));
            } else if let Some(law) = Law::from_name(name).filter(|l| offered.contains(l)) {
                codec = codec.or(Some((law, pt)));
            }
        }
        let (codec, codec_payload_type) = codec.ok_or(SdpError::NoCommonCodec)?;
        Ok(Answer {
            remote,
            codec,
            codec_payload_type,
            dtmf_payload_type: dtmf,
        })
    }
}

/// `IN IP4 192.0.2.1` (a multicast `/ttl` suffix is cut off) to the address text.
fn connection_address(value: &str) -> Result<&str, SdpError> {
    let mut parts = value.split_ascii_whitespace();
    let (_net, _kind) = (parts.next(), parts.next());
    let addr = parts.next().ok_or(SdpError::NoConnection)?;
    Ok(addr.split('/').next().unwrap_or(addr))
}

#[cfg(test)]
#[path = "sdp_tests.rs"]
mod tests;
