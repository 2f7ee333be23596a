//! Before a run: create the bench users and their HOTP tokens (--setup), or
//! read where the tokens of an earlier run's users have got to.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use countersign_otp::base32;
use tokio::task::JoinSet;

use crate::client::Api;
use crate::codes::BenchUser;

/// The users of this run, ready for the workers.
pub async fn prepare(
    api: &Api,
    run_id: &str,
    count: usize,
    create: bool,
    parallel: usize,
) -> Result<Vec<BenchUser>> {
    let started = Instant::now();
    let verb = if create {
        "creating"
    } else {
        "reading the counters of"
    };
    eprintln!(
        "{verb} {count} users bench-{run_id}-0..{} ...",
        count.saturating_sub(1)
    );
    let users: Arc<Vec<BenchUser>> =
        Arc::new((0..count).map(|i| BenchUser::new(run_id, i)).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    for _ in 0..parallel.min(count) {
        let (api, users, next, done) = (api.clone(), users.clone(), next.clone(), done.clone());
        tasks.spawn(async move { prepare_some(&api, &users, &next, &done, create).await });
    }
    let mut counters = vec![0u64; count];
    while let Some(joined) = tasks.join_next().await {
        for (index, counter) in joined.context("a setup task failed")?? {
            if let Some(slot) = counters.get_mut(index) {
                *slot = counter;
            }
        }
    }
    eprintln!(
        "{count} users ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut users = Arc::try_unwrap(users).unwrap_or_else(|shared| shared.as_ref().clone());
    for (user, counter) in users.iter_mut().zip(counters) {
        user.counter = counter;
    }
    Ok(users)
}

/// Takes users off the shared list until it is empty; returns (index, next counter).
async fn prepare_some(
    api: &Api,
    users: &[BenchUser],
    next: &AtomicUsize,
    done: &AtomicUsize,
    create: bool,
) -> Result<Vec<(usize, u64)>> {
    let mut counters = Vec::new();
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(user) = users.get(index) else {
            return Ok(counters);
        };
        let counter = if create {
            api.create_user(&user.name).await?;
            api.create_hotp_token(&user.name, &base32::encode(&user.secret))
                .await?;
            0
        } else {
            api.next_counter(&user.name).await?
        };
        counters.push((index, counter));
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, users.len());
    }
}

/// A line at every tenth of the way.
fn progress(done: usize, total: usize) {
    let step = (total / 10).max(1);
    if done.checked_rem(step) == Some(0) || done == total {
        eprintln!("  {done}/{total} users");
    }
}
