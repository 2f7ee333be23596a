//! `store.backup`: when `countersign backup` last ran (it records itself in
//! the store), warning after 7 days or when none was ever made.

use countersign_domain::ports::diagnostics::Finding;
use countersign_domain::MetaStore;
use countersign_store::SqlStore;

use crate::backup::{LastBackup, LAST_BACKUP_META};

const WARN_AFTER_DAYS: i64 = 7;

pub(super) async fn last_backup(store: &SqlStore, now: i64) -> Finding {
    let fix = "run `countersign backup FILE` regularly (PostgreSQL: pg_dump plus `countersign backup --key-only FILE`), e.g. from a systemd timer or cron";
    let recorded = match store.get_meta(LAST_BACKUP_META).await {
        Ok(value) => value.and_then(|v| serde_json::from_slice::<LastBackup>(&v).ok()),
        Err(e) => return Finding::fail("store.backup", e.to_string(), "check the database"),
    };
    let Some(last) = recorded else {
        return Finding::warn(
            "store.backup",
            "no backup was ever recorded for this database",
            fix,
        );
    };
    let days = (now - last.at).max(0) / 86_400;
    let when = time::OffsetDateTime::from_unix_timestamp(last.at)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| last.at.to_string());
    if days >= WARN_AFTER_DAYS {
        return Finding::warn(
            "store.backup",
            format!(
                "the last backup was {days} days ago ({when}, {})",
                last.file
            ),
            fix,
        );
    }
    Finding::pass(
        "store.backup",
        format!("last backup {when} ({})", last.file),
    )
}
