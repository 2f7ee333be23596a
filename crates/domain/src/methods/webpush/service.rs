//! Subscriptions and messages: what the device registers, what each push
//! sends, and the VAPID key every node shares.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::{ece, VapidKey, WebPushError};
use crate::crypto::SecretKey;
use crate::model::push::{Device, PushTransaction};
use crate::model::webpush::StoredSubscription;
use crate::ports::clock::Clock;
use crate::ports::WebPushPorts;
use crate::DomainError;

/// Where the sealed VAPID key lives in `meta`.
const VAPID_META: &str = "webpush.vapid_key";

#[derive(Debug, Clone)]
pub struct WebPushPolicy {
    /// The VAPID `sub` claim: `mailto:` or `https:` contact of the operator.
    pub subject: String,
    /// Lets endpoints be `http://` (tests only; their addresses are still
    /// held to `allowed_networks`).
    pub allow_http: bool,
    /// Internal addresses (private, loopback, link-local...) that endpoints
    /// may nonetheless reach (`web_push.allowed_networks`).
    pub allowed_networks: Vec<crate::model::net::IpNet>,
    /// Shown in the notification.
    pub account_name: String,
}

/// What `PUT /device/v1/webpush` carries (the browser's `PushSubscription.toJSON()`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriptionInput {
    pub endpoint: String,
    /// base64url: `p256dh` (65-byte point) and `auth` (16 bytes).
    pub p256dh: String,
    pub auth: String,
}

/// One device to reach, opened.
#[derive(Debug, Clone)]
pub struct Target {
    pub device_id: String,
    pub endpoint: String,
    p256dh: Vec<u8>,
    auth: Vec<u8>,
}

/// One encrypted push message, ready to post.
#[derive(Debug, Clone)]
pub struct Message {
    pub endpoint: String,
    pub authorization: String,
    pub body: Vec<u8>,
}

#[derive(Clone)]
pub struct WebPush {
    store: Arc<dyn WebPushPorts>,
    clock: Arc<dyn Clock>,
    key: SecretKey,
    vapid: Arc<VapidKey>,
    policy: WebPushPolicy,
}

impl WebPush {
    /// Loads the VAPID key, or makes it at first start. `put_meta_once`
    /// keeps the first node's key, so every node signs with the same one.
    pub async fn open(
        store: Arc<dyn WebPushPorts>,
        clock: Arc<dyn Clock>,
        key: SecretKey,
        policy: WebPushPolicy,
    ) -> Result<WebPush, WebPushError> {
        let sealed = match store.get_meta(VAPID_META).await? {
            Some(sealed) => sealed,
            None => {
                let (_, pkcs8) = VapidKey::generate()?;
                let sealed = key.seal("meta", VAPID_META, "value", &pkcs8);
                store.put_meta_once(VAPID_META, &sealed).await?
            }
        };
        let pkcs8 = key.open("meta", VAPID_META, "value", &sealed)?;
        let vapid = Arc::new(VapidKey::from_pkcs8(&pkcs8)?);
        Ok(WebPush {
            store,
            clock,
            key,
            vapid,
            policy,
        })
    }

    /// The `applicationServerKey` (base64url, uncompressed P-256 point).
    pub fn public_key(&self) -> String {
        self.vapid.public_key_base64url()
    }

    pub fn policy(&self) -> &WebPushPolicy {
        &self.policy
    }

    /// Whether a message may be posted to this endpoint: https (or http
    /// when allowed, in tests), and not at an internal address literally
    /// (names are checked once resolved, by the sender).
    pub fn endpoint_allowed(&self, endpoint: &str) -> Result<(), WebPushError> {
        let audience = super::audience(endpoint)?;
        let authority = match audience.split_once("://") {
            Some(("https", authority)) => authority,
            Some(("http", authority)) if self.policy.allow_http => authority,
            _ => {
                return Err(WebPushError::BadSubscription(
                    "the endpoint must be https (push services are)",
                ))
            }
        };
        match super::endpoint::literal_address(authority) {
            Some(ip) if !self.address_allowed(ip) => Err(WebPushError::BadSubscription(
                "the endpoint is a private, loopback or link-local address; \
                 push services are on the internet (web_push.allowed_networks lets an internal one through)",
            )),
            _ => Ok(()),
        }
    }

    /// Whether a post may go to `ip` (a literal or resolved endpoint address).
    pub fn address_allowed(&self, ip: std::net::IpAddr) -> bool {
        super::endpoint::address_allowed(ip, &self.policy.allowed_networks)
    }

    /// Registers (or replaces) the device's subscription.
    pub async fn subscribe(
        &self,
        device: &Device,
        input: &SubscriptionInput,
    ) -> Result<(), WebPushError> {
        if input.endpoint.len() > 2048 {
            return Err(WebPushError::BadSubscription(
                "the endpoint is longer than 2048 characters",
            ));
        }
        self.endpoint_allowed(&input.endpoint)?;
        let p256dh = decode(&input.p256dh)
            .filter(|k| k.len() == 65 && k[0] == 4)
            .ok_or(WebPushError::BadSubscription(
                "keys.p256dh must be a 65-byte uncompressed P-256 point in base64url",
            ))?;
        let auth =
            decode(&input.auth)
                .filter(|k| k.len() == 16)
                .ok_or(WebPushError::BadSubscription(
                    "keys.auth must be 16 bytes in base64url",
                ))?;
        let plain = serde_json::to_vec(&SubscriptionInput {
            endpoint: input.endpoint.clone(),
            p256dh: URL_SAFE_NO_PAD.encode(p256dh),
            auth: URL_SAFE_NO_PAD.encode(auth),
        })
        .map_err(|_| WebPushError::Crypto("subscription encoding"))?;
        let stored = StoredSubscription {
            sealed: self
                .key
                .seal("webpush_subscriptions", &device.id, "subscription", &plain),
            device_id: device.id.clone(),
            user_id: device.user_id.clone(),
            created_at: self.clock.now(),
            last_result: None,
            last_result_at: None,
        };
        self.store.put_subscription(&stored).await?;
        tracing::info!(device = %device.id, "web push subscription registered");
        Ok(())
    }

    pub async fn unsubscribe(&self, device: &Device) -> Result<bool, DomainError> {
        let removed = self.store.delete_subscription(&device.id).await?;
        if removed {
            tracing::info!(device = %device.id, "web push subscription removed");
        }
        Ok(removed)
    }

    /// The user's subscriptions as stored (for the devices API).
    pub async fn states(&self, user_id: &str) -> Result<Vec<StoredSubscription>, DomainError> {
        Ok(self.store.subscriptions_of_user(user_id).await?)
    }

    /// The subscribed devices of the user, opened. One that does not open
    /// (copied from another row, or a changed key) is skipped and logged.
    pub async fn targets(&self, user_id: &str) -> Result<Vec<Target>, DomainError> {
        let stored = self.store.subscriptions_of_user(user_id).await?;
        let mut targets = Vec::with_capacity(stored.len());
        for s in stored {
            let opened = self
                .key
                .open(
                    "webpush_subscriptions",
                    &s.device_id,
                    "subscription",
                    &s.sealed,
                )
                .ok()
                .and_then(|plain| serde_json::from_slice::<SubscriptionInput>(&plain).ok());
            match opened.and_then(|input| {
                Some(Target {
                    device_id: s.device_id.clone(),
                    endpoint: input.endpoint,
                    p256dh: decode(&input.p256dh)?,
                    auth: decode(&input.auth)?,
                })
            }) {
                Some(target) => targets.push(target),
                None => {
                    tracing::warn!(device = %s.device_id, "a web push subscription does not open: the app must turn notifications on again")
                }
            }
        }
        Ok(targets)
    }

    /// The encrypted message for one sign-in request: only its id and a short label.
    pub fn message(
        &self,
        target: &Target,
        transaction: &PushTransaction,
    ) -> Result<Message, WebPushError> {
        self.endpoint_allowed(&target.endpoint)?;
        let label: String = format!("Sign-in request ({})", self.policy.account_name)
            .chars()
            .take(64)
            .collect();
        let plain =
            serde_json::json!({"transaction_id": transaction.id, "label": label}).to_string();
        let receiver = ece::Receiver {
            p256dh: &target.p256dh,
            auth: &target.auth,
        };
        Ok(Message {
            endpoint: target.endpoint.clone(),
            authorization: self.vapid.authorization(
                &target.endpoint,
                &self.policy.subject,
                self.clock.now(),
            )?,
            body: ece::encrypt(&receiver, plain.as_bytes())?,
        })
    }

    /// Whether the sign-in request still waits for an answer (a retry to
    /// wake a phone for a decided request would only confuse its user).
    pub async fn still_pending(&self, transaction_id: &str) -> Result<bool, DomainError> {
        Ok(self
            .store
            .transaction(transaction_id)
            .await?
            .is_some_and(|t| t.status == crate::model::push::TxStatus::Pending))
    }

    /// Notes the outcome of a push to a device; `gone` also drops its subscription.
    pub async fn record(&self, device_id: &str, result: &str) -> Result<(), DomainError> {
        if result == "gone" {
            self.store.delete_subscription(device_id).await?;
            tracing::info!(device = %device_id, "web push subscription gone (404/410): dropped");
            return Ok(());
        }
        Ok(self
            .store
            .record_push_result(device_id, result, self.clock.now())
            .await?)
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
}

fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .ok()
}
