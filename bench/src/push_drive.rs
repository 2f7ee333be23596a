//! Driving pushes: verify(push) → the device sees the request on its open
//! stream → it answers approve with the number → the client's long-poll
//! returns accepted. Closed loop (C at a time) or open loop (--rate).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Result};
use serde_json::{json, Value};
use tokio::sync::{oneshot, Semaphore};
use tokio::time::Instant;

use crate::push_api::{Api, Device};
use crate::push_report::{Latencies, Moments};

/// Where a stream's sign-in requests meet the client that asked for them:
/// the event may come before or after the verify answer.
#[derive(Default)]
pub struct Rendezvous {
    slots: Mutex<HashMap<String, Slot>>,
}

enum Slot {
    Arrived(Instant),
    Waiting(oneshot::Sender<Instant>),
}

impl Rendezvous {
    pub fn arrived(&self, id: &str, at: Instant) {
        let Ok(mut slots) = self.slots.lock() else {
            return;
        };
        match slots.remove(id) {
            Some(Slot::Waiting(waiter)) => {
                let _ = waiter.send(at);
            }
            // A repeat (a pending request replayed on reconnect) keeps the first time.
            Some(Slot::Arrived(first)) => {
                slots.insert(id.to_string(), Slot::Arrived(first));
            }
            None => {
                slots.insert(id.to_string(), Slot::Arrived(at));
            }
        }
    }

    /// When the device saw request `id`, waiting up to `limit` for it.
    async fn seen(&self, id: &str, limit: Duration) -> Option<Instant> {
        let receiver = {
            let mut slots = self.slots.lock().ok()?;
            match slots.remove(id) {
                Some(Slot::Arrived(at)) => return Some(at),
                _ => {
                    let (sender, receiver) = oneshot::channel();
                    slots.insert(id.to_string(), Slot::Waiting(sender));
                    receiver
                }
            }
        };
        let seen = tokio::time::timeout(limit, receiver).await.ok()?.ok();
        if seen.is_none() {
            if let Ok(mut slots) = self.slots.lock() {
                slots.remove(id);
            }
        }
        seen
    }

    #[cfg(test)]
    pub fn arrived_ids(&self) -> Vec<String> {
        let slots = self.slots.lock().unwrap();
        let mut ids: Vec<String> = slots.keys().cloned().collect();
        ids.sort();
        ids
    }
}

/// What the pushes share.
pub struct Drive {
    api: Api,
    devices: Vec<Arc<Device>>,
    rendezvous: Arc<Rendezvous>,
    /// The longest any one step may take.
    step_limit: Duration,
    /// Pushes before this many are not measured (connections warming up).
    warmup: u64,
    /// Where the round-robin over the devices starts (a later phase goes on from the last).
    first_device: u64,
    pub latencies: Mutex<Latencies>,
    pub failures: Mutex<BTreeMap<String, (u64, String)>>,
    pub done: AtomicU64,
}

impl Drive {
    pub fn new(
        api: Api,
        devices: Vec<Arc<Device>>,
        rendezvous: Arc<Rendezvous>,
        step_limit: Duration,
        warmup: u64,
        first_device: u64,
    ) -> Self {
        Self {
            api,
            devices,
            rendezvous,
            step_limit,
            warmup,
            first_device,
            latencies: Mutex::new(Latencies::new()),
            failures: Mutex::default(),
            done: AtomicU64::new(0),
        }
    }

    /// Push `k` (to device first + k mod N), its latency counted from `start`.
    async fn push(&self, k: u64, start: Instant) {
        let index = (self.first_device + k) % self.devices.len() as u64;
        let device = &self.devices[index as usize];
        match self.one(device).await {
            Ok(m) if k >= self.warmup => {
                if let Ok(mut latencies) = self.latencies.lock() {
                    latencies.record(start, &m);
                }
            }
            Ok(_) => {}
            Err(e) => {
                let text = format!("{e:#}");
                // Grouped by message without the URL (it holds the transaction id).
                let kind: String = text
                    .split(" (")
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .take(100)
                    .collect();
                if let Ok(mut failures) = self.failures.lock() {
                    failures.entry(kind).or_insert((0, text)).0 += 1;
                }
            }
        }
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    async fn one(&self, device: &Device) -> Result<Moments> {
        let request = json!({"username": device.username, "method": "push",
            "context": {"application": "push-load", "client_address": "127.0.0.1"}});
        let (status, body) = self.api.post("/api/v1/verify", &request).await?;
        let verified = Instant::now();
        let (Some(id), "pending") = (body["transaction_id"].as_str(), result_of(&body)) else {
            bail!("verify refused: HTTP {status} {}", reason_of(&body));
        };
        // The long-poll may return before the answer call does: both run at once,
        // and the first failure stops the other.
        let (device_side, accepted) = tokio::try_join!(
            self.answer(device, id, body["number"].as_i64()),
            self.poll_until_decided(id)
        )?;
        let (seen, answer_sent, answered) = device_side;
        Ok(Moments {
            verified,
            seen,
            answer_sent,
            answered,
            accepted,
        })
    }

    /// The device's part: wait for the request on its stream, approve with the number.
    async fn answer(
        &self,
        device: &Device,
        id: &str,
        number: Option<i64>,
    ) -> Result<(Instant, Instant, Instant)> {
        let Some(seen) = self.rendezvous.seen(id, self.step_limit).await else {
            bail!(
                "no event: the request did not reach the device's stream in {:?}",
                self.step_limit
            );
        };
        let mut answer = json!({"answer": "approve"});
        if let Some(number) = number {
            answer["number"] = json!(number);
        }
        let path = format!("/device/v1/requests/{id}/answer");
        let sent = Instant::now();
        let (status, body) = self.api.signed_post(device, &path, &answer).await?;
        if status != 200 || result_of(&body) != "accepted" {
            bail!("answer refused: HTTP {status} {}", reason_of(&body));
        }
        Ok((seen, sent, Instant::now()))
    }

    /// The client's part: long-poll until accepted (or a step's time is up).
    async fn poll_until_decided(&self, id: &str) -> Result<Instant> {
        let deadline = Instant::now() + self.step_limit * 2;
        let wait = self.step_limit.as_secs().max(1);
        let path = format!("/api/v1/transactions/{id}?wait={wait}");
        loop {
            let (status, body) = self.api.get(&path, self.step_limit).await?;
            match (status, result_of(&body)) {
                (200, "accepted") => return Ok(Instant::now()),
                (200, "pending") if Instant::now() < deadline => continue,
                _ => bail!("long-poll: HTTP {status} {}", reason_of(&body)),
            }
        }
    }

    /// Closed loop: `concurrency` pushes in flight, each starting when one ends.
    pub async fn closed_loop(self: &Arc<Self>, pushes: u64, concurrency: usize) {
        let next = Arc::new(AtomicU64::new(0));
        let mut workers = Vec::new();
        for _ in 0..concurrency {
            let (drive, next) = (self.clone(), next.clone());
            workers.push(tokio::spawn(async move {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= pushes {
                        break;
                    }
                    drive.push(k, Instant::now()).await;
                }
            }));
        }
        for worker in workers {
            let _ = worker.await;
        }
    }

    /// Open loop: a push every 1/rate s, at most `concurrency` in flight;
    /// latency counts from the planned start, so a backlog shows in it.
    pub async fn open_loop(self: &Arc<Self>, pushes: u64, concurrency: usize, rate: f64) {
        let permits = Arc::new(Semaphore::new(concurrency));
        let begin = Instant::now();
        let mut tasks = Vec::new();
        for k in 0..pushes {
            let planned = begin + Duration::from_secs_f64(k as f64 / rate);
            tokio::time::sleep_until(planned).await;
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let drive = self.clone();
            tasks.push(tokio::spawn(async move {
                drive.push(k, planned).await;
                drop(permit);
            }));
        }
        for task in tasks {
            let _ = task.await;
        }
    }
}

fn result_of(body: &Value) -> &str {
    body["result"].as_str().unwrap_or_default()
}

fn reason_of(body: &Value) -> String {
    match (&body["reason"], &body["error"]["code"]) {
        (Value::String(reason), _) => reason.clone(),
        (_, Value::String(code)) => code.clone(),
        _ => body.to_string(),
    }
}
