use crate::model::messages::OutboxMessage;
use crate::model::portal::EnrolmentLinkRow;
use crate::model::push::Activation;

/// One user's welcome as `consider` would store it: the activation (for a
/// user without a device), the portal link, the queued message, and the
/// user marked welcomed.
#[derive(Debug, Clone)]
pub struct WelcomeRows {
    pub user_id: String,
    pub welcomed_at: i64,
    pub activation: Option<Activation>,
    pub link: Option<EnrolmentLinkRow>,
    pub message: OutboxMessage,
}
