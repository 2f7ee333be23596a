//! Live connections of this node: device event streams and long-poll
//! waiters. Other nodes hear about requests and decisions through the
//! store (PostgreSQL NOTIFY), so any node can serve any request. The hub
//! is the domain's [`PushNotifier`] and [`Signals`](countersign_domain::ports::Signals)
//! on this node.

mod signals;
mod streams;
mod waiters;

use std::sync::Arc;

use async_trait::async_trait;
use countersign_device_proto::SignInRequest;
use countersign_domain::model::push::{Device, PushTransaction};
use countersign_domain::ports::clock::rfc3339;
use countersign_domain::ports::PushNotifier;
use countersign_domain::PushStore;

pub use streams::Subscription;
pub use waiters::Waiter;

/// PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more; a request
/// larger than this goes by id and the other nodes read it.
const NOTIFY_LIMIT: usize = 7_000;

pub struct Hub {
    node: String,
    /// Devices and transactions to deliver, and NOTIFY to the other nodes.
    store: Arc<dyn PushStore>,
    streams: Arc<streams::Streams>,
    waiters: Arc<waiters::Waiters>,
}

impl Hub {
    pub fn new(store: Arc<dyn PushStore>) -> Self {
        Self {
            node: countersign_domain::model::ids::random_text(12),
            store,
            streams: Arc::new(streams::Streams::new()),
            waiters: Arc::default(),
        }
    }

    /// A new event stream for a device; it leaves the hub when dropped.
    pub fn subscribe(&self, device_id: &str) -> Subscription {
        self.streams.subscribe(device_id)
    }

    /// Ends every event stream of this node (at shutdown).
    pub fn close_streams(&self) {
        self.streams.close_all();
    }

    /// After this node could not hear the others for a while (their
    /// notifications are lost, not queued): its devices' streams end, so
    /// that they reconnect and get their pending requests first, and its
    /// waiters wake to read their transactions again.
    pub fn catch_up(&self) {
        let streams = self.streams.open();
        self.streams.close_all();
        self.waiters.wake_all();
        if streams > 0 {
            tracing::info!(
                streams,
                "hearing the other nodes again: device streams reopen to catch up"
            );
        }
    }

    pub fn open_streams(&self) -> usize {
        self.streams.open()
    }

    /// Transactions someone on this node is waiting on.
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }

    /// What waiters of a transaction wait on (`waiter.notified()`).
    pub fn waiter(&self, transaction_id: &str) -> Waiter {
        self.waiters.waiter(transaction_id)
    }

    fn deliver<'a>(&self, device_ids: impl Iterator<Item = &'a str>, event: &Arc<str>) {
        for device_id in device_ids {
            self.streams.deliver(device_id, event);
        }
    }

    /// Reads the user's devices first: for requests that come without them.
    async fn deliver_reading_devices(&self, transaction: &PushTransaction) {
        match self.store.devices_of_user(&transaction.user_id).await {
            Ok(devices) => {
                let event = event_text(transaction);
                self.deliver(devices.iter().map(|d| d.id.as_str()), &event);
            }
            Err(e) => tracing::error!(error = %e, "cannot read the devices to push to"),
        }
    }

    /// A notification from the store: `node|request|DEVICES|EVENT` (device
    /// ids joined by commas, the event's JSON), `node|request|id` (older
    /// nodes, large events) or `node|decided|id`.
    pub async fn on_remote(&self, payload: &str) {
        let mut parts = payload.splitn(3, '|');
        let (Some(node), Some(kind), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return;
        };
        if node == self.node {
            return;
        }
        match (kind, rest.split_once('|')) {
            ("request", Some((devices, event))) => {
                self.deliver(devices.split(','), &Arc::from(event));
            }
            ("request", None) => {
                if let Ok(Some(transaction)) = self.store.transaction(rest).await {
                    self.deliver_reading_devices(&transaction).await;
                }
            }
            ("decided", _) => self.waiters.wake(rest),
            _ => {}
        }
    }

    async fn tell_other_nodes(&self, kind: &str, what: &str) {
        if let Err(e) = self
            .store
            .notify(&format!("{}|{kind}|{what}", self.node))
            .await
        {
            tracing::warn!(error = %e, "cannot tell the other nodes about a push event");
        }
    }
}

/// The JSON a device receives for a sign-in request (never the number).
/// A transaction as the device sees it (an event `request`, or an item of
/// `GET /device/v1/requests`).
pub fn sign_in_request(t: &PushTransaction) -> SignInRequest {
    SignInRequest {
        id: t.id.clone(),
        user: t.username.clone(),
        application: t.application.clone(),
        client_address: t.client_address.clone(),
        created_at: Some(rfc3339(t.created_at).into()),
        expires_at: Some(rfc3339(t.expires_at).into()),
        number_matching: t.number.is_some(),
        pin_required: t.pin_required,
        extra: Default::default(),
    }
}

/// The data of an event `request`.
pub fn event_text(t: &PushTransaction) -> Arc<str> {
    // Strings, options, bools and a string-keyed map: serializing cannot fail.
    Arc::from(serde_json::to_string(&sign_in_request(t)).unwrap_or_default())
}

#[async_trait]
impl PushNotifier for Hub {
    async fn request(&self, transaction: &PushTransaction) {
        self.deliver_reading_devices(transaction).await;
        self.tell_other_nodes("request", &transaction.id).await;
    }

    async fn request_to(&self, transaction: &PushTransaction, devices: &[Device]) {
        let event = event_text(transaction);
        self.deliver(devices.iter().map(|d| d.id.as_str()), &event);
        let ids: Vec<&str> = devices.iter().map(|d| d.id.as_str()).collect();
        let what = format!("{}|{event}", ids.join(","));
        if what.len() > NOTIFY_LIMIT || ids.iter().any(|id| id.contains([',', '|'])) {
            self.tell_other_nodes("request", &transaction.id).await;
        } else {
            self.tell_other_nodes("request", &what).await;
        }
    }

    async fn decided(&self, transaction_id: &str) {
        self.waiters.wake(transaction_id);
        self.tell_other_nodes("decided", transaction_id).await;
    }
}
