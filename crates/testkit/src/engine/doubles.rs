//! Stand-ins for the engine's outside I/O, and nothing else: a messenger
//! that keeps the texts and emails the outbox would send, and the phones'
//! side of push (the requests sent, the waiters woken on a decision).
//! Everything between them and the store is the real thing.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use countersign_domain::model::messages::{MessageContent, MessageKind, SendFailure};
use countersign_domain::model::push::PushTransaction;
use countersign_domain::ports::{Composer, Messenger, PushNotifier, Signals};
use countersign_messaging::Templates;
use tokio::sync::broadcast;

/// One message the outbox handed to the SMS gateway or the mail server.
#[derive(Debug, Clone)]
pub struct SentMessage {
    pub kind: MessageKind,
    pub recipient: String,
    pub content: MessageContent,
}

impl SentMessage {
    /// The first run of `digits` digits in the text: the code it carries.
    pub fn code(&self, digits: usize) -> Option<String> {
        self.content
            .text
            .split(|c: char| !c.is_ascii_digit())
            .find(|word| word.len() == digits)
            .map(str::to_string)
    }
}

/// A [`Messenger`] that keeps every message instead of sending it.
#[derive(Debug, Default)]
pub struct CapturedMessages(Mutex<Vec<SentMessage>>);

impl CapturedMessages {
    /// Every message sent so far, oldest first.
    pub fn all(&self) -> Vec<SentMessage> {
        self.0.lock().expect("messages lock").clone()
    }

    /// The newest message to `recipient`.
    pub fn last_to(&self, recipient: &str) -> Option<SentMessage> {
        self.all()
            .into_iter()
            .rev()
            .find(|m| m.recipient == recipient)
    }
}

#[async_trait]
impl Messenger for CapturedMessages {
    async fn send(
        &self,
        kind: MessageKind,
        recipient: &str,
        content: &MessageContent,
    ) -> Result<(), SendFailure> {
        self.0.lock().expect("messages lock").push(SentMessage {
            kind,
            recipient: recipient.to_string(),
            content: content.clone(),
        });
        Ok(())
    }
}

/// The phones' side of push, in memory: keeps the sign-in requests sent to
/// devices ([`PushNotifier`]) and wakes the engine's waiters when one is
/// decided ([`Signals`]), as the server's hub does.
#[derive(Debug)]
pub struct PushChannel {
    requests: Mutex<Vec<PushTransaction>>,
    decided: broadcast::Sender<String>,
}

impl Default for PushChannel {
    fn default() -> Self {
        Self {
            requests: Mutex::default(),
            decided: broadcast::channel(64).0,
        }
    }
}

impl PushChannel {
    /// Every sign-in request sent to a device, oldest first.
    pub fn requests(&self) -> Vec<PushTransaction> {
        self.requests.lock().expect("requests lock").clone()
    }
}

#[async_trait]
impl PushNotifier for PushChannel {
    async fn request(&self, transaction: &PushTransaction) {
        self.requests
            .lock()
            .expect("requests lock")
            .push(transaction.clone());
    }

    async fn decided(&self, transaction_id: &str) {
        // Nobody listening is fine: the waiter reads the store first.
        let _ = self.decided.send(transaction_id.to_string());
    }
}

impl Signals for PushChannel {
    fn listen(
        &self,
        transaction_id: &str,
        max: Duration,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        // Subscribed now, so a decision before the first poll is not missed.
        let mut decisions = self.decided.subscribe();
        let id = transaction_id.to_string();
        Box::pin(async move {
            let decided = async {
                loop {
                    match decisions.recv().await {
                        Ok(decided) if decided == id => return,
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                }
            };
            let _ = tokio::time::timeout(max, decided).await;
        })
    }
}

/// The built-in message templates as the domain's [`Composer`], as the
/// server composes them.
pub struct BuiltInTemplates(pub Templates);

impl Composer for BuiltInTemplates {
    fn render(
        &self,
        template: &str,
        language: Option<&str>,
        context: &serde_json::Value,
    ) -> Result<String, String> {
        self.0
            .render(template, language, context)
            .map_err(|e| e.to_string())
    }
}
