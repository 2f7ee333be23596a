//! Countersign's outgoing messages.
//!
//! - [`Mailer`]: mail over SMTP (lettre, rustls): STARTTLS, implicit TLS, or
//!   plain to a relay, with optional login; attachments and an inline QR.
//! - [`SmsSender`]: SMS through Kannel's `sendsms` HTTP interface or a
//!   generic HTTP gateway whose method, URL, headers and body are templates.
//! - [`Templates`]: the message texts, built in and overridable by the
//!   operator, with per-language variants.
//!
//! Every failure is a [`SendError`] whose text tells an operator what went
//! wrong and what to change; [`SendError::is_permanent`] tells the outbox
//! whether trying again can help.

mod attachments;
mod email;
mod error;
mod gateway_http;
mod http;
mod kannel;
mod mime;
mod sms;
mod smtp;
mod smtp_session;
mod templates;

pub use attachments::check_attachments;
pub use email::Email;
pub use error::SendError;
pub use gateway_http::HttpGatewayConfig;
pub use kannel::KannelConfig;
pub use sms::{Sms, SmsConfig, SmsSender};
pub use smtp::{Mailer, ParseSmtpTlsError, SmtpConfig, SmtpTls};
pub use templates::{TemplateError, Templates};
