//! Posting messages to push services (RFC 8030 §5), with what RFC 8030
//! §8.4 / RFC 8292 ask: `TTL` = the time left of the push, `Urgency: high`;
//! 404 and 410 drop the subscription; 429 and 5xx are retried with
//! backoff (or after `Retry-After`) while the push has time left.

use std::sync::Arc;
use std::time::Duration;

use countersign_domain::methods::webpush::{Message, Target, WebPush};
use countersign_domain::metrics::{LabelledCounter, MetricsSource};
use countersign_domain::model::push::PushTransaction;

/// Outcomes of one device's push, as counted and shown in the devices API.
/// `answered`: the request was decided before a retry, which was then not sent.
pub const OUTCOMES: &[&str] = &["delivered", "gone", "failed", "rejected", "answered"];
/// One attempt gives up after this long.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

pub struct WebPushMetrics {
    pub sends: LabelledCounter,
    pub retries: LabelledCounter,
}

impl Default for WebPushMetrics {
    fn default() -> Self {
        Self {
            sends: LabelledCounter::new(OUTCOMES),
            retries: LabelledCounter::new(&["rate_limited", "server_error", "unreachable"]),
        }
    }
}

impl MetricsSource for WebPushMetrics {
    fn render(&self, out: &mut String) {
        self.sends.render(
            "countersign_webpush_sends_total",
            "outcome",
            "Web Push messages to devices, by final outcome.",
            out,
        );
        self.retries.render(
            "countersign_webpush_retries_total",
            "cause",
            "Web Push attempts retried, by cause.",
            out,
        );
    }
}

pub struct Sender {
    web_push: WebPush,
    http: reqwest::Client,
    metrics: Arc<WebPushMetrics>,
}

/// What one attempt came to.
enum Attempt {
    Done(&'static str),
    Retry(&'static str, Option<Duration>),
}

impl Sender {
    pub fn new(web_push: WebPush, metrics: Arc<WebPushMetrics>) -> anyhow::Result<Sender> {
        let resolver = super::resolver::PublicOnly {
            web_push: web_push.clone(),
        };
        let http = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            // Straight to the push service: a proxy would resolve the name itself.
            .no_proxy()
            .dns_resolver(Arc::new(resolver))
            .build()?;
        Ok(Sender {
            web_push,
            http,
            metrics,
        })
    }

    /// Sends to the user's subscribed devices in the background.
    pub fn spawn(self: &Arc<Self>, transaction: PushTransaction) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let me = self.clone();
        runtime.spawn(async move { me.send_all(&transaction).await });
    }

    async fn send_all(self: Arc<Self>, transaction: &PushTransaction) {
        let targets = match self.web_push.targets(&transaction.user_id).await {
            Ok(targets) => targets,
            Err(e) => {
                tracing::warn!(transaction = %transaction.id, error = %e, "web push: the subscriptions could not be read");
                return;
            }
        };
        let mut tasks = Vec::with_capacity(targets.len());
        for target in targets {
            let me = self.clone();
            let transaction = transaction.clone();
            tasks.push(tokio::spawn(async move {
                me.send_one(&target, &transaction).await
            }));
        }
        for task in tasks {
            let _ = task.await;
        }
    }

    async fn send_one(&self, target: &Target, transaction: &PushTransaction) {
        let clock = self.web_push.clock().clone();
        let mut backoff = FIRST_BACKOFF;
        let outcome = loop {
            let left = transaction.expires_at - clock.now();
            if left <= 0 {
                break "failed";
            }
            let message = match self.web_push.message(target, transaction) {
                Ok(message) => message,
                Err(e) => {
                    tracing::warn!(device = %target.device_id, error = %e, "web push: no message could be made");
                    break "rejected";
                }
            };
            match self.attempt(&message, left).await {
                Attempt::Done(outcome) => break outcome,
                Attempt::Retry(cause, after) => {
                    let wait = after.unwrap_or(backoff);
                    if clock.now() + wait.as_secs() as i64 >= transaction.expires_at {
                        tracing::warn!(device = %target.device_id, transaction = %transaction.id, cause, "web push: gave up, the push's time is over");
                        break "failed";
                    }
                    self.metrics.retries.add(cause);
                    tracing::info!(device = %target.device_id, cause, wait_ms = wait.as_millis() as u64, "web push: retrying");
                    tokio::time::sleep(wait).await;
                    if !self
                        .web_push
                        .still_pending(&transaction.id)
                        .await
                        .unwrap_or(true)
                    {
                        break "answered";
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        };
        self.metrics.sends.add(outcome);
        tracing::info!(device = %target.device_id, transaction = %transaction.id, outcome, "web push sent");
        if let Err(e) = self.web_push.record(&target.device_id, outcome).await {
            tracing::warn!(device = %target.device_id, error = %e, "web push: the outcome could not be recorded");
        }
    }

    async fn attempt(&self, message: &Message, ttl: i64) -> Attempt {
        // Literal addresses do not go through the resolver; the allowed
        // networks may have changed since the device subscribed.
        if let Err(e) = self.web_push.endpoint_allowed(&message.endpoint) {
            tracing::warn!(error = %e, "web push: refused to post to the endpoint");
            return Attempt::Done("rejected");
        }
        let reply = self
            .http
            .post(&message.endpoint)
            .header("TTL", ttl.to_string())
            .header("Urgency", "high")
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .header("Authorization", &message.authorization)
            .body(message.body.clone())
            .send()
            .await;
        let reply = match reply {
            Ok(reply) => reply,
            Err(e) => {
                if let Some(refusal) = super::resolver::internal_address(&e) {
                    tracing::warn!(error = %refusal, "web push: refused to post to the endpoint");
                    return Attempt::Done("rejected");
                }
                // Without the URL: the endpoint is the subscription's capability.
                let e = e.without_url();
                tracing::warn!(error = %e, "web push: the push service could not be reached");
                return Attempt::Retry("unreachable", None);
            }
        };
        let status = reply.status().as_u16();
        match status {
            200..=299 => Attempt::Done("delivered"),
            404 | 410 => Attempt::Done("gone"),
            429 => Attempt::Retry("rate_limited", retry_after(reply.headers())),
            500..=599 => Attempt::Retry("server_error", retry_after(reply.headers())),
            _ => {
                tracing::warn!(status, "web push: the push service refused the message (check web_push.subject and the VAPID key)");
                Attempt::Done("rejected")
            }
        }
    }
}

/// `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(text).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", "3".parse().expect("value"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("value"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
    }
}
