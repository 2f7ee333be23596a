//! A user's devices: listing them (with their Web Push subscriptions),
//! counting and removing them, and what is pending for one of them.

use crate::model::error::DomainError;
use crate::model::push::{Device, DeviceView, PushTransaction};
use crate::model::user::User;
use crate::model::webpush::StoredSubscription;

use super::Push;

impl Push {
    pub async fn pending_for(&self, device: &Device) -> Result<Vec<PushTransaction>, DomainError> {
        Ok(self
            .store
            .pending_transactions(&device.user_id, self.clock.now())
            .await?
            .into_iter()
            // A call's transaction is the telephone's to settle, not a device's.
            .filter(|t| !crate::model::push::is_call(&t.id))
            .collect())
    }

    pub async fn devices(&self, username: &str) -> Result<Vec<DeviceView>, DomainError> {
        let user = self.accounts.user(username).await?;
        self.devices_of(&user).await
    }

    /// The devices of a user already read (the portal's own user).
    pub async fn devices_of(&self, user: &User) -> Result<Vec<DeviceView>, DomainError> {
        Ok(self
            .store
            .devices_of_user(&user.id)
            .await?
            .iter()
            .map(Device::view)
            .collect())
    }

    /// The user's devices and the Web Push subscriptions stored for them
    /// (kept while Web Push is turned off, so they show either way).
    pub async fn devices_with_subscriptions(
        &self,
        username: &str,
    ) -> Result<(Vec<DeviceView>, Vec<StoredSubscription>), DomainError> {
        let user = self.accounts.user(username).await?;
        let devices = self.devices_of(&user).await?;
        let subscriptions = self.store.subscriptions_of_user(&user.id).await?;
        Ok((devices, subscriptions))
    }

    pub async fn remove_device(&self, username: &str, id: &str) -> Result<(), DomainError> {
        let user = self.accounts.user(username).await?;
        if self.store.delete_device(&user.id, id).await? {
            tracing::info!(user = %user.username, device = %id, "device removed");
            Ok(())
        } else {
            Err(DomainError::not_found("device", id))
        }
    }
}
