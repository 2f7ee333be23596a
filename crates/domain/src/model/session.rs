//! Signed-in browser sessions of every kind, as the store keeps them.

/// Who is signed in: the kind decides which store the subject is read from,
/// and no session of one kind is ever found as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// An administrator in the console (`/admin`).
    Administrator,
    /// A user in the portal (`/portal`).
    User,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Administrator => "administrator",
            SessionKind::User => "user",
        }
    }

    pub fn parse(text: &str) -> Option<SessionKind> {
        [SessionKind::Administrator, SessionKind::User]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// How far a session has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The first factor passed; the second factor is next (or under way).
    SecondFactor,
    /// The first factor passed by someone with no second factor yet:
    /// enrolling one is all this session may do.
    Enrol,
    /// Fully signed in.
    SignedIn,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::SecondFactor => "second_factor",
            Level::Enrol => "enrol",
            Level::SignedIn => "signed_in",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        [Level::SecondFactor, Level::Enrol, Level::SignedIn]
            .into_iter()
            .find(|l| l.as_str() == text)
    }
}

/// One row of the `sessions` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Keyed hash of the cookie's token (hex).
    pub id_hash: String,
    pub kind: SessionKind,
    /// The administrator's or the user's id, as `kind` says.
    pub subject_id: String,
    pub level: Level,
    /// The token every form of this session carries in its `csrf` field.
    pub csrf: String,
    /// The sealed working state (base64), if any.
    pub data: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub address: Option<String>,
}
