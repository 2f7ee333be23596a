//! The welcome emails of a sync's new and re-enabled users, made several at
//! a time and stored a batch per transaction while the next batch is made.

use countersign_domain::model::directory::SyncReport;
use countersign_domain::DomainError;

use super::Runner;

/// Welcome emails made at the same time after a run.
const WELCOMES_AT_ONCE: usize = 8;
/// Welcome emails stored per transaction.
const WELCOME_BATCH: usize = 200;

/// A batch of welcome emails being stored: its users, and the commit.
type Storing = (
    Vec<(String, bool)>,
    tokio::task::JoinHandle<Result<(), DomainError>>,
);

impl Runner {
    /// Welcomes the users the run added or enabled: each email made (its
    /// QR code, templates, sealing) several at a time, and stored
    /// [`WELCOME_BATCH`] users per transaction; one at a time, its four
    /// commits each were most of a 100,000-user first sync. A batch that
    /// cannot be stored is made again once, then sent user by user, so one
    /// failure stays alone.
    pub(super) async fn welcome_new(&self, report: &mut SyncReport) {
        // (username, just created: no device to look for)
        let welcomed: Vec<(String, bool)> = report
            .changes
            .iter()
            .filter(|c| c.action == "add" || c.action == "enable")
            .map(|c| (c.username.clone(), c.action == "add"))
            .collect();
        // A batch is stored while the next one is made: the commit runs on
        // the store's writer, the making on the runtime's workers.
        let mut storing: Option<Storing> = None;
        for batch in welcomed.chunks(WELCOME_BATCH) {
            let (names, rows) = self.prepare_welcomes(batch, &mut report.errors).await;
            if let Some(previous) = storing.take() {
                self.stored(previous, &mut report.errors).await;
            }
            if rows.is_empty() {
                continue;
            }
            let welcome = self.welcome.clone();
            let commit = tokio::spawn(async move { welcome.commit(&rows).await });
            storing = Some((names, commit));
        }
        if let Some(last) = storing {
            self.stored(last, &mut report.errors).await;
        }
    }

    /// Waits for a batch being stored; one that failed is made again once
    /// and, failing again, sent user by user, so one failure stays alone.
    async fn stored(&self, (names, commit): Storing, errors: &mut Vec<String>) {
        match commit.await {
            Ok(Ok(())) => return,
            Ok(Err(e)) => tracing::debug!(error = %e, "a batch of welcome emails: trying again"),
            Err(e) => tracing::debug!(error = %e, "a batch of welcome emails: trying again"),
        }
        // Most likely an activation code's lookup was taken (8 random
        // digits: at 100,000 users a batch of 200 meets one about 2% of
        // the time): the same users again, with new codes, once.
        let (names, rows) = self.prepare_welcomes(&names, errors).await;
        if rows.is_empty() {
            return;
        }
        if let Err(e) = self.welcome.commit(&rows).await {
            tracing::warn!(error = %e, users = rows.len(),
                "directory sync: storing a batch of welcome emails failed twice; sending them one by one");
            for (username, _) in names {
                if let Err(e) = self.welcome.consider(&username).await {
                    errors.push(format!("welcome email for {username}: {e}"));
                }
            }
        }
    }

    /// The welcome emails of `batch`, made [`WELCOMES_AT_ONCE`] at a time:
    /// the users that get one, and their rows.
    async fn prepare_welcomes(
        &self,
        batch: &[(String, bool)],
        errors: &mut Vec<String>,
    ) -> (
        Vec<(String, bool)>,
        Vec<countersign_domain::model::welcome::WelcomeRows>,
    ) {
        let mut pending = batch.iter().cloned();
        let mut running = tokio::task::JoinSet::new();
        let (mut names, mut rows) = (Vec::new(), Vec::new());
        loop {
            while running.len() < WELCOMES_AT_ONCE {
                let Some((username, fresh)) = pending.next() else {
                    break;
                };
                let welcome = self.welcome.clone();
                running.spawn(async move {
                    let made = welcome.prepare(&username, fresh).await;
                    ((username, fresh), made)
                });
            }
            match running.join_next().await {
                Some(Ok((name, Ok(Some(made))))) => {
                    names.push(name);
                    rows.push(made);
                }
                Some(Ok((_, Ok(None)))) => {}
                Some(Ok(((username, _), Err(e)))) => {
                    errors.push(format!("welcome email for {username}: {e}"))
                }
                Some(Err(e)) => errors.push(format!("welcome email: {e}")),
                None => return (names, rows),
            }
        }
    }
}
