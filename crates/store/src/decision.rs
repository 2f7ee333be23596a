//! A decision's effects on PostgreSQL: one statement, so one round trip and
//! one commit. Data-modifying CTEs run once each on one snapshot; the
//! compare-and-set's `RETURNING` tells the later parts whether it won, so
//! the failure count and the audit record follow the outcome that holds.
//! Concurrent compare-and-sets on one token queue on its row lock, and the
//! loser re-checks `last_used < $1` against the winner's row: 0 rows.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::model::decision::{DecisionResult, DecisionWrite, Effects, FailureChange};
use countersign_domain::model::user::username_key;
use countersign_domain::ports::DecisionStore;
use countersign_domain::ports::{FailureState, StoreResult};
use countersign_domain::{AuditRecord, StoreError};
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Row};

use crate::{db_error, outside_text};

/// `$6..$8`: failure change if the CAS lost (mode 0 none, 1 count, 2
/// clear; threshold; lock until), `$9..$11` the same if it won or there was none.
const DECISION: &str = "WITH cas AS ( \
    UPDATE tokens SET last_used = $1, drift = $2, last_used_at = $3 \
    WHERE $4 = 1 AND id = $5 AND last_used < $1 RETURNING id \
), outcome AS ( \
    SELECT CASE WHEN $4 = 1 AND NOT EXISTS (SELECT 1 FROM cas) THEN 1 ELSE 0 END AS lost \
), mode AS ( \
    SELECT CASE WHEN lost = 1 THEN $6 ELSE $9 END AS m, \
           CASE WHEN lost = 1 THEN $7 ELSE $10 END AS threshold, \
           CASE WHEN lost = 1 THEN $8 ELSE $11 END AS lock_until \
    FROM outcome \
), fail AS ( \
    UPDATE users SET \
      failed_attempts = CASE WHEN mode.m = 1 THEN \
        (CASE WHEN locked_until IS NOT NULL AND locked_until <= $3 THEN 1 ELSE failed_attempts + 1 END) ELSE 0 END, \
      locked_until = CASE WHEN mode.m = 1 THEN (CASE \
        WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= $3 THEN 1 ELSE failed_attempts + 1 END) >= mode.threshold \
          THEN mode.lock_until \
        WHEN locked_until IS NOT NULL AND locked_until <= $3 THEN NULL \
        ELSE locked_until END) ELSE NULL END \
    FROM mode WHERE users.id = $12 \
      AND (mode.m = 1 OR (mode.m = 2 AND (users.failed_attempts <> 0 OR users.locked_until IS NOT NULL))) \
    RETURNING mode.m, users.failed_attempts, users.locked_until \
), audited AS ( \
    INSERT INTO audit (id, at, username, username_key, user_id, method, token_id, result, reason, api_key, source_address, rule) \
    SELECT v.id, v.at, v.username, v.username_key, v.user_id, v.method, v.token_id, v.result, v.reason, v.api_key, v.source_address, v.rule \
    FROM (VALUES \
      (0, $13, $14::BIGINT, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24), \
      (1, $25, $26::BIGINT, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36) \
    ) AS v (lost, id, at, username, username_key, user_id, method, token_id, result, reason, api_key, source_address, rule) \
    JOIN outcome ON outcome.lost = v.lost \
    RETURNING seq \
) \
SELECT (SELECT lost FROM outcome)::BIGINT AS lost, \
       (SELECT count(*) FROM audited) AS audited, \
       (SELECT max(seq) FROM audited) AS seq, \
       (SELECT m FROM fail) AS m, \
       (SELECT failed_attempts FROM fail) AS failed_attempts, \
       (SELECT locked_until FROM fail) AS locked_until";

pub async fn commit(pool: &AnyPool, w: &DecisionWrite) -> StoreResult<DecisionResult> {
    let (has_cas, used, drift, token_id) = match &w.cas {
        Some(a) => (1_i64, a.used, a.drift, a.token_id.as_str()),
        None => (0, 0, 0, ""),
    };
    let mut query = sqlx::query(DECISION)
        .bind(used)
        .bind(drift)
        .bind(w.now)
        .bind(has_cas)
        .bind(token_id);
    query = bind_failure(query, w.effects_for(false), w.now);
    query = bind_failure(query, w.effects_for(true), w.now);
    query = query.bind(w.user_id.clone().unwrap_or_default());
    query = bind_audit(query, &w.effects_for(true).audit);
    query = bind_audit(query, &w.effects_for(false).audit);
    let err = db_error("committing a decision");
    let row = query.fetch_one(pool).await.map_err(&err)?;
    let lost: i64 = row.try_get("lost").map_err(&err)?;
    let audited: i64 = row.try_get("audited").map_err(&err)?;
    if audited != 1 {
        return Err(StoreError::Backend(format!(
            "committing a decision wrote {audited} audit records instead of 1"
        )));
    }
    let audit_seq: i64 = row.try_get("seq").map_err(&err)?;
    let mode: Option<i64> = row.try_get("m").map_err(&err)?;
    let failure = match mode {
        Some(1) => Some(FailureState {
            failed_attempts: row.try_get("failed_attempts").map_err(&err)?,
            locked_until: row.try_get("locked_until").map_err(&err)?,
        }),
        _ => None,
    };
    Ok(DecisionResult {
        cas_won: lost == 0,
        failure,
        audit_seq,
    })
}

fn bind_failure<'q>(
    query: Query<'q, Any, AnyArguments<'q>>,
    effects: &Effects,
    now: i64,
) -> Query<'q, Any, AnyArguments<'q>> {
    let (mode, threshold, lock_until) = match effects.failure {
        FailureChange::None => (0_i64, 0, 0),
        FailureChange::Count {
            threshold,
            lock_seconds,
        } => (1, threshold, now + lock_seconds),
        FailureChange::Clear => (2, 0, 0),
    };
    query.bind(mode).bind(threshold).bind(lock_until)
}

fn bind_audit<'q>(
    query: Query<'q, Any, AnyArguments<'q>>,
    r: &AuditRecord,
) -> Query<'q, Any, AnyArguments<'q>> {
    query
        .bind(r.id.clone())
        .bind(r.at)
        .bind(outside_text(&r.username))
        .bind(outside_text(&username_key(&r.username)))
        .bind(r.user_id.clone())
        .bind(r.method.clone())
        .bind(r.token_id.clone())
        .bind(r.result.clone())
        .bind(r.reason.clone())
        .bind(r.api_key.as_deref().map(outside_text))
        .bind(r.source_address.as_deref().map(outside_text))
        .bind(r.rule.clone())
}

impl SqlStore {
    /// Through sqlx: a passkey's compare-and-set runs first, on its own
    /// (the decision's statement has only the token's); when it loses, the
    /// lost outcome is what the decision writes.
    async fn commit_apart(&self, write: DecisionWrite) -> StoreResult<DecisionResult> {
        use countersign_domain::ports::PasskeyStore;
        let Some(p) = write.passkey.clone() else {
            return commit(&self.writer, &write).await;
        };
        let won = self
            .take_webauthn_challenge(&p.challenge_id, write.now)
            .await?
            && (self.advance_passkey(&p.passkey_id, p.old, p.new, p.backup_state, write.now))
                .await?;
        let write = if won { write } else { write.into_lost() };
        let result = commit(&self.writer, &write).await?;
        Ok(DecisionResult {
            cas_won: won,
            ..result
        })
    }
}

#[async_trait]
impl DecisionStore for SqlStore {
    async fn commit_decision(&self, write: DecisionWrite) -> StoreResult<DecisionResult> {
        // The record the outcome wrote, for the audit stream (only when it
        // listens), with its position: the stream sends it without reading
        // it back. A second copy only when a lost compare-and-set writes another.
        let records = self.tap.is_set().then(|| {
            let lost = write.if_cas_lost.as_ref().map(|e| e.audit.clone());
            (write.effects.audit.clone(), lost)
        });
        let result = match &self.direct {
            Some(direct) => direct.commit(write).await,
            None => self.commit_apart(write).await,
        }?;
        if let Some((won, lost)) = records {
            let written = match (result.cas_won, lost) {
                (false, Some(lost)) => lost,
                _ => won,
            };
            self.tap.recorded(result.audit_seq, written);
        }
        Ok(result)
    }
}
