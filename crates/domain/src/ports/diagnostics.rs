//! Findings of `countersign doctor`, shared by the CLI and
//! `GET /api/v1/diagnostics`.

use async_trait::async_trait;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        }
    }
}

/// One result: what was checked, how it went, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable dotted name, e.g. `certificate.chain`.
    pub check: String,
    pub status: Status,
    pub message: String,
    /// One sentence on the fix; absent on PASS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    pub fn pass(check: &str, message: impl Into<String>) -> Self {
        Self {
            check: check.to_string(),
            status: Status::Pass,
            message: message.into(),
            fix: None,
        }
    }
    pub fn warn(check: &str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            check: check.to_string(),
            status: Status::Warn,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }
    pub fn fail(check: &str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            check: check.to_string(),
            status: Status::Fail,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Runs every registered check.
#[async_trait]
pub trait Diagnostics: Send + Sync {
    async fn run(&self) -> Vec<Finding>;
}
