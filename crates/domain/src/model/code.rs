#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge {
    pub id: String,
    pub user_id: String,
    pub username: String,
    /// `sms` or `email`.
    pub channel: String,
    pub code_hash: Vec<u8>,
    /// Masked, as shown to the user.
    pub destination: String,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    pub attempts: i64,
    pub created_at: i64,
    pub expires_at: i64,
}
