//! The clock: TOTP codes depend on it. Measured against an NTP server
//! (SNTP, RFC 4330) or the Date header of an HTTP(S) URL.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use countersign_domain::ports::diagnostics::Finding;
use tokio::net::UdpSocket;

use super::{Check, Doctor};
use crate::config::Config;

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(ClockCheck));
}

const WARN_SECONDS: f64 = 5.0;
const FAIL_SECONDS: f64 = 30.0;
/// Seconds from 1900 (NTP era 0) to 1970.
const NTP_UNIX_OFFSET: f64 = 2_208_988_800.0;

struct ClockCheck;

#[async_trait]
impl Check for ClockCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        let measured = if let Some(server) = &config.ntp_server {
            sntp_offset(server)
                .await
                .map(|o| (o, format!("NTP server {server}")))
        } else if let Some(url) = &config.time_url {
            date_header_offset(url)
                .await
                .map(|o| (o, format!("the Date header of {url}")))
        } else {
            return vec![Finding::warn(
                "clock.offset",
                "no time source configured, so the clock was not measured",
                "set doctor.ntp_server (or doctor.time_url); TOTP codes fail when the clock is off by more than 30 s",
            )];
        };
        vec![judge(measured)]
    }
}

fn judge(measured: Result<(f64, String), String>) -> Finding {
    match measured {
        Err(e) => Finding::fail(
            "clock.offset",
            format!("the time source did not answer: {e}"),
            "check doctor.ntp_server / doctor.time_url and the network",
        ),
        Ok((offset, source)) => {
            let text = format!("this clock is {offset:+.1} s off {source}");
            if offset.abs() > FAIL_SECONDS {
                Finding::fail("clock.offset", text, "run NTP (chrony or systemd-timesyncd) on this host: TOTP codes are being rejected")
            } else if offset.abs() > WARN_SECONDS {
                Finding::warn("clock.offset", text, "run NTP (chrony or systemd-timesyncd) on this host before TOTP codes start failing")
            } else {
                Finding::pass("clock.offset", text)
            }
        }
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Positive when the server's clock is ahead of ours... reported as how far
/// ours is off: ours minus theirs.
async fn sntp_offset(server: &str) -> Result<f64, String> {
    let socket = UdpSocket::bind("0.0.0.0:0")
        .await
        .map_err(|e| e.to_string())?;
    socket
        .connect(server)
        .await
        .map_err(|e| format!("cannot reach {server}: {e}"))?;
    let mut request = [0u8; 48];
    request[0] = 0x1b; // LI 0, version 3, mode 3 (client)
    let sent = unix_now();
    socket.send(&request).await.map_err(|e| e.to_string())?;
    let mut answer = [0u8; 48];
    let received = tokio::time::timeout(Duration::from_secs(5), socket.recv(&mut answer)).await;
    let len = received
        .map_err(|_| format!("{server} did not answer within 5 s"))?
        .map_err(|e| e.to_string())?;
    let back = unix_now();
    if len < 48 || answer[0] & 0x07 != 4 {
        return Err(format!("{server} did not answer as an NTP server"));
    }
    let seconds = u32::from_be_bytes([answer[40], answer[41], answer[42], answer[43]]) as f64;
    let fraction = u32::from_be_bytes([answer[44], answer[45], answer[46], answer[47]]) as f64
        / 4_294_967_296.0;
    let theirs = seconds + fraction - NTP_UNIX_OFFSET;
    Ok((sent + back) / 2.0 - theirs)
}

async fn date_header_offset(url: &str) -> Result<f64, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let sent = unix_now();
    let response = client.head(url).send().await.map_err(|e| e.to_string())?;
    let back = unix_now();
    let date = response
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| format!("{url} sent no Date header"))?;
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let theirs = time::PrimitiveDateTime::parse(date, &format)
        .map_err(|e| format!("unreadable Date header '{date}': {e}"))?
        .assume_utc()
        .unix_timestamp() as f64;
    // The header has whole seconds: compare with the middle of the exchange.
    Ok((sent + back) / 2.0 - theirs - 0.5)
}
