//! The audit stream's read on a direct connection: the records after a
//! position, oldest first, with no filter. The stream reads every record
//! back, so this skips sqlx's generic rows (a measurable share of its cost).

use countersign_domain::ports::StoreResult;
use countersign_domain::AuditRecord;

use super::reads::ReadPool;
use super::sqlite_error;

const AFTER: &str =
    "SELECT seq, id, at, username, user_id, method, token_id, result, reason, api_key, \
    source_address, rule FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2";

impl ReadPool {
    pub fn audit_after(&self, after: i64, limit: u32) -> StoreResult<Vec<(i64, AuditRecord)>> {
        self.with(|conn| {
            let err = sqlite_error("reading audit");
            let mut statement = conn.prepare_cached(AFTER).map_err(&err)?;
            let rows = statement
                .query_map(rusqlite::params![after, limit], |row| {
                    Ok((
                        row.get(0)?,
                        AuditRecord {
                            id: row.get(1)?,
                            at: row.get(2)?,
                            username: row.get(3)?,
                            user_id: row.get(4)?,
                            method: row.get(5)?,
                            token_id: row.get(6)?,
                            result: row.get(7)?,
                            reason: row.get(8)?,
                            api_key: row.get(9)?,
                            source_address: row.get(10)?,
                            rule: row.get(11)?,
                        },
                    ))
                })
                .map_err(&err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(&err)
        })
    }
}
