//! Importing a parsed file into the pool: every seed sealed, inserted in
//! batches where a serial already present is skipped, so a rerun imports
//! nothing twice; a dry run only counts.

use std::collections::HashSet;

use countersign_otp::import::{Entry, Parsed, Seed};
use serde::Serialize;

use super::TokenPool;
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::token::StoredToken;

/// Rows per insert statement.
const BATCH: usize = 200;

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Tokens found in the file (seeds, skipped and failed).
    pub total: usize,
    pub imported: usize,
    /// Serials already in the store, or twice in the file.
    pub duplicates: usize,
    /// Entries that are not OTP keys (a PSKC PIN key), with why.
    pub skipped: Vec<Failure>,
    /// Entries that could not be imported, with where and why.
    pub failed: Vec<Failure>,
}

/// One entry of a file that was not imported.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Failure {
    /// The CSV line or PSKC key package (from 1).
    pub at: usize,
    pub serial: Option<String>,
    pub reason: String,
}

impl TokenPool {
    /// Imports the entries of a parsed file; `progress(done, total)` is
    /// called after each batch.
    pub async fn import(
        &self,
        entries: Vec<Entry>,
        dry_run: bool,
        progress: &mut (dyn FnMut(usize, usize) + Send),
    ) -> Result<ImportReport, DomainError> {
        let mut report = ImportReport {
            dry_run,
            total: entries.len(),
            ..ImportReport::default()
        };
        let mut seen = HashSet::new();
        let mut seeds = Vec::new();
        for entry in entries {
            let Entry { at, serial, parsed } = entry;
            match parsed {
                Parsed::Seed(seed) if !seen.insert(seed.serial.clone()) => report.duplicates += 1,
                Parsed::Seed(seed) => seeds.push(seed),
                Parsed::Skipped(reason) => report.skipped.push(Failure { at, serial, reason }),
                Parsed::Failed(reason) => report.failed.push(Failure { at, serial, reason }),
            }
        }
        let total = seeds.len();
        let mut done = 0;
        for batch in seeds.chunks(BATCH) {
            let added = if dry_run {
                let serials: Vec<String> = batch.iter().map(|s| s.serial.clone()).collect();
                batch.len() - self.store.serials_present(&serials).await?.len()
            } else {
                let rows: Vec<StoredToken> = batch.iter().map(|s| self.row(s)).collect();
                self.store.insert_pool_tokens(&rows).await?.len()
            };
            report.imported += added;
            report.duplicates += batch.len() - added;
            done += batch.len();
            progress(done, total);
        }
        tracing::info!(
            dry_run,
            imported = report.imported,
            duplicates = report.duplicates,
            failed = report.failed.len(),
            "tokens imported into the pool"
        );
        Ok(report)
    }

    /// A pool row for a seed: no user, the seed sealed to its id.
    fn row(&self, seed: &Seed) -> StoredToken {
        let id = new_id("tok");
        StoredToken {
            sealed_secret: self.key.seal("tokens", &id, "secret", &seed.secret),
            id,
            user_id: String::new(),
            kind: seed.kind,
            algorithm: seed.algorithm,
            digits: seed.digits,
            period: seed.period,
            last_used: seed.counter as i64 - 1,
            drift: 0,
            created_at: self.clock.now(),
            last_used_at: None,
            serial: Some(seed.serial.clone()),
            issuer: seed.issuer.clone(),
        }
    }
}
