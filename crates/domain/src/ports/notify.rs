use crate::model::push::Device;
use crate::model::push::PushTransaction;
use async_trait::async_trait;

/// Tells devices about new sign-in requests and waiters about decisions,
/// on this node and (through the store) on the others.
#[async_trait]
pub trait PushNotifier: Send + Sync {
    async fn request(&self, transaction: &PushTransaction);
    /// The same, to `devices` (the user's, already read by the caller), so
    /// a notifier need not read them again.
    async fn request_to(&self, transaction: &PushTransaction, devices: &[Device]) {
        let _ = devices;
        self.request(transaction).await;
    }
    async fn decided(&self, transaction_id: &str);
}
