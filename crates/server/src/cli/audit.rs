//! `countersign audit list|export`: the audit trail from the store, with
//! the API's filters. `export` writes every selected record, oldest first,
//! as CSV (the console's formula defusing) or JSON lines to a file or
//! standard output, with progress on standard error when it is a terminal.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use clap::Subcommand;
use countersign_domain::admin::audit_trail::AuditTrail;
use countersign_domain::ports::clock::parse_time;
use countersign_domain::AuditQuery;
use countersign_web::{audit_csv_line, AuditView, AUDIT_CSV_HEADER};

use super::Output;
use crate::app::App;

const PAGE: u32 = 1000;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Records, newest first (or oldest first after --after SEQ).
    List {
        #[arg(long)]
        username: Option<String>,
        /// accepted, rejected or admin.
        #[arg(long)]
        result: Option<String>,
        /// RFC 3339 time or Unix seconds: records at or after it.
        #[arg(long)]
        since: Option<String>,
        /// RFC 3339 time or Unix seconds: records before it.
        #[arg(long)]
        until: Option<String>,
        /// Records after this seq, oldest first.
        #[arg(long)]
        after: Option<i64>,
        /// Records before this seq, newest first.
        #[arg(long)]
        before: Option<i64>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Every selected record, oldest first, to a file or standard output.
    Export {
        /// csv or jsonl.
        #[arg(long)]
        format: String,
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        until: Option<String>,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

fn time(flag: &str, text: Option<&str>) -> Result<Option<i64>> {
    text.map(|t| {
        parse_time(t).ok_or_else(|| {
            anyhow!("--{flag} '{t}': use RFC 3339 (2026-05-01T12:00:00Z) or Unix seconds")
        })
    })
    .transpose()
}

pub async fn audit(app: &App, command: AuditCommand, out: &Output) -> Result<ExitCode> {
    let trail = AuditTrail::new(app.store.clone());
    match command {
        AuditCommand::List {
            username,
            result,
            since,
            until,
            after,
            before,
            limit,
        } => {
            if limit == 0 || limit > 10_000 {
                bail!("--limit must be between 1 and 10000");
            }
            let query = AuditQuery {
                username,
                result,
                since: time("since", since.as_deref())?,
                until: time("until", until.as_deref())?,
                after_seq: after,
                before_seq: before,
                limit,
                ..AuditQuery::default()
            };
            let records: Vec<AuditView> = trail
                .page(&query)
                .await?
                .into_iter()
                .map(|(s, r)| AuditView::new(s, r))
                .collect();
            out.show(&records, || table(&records));
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Export {
            format,
            username,
            since,
            until,
            output,
        } => {
            let query = AuditQuery {
                username,
                since: time("since", since.as_deref())?,
                until: time("until", until.as_deref())?,
                after_seq: Some(0),
                limit: PAGE,
                ..AuditQuery::default()
            };
            export(&trail, query, &format, output).await
        }
    }
}

fn table(records: &[AuditView]) -> String {
    let mut text = format!(
        "{:>8} {:<20} {:<24} {:<8} {:<8} {:<22} {}",
        "SEQ", "TIME", "USERNAME", "METHOD", "RESULT", "REASON", "CLIENT"
    );
    for r in records {
        text.push_str(&format!(
            "\n{:>8} {:<20} {:<24} {:<8} {:<8} {:<22} {}",
            r.seq,
            r.at,
            r.username,
            r.method,
            r.result,
            r.reason.as_deref().unwrap_or("-"),
            r.api_key.as_deref().unwrap_or("-")
        ));
    }
    text
}

async fn export(
    trail: &AuditTrail,
    mut query: AuditQuery,
    format: &str,
    output: Option<PathBuf>,
) -> Result<ExitCode> {
    let csv = match format {
        "csv" => true,
        "jsonl" => false,
        other => bail!("--format '{other}': use csv or jsonl"),
    };
    let mut sink: Box<dyn Write> = match &output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let progress = std::io::stderr().is_terminal();
    if csv {
        sink.write_all(AUDIT_CSV_HEADER.as_bytes())?;
    }
    let mut written: u64 = 0;
    loop {
        let page = trail.page(&query).await?;
        for (seq, record) in &page {
            let line = match csv {
                true => audit_csv_line(*seq, record),
                false => serde_json::to_string(&AuditView::new(*seq, record.clone()))? + "\n",
            };
            sink.write_all(line.as_bytes())
                .context("writing the export failed")?;
        }
        written += page.len() as u64;
        if progress {
            eprint!("\rexported {written} records");
        }
        match page.last() {
            Some((seq, _)) if page.len() as u32 == PAGE => query.after_seq = Some(*seq),
            _ => break,
        }
    }
    sink.flush().context("writing the export failed")?;
    if progress {
        eprintln!(
            "\rexported {written} records{}",
            output
                .map(|p| format!(" to {}", p.display()))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
