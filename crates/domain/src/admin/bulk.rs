//! Bulk enable/disable of the users a search finds: the caller runs
//! [`BulkChanges::run`] in the background while a page shows the progress.
//! Progress is kept in the store (`meta`), so any node can show it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::admin::accounts::Accounts;
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::user::UserQuery;
use crate::ports::MetaStore;

/// Users changed per page of the search.
const PAGE: u32 = 100;

/// Where a job stands, as stored.
#[derive(Debug, Serialize, Deserialize, Default, Clone)]
pub struct Progress {
    pub action: String,
    pub query: String,
    pub done: u64,
    pub finished: bool,
    pub error: Option<String>,
}

/// A job recorded by [`BulkChanges::open`], to hand to [`BulkChanges::run`].
pub struct Job {
    pub id: String,
    query: String,
    enabled: bool,
    progress: Progress,
}

#[derive(Clone)]
pub struct BulkChanges {
    store: Arc<dyn MetaStore>,
    accounts: Accounts,
}

fn meta_key(id: &str) -> String {
    format!("console.job.{id}")
}

impl BulkChanges {
    pub fn new(store: Arc<dyn MetaStore>, accounts: Accounts) -> Self {
        Self { store, accounts }
    }

    /// Records a new job that enables (or disables) the users `query`
    /// finds; `action` names it on the progress page.
    pub async fn open(&self, action: &str, query: &str, enabled: bool) -> Job {
        let job = Job {
            id: new_id("job"),
            query: query.to_string(),
            enabled,
            progress: Progress {
                action: action.to_string(),
                query: query.to_string(),
                ..Progress::default()
            },
        };
        self.save(&job.id, &job.progress).await;
        job
    }

    /// Pages through the matching users, changing those not yet so and
    /// recording the progress after each page.
    pub async fn run(&self, job: Job) {
        let Job {
            id,
            query,
            enabled,
            mut progress,
        } = job;
        let mut after: Option<String> = None;
        loop {
            let page = UserQuery {
                query: Some(query.clone()).filter(|q| !q.is_empty()),
                limit: PAGE,
                after: after.clone(),
                locked_at: None,
            };
            let users = match self.accounts.list_users(page).await {
                Ok(users) => users,
                Err(e) => {
                    progress.error = Some(e.to_string());
                    break;
                }
            };
            for user in users.iter().filter(|u| u.enabled != enabled) {
                if let Err(e) = self.accounts.set_enabled(&user.username, enabled).await {
                    progress.error = Some(e.to_string());
                }
                progress.done += 1;
            }
            self.save(&id, &progress).await;
            match users.last() {
                Some(last) if users.len() as u32 == PAGE => after = Some(last.username.clone()),
                _ => break,
            }
        }
        progress.finished = true;
        self.save(&id, &progress).await;
        tracing::info!(job = %id, done = progress.done, "bulk change finished");
    }

    /// The job's progress; `None` for a job this store never had.
    pub async fn progress(&self, id: &str) -> Result<Option<Progress>, DomainError> {
        let stored = self.store.get_meta(&meta_key(id)).await?;
        Ok(stored.and_then(|b| serde_json::from_slice(&b).ok()))
    }

    async fn save(&self, id: &str, progress: &Progress) {
        let bytes = serde_json::to_vec(progress).unwrap_or_default();
        if let Err(e) = self.store.put_meta(&meta_key(id), &bytes).await {
            tracing::warn!(job = id, error = %e, "cannot record the progress of a bulk change");
        }
    }
}
