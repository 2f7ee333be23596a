//! `countersign doctor`: every check a subsystem registers, run in order,
//! each answering PASS, WARN or FAIL with one sentence on the fix.

mod audit;
mod backup;
mod certificate;
mod channels;
mod clock;
mod directory;
mod ldap;
mod limits;
mod mail;
mod metrics;
mod radius;
mod served;
mod sso;
mod store;
mod tls_probe;
mod voice;
mod voice_http;
mod webauthn;

use std::process::ExitCode;

use async_trait::async_trait;
use countersign_domain::ports::diagnostics::{Diagnostics, Finding, Status};

use crate::config::Config;

/// A group of checks that belongs to one subsystem.
#[async_trait]
pub trait Check: Send + Sync {
    async fn run(&self, config: &Config) -> Vec<Finding>;
}

pub struct Doctor {
    config: Config,
    checks: Vec<Box<dyn Check>>,
}

impl Doctor {
    /// Every subsystem's checks, in the order an operator reads them.
    pub fn new(config: Config) -> Self {
        let mut doctor = Doctor {
            config,
            checks: Vec::new(),
        };
        store::register(&mut doctor);
        certificate::register(&mut doctor);
        served::register(&mut doctor);
        clock::register(&mut doctor);
        mail::register(&mut doctor);
        channels::register(&mut doctor);
        radius::register(&mut doctor);
        directory::register(&mut doctor);
        ldap::register(&mut doctor);
        metrics::register(&mut doctor);
        limits::register(&mut doctor);
        webauthn::register(&mut doctor);
        sso::register(&mut doctor);
        voice_http::register(&mut doctor);
        voice::register(&mut doctor);
        doctor
    }

    pub fn register(&mut self, check: Box<dyn Check>) {
        self.checks.push(check);
    }
}

#[async_trait]
impl Diagnostics for Doctor {
    async fn run(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        for check in &self.checks {
            findings.extend(check.run(&self.config).await);
        }
        findings
    }
}

/// Prints the findings; FAIL anywhere makes the exit code non-zero.
pub async fn report(config: Config, json: bool) -> anyhow::Result<ExitCode> {
    let findings = Doctor::new(config).run().await;
    if json {
        println!("{}", serde_json::to_string_pretty(&findings)?);
    } else {
        for f in &findings {
            println!("{:<4}  {:<22} {}", f.status.label(), f.check, f.message);
            if let Some(fix) = &f.fix {
                println!("      {:<22} fix: {fix}", "");
            }
        }
    }
    let worst = findings
        .iter()
        .map(|f| f.status)
        .max()
        .unwrap_or(Status::Pass);
    Ok(if worst == Status::Fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
