//! The statements of one decision, on the writer's connection, inside the
//! writer's transaction. Prepared once per connection (`prepare_cached`).

use countersign_domain::model::decision::{
    DecisionResult, DecisionWrite, FailureChange, PasskeyAdvance,
};
use countersign_domain::model::user::username_key;
use countersign_domain::ports::{FailureState, StoreResult};
use countersign_domain::AuditRecord;
use rusqlite::{params, Connection, OptionalExtension};

use super::sqlite_error;
use crate::outside_text;

/// The compare-and-set: of two decisions with the same code, only the
/// first to run updates the row (the writer runs them one after another).
const ADVANCE: &str = "UPDATE tokens SET last_used = ?1, drift = ?2, last_used_at = ?3 \
                       WHERE id = ?4 AND last_used < ?1";

/// One more failure; a lock that has run out starts the count afresh, and
/// reaching the threshold sets a new lock (as `users::record_failure`).
const COUNT_FAILURE: &str = "UPDATE users SET \
    failed_attempts = CASE WHEN locked_until IS NOT NULL AND locked_until <= ?2 THEN 1 ELSE failed_attempts + 1 END, \
    locked_until = CASE \
      WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= ?2 THEN 1 ELSE failed_attempts + 1 END) >= ?3 THEN ?4 \
      WHEN locked_until IS NOT NULL AND locked_until <= ?2 THEN NULL \
      ELSE locked_until END \
    WHERE id = ?1 RETURNING failed_attempts, locked_until";

/// Writes nothing when there is nothing to clear.
const CLEAR_FAILURES: &str = "UPDATE users SET failed_attempts = 0, locked_until = NULL \
    WHERE id = ?1 AND (failed_attempts <> 0 OR locked_until IS NOT NULL)";

/// A passkey's challenge taken once, while unexpired.
const TAKE_CHALLENGE: &str =
    "UPDATE webauthn_challenges SET used = 1 WHERE id = ?1 AND used = 0 AND expires_at > ?2";

/// A passkey's signature counter moved only from the value the decision read.
const ADVANCE_PASSKEY: &str =
    "UPDATE webauthn_credentials SET sign_count = ?1, backup_state = ?2, \
    last_used_at = ?3 WHERE id = ?4 AND sign_count = ?5";

const AUDIT: &str =
    "INSERT INTO audit (id, at, username, username_key, user_id, method, token_id, \
    result, reason, api_key, source_address, rule) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

/// Applies one decision: the compare-and-set, then the effects that hold.
pub fn decision(conn: &Connection, write: &DecisionWrite) -> StoreResult<DecisionResult> {
    let err = sqlite_error("committing a decision");
    let cas_won = match (&write.cas, &write.passkey) {
        (Some(advance), _) => {
            let changed = conn
                .prepare_cached(ADVANCE)
                .and_then(|mut s| {
                    s.execute(params![
                        advance.used,
                        advance.drift,
                        write.now,
                        advance.token_id
                    ])
                })
                .map_err(&err)?;
            changed == 1
        }
        (None, Some(passkey)) => passkey_cas(conn, passkey, write.now)?,
        (None, None) => true,
    };
    let effects = write.effects_for(cas_won);
    let failure = match (effects.failure, write.user_id.as_deref()) {
        (
            FailureChange::Count {
                threshold,
                lock_seconds,
            },
            Some(user_id),
        ) => count_failure(conn, user_id, write.now, threshold, lock_seconds)?,
        (FailureChange::Clear, Some(user_id)) => {
            conn.prepare_cached(CLEAR_FAILURES)
                .and_then(|mut s| s.execute(params![user_id]))
                .map_err(&err)?;
            None
        }
        _ => None,
    };
    let audit_seq = insert_audit(conn, &effects.audit)?;
    Ok(DecisionResult {
        cas_won,
        failure,
        audit_seq,
    })
}

/// The challenge's take, then the counter's compare-and-set: both must win.
fn passkey_cas(conn: &Connection, p: &PasskeyAdvance, now: i64) -> StoreResult<bool> {
    let err = sqlite_error("taking a passkey challenge");
    let taken = conn
        .prepare_cached(TAKE_CHALLENGE)
        .and_then(|mut s| s.execute(params![p.challenge_id, now]))
        .map_err(&err)?;
    if taken != 1 {
        return Ok(false);
    }
    let moved = conn
        .prepare_cached(ADVANCE_PASSKEY)
        .and_then(|mut s| {
            s.execute(params![
                i64::from(p.new),
                i64::from(p.backup_state),
                now,
                p.passkey_id,
                i64::from(p.old)
            ])
        })
        .map_err(&err)?;
    Ok(moved == 1)
}

fn count_failure(
    conn: &Connection,
    user_id: &str,
    now: i64,
    threshold: i64,
    lock_seconds: i64,
) -> StoreResult<Option<FailureState>> {
    conn.prepare_cached(COUNT_FAILURE)
        .and_then(|mut s| {
            s.query_row(
                params![user_id, now, threshold, now + lock_seconds],
                |row| {
                    Ok(FailureState {
                        failed_attempts: row.get(0)?,
                        locked_until: row.get(1)?,
                    })
                },
            )
            .optional()
        })
        .map_err(sqlite_error("counting a failure"))
}

/// Writes the record; its position (`seq`, the row id).
fn insert_audit(conn: &Connection, r: &AuditRecord) -> StoreResult<i64> {
    conn.prepare_cached(AUDIT)
        .and_then(|mut s| {
            s.execute(params![
                r.id,
                r.at,
                outside_text(&r.username),
                outside_text(&username_key(&r.username)),
                r.user_id,
                r.method,
                r.token_id,
                r.result,
                r.reason,
                r.api_key.as_deref().map(outside_text),
                r.source_address.as_deref().map(outside_text),
                r.rule,
            ])
        })
        .map(|_| conn.last_insert_rowid())
        .map_err(sqlite_error("writing audit record"))
}
