/// How far a session has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Password right; the administrator's code is next.
    Code,
    /// Password right; the administrator has no second factor yet and must enrol one.
    Enrol,
    /// Fully signed in.
    SignedIn,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Code => "code",
            Stage::Enrol => "enrol",
            Stage::SignedIn => "signed_in",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        [Stage::Code, Stage::Enrol, Stage::SignedIn]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// Keyed hash of the cookie's token (hex).
    pub id_hash: String,
    pub admin_id: String,
    pub stage: Stage,
    /// The token every form of this session carries in its `csrf` field.
    pub csrf: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub address: Option<String>,
}
