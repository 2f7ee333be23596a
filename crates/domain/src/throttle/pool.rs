//! The work pool: password hashing (argon2id, ~19 MiB and tens of
//! milliseconds of CPU each) runs on tokio's blocking threads, at most one
//! per core at once, and directory binds at most `directory.workers` at
//! once, so neither can take the async workers from the other doors
//! (RADIUS, the API). A bounded queue waits for a worker; past it the
//! caller gets [`DomainError::Busy`] at once and its door answers "busy"
//! (HTTP 429, LDAP busy, RADIUS no answer).

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::limits::{Lane, LaneSize};
use super::metrics::ThrottleMetrics;
use crate::model::error::DomainError;

/// How long a refused client is told to wait: the pool drains in well under this.
pub const BUSY_RETRY_SECONDS: u64 = 1;

struct Bounded {
    lane: Lane,
    /// Workers plus the queue: a caller that cannot take one is refused.
    admitted: Arc<Semaphore>,
    running: Arc<Semaphore>,
    size: LaneSize,
}

impl Bounded {
    fn new(lane: Lane, size: LaneSize) -> Self {
        let workers = size.workers.max(1);
        Bounded {
            lane,
            admitted: Arc::new(Semaphore::new(workers + size.queue)),
            running: Arc::new(Semaphore::new(workers)),
            size: LaneSize {
                workers,
                queue: size.queue,
            },
        }
    }

    /// A place in the lane, or busy at once; then a worker (waiting in the queue).
    async fn enter(
        &self,
        metrics: &ThrottleMetrics,
    ) -> Result<(OwnedSemaphorePermit, OwnedSemaphorePermit), DomainError> {
        let Ok(admitted) = self.admitted.clone().try_acquire_owned() else {
            metrics.pool_refused(self.lane);
            return Err(DomainError::Busy {
                what: self.lane.as_str(),
                retry_after_seconds: BUSY_RETRY_SECONDS,
            });
        };
        let running = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| busy(self.lane))?;
        Ok((admitted, running))
    }

    fn in_use(&self) -> usize {
        self.size.workers + self.size.queue - self.admitted.available_permits()
    }
}

fn busy(lane: Lane) -> DomainError {
    DomainError::Busy {
        what: lane.as_str(),
        retry_after_seconds: BUSY_RETRY_SECONDS,
    }
}

/// The pool, shared by every door of this node (cloning shares it).
#[derive(Clone)]
pub struct WorkPool(Arc<Lanes>);

struct Lanes {
    hash: Bounded,
    directory: Bounded,
    metrics: Arc<ThrottleMetrics>,
}

impl WorkPool {
    pub fn new(hash: LaneSize, directory: LaneSize, metrics: Arc<ThrottleMetrics>) -> Self {
        WorkPool(Arc::new(Lanes {
            hash: Bounded::new(Lane::Hash, hash),
            directory: Bounded::new(Lane::Directory, directory),
            metrics,
        }))
    }

    /// Runs CPU-heavy `job` (a password hash) on a blocking thread, or
    /// answers busy at once when the lane and its queue are full. The
    /// places are held until the job ends, even if the caller goes away.
    pub async fn hash<T, F>(&self, job: F) -> Result<T, DomainError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permits = self.0.hash.enter(&self.0.metrics).await?;
        let handle = tokio::task::spawn_blocking(move || {
            let _held = permits;
            job()
        });
        handle.await.map_err(|e| {
            tracing::error!(error = %e, "a password check failed on its thread");
            busy(Lane::Hash)
        })
    }

    /// Runs a directory bind with a place in the directory lane, or
    /// answers busy at once when it is full.
    pub async fn directory<F: Future>(&self, bind: F) -> Result<F::Output, DomainError> {
        let _held = self.0.directory.enter(&self.0.metrics).await?;
        Ok(bind.await)
    }

    /// Places taken (running and waiting) in a lane.
    pub fn in_use(&self, lane: Lane) -> usize {
        match lane {
            Lane::Hash => self.0.hash.in_use(),
            Lane::Directory => self.0.directory.in_use(),
        }
    }

    pub fn size(&self, lane: Lane) -> LaneSize {
        match lane {
            Lane::Hash => self.0.hash.size,
            Lane::Directory => self.0.directory.size,
        }
    }
}

impl Default for WorkPool {
    /// Sized by the default limits (tests, the CLI).
    fn default() -> Self {
        let limits = super::Limits::default();
        WorkPool::new(limits.hash, limits.directory, Arc::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(workers: usize, queue: usize) -> WorkPool {
        let size = LaneSize { workers, queue };
        WorkPool::new(size, size, Arc::default())
    }

    #[tokio::test]
    async fn a_full_lane_answers_busy_at_once() {
        let pool = pool(1, 1);
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let running = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.hash(move || wait.recv().is_ok()).await })
        };
        // The queued one waits for the worker.
        while pool.in_use(Lane::Hash) < 1 {
            tokio::task::yield_now().await;
        }
        let queued = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.hash(|| 7).await })
        };
        while pool.in_use(Lane::Hash) < 2 {
            tokio::task::yield_now().await;
        }
        // The third is refused without waiting.
        let refused = pool.hash(|| 0).await;
        assert!(matches!(
            refused,
            Err(DomainError::Busy { what: "hash", .. })
        ));
        release.send(()).expect("the job waits");
        assert!(running.await.expect("joined").expect("ran"));
        assert_eq!(queued.await.expect("joined").expect("ran"), 7);
        assert_eq!(pool.in_use(Lane::Hash), 0);
        assert_eq!(pool.0.metrics.pool_refusals(Lane::Hash), 1);
    }

    #[tokio::test]
    async fn directory_binds_are_bounded_too() {
        let pool = pool(1, 0);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let held = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.directory(rx).await })
        };
        while pool.in_use(Lane::Directory) < 1 {
            tokio::task::yield_now().await;
        }
        assert!(pool.directory(async { 1 }).await.is_err());
        tx.send(()).expect("bind waits");
        assert!(held.await.expect("joined").is_ok());
        assert_eq!(pool.directory(async { 1 }).await.expect("free again"), 1);
    }
}
