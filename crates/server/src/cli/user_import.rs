//! `countersign user import FILE.csv`: MFA Server's user records.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use countersign_domain::admin::user_import::{parse, UserImportReport, UserImporter};
use countersign_otp::import::MAX_FILE_BYTES;

use super::Output;
use crate::app::App;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file, with a header naming the columns.
    file: PathBuf,
    /// Check the file and count what would change; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Send no welcome emails (by default the welcome-email rule decides).
    #[arg(long)]
    no_email: bool,
}

/// Exit 0 when every line was applied (or already so), 1 when some failed.
pub async fn import(app: &App, args: ImportArgs, out: &Output) -> Result<ExitCode> {
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?
        .len();
    countersign_otp::import::check_size(size.min(MAX_FILE_BYTES as u64 + 1) as usize)
        .with_context(|| format!("nothing was imported from {}", args.file.display()))?;
    let data = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let rows = parse::parse(&data)
        .with_context(|| format!("nothing was imported from {}", args.file.display()))?;
    let importer = UserImporter::new(app.accounts.clone(), app.pool.clone());
    let bar = std::io::stderr().is_terminal() && !out.json;
    let mut progress = |done: usize, total: usize| {
        if bar {
            let _ = write!(std::io::stderr(), "\r{done}/{total} users");
            let _ = std::io::stderr().flush();
        }
    };
    let report = importer.import(rows, args.dry_run, &mut progress).await?;
    if bar {
        eprintln!();
    }
    if !args.no_email && !args.dry_run {
        for name in &report.welcome {
            app.welcome.consider(name).await?;
        }
    }
    out.show(&report, || text(&report));
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn text(report: &UserImportReport) -> String {
    let verb = if report.dry_run {
        "would create"
    } else {
        "created"
    };
    let mut text = format!(
        "{verb} {}, updated {}, unchanged {}, failed {}, of {} lines",
        report.created,
        report.updated,
        report.unchanged,
        report.failed.len(),
        report.total
    );
    for failure in &report.failed {
        let who = failure
            .username
            .as_deref()
            .map(|u| format!(" ({u})"))
            .unwrap_or_default();
        text.push_str(&format!("\n  line {}{who}: {}", failure.at, failure.reason));
    }
    text
}
