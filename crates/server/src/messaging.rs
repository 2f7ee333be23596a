//! The messaging crate behind the domain's ports: SMTP and SMS gateways
//! send, the templates compose.

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use countersign_domain::model::messages::{MessageContent, MessageKind, SendFailure};
use countersign_domain::ports::{Composer, Messenger};
use countersign_messaging::{Email, Mailer, SendError, Sms, SmsSender, Templates};

use crate::config::Config;

pub struct Gateways {
    mailer: Option<Mailer>,
    sms: Option<SmsSender>,
}

impl Gateways {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let mailer = match &config.messaging.smtp {
            Some(smtp) => Some(Mailer::new(smtp.clone())?),
            None => None,
        };
        let sms = config.messaging.sms.clone().map(SmsSender::new);
        for (path, why) in countersign_messaging::check_attachments(&config.messaging.attachments) {
            tracing::warn!(file = %path.display(), reason = %why,
                "a welcome email attachment cannot be read: those emails will fail until it is fixed");
        }
        Ok(Self { mailer, sms })
    }

    pub fn mailer(&self) -> Option<&Mailer> {
        self.mailer.as_ref()
    }

    pub fn sms(&self) -> Option<&SmsSender> {
        self.sms.as_ref()
    }
}

fn failure(e: SendError) -> SendFailure {
    SendFailure {
        permanent: e.is_permanent(),
        error: e.to_string(),
    }
}

fn not_configured(what: &str) -> SendFailure {
    SendFailure { permanent: true, error: format!("no {what} is configured: {}", match what {
        "SMTP server" => "set smtp.host (COUNTERSIGN_SMTP_HOST), then `countersign message retry ID`",
        _ => "set sms.gateway and sms.url (COUNTERSIGN_SMS_GATEWAY, COUNTERSIGN_SMS_URL), then `countersign message retry ID`",
    }) }
}

#[async_trait]
impl Messenger for Gateways {
    async fn send(
        &self,
        kind: MessageKind,
        recipient: &str,
        content: &MessageContent,
    ) -> Result<(), SendFailure> {
        match kind {
            MessageKind::Email => {
                let mailer = self
                    .mailer
                    .as_ref()
                    .ok_or_else(|| not_configured("SMTP server"))?;
                let inline = content
                    .inline_png
                    .as_deref()
                    .and_then(|b| STANDARD.decode(b).ok());
                let email = Email {
                    to: recipient.to_string(),
                    subject: content.subject.clone().unwrap_or_default(),
                    text: content.text.clone(),
                    html: content.html.clone(),
                    attachments: content.attachments.iter().map(Into::into).collect(),
                    inline_png: inline.map(|bytes| ("activation-qr".to_string(), bytes)),
                };
                mailer.send(&email).await.map_err(failure)
            }
            MessageKind::Sms => {
                let sender = self
                    .sms
                    .as_ref()
                    .ok_or_else(|| not_configured("SMS gateway"))?;
                sender
                    .send(&Sms {
                        to: recipient.to_string(),
                        text: content.text.clone(),
                    })
                    .await
                    .map_err(failure)
            }
        }
    }
}

/// The operator-editable templates as the domain's composer.
pub struct TemplateComposer(pub Templates);

impl Composer for TemplateComposer {
    fn render(
        &self,
        template: &str,
        language: Option<&str>,
        context: &serde_json::Value,
    ) -> Result<String, String> {
        self.0
            .render(template, language, context)
            .map_err(|e| e.to_string())
    }
}
