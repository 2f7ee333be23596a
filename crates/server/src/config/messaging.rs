//! The `[smtp]`, `[sms]`, `[email]` and `[codes]` sections.

use std::path::PathBuf;

use countersign_domain::methods::codes::CodePolicy;
use countersign_domain::methods::sends::SendPolicy;
use countersign_messaging::{HttpGatewayConfig, KannelConfig, SmsConfig, SmtpConfig, SmtpTls};

use super::reader::Reader;

#[derive(Debug, Clone)]
pub struct MessagingConfig {
    pub smtp: Option<SmtpConfig>,
    pub sms: Option<SmsConfig>,
    pub welcome: bool,
    pub attachments: Vec<PathBuf>,
    pub templates: Option<PathBuf>,
    pub codes: CodePolicy,
    /// The send limits every code passes (`codes.*`).
    pub sends: SendPolicy,
    pub inbound_secret: Option<String>,
}

impl MessagingConfig {
    /// The channels that can deliver: methods needing another are never chosen.
    pub fn channels(&self) -> countersign_domain::model::channels::Channels {
        countersign_domain::model::channels::Channels {
            sms: self.sms.is_some(),
            email: self.smtp.is_some(),
            // Set from `[voice]` by `Config::channels`.
            voice: false,
        }
    }
}

pub fn read(r: &mut Reader) -> MessagingConfig {
    MessagingConfig {
        smtp: smtp(r),
        sms: sms(r),
        welcome: r.flag("email.welcome"),
        attachments: r
            .list("email.attachments")
            .into_iter()
            .map(PathBuf::from)
            .collect(),
        templates: r.text("email.templates").map(PathBuf::from),
        inbound_secret: r.text("sms.inbound_secret"),
        codes: CodePolicy {
            validity_seconds: r.int("codes.validity_minutes", 1, 60) * 60,
            max_attempts: r.int("codes.max_attempts", 1, 20),
            per_hour: r.int("codes.per_hour", 1, 100),
            pin_mode: r.flag("codes.pin_mode"),
            account_name: "Countersign".into(),
        },
        sends: sends(r),
    }
}

fn sends(r: &mut Reader) -> SendPolicy {
    let mut prefixes = Vec::new();
    for prefix in r.list("codes.allowed_country_prefixes") {
        let digits = prefix.trim().trim_start_matches('+');
        match !digits.is_empty() && digits.len() <= 4 && digits.chars().all(|c| c.is_ascii_digit()) {
            true => prefixes.push(format!("+{digits}")),
            false => r.problems.push(format!(
                "codes.allowed_country_prefixes: '{prefix}' is not a calling code like \"+44\" or \"+1\""
            )),
        }
    }
    SendPolicy {
        per_user: r.int("codes.per_hour", 1, 100),
        per_destination: r.int("codes.per_destination_per_hour", 1, 100),
        global: r.int("codes.global_per_hour", 1, 1_000_000),
        allowed_prefixes: prefixes,
    }
}

/// The send limits as the console shows them (read-only, with their source).
pub fn shown_sends(sends: &SendPolicy) -> Vec<(String, String)> {
    let countries = match sends.allowed_prefixes.is_empty() {
        true => "every country".to_string(),
        false => sends.allowed_prefixes.join(", "),
    };
    vec![
        (
            "codes.per_hour".into(),
            format!("{} an hour per user", sends.per_user),
        ),
        (
            "codes.per_destination_per_hour".into(),
            format!("{} an hour per number or address", sends.per_destination),
        ),
        (
            "codes.global_per_hour".into(),
            format!("{} an hour in all", sends.global),
        ),
        ("codes.allowed_country_prefixes".into(), countries),
    ]
}

fn smtp(r: &mut Reader) -> Option<SmtpConfig> {
    let host = r.text("smtp.host")?;
    let tls_text = r.one_of("smtp.tls", &["none", "starttls", "implicit"]);
    let tls = tls_text.parse::<SmtpTls>().unwrap_or(SmtpTls::StartTls);
    Some(SmtpConfig {
        host,
        port: r.int("smtp.port", 1, 65_535) as u16,
        tls,
        username: r.text("smtp.username"),
        password: r.text("smtp.password"),
        from: r
            .text("smtp.from")
            .unwrap_or_else(|| "Countersign <countersign@localhost>".into()),
        timeout_seconds: 30,
    })
}

fn sms(r: &mut Reader) -> Option<SmsConfig> {
    let gateway = r.text("sms.gateway")?;
    let Some(url) = r.text("sms.url") else {
        r.problems
            .push("sms.url: required when sms.gateway is set".to_string());
        return None;
    };
    match gateway.as_str() {
        "kannel" => Some(SmsConfig::Kannel(KannelConfig {
            url,
            username: r.text("sms.username").unwrap_or_default(),
            password: r.text("sms.password").unwrap_or_default(),
            from: r.text("sms.from"),
        })),
        "http" => Some(SmsConfig::Http(HttpGatewayConfig {
            method: r.text("sms.method").unwrap_or_else(|| "POST".into()),
            url,
            headers: headers(r),
            body: r.text("sms.body"),
            success_status: None,
        })),
        other => {
            r.problems
                .push(format!("sms.gateway: '{other}' is not kannel or http"));
            None
        }
    }
}

fn headers(r: &mut Reader) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in r.list("sms.headers") {
        match line.split_once(':') {
            Some((name, value)) => out.push((name.trim().to_string(), value.trim().to_string())),
            None => r
                .problems
                .push(format!("sms.headers: '{line}' is not \"Name: value\"")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::load::{load_with_env, Overrides};

    #[test]
    fn the_console_shows_the_send_limits_with_their_source() {
        let env = |name: &str| match name {
            "COUNTERSIGN_CODES_PER_DESTINATION_PER_HOUR" => Some("3".to_string()),
            "COUNTERSIGN_CODES_ALLOWED_COUNTRY_PREFIXES" => Some("+44,+49".to_string()),
            _ => None,
        };
        let config = load_with_env(&Overrides::default(), &env).expect("valid");
        let shown = config.server_settings();
        let row = |key: &str| shown.iter().find(|(k, _, _)| k == key).cloned();
        let (_, value, source) = row("codes.per_destination_per_hour").expect("shown");
        assert_eq!(value, "3 an hour per number or address");
        assert!(
            source.contains("COUNTERSIGN_CODES_PER_DESTINATION_PER_HOUR"),
            "{source}"
        );
        let (_, countries, _) = row("codes.allowed_country_prefixes").expect("shown");
        assert_eq!(countries, "+44, +49");
        let (_, global, source) = row("codes.global_per_hour").expect("shown");
        assert_eq!(
            (global.as_str(), source.as_str()),
            ("1000 an hour in all", "default")
        );
    }
}
