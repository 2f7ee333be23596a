//! Long-poll waiters of this node, by transaction. An entry lives while
//! someone waits on it: the last waiter to leave removes it, so pushes
//! that time out with nobody polling leave nothing behind.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

struct Entry {
    notify: Arc<Notify>,
    waiting: usize,
}

#[derive(Default)]
pub(crate) struct Waiters(Mutex<HashMap<String, Entry>>);

impl Waiters {
    pub(crate) fn waiter(self: &Arc<Self>, id: &str) -> Waiter {
        let notify = match self.0.lock() {
            Ok(mut map) => {
                let entry = map.entry(id.to_string()).or_insert_with(|| Entry {
                    notify: Arc::new(Notify::new()),
                    waiting: 0,
                });
                entry.waiting += 1;
                Some(entry.notify.clone())
            }
            Err(_) => None,
        };
        Waiter {
            // A poisoned map: this waiter is woken by its own timeout only.
            registered: notify.is_some(),
            notify: notify.unwrap_or_default(),
            waiters: self.clone(),
            id: id.to_string(),
        }
    }

    /// Wakes everyone waiting on `id` (they re-read the store).
    pub(crate) fn wake(&self, id: &str) {
        let entry = self.0.lock().ok().and_then(|mut map| map.remove(id));
        if let Some(entry) = entry {
            entry.notify.notify_waiters();
        }
    }

    /// Wakes every waiter (each reads its transaction again).
    pub(crate) fn wake_all(&self) {
        if let Ok(map) = self.0.lock() {
            map.values().for_each(|entry| entry.notify.notify_waiters());
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.0.lock().map(|map| map.len()).unwrap_or(0)
    }

    fn leave(&self, id: &str, notify: &Arc<Notify>) {
        let Ok(mut map) = self.0.lock() else {
            return;
        };
        // After a wake the entry is gone, or is a newer one: leave it be.
        if let Some(entry) = map.get_mut(id).filter(|e| Arc::ptr_eq(&e.notify, notify)) {
            entry.waiting -= 1;
            if entry.waiting == 0 {
                map.remove(id);
            }
        }
    }
}

/// What a long-poll waits on (`waiter.notified()`); leaves when dropped.
pub struct Waiter {
    notify: Arc<Notify>,
    registered: bool,
    waiters: Arc<Waiters>,
    id: String,
}

impl Waiter {
    /// A wake-up registered now (a wake before the first poll still counts);
    /// the waiter stays registered until the future completes or is dropped.
    pub fn into_notified(self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let notified = self.notify.clone().notified_owned();
        async move {
            notified.await;
            drop(self);
        }
    }
}

impl Deref for Waiter {
    type Target = Notify;

    fn deref(&self) -> &Notify {
        &self.notify
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if self.registered {
            self.waiters.leave(&self.id, &self.notify);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_go_with_their_last_waiter() {
        let waiters = Arc::new(Waiters::default());
        let a = waiters.waiter("txn_a");
        let b = waiters.waiter("txn_a");
        assert_eq!(waiters.len(), 1);
        drop(a);
        assert_eq!(waiters.len(), 1);
        drop(b);
        assert_eq!(waiters.len(), 0, "nobody polls: nothing is kept");
    }

    #[tokio::test]
    async fn a_wake_reaches_the_waiters_and_removes_the_entry() {
        let waiters = Arc::new(Waiters::default());
        let old = waiters.waiter("txn_a");
        {
            let notified = old.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            waiters.wake("txn_a");
            notified.await;
        }
        assert_eq!(waiters.len(), 0);
        let new = waiters.waiter("txn_a");
        drop(old); // must not take the newer waiter's entry
        assert_eq!(waiters.len(), 1);
        drop(new);
        assert_eq!(waiters.len(), 0);
    }

    #[tokio::test]
    async fn wake_all_reaches_every_transactions_waiters() {
        let waiters = Arc::new(Waiters::default());
        let a = waiters.waiter("txn_a").into_notified();
        let b = waiters.waiter("txn_b").into_notified();
        waiters.wake_all();
        tokio::time::timeout(std::time::Duration::from_secs(5), async {
            a.await;
            b.await;
        })
        .await
        .expect("both waiters woke");
    }
}
