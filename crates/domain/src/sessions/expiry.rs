//! When a session is over: idle and absolute limits, and the words for why.

/// Idle and absolute limits; each kind has its own (`[console]`, `[portal]`).
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle_seconds: i64,
    pub absolute_seconds: i64,
}

impl Default for SessionPolicy {
    /// The console's limits.
    fn default() -> Self {
        Self {
            idle_seconds: 30 * 60,
            absolute_seconds: 12 * 3600,
        }
    }
}

impl SessionPolicy {
    /// Why a session made at `created_at` and last used at `last_seen_at` is over at `now`.
    pub fn closed(&self, created_at: i64, last_seen_at: i64, now: i64) -> Option<Closed> {
        if now - created_at >= self.absolute_seconds {
            Some(Closed::TooOld)
        } else if now - last_seen_at >= self.idle_seconds {
            Some(Closed::Idle)
        } else {
            None
        }
    }
}

/// Why a cookie does not open a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// No such session: never was, signed out, or removed everywhere.
    Unknown,
    Idle,
    TooOld,
}

impl Closed {
    /// The word in `/admin/login?ended=...` (and the portal's) that carries why to the sign-in page.
    pub fn as_str(self) -> &'static str {
        match self {
            Closed::Unknown => "out",
            Closed::Idle => "idle",
            Closed::TooOld => "limit",
        }
    }

    pub fn parse(text: &str) -> Option<Closed> {
        [Closed::Unknown, Closed::Idle, Closed::TooOld]
            .into_iter()
            .find(|c| c.as_str() == text)
    }

    pub fn message(self) -> &'static str {
        match self {
            Closed::Unknown => "You are signed out. Sign in to continue.",
            Closed::Idle => "Your session ended after a while without activity. Sign in again.",
            Closed::TooOld => "Your session reached its time limit. Sign in again.",
        }
    }
}
