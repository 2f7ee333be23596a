//! Running the lines of an import in groups at once: a user's lines in one
//! group (by a hash of the name, ignoring case) so they apply in file
//! order, and a small join of the groups' futures on one task.

use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::task::Poll;

use super::parse::Parsed;

pub fn split(rows: Vec<Parsed>, groups: usize) -> Vec<Vec<Parsed>> {
    let groups = groups.max(1);
    let mut out: Vec<Vec<Parsed>> = (0..groups).map(|_| Vec::new()).collect();
    for row in rows {
        let key = match &row {
            Ok(row) => row.username.to_lowercase(),
            Err((_, name, _)) => name.clone().unwrap_or_default().to_lowercase(),
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut hasher);
        let index = (hasher.finish() % groups as u64) as usize;
        out[index].push(row);
    }
    out
}

/// Polls every future until all are done; outputs in the futures' order.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
