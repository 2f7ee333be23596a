//! `audit.table`: how big the trail is and how old its oldest record (is
//! `audit.retention_days` keeping up?); `audit.stream.<sink>`: whether each
//! live stream delivers, from the standing its sender keeps in the store.

use countersign_domain::model::audit::AuditExtent;
use countersign_domain::ports::clock::rfc3339;
use countersign_domain::ports::diagnostics::Finding;
use countersign_store::SqlStore;

use crate::audit_stream::status::{self, StreamStatus};
use crate::config::Config;

/// Pruning runs hourly; beyond this many days over the retention it is behind.
const SLACK_DAYS: i64 = 2;

pub(super) async fn findings(config: &Config, store: &SqlStore, now: i64) -> Vec<Finding> {
    let extent = match store.audit_extent().await {
        Ok(extent) => extent,
        Err(e) => {
            return vec![Finding::fail(
                "audit.table",
                e.to_string(),
                "check the database",
            )]
        }
    };
    let mut out = vec![table(config.audit.retention_days, &extent, now)];
    let mut sinks = Vec::new();
    if config.audit.syslog.is_some() {
        sinks.push("syslog");
    }
    if config.audit.file.is_some() {
        sinks.push("file");
    }
    for sink in sinks {
        let found = status::read(store, sink).await;
        out.push(stream(sink, found.as_ref(), &extent));
    }
    out
}

fn table(retention_days: u32, extent: &AuditExtent, now: i64) -> Finding {
    let size = match extent.bytes {
        Some(bytes) => format!(", {:.1} MiB", bytes as f64 / 1_048_576.0),
        None => String::new(),
    };
    let Some(oldest) = extent.oldest_at else {
        return Finding::pass("audit.table", format!("no records yet{size}"));
    };
    let age_days = (now - oldest).max(0) / 86_400;
    let kept = match retention_days {
        0 => "kept for ever (audit.retention_days = 0)".to_string(),
        days => format!("kept {days} days"),
    };
    let message = format!(
        "{} records{size}, the oldest from {} ({age_days} days ago), {kept}",
        extent.rows,
        rfc3339(oldest)
    );
    if retention_days > 0 && age_days > i64::from(retention_days) + SLACK_DAYS {
        return Finding::warn(
            "audit.table",
            format!("{message}: pruning is behind"),
            "pruning runs in `countersign serve` a minute after start and then hourly: check that a node is serving and its log for 'pruning old audit records failed'",
        );
    }
    Finding::pass("audit.table", message)
}

fn stream(sink: &str, found: Option<&StreamStatus>, extent: &AuditExtent) -> Finding {
    let check = format!("audit.stream.{sink}");
    let Some(st) = found else {
        return Finding::warn(
            &check,
            "configured, but no sender has reported yet",
            "start `countersign serve`; the stream runs there and records its standing in the store",
        );
    };
    let behind = extent.last_seq.unwrap_or(0) - st.cursor;
    if let Some(since) = st.down_since {
        let error = st.last_error.as_deref().unwrap_or("unknown error");
        return Finding::fail(
            &check,
            format!("cannot deliver since {} ({error}); {behind} records wait in the store", rfc3339(since)),
            "check that the collector (or the file's directory) is reachable and accepts the connection; nothing is lost: the records go out in order once it is back",
        );
    }
    if st.dropped > 0 {
        return Finding::warn(
            &check,
            format!("delivering (up to seq {}, {behind} behind), but {} records found the queue full since start and were read again from the store", st.cursor, st.dropped),
            "a slow collector or a burst: raise audit.queue, or check the collector's speed",
        );
    }
    Finding::pass(
        &check,
        format!(
            "delivering: up to seq {} ({behind} behind), {} sent since start",
            st.cursor, st.sent
        ),
    )
}
