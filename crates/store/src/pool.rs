//! The token pool on the `tokens` table: rows with a serial, and without
//! a user until they are assigned (migration 0011).

use async_trait::async_trait;
use countersign_domain::model::pool::PoolQuery;
use countersign_domain::ports::PoolStore;
use countersign_domain::ports::StoreResult;
use countersign_domain::StoredToken;
use sqlx::Row;

use crate::{db_error, outside_text, SqlStore};

const COLUMNS: &str =
    "t.id, t.user_id, t.kind, t.algorithm, t.digits, t.period, t.last_used, t.drift, \
    t.secret, t.created_at, t.last_used_at, t.serial, t.issuer";

/// Rows per statement: 13 parameters each stays far below every limit.
const CHUNK: usize = 200;

#[async_trait]
impl PoolStore for SqlStore {
    async fn insert_pool_tokens(&self, tokens: &[StoredToken]) -> StoreResult<Vec<String>> {
        let mut inserted = Vec::new();
        for chunk in tokens.chunks(CHUNK) {
            inserted.extend(insert_chunk(self, chunk).await?);
        }
        Ok(inserted)
    }

    async fn serials_present(&self, serials: &[String]) -> StoreResult<Vec<String>> {
        let mut found = Vec::new();
        for chunk in serials.chunks(CHUNK) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT serial FROM tokens WHERE serial IN ({})",
                marks.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for serial in chunk {
                query = query.bind(outside_text(serial));
            }
            let rows = query
                .fetch_all(&self.pool)
                .await
                .map_err(db_error("reading serials"))?;
            for row in rows {
                found.push(row.try_get(0).map_err(db_error("reading serials"))?);
            }
        }
        Ok(found)
    }

    async fn pool_tokens(
        &self,
        query: &PoolQuery,
    ) -> StoreResult<Vec<(StoredToken, Option<String>)>> {
        let mut sql = format!(
            "SELECT {COLUMNS}, u.username AS owner FROM tokens t LEFT JOIN users u ON u.id = t.user_id \
             WHERE t.serial IS NOT NULL"
        );
        let mut binds = Vec::new();
        if let Some(prefix) = query.serial.as_deref().filter(|s| !s.is_empty()) {
            binds.push(format!("{}%", escape_like(prefix)));
            sql.push_str(&format!(" AND t.serial LIKE ${} ESCAPE '\\'", binds.len()));
        }
        if let Some(after) = &query.after {
            binds.push(outside_text(after));
            sql.push_str(&format!(" AND t.serial > ${}", binds.len()));
        }
        if query.unassigned_only {
            sql.push_str(" AND t.user_id IS NULL");
        }
        sql.push_str(&format!(" ORDER BY t.serial LIMIT {}", query.limit.max(1)));
        let mut q = sqlx::query(&sql);
        for value in binds {
            q = q.bind(value);
        }
        let rows = q
            .fetch_all(&self.pool)
            .await
            .map_err(db_error("reading the token pool"))?;
        rows.iter()
            .map(|row| {
                let token = from_row(row)?;
                let owner: Option<String> = row
                    .try_get("owner")
                    .map_err(db_error("reading the token pool"))?;
                Ok((token, owner))
            })
            .collect()
    }

    async fn token_by_serial(
        &self,
        serial: &str,
    ) -> StoreResult<Option<(StoredToken, Option<String>)>> {
        let sql = format!("SELECT {COLUMNS} FROM tokens t WHERE t.serial = $1");
        let row = sqlx::query(&sql)
            .bind(outside_text(serial))
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error("reading token"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let token = from_row(&row)?;
        let owner = Some(token.user_id.clone()).filter(|u| !u.is_empty());
        Ok(Some((token, owner)))
    }

    async fn assign_token(&self, serial: &str, user_id: &str) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE tokens SET user_id = $1 WHERE serial = $2 AND user_id IS NULL")
                .bind(user_id)
                .bind(outside_text(serial))
                .execute(&self.writer)
                .await
                .map_err(db_error("assigning token"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn unassign_token(&self, serial: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE tokens SET user_id = NULL WHERE serial = $1 AND user_id IS NOT NULL",
        )
        .bind(outside_text(serial))
        .execute(&self.writer)
        .await
        .map_err(db_error("unassigning token"))?;
        Ok(done.rows_affected() == 1)
    }
}

/// One multi-row insert: atomic, and a serial already there is skipped.
async fn insert_chunk(store: &SqlStore, chunk: &[StoredToken]) -> StoreResult<Vec<String>> {
    let rows: Vec<String> = (0..chunk.len())
        .map(|r| {
            let marks: Vec<String> = (1..=13).map(|c| format!("${}", r * 13 + c)).collect();
            format!("({})", marks.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO tokens (id, user_id, kind, algorithm, digits, period, last_used, drift, secret, \
         created_at, last_used_at, serial, issuer) VALUES {} ON CONFLICT (serial) DO NOTHING RETURNING id",
        rows.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for token in chunk {
        query = query
            .bind(token.id.clone())
            .bind(Some(token.user_id.clone()).filter(|u| !u.is_empty()))
            .bind(token.kind.to_string())
            .bind(token.algorithm.to_string())
            .bind(i64::from(token.digits))
            .bind(token.period as i64)
            .bind(token.last_used)
            .bind(token.drift)
            .bind(token.sealed_secret.clone())
            .bind(token.created_at)
            .bind(token.last_used_at)
            .bind(token.serial.as_deref().map(outside_text))
            .bind(token.issuer.as_deref().map(outside_text));
    }
    let rows = query
        .fetch_all(&store.writer)
        .await
        .map_err(db_error("importing tokens"))?;
    rows.iter()
        .map(|row| {
            row.try_get::<String, _>(0)
                .map_err(db_error("importing tokens"))
        })
        .collect()
}

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<StoredToken> {
    let user_id: Option<String> = row.try_get("user_id").map_err(db_error("reading token"))?;
    crate::tokens::from_row_as(row, "", user_id.unwrap_or_default())
}

fn escape_like(text: &str) -> String {
    outside_text(text)
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
