//! One SMTP conversation, step by step, so that each failure can say
//! which step failed: connecting, STARTTLS, login or the message itself.

use std::error::Error as _;
use std::future::Future;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::Error as SmtpError;
use lettre::Message;

use crate::error::{describe_chain, SendError};
use crate::smtp::{Mailer, SmtpTls};

pub(crate) struct Session<'a> {
    conn: AsyncSmtpConnection,
    mailer: &'a Mailer,
}

impl Mailer {
    /// Connects and greets, then STARTTLS and login as configured.
    pub(crate) async fn open(&self) -> Result<Session<'_>, SendError> {
        let implicit = match self.mode {
            SmtpTls::Implicit => self.tls.clone(),
            _ => None,
        };
        let server = (self.host.as_str(), self.port);
        let connect = AsyncSmtpConnection::connect_tokio1(
            server,
            Some(self.timeout),
            &self.hello,
            implicit,
            None,
        );
        let conn = self
            .within("connecting", connect)
            .await?
            .map_err(|e| self.connect_error(&e))?;
        let mut session = Session { conn, mailer: self };
        if self.mode == SmtpTls::StartTls {
            session.starttls().await?;
        }
        if let Some((user, credentials)) = &self.login {
            session.login(user, credentials).await?;
        }
        Ok(session)
    }

    /// Runs one step with the configured timeout.
    async fn within<T>(
        &self,
        stage: &'static str,
        step: impl Future<Output = T>,
    ) -> Result<T, SendError> {
        tokio::time::timeout(self.timeout, step)
            .await
            .map_err(|_| self.timeout_error(stage))
    }

    fn timeout_error(&self, stage: &'static str) -> SendError {
        SendError::SmtpTimeout {
            server: self.server(),
            seconds: self.timeout.as_secs(),
            stage,
        }
    }

    fn connect_error(&self, e: &SmtpError) -> SendError {
        if e.is_timeout() {
            return self.timeout_error("connecting");
        }
        match e.status() {
            // The greeting or EHLO was a refusal, e.g. "421 too many connections".
            Some(_) => SendError::SmtpProtocol {
                server: self.server(),
                reason: format!("it refused the connection: {}", reply(e)),
            },
            None => {
                let reason = describe_chain(e);
                // With implicit TLS, lettre reports a failed handshake as a
                // connection error; its text tells the two apart.
                if self.mode == SmtpTls::Implicit && looks_like_tls(&reason) {
                    return SendError::SmtpTls {
                        server: self.server(),
                        reason,
                    };
                }
                SendError::SmtpUnreachable {
                    server: self.server(),
                    reason,
                }
            }
        }
    }

    fn protocol_error(&self, stage: &'static str, e: &SmtpError) -> SendError {
        if e.is_timeout() {
            return self.timeout_error(stage);
        }
        SendError::SmtpProtocol {
            server: self.server(),
            reason: format!("{stage}: {}", describe_chain(e)),
        }
    }
}

impl Session<'_> {
    async fn starttls(&mut self) -> Result<(), SendError> {
        let m = self.mailer;
        if !self.conn.can_starttls() {
            return Err(SendError::StartTlsUnsupported { server: m.server() });
        }
        let params = m
            .tls
            .clone()
            .expect("TLS parameters are built for starttls");
        m.within("starting TLS", self.conn.starttls(params, &m.hello))
            .await?
            .map_err(|e| SendError::SmtpTls {
                server: m.server(),
                reason: describe_chain(&e),
            })
    }

    async fn login(&mut self, user: &str, credentials: &Credentials) -> Result<(), SendError> {
        let m = self.mailer;
        let mechanisms = [Mechanism::Plain, Mechanism::Login];
        let offered = self.conn.server_info().get_auth_mechanism(&mechanisms);
        if offered.is_none() {
            return Err(SendError::LoginUnsupported { server: m.server() });
        }
        let result = m
            .within("logging in", self.conn.auth(&mechanisms, credentials))
            .await?;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.status().is_some() => Err(SendError::LoginRefused {
                server: m.server(),
                user: user.to_owned(),
                reply: reply(&e),
            }),
            Err(e) => Err(m.protocol_error("logging in", &e)),
        }
    }

    /// Hands the message over; a refusal carries the server's reply code.
    pub(crate) async fn send(&mut self, message: &Message, to: &str) -> Result<(), SendError> {
        let m = self.mailer;
        let bytes = message.formatted();
        let step = self.conn.send(message.envelope(), &bytes);
        match m.within("sending the message", step).await? {
            Ok(_) => Ok(()),
            Err(e) => match e.status() {
                Some(code) => Err(SendError::SmtpRejected {
                    server: m.server(),
                    to: to.to_owned(),
                    code: code.to_string().parse().unwrap_or(0),
                    reply: e.source().map(|s| s.to_string()).unwrap_or_default(),
                }),
                None => Err(m.protocol_error("sending the message", &e)),
            },
        }
    }

    /// The name the server gave in its EHLO answer.
    pub(crate) fn server_name(&self) -> String {
        self.conn.server_info().name().to_owned()
    }

    /// Says goodbye; failures here no longer matter.
    pub(crate) async fn quit(mut self) {
        let m = self.mailer;
        if let Ok(Err(e)) = m.within("quitting", self.conn.quit()).await {
            tracing::debug!(server = %m.server(), "QUIT failed: {e}");
        }
    }
}

fn looks_like_tls(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    ["certificate", "handshake", "tls", "alert", "peer sent"]
        .iter()
        .any(|word| reason.contains(word))
}

/// "535 5.7.8 Authentication credentials invalid" from a refusal.
fn reply(e: &SmtpError) -> String {
    let code = e.status().map(|c| c.to_string()).unwrap_or_default();
    let text = e.source().map(|s| s.to_string()).unwrap_or_default();
    format!("{code} {text}").trim().to_owned()
}
