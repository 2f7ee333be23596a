//! What the portal keeps: enrolment links, users' portal passwords and PIN
//! history, and the names users give their tokens (its sessions are
//! [`super::session::Session`]s of users).

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentLinkRow {
    pub id_hash: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// Who made it: `console:NAME`, `cli`, `welcome`.
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortalAccount {
    pub user_id: String,
    pub password_hash: Option<String>,
    /// argon2id hashes of the user's last PINs, newest first.
    pub pin_history: Vec<String>,
    pub updated_at: i64,
}
