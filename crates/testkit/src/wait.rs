//! Polling until something holds, in threads and in async tests.

use std::time::{Duration, Instant};

/// How often a probe is tried again.
const POLL: Duration = Duration::from_millis(50);

/// Tries `probe` every 50 ms until it is true (then true) or `timeout`
/// has passed (then false). The probe runs at least once.
pub fn wait_until(timeout: Duration, mut probe: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if probe() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

/// [`wait_until`] for an async probe (`|| async { .. }` or `async || ..`),
/// sleeping on the runtime's timer between tries.
pub async fn wait_until_async(timeout: Duration, mut probe: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if probe().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}
