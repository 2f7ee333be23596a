//! Who can read `/metrics`: open to anyone who reaches the main listener
//! unless it wants a bearer token or lives on its own listener.

use async_trait::async_trait;
use countersign_domain::ports::diagnostics::Finding;

use super::{Check, Doctor};
use crate::config::Config;

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(MetricsCheck));
}

struct MetricsCheck;

#[async_trait]
impl Check for MetricsCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        vec![judge(config)]
    }
}

fn judge(config: &Config) -> Finding {
    let token = config.metrics_token.is_some();
    match (&config.metrics_listen, token) {
        (None, false) => Finding::warn(
            "metrics.access",
            format!(
                "/metrics is open to anyone who reaches {} (counts of sign-ins, rejections, users' activity)",
                config.listen
            ),
            "set metrics.token (Prometheus: authorization { credentials_file: ... }) or metrics.listen on an address only monitoring reaches",
        ),
        (None, true) => Finding::pass(
            "metrics.access",
            "/metrics wants the bearer token of metrics.token",
        ),
        (Some(listen), token) => Finding::pass(
            "metrics.access",
            format!(
                "/metrics is served on its own listener {listen}{}",
                if token { ", with a bearer token" } else { "" }
            ),
        ),
    }
}
