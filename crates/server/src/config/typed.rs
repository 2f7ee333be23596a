//! Turning the merged values into a typed [`Config`]: every key read with
//! its range, then the rules between keys.

use std::collections::BTreeMap;
use std::path::PathBuf;

use toml::Value;

use super::reader::Reader;
use super::{http, portal, push, Config};

/// Reads every section in a fixed order, so problems are always reported in
/// the same order.
pub(super) fn build(values: &BTreeMap<&'static str, Value>, problems: &mut Vec<String>) -> Config {
    let mut r = Reader::new(values, problems);
    let (data_dir, database_url) = storage(&mut r);
    let listen = http::listen(&mut r);
    let public = r
        .text("public_url")
        .unwrap_or_else(|| format!("http://{listen}"));
    let sso = super::sso::read(&mut r, values, &public);
    let config = Config {
        max_connections: r.int("database.max_connections", 1, 1000) as u32,
        acquire_timeout_seconds: r.int("database.acquire_timeout_seconds", 1, 60) as u64,
        body_limit: r.int("http.body_limit", 1024, 10 * 1024 * 1024) as usize,
        header_read_timeout_seconds: r.int("http.header_read_timeout_seconds", 1, 3600) as u64,
        idle_timeout_seconds: r.int("http.idle_timeout_seconds", 1, 86_400) as u64,
        body_idle_timeout_seconds: r.int("http.body_idle_timeout_seconds", 1, 3600) as u64,
        write_idle_timeout_seconds: r.int("http.write_idle_timeout_seconds", 1, 3600) as u64,
        max_connections_per_address: r.int("http.max_connections_per_address", 0, 1_000_000)
            as usize,
        console_sessions: portal::console_sessions(&mut r),
        portal: portal::policy(&mut r, &listen),
        portal_templates: r.text("portal.templates").map(PathBuf::from),
        log_level: r.text("log.level").unwrap_or_else(|| "info".into()),
        log_json: r.one_of("log.format", &["text", "json"]) == "json",
        encryption_key: r.text("security.encryption_key"),
        encryption_key_file: r.text("security.encryption_key_file").map(PathBuf::from),
        totp_window: r.int("verify.totp_window", 0, 10) as u32,
        hotp_lookahead: r.int("verify.hotp_lookahead", 0, 1000) as u32,
        hotp_resync_window: r.int("verify.hotp_resync_window", 1, 100_000) as u32,
        lockout_threshold: r.int("verify.lockout_threshold", 1, 1000) as u32,
        lockout_minutes: r.int("verify.lockout_minutes", 1, 10_080) as u32,
        allow_method_choice: r.flag("verify.allow_method_choice"),
        refusals: countersign_domain::signin::RefusalPolicy {
            generic: r.flag("verify.generic_refusals"),
            message: r.text("verify.refusal_message").map(Into::into),
        },
        issuer: r.text("otp.issuer").unwrap_or_else(|| "Countersign".into()),
        public_url: r.text("public_url"),
        behind_proxy: r.flag("http.behind_proxy"),
        trusted_proxies: http::trusted_proxies(&mut r),
        forwarded_header: http::forwarded_header(&mut r),
        hsts_max_age_seconds: r.int("http.hsts_max_age_seconds", 0, 63_072_000) as u64,
        tls_cert: r.path("tls.cert"),
        tls_key: r.path("tls.key"),
        metrics_listen: http::metrics_listen(&mut r),
        metrics_token: r.text("metrics.token"),
        ntp_server: r.text("doctor.ntp_server"),
        time_url: r.text("doctor.time_url"),
        push: push::policy(&mut r),
        web_push: push::web_push(&mut r),
        directory: super::directory::load(&mut r),
        messaging: super::messaging::read(&mut r),
        radius_listen: r.text("radius.listen"),
        radius_hold_seconds: r.int("radius.hold_seconds", 1, 120) as u64,
        radius_challenge_seconds: r.int("radius.challenge_seconds", 10, 600),
        radius_clients: super::radius_clients::read(values, r.problems),
        rules: super::rules::read(values, r.problems),
        ldap: super::ldap::load(&mut r, values),
        voice: super::voice::load(&mut r),
        limits: super::limits::read(&mut r),
        audit: super::audit::read(&mut r),
        webauthn: super::webauthn::read(&mut r, &listen),
        sso,
        sources: BTreeMap::new(),
        data_dir,
        database_url,
        listen,
    };
    http::check_tls_and_url(&config, r.problems);
    check_issuer(&config.issuer, r.problems);
    config
}

/// `data_dir` and `database.url`, which defaults to SQLite in the data directory.
fn storage(r: &mut Reader) -> (PathBuf, String) {
    let data_dir = PathBuf::from(
        r.text("data_dir")
            .unwrap_or_else(|| "./countersign-data".into()),
    );
    let database_url = r
        .text("database.url")
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("countersign.db").display()));
    if countersign_store::Backend::of_url(&database_url).is_none() {
        r.problems.push(
            "database.url: expected sqlite://PATH or postgres://USER@HOST:PORT/DB".to_string(),
        );
    }
    (data_dir, database_url)
}

fn check_issuer(issuer: &str, problems: &mut Vec<String>) {
    if issuer.contains(':') {
        problems.push(
            "otp.issuer: must not contain ':' (authenticator apps split the label on it)"
                .to_string(),
        );
    }
}
