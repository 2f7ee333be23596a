//! Live connections of this node: device event streams and long-poll
//! waiters. Other nodes hear about requests and decisions through the
//! store (PostgreSQL NOTIFY), so any node can serve any request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use countersign_domain::clock::rfc3339;
use std::time::Duration;

use countersign_domain::push::{PushTransaction, TxStatus};
use countersign_domain::push_policy::PushNotifier;
use countersign_domain::push_service::Push;
use countersign_domain::DomainError;
use countersign_domain::Store;
use serde_json::json;
use tokio::sync::{mpsc, Notify};

/// Events queued per stream before a slow device is skipped.
const STREAM_QUEUE: usize = 32;

pub struct Hub {
    node: String,
    store: Arc<dyn Store>,
    streams: Mutex<HashMap<String, Vec<mpsc::Sender<Arc<str>>>>>,
    waiters: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Hub {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            node: countersign_domain::ids::random_text(12),
            store,
            streams: Mutex::default(),
            waiters: Mutex::default(),
        }
    }

    /// A new event stream for a device; dropped receivers are pruned on delivery.
    pub fn subscribe(&self, device_id: &str) -> mpsc::Receiver<Arc<str>> {
        let (sender, receiver) = mpsc::channel(STREAM_QUEUE);
        if let Ok(mut streams) = self.streams.lock() {
            streams
                .entry(device_id.to_string())
                .or_default()
                .push(sender);
        }
        receiver
    }

    /// Ends every event stream of this node (at shutdown).
    pub fn close_streams(&self) {
        if let Ok(mut streams) = self.streams.lock() {
            streams.clear();
        }
    }

    pub fn open_streams(&self) -> usize {
        self.streams
            .lock()
            .map(|s| s.values().map(Vec::len).sum())
            .unwrap_or(0)
    }

    /// What waiters of a transaction wait on.
    pub fn waiter(&self, transaction_id: &str) -> Arc<Notify> {
        let Ok(mut waiters) = self.waiters.lock() else {
            return Arc::new(Notify::new());
        };
        waiters
            .entry(transaction_id.to_string())
            .or_default()
            .clone()
    }

    fn wake(&self, transaction_id: &str) {
        let waiter = self
            .waiters
            .lock()
            .ok()
            .and_then(|mut w| w.remove(transaction_id));
        if let Some(waiter) = waiter {
            waiter.notify_waiters();
        }
    }

    async fn deliver(&self, transaction: &PushTransaction) {
        let devices = match self.store.devices_of_user(&transaction.user_id).await {
            Ok(devices) => devices,
            Err(e) => return tracing::error!(error = %e, "cannot read the devices to push to"),
        };
        let event: Arc<str> = Arc::from(event_json(transaction).to_string());
        let Ok(mut streams) = self.streams.lock() else {
            return;
        };
        for device in devices {
            if let Some(senders) = streams.get_mut(&device.id) {
                senders.retain(|s| !s.is_closed());
                for sender in senders.iter() {
                    let _ = sender.try_send(event.clone());
                }
            }
        }
        streams.retain(|_, senders| !senders.is_empty());
    }

    /// A notification from the store: `node|request|id` or `node|decided|id`.
    pub async fn on_remote(&self, payload: &str) {
        let mut parts = payload.splitn(3, '|');
        let (Some(node), Some(kind), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
            return;
        };
        if node == self.node {
            return;
        }
        match kind {
            "request" => {
                if let Ok(Some(transaction)) = self.store.transaction(id).await {
                    self.deliver(&transaction).await;
                }
            }
            "decided" => self.wake(id),
            _ => {}
        }
    }

    async fn tell_other_nodes(&self, kind: &str, id: &str) {
        if let Err(e) = self
            .store
            .notify(&format!("{}|{kind}|{id}", self.node))
            .await
        {
            tracing::warn!(error = %e, "cannot tell the other nodes about a push event");
        }
    }
}

impl Hub {
    /// The transaction once decided, or after `wait` seconds, or at its own
    /// timeout; `None` when there is no such transaction.
    pub async fn wait_for_decision(
        &self,
        push: &Push,
        id: &str,
        wait: u64,
    ) -> Result<Option<PushTransaction>, DomainError> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
        loop {
            let waiter = self.waiter(id);
            let notified = waiter.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let Some(transaction) = push.status(id).await? else {
                return Ok(None);
            };
            let now = tokio::time::Instant::now();
            if transaction.status != TxStatus::Pending || now >= deadline {
                return Ok(Some(transaction));
            }
            // Wake at the decision, the caller's deadline, or the push's own timeout.
            let until_timeout = (transaction.expires_at - push.clock().now()).max(0) as u64;
            let sleep = (deadline - now)
                .min(Duration::from_secs(until_timeout) + Duration::from_millis(200));
            let _ = tokio::time::timeout(sleep, notified).await;
        }
    }
}

/// The JSON a device receives for a sign-in request (never the number).
pub fn event_json(t: &PushTransaction) -> serde_json::Value {
    json!({
        "id": t.id,
        "user": t.username,
        "application": t.application,
        "client_address": t.client_address,
        "created_at": rfc3339(t.created_at),
        "expires_at": rfc3339(t.expires_at),
        "number_matching": t.number.is_some(),
        "pin_required": t.pin_required,
    })
}

#[async_trait]
impl PushNotifier for Hub {
    async fn request(&self, transaction: &PushTransaction) {
        self.deliver(transaction).await;
        self.tell_other_nodes("request", &transaction.id).await;
    }

    async fn decided(&self, transaction_id: &str) {
        self.wake(transaction_id);
        self.tell_other_nodes("decided", transaction_id).await;
    }
}
