//! What a call came to.

use std::time::Duration;

/// What the callee did. The engine maps it onto a sign-in result
/// (`#` accepted, `0#` fraud, a PIN, `no_key` a refusal, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    /// Answered and pressed these keys, ending with the terminator (`#`,
    /// `1234#`, `0#`) or reaching the configured number of keys.
    Keys(String),
    /// Answered, but the input was not complete when the key timeout ended
    /// or the callee hung up; `partial` holds what was pressed.
    NoKey { partial: String, hung_up: bool },
    /// Rang until the ring timeout (or the far end gave up: 408, 480, 487).
    Unanswered,
    /// 486 Busy Here or 600 Busy Everywhere.
    Busy,
    /// 603 Decline: the callee (or their phone) refused the call.
    Declined,
    /// Any other end: a final SIP status (404, 488, 503, ...), or none when
    /// the trunk did not answer at all or the answer was unusable.
    Failed { status: Option<u16>, reason: String },
}

impl CallOutcome {
    /// A stable word for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            CallOutcome::Keys(_) => "keys",
            CallOutcome::NoKey { .. } => "no_key",
            CallOutcome::Unanswered => "unanswered",
            CallOutcome::Busy => "busy",
            CallOutcome::Declined => "declined",
            CallOutcome::Failed { .. } => "failed",
        }
    }

    /// The outcome of a final non-2xx status to the INVITE.
    pub fn from_status(status: u16, reason: &str) -> CallOutcome {
        match status {
            486 | 600 => CallOutcome::Busy,
            603 => CallOutcome::Declined,
            408 | 480 | 487 => CallOutcome::Unanswered,
            _ => CallOutcome::Failed {
                status: Some(status),
                reason: reason.to_string(),
            },
        }
    }
}

/// The media side of an answered call, for `voice test`, logs and the bench.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaStats {
    pub codec: &'static str,
    pub packets_sent: u64,
    pub packets_received: u64,
    pub dtmf_packets: u64,
    /// RFC 3550 interarrival jitter of the callee's audio, milliseconds.
    pub jitter_ms: f64,
    /// RFC 3550 jitter of our own stream as it left (send time against RTP
    /// timestamp): what a receiver next to us would measure, milliseconds.
    pub send_jitter_ms: f64,
    /// The latest a 20 ms frame left after its time, milliseconds.
    pub max_send_lateness_ms: f64,
    /// Where RTP was sent in the end (the SDP's address, or the source of
    /// the callee's packets: symmetric RTP).
    pub remote: Option<std::net::SocketAddr>,
    pub prompt_plays: u32,
}

/// A call's outcome and how it went.
#[derive(Debug, Clone)]
pub struct CallReport {
    pub outcome: CallOutcome,
    /// The Request-URI dialled.
    pub target: String,
    /// The final status of the INVITE, if one came.
    pub status: Option<u16>,
    /// From the INVITE to the answer (or the final failure).
    pub setup: Duration,
    /// From the answer to the end of the input (zero if not answered).
    pub talk: Duration,
    pub media: MediaStats,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(
            CallOutcome::from_status(486, "Busy Here"),
            CallOutcome::Busy
        );
        assert_eq!(CallOutcome::from_status(600, ""), CallOutcome::Busy);
        assert_eq!(CallOutcome::from_status(603, ""), CallOutcome::Declined);
        assert_eq!(CallOutcome::from_status(487, ""), CallOutcome::Unanswered);
        assert_eq!(
            CallOutcome::from_status(404, "Not Found"),
            CallOutcome::Failed {
                status: Some(404),
                reason: "Not Found".into()
            }
        );
        assert_eq!(CallOutcome::Busy.label(), "busy");
    }
}
