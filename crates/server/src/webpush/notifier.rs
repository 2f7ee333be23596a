//! The hub, plus Web Push: the `PushNotifier` the push service is given.

use std::sync::Arc;

use async_trait::async_trait;
use countersign_domain::model::push::{Device, PushTransaction};
use countersign_domain::ports::PushNotifier;

use super::Sender;

pub struct WithWebPush {
    pub hub: Arc<dyn PushNotifier>,
    pub sender: Arc<Sender>,
}

#[async_trait]
impl PushNotifier for WithWebPush {
    async fn request(&self, transaction: &PushTransaction) {
        self.hub.request(transaction).await;
        self.sender.spawn(transaction.clone());
    }

    async fn request_to(&self, transaction: &PushTransaction, devices: &[Device]) {
        self.hub.request_to(transaction, devices).await;
        self.sender.spawn(transaction.clone());
    }

    async fn decided(&self, transaction_id: &str) {
        self.hub.decided(transaction_id).await;
    }
}
