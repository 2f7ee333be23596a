//! `countersign message list|retry|test-email|test-sms`.

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Subcommand;
use countersign_domain::model::messages::{MessageContent, MessageKind, MessageStatus};
use countersign_domain::ports::clock::rfc3339;
use serde_json::json;

use super::Output;
use crate::app::App;

#[derive(Debug, Subcommand)]
pub enum MessageCommand {
    /// The outbox, newest first.
    List {
        /// queued, sent or failed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Queue a failed message again.
    Retry { id: String },
    /// Send a test email now through the configured SMTP server.
    TestEmail { address: String },
    /// Send a test SMS now through the configured gateway.
    TestSms { number: String },
}

pub async fn message(app: &App, command: MessageCommand, out: &Output) -> Result<ExitCode> {
    match command {
        MessageCommand::List { status, limit } => {
            let status = match status.as_deref() {
                Some(text) => Some(
                    MessageStatus::parse(text)
                        .ok_or_else(|| anyhow::anyhow!("--status: use queued, sent or failed"))?,
                ),
                None => None,
            };
            let messages = app.outbox.list(status, limit).await?;
            out.show(&messages, || {
                let mut text = format!(
                    "{:<22} {:<6} {:<8} {:<7} {:<28} {:<22} {}",
                    "ID", "KIND", "PURPOSE", "STATUS", "TO", "CREATED", "ERROR"
                );
                for m in &messages {
                    text.push_str(&format!(
                        "\n{:<22} {:<6} {:<8} {:<7} {:<28} {:<22} {}",
                        m.id,
                        m.kind.as_str(),
                        m.purpose,
                        m.status.as_str(),
                        m.recipient,
                        rfc3339(m.created_at),
                        m.last_error.as_deref().unwrap_or("-")
                    ));
                }
                text
            });
        }
        MessageCommand::Retry { id } => {
            app.outbox.retry(&id).await?;
            out.show(&json!({"requeued": id}), || {
                format!("message {id} queued again; a running server sends it within seconds")
            });
        }
        MessageCommand::TestEmail { address } => {
            send_now(app, MessageKind::Email, &address, out).await?
        }
        MessageCommand::TestSms { number } => {
            let number = countersign_domain::model::user::normalize_phone(&number)?;
            send_now(app, MessageKind::Sms, &number, out).await?
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Sends directly (not through the outbox), so the operator sees the error at once.
async fn send_now(app: &App, kind: MessageKind, to: &str, out: &Output) -> Result<()> {
    use countersign_domain::ports::Messenger;
    let content = MessageContent {
        subject: Some("Countersign test message".into()),
        text: "This is a test message from Countersign. If you can read it, sending works.".into(),
        ..MessageContent::default()
    };
    match app.gateways.send(kind, to, &content).await {
        Ok(()) => {
            out.show(&json!({"sent": to}), || {
                format!("test {} sent to {to}", kind.as_str())
            });
            Ok(())
        }
        Err(failure) => bail!(
            "the test {} to {to} failed: {}",
            kind.as_str(),
            failure.error
        ),
    }
}
