//! A syslog collector for the audit stream's bench that keeps nothing: it
//! accepts TCP connections, splits RFC 6587 octet-counted frames, counts
//! them and checks that the `seq="N"` of the structured data goes up by
//! one from frame to frame (a new server run starts its own sequence).
//! Cheap on purpose: on a small machine the collector shares the cores
//! with the server, and the bench is about the server's cost.
//!
//! Writes its counts to `--status FILE` twice a second and on exit:
//! `received N`, `gaps N`, `repeats N`, `restarts N`, `last SEQ`.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Counts octet-counted syslog frames and checks their audit seq")]
struct Options {
    /// Address to listen on (TCP).
    #[arg(long, default_value = "127.0.0.1:5514")]
    listen: String,
    /// Where the counts are written.
    #[arg(long)]
    status: std::path::PathBuf,
}

#[derive(Default)]
struct Counts {
    received: AtomicU64,
    /// A seq more than one past the last.
    gaps: AtomicU64,
    /// The same seq again, or one just below (sent twice).
    repeats: AtomicU64,
    /// A seq far below the last: a new server with its own store.
    restarts: AtomicU64,
    last: AtomicI64,
    /// Frames are checked in the order connections deliver them; one batch
    /// is one connection, and batches do not overlap.
    order: Mutex<()>,
}

fn main() -> Result<()> {
    let options = Options::parse();
    let listener = TcpListener::bind(&options.listen)
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    let counts = Arc::new(Counts::default());
    let writer = counts.clone();
    let path = options.status.clone();
    std::thread::spawn(move || loop {
        write_status(&path, &writer);
        std::thread::sleep(Duration::from_millis(500));
    });
    write_status(&options.status, &counts);
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let counts = counts.clone();
        std::thread::spawn(move || read_frames(conn, &counts));
    }
    Ok(())
}

fn write_status(path: &std::path::Path, c: &Counts) {
    let text = format!(
        "received {}\ngaps {}\nrepeats {}\nrestarts {}\nlast {}\n",
        c.received.load(Ordering::Relaxed),
        c.gaps.load(Ordering::Relaxed),
        c.repeats.load(Ordering::Relaxed),
        c.restarts.load(Ordering::Relaxed),
        c.last.load(Ordering::Relaxed),
    );
    let tmp = path.with_extension("tmp");
    if std::fs::write(&tmp, text).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
}

/// Reads frames until the server ends its side, then closes ours: the
/// server takes our close as the receipt of the whole batch.
fn read_frames(mut conn: TcpStream, counts: &Counts) {
    let _order = counts.order.lock();
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let n = match conn.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        let used = split(&buf, counts);
        buf.drain(..used);
    }
}

/// Counts the whole frames at the start of `buf`; how many bytes they took.
fn split(buf: &[u8], counts: &Counts) -> usize {
    let mut at = 0;
    loop {
        let Some(space) = buf[at..].iter().position(|&b| b == b' ') else {
            return at;
        };
        let Some(len) = std::str::from_utf8(&buf[at..at + space])
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            // Not octet counting: skip what we have.
            return buf.len();
        };
        let end = at + space + 1 + len;
        if buf.len() < end {
            return at;
        }
        check(&buf[at + space + 1..end], counts);
        at = end;
    }
}

fn check(message: &[u8], c: &Counts) {
    c.received.fetch_add(1, Ordering::Relaxed);
    let Some(seq) = seq_of(message) else { return };
    let last = c.last.swap(seq, Ordering::Relaxed);
    if last == 0 || seq == last + 1 {
        return;
    }
    let counter = if seq > last + 1 {
        &c.gaps
    } else if seq + 1000 < last {
        &c.restarts
    } else {
        &c.repeats
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

/// The `seq="N"` of the structured data (in the first few hundred bytes).
fn seq_of(message: &[u8]) -> Option<i64> {
    let head = &message[..message.len().min(300)];
    let key = b"seq=\"";
    let start = head.windows(key.len()).position(|w| w == key)? + key.len();
    let digits = head[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    std::str::from_utf8(&head[start..start + digits])
        .ok()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_split_counted_and_checked() {
        let counts = Counts::default();
        let m =
            |seq: i64| format!("<38>1 t h countersign 1 audit [audit@32473 seq=\"{seq}\"] {{}}");
        let mut bytes = String::new();
        for seq in [5, 6, 8, 8] {
            let msg = m(seq);
            bytes.push_str(&format!("{} {msg}", msg.len()));
        }
        let partial = format!("{} {}", m(9).len(), &m(9)[..10]);
        bytes.push_str(&partial);
        let used = split(bytes.as_bytes(), &counts);
        assert_eq!(used, bytes.len() - partial.len());
        assert_eq!(counts.received.load(Ordering::Relaxed), 4);
        assert_eq!(counts.gaps.load(Ordering::Relaxed), 1);
        assert_eq!(counts.repeats.load(Ordering::Relaxed), 1);
        assert_eq!(counts.last.load(Ordering::Relaxed), 8);
    }
}
