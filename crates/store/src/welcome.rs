//! Welcome emails stored many at a time (a directory sync's new users):
//! each user's rows are the statements the single-user path runs, all in
//! one transaction.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::model::welcome::WelcomeRows;
use countersign_domain::ports::StoreResult;
use countersign_domain::ports::WelcomeStore;
use sqlx::AnyPool;

use crate::{db_error, messages, portal, push, users};

pub async fn insert(pool: &AnyPool, rows: &[WelcomeRows]) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(db_error("welcome emails"))?;
    for row in rows {
        if let Some(activation) = &row.activation {
            let run = push::insert_activation_query(activation)
                .execute(&mut *tx)
                .await;
            run.map_err(db_error("activation"))?;
        }
        if let Some(link) = &row.link {
            let run = portal::insert_link_query(link).execute(&mut *tx).await;
            run.map_err(db_error("enrolment link"))?;
        }
        let run = messages::insert_query(&row.message).execute(&mut *tx).await;
        run.map_err(db_error("queueing message"))?;
        let run = users::mark_welcomed_query(&row.user_id, row.welcomed_at)
            .execute(&mut *tx)
            .await;
        run.map_err(db_error("marking user welcomed"))?;
    }
    tx.commit().await.map_err(db_error("welcome emails"))?;
    Ok(())
}

#[async_trait]
impl WelcomeStore for SqlStore {
    async fn insert_welcomes(&self, rows: &[WelcomeRows]) -> StoreResult<()> {
        insert(&self.writer, rows).await
    }
}
