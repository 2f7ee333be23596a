//! Stand-ins for the engine's outside I/O, and nothing else: a messenger
//! that keeps the texts and emails the outbox would send, and the phones'
//! side of push (the requests sent, the waiters woken on a decision), and
//! the telephone calls are placed through.
//! Everything between them and the store is the real thing.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use countersign_domain::model::messages::{MessageContent, MessageKind, SendFailure};
use countersign_domain::model::push::PushTransaction;
use countersign_domain::ports::{
    CallEnd, CallOrder, Composer, Messenger, PushNotifier, Signals, Telephone,
};
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

/// The engine's telephone ([`Telephone`]) in memory: keeps every call
/// order, and ends each call as the test scripted (`next`), else unanswered.
/// A call scripted with [`Phones::hold`] stays ringing until [`Phones::end`].
#[derive(Debug, Default)]
pub struct Phones {
    orders: Mutex<Vec<CallOrder>>,
    script: Mutex<std::collections::VecDeque<CallEnd>>,
    held: Mutex<Option<tokio::sync::oneshot::Sender<CallEnd>>>,
    hold_next: std::sync::atomic::AtomicBool,
}

impl Phones {
    /// How the next call placed ends.
    pub fn next(&self, end: CallEnd) {
        self.script.lock().expect("script lock").push_back(end);
    }

    /// The next call stays ringing until [`Phones::end`].
    pub fn hold(&self) {
        self.hold_next
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Ends the held call; false when none is held.
    pub fn end(&self, end: CallEnd) -> bool {
        let held = self.held.lock().expect("held lock").take();
        held.is_some_and(|tx| tx.send(end).is_ok())
    }

    /// Every call placed, oldest first.
    pub fn orders(&self) -> Vec<CallOrder> {
        self.orders.lock().expect("orders lock").clone()
    }
}

impl Telephone for Phones {
    fn place(&self, order: CallOrder) -> Pin<Box<dyn Future<Output = CallEnd> + Send>> {
        self.orders.lock().expect("orders lock").push(order);
        if self
            .hold_next
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            let (tx, rx) = tokio::sync::oneshot::channel();
            *self.held.lock().expect("held lock") = Some(tx);
            return Box::pin(async move { rx.await.unwrap_or(CallEnd::Unanswered) });
        }
        let end = self
            .script
            .lock()
            .expect("script lock")
            .pop_front()
            .unwrap_or(CallEnd::Unanswered);
        Box::pin(async move { end })
    }
}
