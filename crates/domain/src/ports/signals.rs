use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Wakes waiters when a transaction is decided, on this node or another.
pub trait Signals: Send + Sync {
    /// A future that completes when `transaction_id` is decided or after
    /// `max`. It is registered when this is called, so a decision between
    /// the call and the first poll is not missed.
    fn listen(
        &self,
        transaction_id: &str,
        max: Duration,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}
