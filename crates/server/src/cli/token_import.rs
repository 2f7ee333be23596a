//! `countersign token import FILE` and `countersign token pool`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use countersign_domain::admin::pool::{Failure, ImportReport};
use countersign_domain::model::pool::PoolQuery;
use countersign_domain::ports::clock::rfc3339;
use countersign_otp::import::pskc::Protection;
use countersign_otp::import::{self, Format, MAX_FILE_BYTES};

use super::{or_dash, Output};
use crate::app::App;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The PSKC (.xml, .pskcxml) or CSV file.
    file: PathBuf,
    /// pskc, csv or yubico (the YubiKey Personalization Tool's log); by
    /// default the file's first character decides ('<' is PSKC, else CSV).
    #[arg(long)]
    format: Option<String>,
    /// A file holding the pre-shared key of an encrypted PSKC file (hex).
    #[arg(long, conflicts_with = "password_file")]
    key_file: Option<PathBuf>,
    /// A file holding the password of a PBKDF2 PSKC file.
    #[arg(long)]
    password_file: Option<PathBuf>,
    /// Check the file and count what would be imported; import nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Args)]
pub struct PoolArgs {
    /// Serials starting with this text.
    #[arg(long)]
    serial: Option<String>,
    /// Only tokens not assigned to anyone.
    #[arg(long)]
    unassigned: bool,
    /// The last serial of the previous page.
    #[arg(long)]
    after: Option<String>,
    #[arg(long, default_value_t = 100)]
    limit: u32,
}

/// Exit 0 when every token was imported or already there, 1 when some failed.
pub async fn import(app: &App, args: ImportArgs, out: &Output) -> Result<ExitCode> {
    let format = match args.format.as_deref() {
        Some(name) => Some(name.parse::<Format>().map_err(anyhow::Error::msg)?),
        None => None,
    };
    let protection = protection(&args)?;
    let data = read_limited(&args.file)?;
    let entries = tokio::task::spawn_blocking(move || import::parse(&data, format, &protection))
        .await
        .context("reading the file stopped")?
        .with_context(|| format!("nothing was imported from {}", args.file.display()))?;
    let bar = std::io::stderr().is_terminal() && !out.json;
    let mut progress = |done: usize, total: usize| {
        if bar {
            draw(done, total);
        }
    };
    let report = app
        .pool
        .import(entries, args.dry_run, &mut progress)
        .await?;
    if bar {
        eprintln!();
    }
    out.show(&report, || text(&report));
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn protection(args: &ImportArgs) -> Result<Protection> {
    if let Some(path) = &args.key_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the key file {}", path.display()))?;
        return Protection::key_from_text(&text)
            .map_err(|e| anyhow::anyhow!("the key file {}: {e}", path.display()));
    }
    if let Some(path) = &args.password_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the password file {}", path.display()))?;
        let password = text.strip_suffix('\n').unwrap_or(&text);
        let password = password.strip_suffix('\r').unwrap_or(password);
        return Ok(Protection::Password(password.to_string()));
    }
    Ok(Protection::None)
}

/// Reads the file, refusing one over the limit before reading it.
fn read_limited(path: &Path) -> Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > MAX_FILE_BYTES as u64 {
        import::check_size(size as usize)
            .with_context(|| format!("nothing was imported from {}", path.display()))?;
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn draw(done: usize, total: usize) {
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    let bar: String = "#".repeat(filled) + &"-".repeat(width - filled);
    let mut err = std::io::stderr();
    let _ = write!(err, "\r[{bar}] {done}/{total}");
    let _ = err.flush();
}

fn text(report: &ImportReport) -> String {
    let verb = if report.dry_run {
        "would import"
    } else {
        "imported"
    };
    let mut text = format!(
        "{verb} {}, {} already there (duplicates), {} skipped, {} failed, of {} in the file",
        report.imported,
        report.duplicates,
        report.skipped.len(),
        report.failed.len(),
        report.total
    );
    for (label, list) in [("skipped", &report.skipped), ("failed", &report.failed)] {
        for problem in list {
            text.push_str(&format!("\n  {label}: {}", describe(problem)));
        }
    }
    text
}

fn describe(problem: &Failure) -> String {
    match &problem.serial {
        Some(serial) => format!("{} (serial {serial}): {}", problem.at, problem.reason),
        None => format!("{}: {}", problem.at, problem.reason),
    }
}

pub async fn pool(app: &App, args: PoolArgs, out: &Output) -> Result<()> {
    let query = PoolQuery {
        serial: args.serial,
        unassigned_only: args.unassigned,
        after: args.after,
        limit: args.limit,
    };
    let tokens = app.pool.list(&query).await?;
    out.show(&tokens, || {
        let mut text = format!(
            "{:<20} {:<5} {:<7} {:<7} {:<16} {:<22} {}",
            "SERIAL", "TYPE", "ALG", "DIGITS", "ASSIGNED TO", "IMPORTED", "ISSUER"
        );
        for t in &tokens {
            text.push_str(&format!(
                "\n{:<20} {:<5} {:<7} {:<7} {:<16} {:<22} {}",
                or_dash(&t.token.serial),
                t.token.kind.to_string(),
                t.token.algorithm.to_string(),
                t.token.digits,
                or_dash(&t.assigned_to),
                rfc3339(t.token.created_at),
                or_dash(&t.token.issuer)
            ));
        }
        text
    });
    Ok(())
}
