//! Bulk user import from MFA Server's user records (CSV): each line creates
//! the user or updates what differs, so a rerun changes nothing; a line
//! that is wrong fails alone, before anything of it is written.

pub mod desired;
pub mod group;
pub mod parse;

use std::sync::Mutex;

use serde::Serialize;

use crate::admin::accounts::Accounts;
use crate::admin::pool::TokenPool;
use crate::model::error::DomainError;
use crate::model::user::{NewUser, User, UserPatch};
use desired::{desired, Desired};
use parse::UserRow;

pub use countersign_otp::import::ImportError;

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct UserImportReport {
    pub dry_run: bool,
    pub total: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: Vec<LineFailure>,
    /// Users created or given a token: the doors consider their welcome email.
    #[serde(skip)]
    pub welcome: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LineFailure {
    pub at: usize,
    pub username: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Created,
    Updated,
    Unchanged,
}

/// Lines done so far, and the caller's progress callback.
type Progress<'a> = (usize, &'a mut (dyn FnMut(usize, usize) + Send));

/// Lines applied at once.
pub const GROUPS: usize = 8;

#[derive(Clone)]
pub struct UserImporter {
    accounts: Accounts,
    pool: TokenPool,
}

impl UserImporter {
    pub fn new(accounts: Accounts, pool: TokenPool) -> Self {
        Self { accounts, pool }
    }

    /// Imports a parsed file; `progress(done, total)` after every 100 lines.
    /// Lines run in [`GROUPS`] groups at once (a user's lines stay in one
    /// group, in file order), so a database round trip is not waited for
    /// line after line.
    pub async fn import(
        &self,
        rows: Vec<parse::Parsed>,
        dry_run: bool,
        progress: &mut (dyn FnMut(usize, usize) + Send),
    ) -> Result<UserImportReport, DomainError> {
        let total = rows.len();
        let shared = Mutex::new((0usize, progress));
        let groups = group::split(rows, GROUPS);
        let runs = groups
            .into_iter()
            .map(|rows| self.import_group(rows, dry_run, total, &shared));
        let mut report = UserImportReport {
            dry_run,
            total,
            ..UserImportReport::default()
        };
        for part in group::join_all(runs.collect()).await {
            report.created += part.created;
            report.updated += part.updated;
            report.unchanged += part.unchanged;
            report.failed.extend(part.failed);
            report.welcome.extend(part.welcome);
        }
        report.failed.sort_by_key(|f| f.at);
        tracing::info!(
            dry_run,
            created = report.created,
            updated = report.updated,
            failed = report.failed.len(),
            "users imported"
        );
        Ok(report)
    }

    async fn import_group(
        &self,
        rows: Vec<parse::Parsed>,
        dry_run: bool,
        total: usize,
        progress: &Mutex<Progress<'_>>,
    ) -> UserImportReport {
        let mut report = UserImportReport::default();
        for parsed in rows {
            let outcome = match parsed {
                Ok(row) => self
                    .line(&row, dry_run)
                    .await
                    .map_err(|e| (row.at, Some(row.username.clone()), e)),
                Err(failed) => Err(failed),
            };
            match outcome {
                Ok((change, name, welcome)) => {
                    match change {
                        Change::Created => report.created += 1,
                        Change::Updated => report.updated += 1,
                        Change::Unchanged => report.unchanged += 1,
                    }
                    if welcome {
                        report.welcome.push(name);
                    }
                }
                Err((at, username, reason)) => report.failed.push(LineFailure {
                    at,
                    username,
                    reason,
                }),
            }
            if let Ok(mut guard) = progress.lock() {
                let (done, report_progress) = &mut *guard;
                *done += 1;
                if *done % 100 == 0 || *done == total {
                    report_progress(*done, total);
                }
            }
        }
        report
    }

    /// One line: checked whole, then written. Returns the change, the
    /// username and whether a welcome email is to be considered.
    async fn line(&self, row: &UserRow, dry_run: bool) -> Result<(Change, String, bool), String> {
        let want = desired(row)?;
        let found = match self.accounts.user(&row.username).await {
            Ok(user) => Some(user),
            Err(DomainError::NotFound { .. }) => None,
            Err(e) => return Err(e.to_string()),
        };
        let assign = self.token_to_assign(&want, found.as_ref()).await?;
        let patch = patch(found.as_ref(), &want);
        let change = match (&found, patch_is_empty(&patch) && assign.is_none()) {
            (None, _) => Change::Created,
            (Some(_), true) => Change::Unchanged,
            (Some(_), false) => Change::Updated,
        };
        if dry_run || change == Change::Unchanged {
            return Ok((change, row.username.clone(), false));
        }
        let name = match found {
            Some(user) => user.username,
            None => self.create(row, &want).await?,
        };
        if !patch_is_empty(&patch) {
            self.accounts
                .update_user(&name, patch)
                .await
                .map_err(|e| e.to_string())?;
        }
        if let Some(serial) = &assign {
            self.pool
                .assign(&name, serial, None)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok((change, name, change == Change::Created || assign.is_some()))
    }

    async fn create(&self, row: &UserRow, want: &Desired) -> Result<String, String> {
        let new = NewUser {
            username: row.username.clone(),
            display_name: want.display_name.clone(),
            email: want.email.clone(),
            phone: want.phone.clone(),
        };
        let created = self
            .accounts
            .create_user(new)
            .await
            .map_err(|e| e.to_string())?;
        Ok(created.username)
    }

    /// The pool token to give the user, checked before anything is written.
    async fn token_to_assign(
        &self,
        want: &Desired,
        user: Option<&User>,
    ) -> Result<Option<String>, String> {
        let Some(serial) = &want.token_serial else {
            return Ok(None);
        };
        match self
            .pool
            .owner_of(serial)
            .await
            .map_err(|e| e.to_string())?
        {
            None => Err(format!(
                "no imported token has serial {serial}; import the tokens first"
            )),
            Some(None) => Ok(Some(serial.clone())),
            Some(Some(owner)) if user.is_some_and(|u| u.id == owner) => Ok(None),
            Some(Some(_)) => Err(format!("token {serial} is assigned to another user")),
        }
    }
}

/// The fields that differ from what the user has (all of them for a new
/// user, except the profile, which creating sets).
fn patch(found: Option<&User>, want: &Desired) -> UserPatch {
    let differs = |now: Option<&String>, wanted: &Option<String>| {
        wanted
            .as_ref()
            .filter(|w| now != Some(*w))
            .map(|w| Some(w.clone()))
    };
    let Some(user) = found else {
        return UserPatch {
            enabled: want.enabled.filter(|e| !e),
            default_method: want.default_method.filter(Option::is_some),
            language: want.language.clone().map(Some),
            voice_phone: want.voice_phone.clone().map(Some),
            ..UserPatch::default()
        };
    };
    UserPatch {
        display_name: differs(user.display_name.as_ref(), &want.display_name),
        email: differs(user.email.as_ref(), &want.email),
        phone: differs(user.phone.as_ref(), &want.phone),
        enabled: want.enabled.filter(|e| *e != user.enabled),
        default_method: want.default_method.filter(|m| *m != user.default_method),
        language: differs(user.language.as_ref(), &want.language),
        voice_phone: differs(user.voice_phone.as_ref(), &want.voice_phone),
        ..UserPatch::default()
    }
}

fn patch_is_empty(patch: &UserPatch) -> bool {
    patch.display_name.is_none()
        && patch.email.is_none()
        && patch.phone.is_none()
        && patch.enabled.is_none()
        && patch.default_method.is_none()
        && patch.language.is_none()
        && patch.voice_phone.is_none()
}
