//! One call's audio: the RTP socket, the prompt sent as 20 ms G.711 frames
//! (paced, repeated until a key is pressed), and the callee's packets read
//! for RFC 4733 keys and jitter. Symmetric RTP: once the callee's packets
//! arrive, ours go back to where they came from (NAT).

use crate::error::VoiceError;
use crate::keys::{Collector, KeyRules, Source};
use crate::outcome::MediaStats;
use crate::prompts::Prompt;
use crate::rfc4733::Decoder;
use crate::rtp::{self, Jitter, RtpSender};
use crate::sdp::Answer;
use rand::Rng;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

/// Samples in one 20 ms frame at 8 kHz.
const FRAME: usize = 160;

/// The call's RTP socket, bound to an even port of the configured range.
#[derive(Debug)]
pub struct MediaSocket {
    socket: UdpSocket,
    local: SocketAddr,
}

impl MediaSocket {
    /// Binds the first free even port, starting at a random one of `ports`.
    pub async fn bind(ip: IpAddr, ports: &RangeInclusive<u16>) -> Result<Self, VoiceError> {
        let first = ports.start() + ports.start() % 2;
        let evens: Vec<u16> = (first..=*ports.end()).step_by(2).collect();
        if !evens.is_empty() {
            let offset = rand::thread_rng().gen_range(0..evens.len());
            for i in 0..evens.len() {
                let port = evens[(offset + i) % evens.len()];
                if let Ok(socket) = UdpSocket::bind(SocketAddr::new(ip, port)).await {
                    let local = socket.local_addr().unwrap_or(SocketAddr::new(ip, port));
                    return Ok(MediaSocket { socket, local });
                }
            }
        }
        Err(VoiceError::RtpPorts {
            range: format!("{}-{}", ports.start(), ports.end()),
            ip: ip.to_string(),
        })
    }

    pub fn port(&self) -> u16 {
        self.local.port()
    }
}

/// What the audio part of a call needs.
#[derive(Debug, Clone)]
pub struct MediaPlan {
    pub answer: Answer,
    pub prompt: Prompt,
    pub key_timeout: Duration,
    pub repeat_gap: Duration,
    pub keys: KeyRules,
}

/// Why the audio part ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaEnd {
    /// The keys are complete.
    Complete,
    /// The key timeout ended first.
    Timeout,
    /// The callee hung up (or the dialog ended).
    HungUp,
}

#[derive(Debug, Clone)]
pub struct MediaResult {
    pub keys: String,
    pub end: MediaEnd,
    pub stats: MediaStats,
}

/// Plays the prompt and collects keys from RTP and from `info` (SIP INFO,
/// fed by the dialog) until the input is complete, `key_timeout` ends or
/// `hangup` is cancelled.
pub async fn converse(
    socket: MediaSocket,
    plan: MediaPlan,
    mut info: mpsc::UnboundedReceiver<char>,
    hangup: CancellationToken,
) -> MediaResult {
    let mut s = Session::new(socket, &plan);
    let deadline = s.start + plan.key_timeout;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut buf = vec![0u8; 2048];
    let end = loop {
        if s.keys.is_done() {
            break MediaEnd::Complete;
        }
        tokio::select! {
            scheduled = tick.tick() => s.send_frame(scheduled).await,
            received = s.socket.socket.recv_from(&mut buf) => {
                if let Ok((n, from)) = received {
                    s.receive(&buf[..n], from);
                }
            }
            Some(key) = info.recv() => {
                let now = s.now_ms();
                s.keys.push(key, Source::Info, now);
            }
            _ = hangup.cancelled() => break MediaEnd::HungUp,
            _ = tokio::time::sleep_until(deadline) => break MediaEnd::Timeout,
        }
    };
    if let Some(key) = s.decoder.finish().filter(|_| end == MediaEnd::HungUp) {
        let now = s.now_ms();
        s.keys.push(key, Source::Rtp, now);
    }
    s.stats.jitter_ms = s.jitter.value() / 8.0;
    s.stats.send_jitter_ms = s.send_jitter.value() / 8.0;
    s.stats.remote = Some(s.remote);
    MediaResult {
        keys: s.keys.keys().to_string(),
        end,
        stats: s.stats,
    }
}

/// The state of one call's audio.
struct Session {
    socket: MediaSocket,
    sender: RtpSender,
    answer: Answer,
    remote: SocketAddr,
    latched: bool,
    playback: Playback,
    decoder: Decoder,
    keys: Collector,
    jitter: Jitter,
    send_jitter: Jitter,
    stats: MediaStats,
    start: Instant,
    packet: Vec<u8>,
    payload: Vec<u8>,
}

impl Session {
    fn new(socket: MediaSocket, plan: &MediaPlan) -> Self {
        let mut rng = rand::thread_rng();
        let answer = plan.answer.clone();
        Session {
            socket,
            sender: RtpSender::new(answer.codec_payload_type, rng.gen(), rng.gen(), rng.gen()),
            remote: answer.remote,
            latched: false,
            playback: Playback::new(plan.prompt.clone(), plan.repeat_gap),
            decoder: Decoder::new(),
            keys: Collector::new(plan.keys),
            jitter: Jitter::default(),
            send_jitter: Jitter::default(),
            stats: MediaStats {
                codec: answer.codec.name(),
                ..MediaStats::default()
            },
            answer,
            start: Instant::now(),
            packet: Vec::with_capacity(rtp::HEADER_LEN + FRAME),
            payload: Vec::with_capacity(FRAME),
        }
    }

    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    async fn send_frame(&mut self, scheduled: Instant) {
        let late = scheduled.elapsed().as_secs_f64() * 1000.0;
        self.stats.max_send_lateness_ms = self.stats.max_send_lateness_ms.max(late);
        // Barge-in: once a key is pressed the prompt stops; silence keeps the stream alive.
        let mut frame = [0i16; FRAME];
        if self.keys.is_empty() {
            self.playback.next_frame(&mut frame);
        }
        self.answer.codec.encode_into(&frame, &mut self.payload);
        self.sender
            .next(&self.payload, FRAME as u32, &mut self.packet);
        if self
            .socket
            .socket
            .send_to(&self.packet, self.remote)
            .await
            .is_ok()
        {
            self.stats.packets_sent += 1;
            let sent = (self.start.elapsed().as_micros() as i64) * 8 / 1000;
            let n = self.stats.packets_sent as u32;
            self.send_jitter.record(n.wrapping_mul(FRAME as u32), sent);
        }
        self.stats.prompt_plays = self.playback.plays;
        if let Some(key) = self.decoder.tick(self.now_ms()) {
            let now = self.now_ms();
            self.keys.push(key, Source::Rtp, now);
        }
    }

    fn receive(&mut self, datagram: &[u8], from: SocketAddr) {
        let Ok(packet) = rtp::parse(datagram) else {
            return;
        };
        if !self.latched {
            self.latched = true;
            self.remote = from;
        } else if from != self.remote {
            return; // not the stream we latched onto
        }
        self.stats.packets_received += 1;
        let now = self.now_ms();
        if Some(packet.header.payload_type) == self.answer.dtmf_payload_type {
            self.stats.dtmf_packets += 1;
            for key in self.decoder.push(&packet.header, packet.payload, now) {
                self.keys.push(key, Source::Rtp, now);
            }
        } else if packet.header.payload_type == self.answer.codec_payload_type {
            let arrival = (self.start.elapsed().as_micros() as i64) * 8 / 1000;
            self.jitter.record(packet.header.timestamp, arrival);
        }
    }
}

/// The prompt, then `gap` of silence, again and again.
struct Playback {
    prompt: Prompt,
    gap: usize,
    position: usize,
    plays: u32,
}

impl Playback {
    fn new(prompt: Prompt, gap: Duration) -> Self {
        Playback {
            prompt,
            gap: (gap.as_millis() as usize) * 8,
            position: 0,
            plays: 0,
        }
    }

    fn next_frame(&mut self, frame: &mut [i16; FRAME]) {
        let samples = self.prompt.samples();
        let cycle = samples.len() + self.gap;
        if cycle == 0 {
            return;
        }
        for slot in frame.iter_mut() {
            if self.position == 0 {
                self.plays += 1;
            }
            *slot = samples.get(self.position).copied().unwrap_or(0);
            self.position = (self.position + 1) % cycle;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playback_repeats_with_a_gap() {
        let prompt = Prompt::from_samples(vec![7; 200]);
        let mut p = Playback::new(prompt, Duration::from_millis(15));
        let mut frames = Vec::new();
        for _ in 0..4 {
            let mut f = [0i16; FRAME];
            p.next_frame(&mut f);
            frames.extend_from_slice(&f);
        }
        // 200 samples of prompt, 120 of silence, then the prompt again.
        assert!(frames[..200].iter().all(|&s| s == 7));
        assert!(frames[200..320].iter().all(|&s| s == 0));
        assert!(frames[320..520].iter().all(|&s| s == 7));
        assert_eq!(p.plays, 2);
    }

    #[tokio::test]
    async fn binds_an_even_port_in_range_or_says_none_is_free() {
        let ip: IpAddr = "127.0.0.1".parse().expect("ip");
        let a = MediaSocket::bind(ip, &(41000..=41003))
            .await
            .expect("a port");
        assert!(a.port() % 2 == 0 && (41000..=41003).contains(&a.port()));
        let b = MediaSocket::bind(ip, &(41000..=41003))
            .await
            .expect("the other port");
        assert_ne!(a.port(), b.port());
        let err = MediaSocket::bind(ip, &(41000..=41003))
            .await
            .expect_err("full");
        assert!(
            err.to_string().contains("no free RTP port in 41000-41003"),
            "{err}"
        );
    }
}
