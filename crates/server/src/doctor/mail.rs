//! Mail and SMS: the SMTP server greets (with STARTTLS and login as
//! configured), every attachment is readable, the SMS gateway answers.

use async_trait::async_trait;
use countersign_domain::ports::diagnostics::Finding;

use super::{Check, Doctor};
use crate::config::Config;
use crate::messaging::Gateways;

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(MailCheck));
}

struct MailCheck;

#[async_trait]
impl Check for MailCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        let gateways = match Gateways::new(config) {
            Ok(g) => g,
            Err(e) => {
                return vec![Finding::fail(
                    "mail.smtp",
                    format!("{e:#}"),
                    "correct the [smtp] settings",
                )]
            }
        };
        let mut findings = vec![smtp(&gateways, config).await];
        findings.extend(attachments(config));
        findings.push(sms(&gateways).await);
        findings
    }
}

async fn smtp(gateways: &Gateways, config: &Config) -> Finding {
    let Some(mailer) = gateways.mailer() else {
        return Finding::pass(
            "mail.smtp",
            "no SMTP server configured: welcome emails and codes by email are off",
        );
    };
    let host = config
        .messaging
        .smtp
        .as_ref()
        .map(|s| format!("{}:{}", s.host, s.port))
        .unwrap_or_default();
    match mailer.check().await {
        Ok(greeting) => Finding::pass("mail.smtp", format!("{host} answers: {greeting}")),
        Err(e) => Finding::fail("mail.smtp", e.to_string(), "check smtp.host, smtp.port, smtp.tls and the login; then `countersign message test-email ADDRESS`"),
    }
}

fn attachments(config: &Config) -> Vec<Finding> {
    let unreadable = countersign_messaging::check_attachments(&config.messaging.attachments);
    if unreadable.is_empty() {
        let count = config.messaging.attachments.len();
        return vec![Finding::pass(
            "mail.attachments",
            format!("{count} attachment(s), all readable"),
        )];
    }
    unreadable
        .into_iter()
        .map(|(path, why)| {
            Finding::fail(
                "mail.attachments",
                format!(
                    "{} cannot be read: {why}; every welcome email carrying it fails",
                    path.display()
                ),
                "fix the file's permissions or path, or remove it from email.attachments",
            )
        })
        .collect()
}

async fn sms(gateways: &Gateways) -> Finding {
    let Some(sender) = gateways.sms() else {
        return Finding::pass(
            "sms.gateway",
            "no SMS gateway configured: codes by SMS are off",
        );
    };
    match sender.check().await {
        Ok(()) => Finding::pass("sms.gateway", "the SMS gateway answers"),
        Err(e) => Finding::fail(
            "sms.gateway",
            e.to_string(),
            "check sms.url and that the gateway (e.g. Kannel's smsbox) runs",
        ),
    }
}
