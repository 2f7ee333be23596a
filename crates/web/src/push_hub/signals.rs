//! The engine's [`Signals`] port on this node's hub: a waiter is woken by a
//! decision made here or, through PostgreSQL NOTIFY, on another node.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use countersign_domain::ports::Signals;

use super::Hub;

impl Signals for Hub {
    fn listen(
        &self,
        transaction_id: &str,
        max: Duration,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        // Registered now (tokio counts wake-ups from the moment the future exists).
        let notified = self.waiter(transaction_id).into_notified();
        Box::pin(async move {
            let _ = tokio::time::timeout(max, notified).await;
        })
    }
}
