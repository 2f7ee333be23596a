/// A device's subscription as stored: the endpoint and keys are sealed
/// together (`webpush_subscriptions.<device_id>.subscription`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSubscription {
    pub device_id: String,
    pub user_id: String,
    pub sealed: Vec<u8>,
    pub created_at: i64,
    /// The outcome of the last push to it (`delivered`, `retried`, `gone`, `failed`, `rejected`).
    pub last_result: Option<String>,
    pub last_result_at: Option<i64>,
}
