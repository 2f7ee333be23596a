//! Tokens issued and refused, by grant and error (`/metrics`).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::OAuthError;
use crate::metrics::MetricsSource;

pub const GRANTS: [&str; 3] = ["authorization_code", "refresh_token", "other"];

#[derive(Debug, Default)]
pub struct OidcMetrics {
    issued: [AtomicU64; 3],
    refused: [[AtomicU64; OAuthError::ALL.len()]; 3],
    codes: AtomicU64,
}

fn grant_index(grant: &str) -> usize {
    GRANTS.iter().position(|g| *g == grant).unwrap_or(2)
}

impl OidcMetrics {
    pub fn issued(&self, grant: &str) {
        self.issued[grant_index(grant)].fetch_add(1, Ordering::Relaxed);
    }

    pub fn refused(&self, grant: &str, error: OAuthError) {
        let e = OAuthError::ALL
            .iter()
            .position(|x| *x == error)
            .unwrap_or(0);
        self.refused[grant_index(grant)][e].fetch_add(1, Ordering::Relaxed);
    }

    pub fn code_issued(&self) {
        self.codes.fetch_add(1, Ordering::Relaxed);
    }

    pub fn issued_count(&self, grant: &str) -> u64 {
        self.issued[grant_index(grant)].load(Ordering::Relaxed)
    }
}

impl MetricsSource for OidcMetrics {
    fn render(&self, out: &mut String) {
        out.push_str("# HELP countersign_oidc_tokens_issued_total Token responses by grant type.\n# TYPE countersign_oidc_tokens_issued_total counter\n");
        for (i, grant) in GRANTS.iter().enumerate() {
            let n = self.issued[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "countersign_oidc_tokens_issued_total{{grant=\"{grant}\"}} {n}"
            );
        }
        out.push_str("# HELP countersign_oidc_tokens_refused_total Token requests refused, by grant type and OAuth error.\n# TYPE countersign_oidc_tokens_refused_total counter\n");
        for (i, grant) in GRANTS.iter().enumerate() {
            for (j, error) in OAuthError::ALL.iter().enumerate() {
                let n = self.refused[i][j].load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(out, "countersign_oidc_tokens_refused_total{{grant=\"{grant}\",error=\"{}\"}} {n}", error.code());
                }
            }
        }
        let n = self.codes.load(Ordering::Relaxed);
        let _ = writeln!(out, "# HELP countersign_oidc_codes_issued_total Authorization codes issued.\n# TYPE countersign_oidc_codes_issued_total counter\ncountersign_oidc_codes_issued_total {n}");
    }
}
