//! Setting up push-load: a user and an activated device per stream, then
//! the streams opened, a few at a time, with progress on stderr.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, Result};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::push_api::{Api, Device};
use crate::push_drive::Rendezvous;
use crate::push_stream::{self, StreamStats};

/// `count` users with one activated device each, named `pl-RUN-i`.
pub async fn enroll(
    api: &Api,
    run_id: &str,
    count: usize,
    concurrency: usize,
) -> Result<Vec<Arc<Device>>> {
    let (api, run_id) = (api.clone(), run_id.to_string());
    in_parallel("devices activated", count, concurrency, move |i| {
        let (api, username) = (api.clone(), format!("pl-{run_id}-{i:06}"));
        async move { api.enroll(&username).await.map(Arc::new) }
    })
    .await
}

/// Opens a stream per device and follows each in a task of its own.
pub async fn open_streams(
    api: &Api,
    devices: &[Arc<Device>],
    concurrency: usize,
    rendezvous: &Arc<Rendezvous>,
    stats: &Arc<StreamStats>,
) -> Result<Vec<JoinHandle<()>>> {
    let address = api.address;
    let devices = devices.to_vec();
    let (rendezvous, stats) = (rendezvous.clone(), stats.clone());
    in_parallel("streams open", devices.len(), concurrency, move |i| {
        let device = devices[i].clone();
        let (rendezvous, stats) = (rendezvous.clone(), stats.clone());
        async move {
            let stream = push_stream::open(address, &device).await?;
            Ok(tokio::spawn(stream.follow(rendezvous, stats)))
        }
    })
    .await
}

/// Runs `job(0..count)`, `concurrency` at a time, in order of index;
/// stops at the first failure and returns it.
async fn in_parallel<T, F, Fut>(
    label: &'static str,
    count: usize,
    concurrency: usize,
    job: F,
) -> Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T>> + Send,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicBool::new(false));
    let results: Arc<Mutex<Vec<Option<T>>>> =
        Arc::new(Mutex::new((0..count).map(|_| None).collect()));
    let progress = tokio::spawn(progress(label, count, done.clone()));
    let mut workers = Vec::new();
    for _ in 0..concurrency.min(count).max(1) {
        let (job, next, done) = (job.clone(), next.clone(), done.clone());
        let (failed, results) = (failed.clone(), results.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count || failed.load(Ordering::Relaxed) {
                    return Ok(());
                }
                let value = job(i)
                    .await
                    .inspect_err(|_| failed.store(true, Ordering::Relaxed))?;
                if let Ok(mut results) = results.lock() {
                    results[i] = Some(value);
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let mut first_error = None;
    for worker in workers {
        let outcome = worker
            .await
            .map_err(|e| anyhow!("a setup task failed: {e}"));
        if let Err(e) = outcome.and_then(|r| r) {
            first_error.get_or_insert(e);
        }
    }
    progress.abort();
    if let Some(e) = first_error {
        return Err(e.context(format!("after {} {label}", done.load(Ordering::Relaxed))));
    }
    let results = std::mem::take(&mut *results.lock().map_err(|_| anyhow!("poisoned"))?);
    results
        .into_iter()
        .map(|r| r.ok_or_else(|| anyhow!("a setup step was skipped")))
        .collect()
}

/// Prints how far a setup phase got, every 5 seconds.
async fn progress(label: &'static str, count: usize, done: Arc<AtomicUsize>) {
    let start = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let n = done.load(Ordering::Relaxed);
        let rate = n as f64 / start.elapsed().as_secs_f64();
        eprintln!("  {n}/{count} {label} ({rate:.0}/s)");
    }
}
