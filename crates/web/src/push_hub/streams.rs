//! This node's open device event streams, in shards: a push locks only
//! the shard of each of its devices and never scans every stream, and a
//! stream removes itself from its shard when it ends.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// Enough that two cores rarely meet on one lock.
const SHARDS: usize = 64;

/// Events queued per stream before a slow device misses some.
const STREAM_QUEUE: usize = 32;

#[derive(Default)]
struct SlotState {
    queue: VecDeque<Arc<str>>,
    waker: Option<Waker>,
    closed: bool,
}

/// One open stream: the hub queues events, the stream takes them. Smaller
/// than a channel (no block of 32 slots per stream), which matters at
/// 100,000 idle streams.
#[derive(Default)]
struct Slot(Mutex<SlotState>);

impl Slot {
    /// Queues an event; false when the stream is full or closed.
    fn push(&self, event: &Arc<str>) -> bool {
        let waker = {
            let Ok(mut state) = self.0.lock() else {
                return false;
            };
            if state.closed || state.queue.len() >= STREAM_QUEUE {
                return false;
            }
            state.queue.push_back(event.clone());
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        true
    }

    fn close(&self) {
        let waker = self.0.lock().ok().and_then(|mut state| {
            state.closed = true;
            state.waker.take()
        });
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<Arc<str>>> {
        let Ok(mut state) = self.0.lock() else {
            return Poll::Ready(None);
        };
        if let Some(event) = state.queue.pop_front() {
            return Poll::Ready(Some(event));
        }
        if state.closed {
            return Poll::Ready(None);
        }
        match &state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

type Shard = Mutex<HashMap<Box<str>, Vec<(u64, Arc<Slot>)>>>;

pub(crate) struct Streams {
    shards: Box<[Shard]>,
    hasher: RandomState,
    next_id: AtomicU64,
    open: AtomicUsize,
}

impl Streams {
    pub(crate) fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            next_id: AtomicU64::new(1),
            open: AtomicUsize::new(0),
        }
    }

    fn shard(&self, device_id: &str) -> &Shard {
        let index = self.hasher.hash_one(device_id) as usize % self.shards.len();
        &self.shards[index]
    }

    pub(crate) fn subscribe(self: &Arc<Self>, device_id: &str) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot::default());
        if let Ok(mut shard) = self.shard(device_id).lock() {
            shard
                .entry(device_id.into())
                .or_default()
                .push((id, slot.clone()));
            self.open.fetch_add(1, Ordering::Relaxed);
        } else {
            slot.close();
        }
        Subscription {
            slot,
            streams: self.clone(),
            device_id: device_id.into(),
            id,
        }
    }

    /// Queues `event` on every open stream of the device; how many took it.
    pub(crate) fn deliver(&self, device_id: &str, event: &Arc<str>) -> usize {
        let Ok(shard) = self.shard(device_id).lock() else {
            return 0;
        };
        shard.get(device_id).map_or(0, |slots| {
            slots.iter().filter(|(_, slot)| slot.push(event)).count()
        })
    }

    fn remove(&self, device_id: &str, id: u64) {
        let Ok(mut shard) = self.shard(device_id).lock() else {
            return;
        };
        let Some(slots) = shard.get_mut(device_id) else {
            return;
        };
        let before = slots.len();
        slots.retain(|(slot_id, _)| *slot_id != id);
        if slots.len() < before {
            self.open.fetch_sub(1, Ordering::Relaxed);
        }
        if slots.is_empty() {
            shard.remove(device_id);
        }
    }

    /// Ends every stream (at shutdown): devices reconnect to a live node.
    pub(crate) fn close_all(&self) {
        for shard in self.shards.iter() {
            let drained: Vec<_> = match shard.lock() {
                Ok(mut shard) => shard.drain().collect(),
                Err(_) => continue,
            };
            for (_, slots) in drained {
                self.open.fetch_sub(slots.len(), Ordering::Relaxed);
                slots.iter().for_each(|(_, slot)| slot.close());
            }
        }
    }

    pub(crate) fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
}

/// A device's live event stream; leaves the hub when dropped (the
/// connection ended), not at the next delivery.
pub struct Subscription {
    slot: Arc<Slot>,
    streams: Arc<Streams>,
    device_id: Box<str>,
    id: u64,
}

impl Subscription {
    /// The next event; `None` once the hub closed the stream.
    pub fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<Arc<str>>> {
        self.slot.poll_next(cx)
    }

    /// A number that differs between streams (spreads their keep-alives).
    pub fn spread(&self) -> u64 {
        self.streams.hasher.hash_one(self.id)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.streams.remove(&self.device_id, self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(s: &Subscription) -> Poll<Option<Arc<str>>> {
        s.poll_next(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn events_reach_the_devices_streams_and_ended_streams_leave() {
        let streams = Arc::new(Streams::new());
        let a1 = streams.subscribe("dev_a");
        let a2 = streams.subscribe("dev_a");
        let b = streams.subscribe("dev_b");
        assert_eq!(streams.open(), 3);
        let event: Arc<str> = Arc::from("{}");
        assert_eq!(streams.deliver("dev_a", &event), 2);
        assert!(matches!(next(&a1), Poll::Ready(Some(_))));
        assert!(matches!(next(&a2), Poll::Ready(Some(_))));
        assert!(next(&b).is_pending());
        drop(a1);
        assert_eq!(streams.open(), 2);
        assert_eq!(streams.deliver("dev_a", &event), 1);
        drop(a2);
        assert_eq!(streams.deliver("dev_a", &event), 0);
        assert!(streams
            .shards
            .iter()
            .all(|s| s.lock().map(|s| !s.contains_key("dev_a")).unwrap_or(false)));
        streams.close_all();
        assert!(matches!(next(&b), Poll::Ready(None)));
        assert_eq!(streams.open(), 0);
        drop(b);
        assert_eq!(streams.open(), 0);
    }

    #[test]
    fn a_full_stream_misses_events_instead_of_growing() {
        let streams = Arc::new(Streams::new());
        let s = streams.subscribe("dev_a");
        let event: Arc<str> = Arc::from("{}");
        let taken = (0..STREAM_QUEUE + 5)
            .filter(|_| streams.deliver("dev_a", &event) == 1)
            .count();
        assert_eq!(taken, STREAM_QUEUE);
        drop(s);
    }
}
