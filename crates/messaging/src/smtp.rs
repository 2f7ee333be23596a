//! SMTP settings and the [`Mailer`].

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::TlsParameters;
use lettre::transport::smtp::extension::ClientId;

use crate::email::Email;
use crate::error::{describe_chain, SendError};
use crate::{attachments, mime};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP: for a relay on this machine or a trusted network.
    None,
    /// Plain connection upgraded with STARTTLS (required, not opportunistic).
    #[default]
    StartTls,
    /// TLS from the first byte ("SMTPS", usually port 465).
    Implicit,
}

impl SmtpTls {
    /// The usual port for this mode: 25, 587 or 465.
    pub fn default_port(self) -> u16 {
        match self {
            Self::None => 25,
            Self::StartTls => 587,
            Self::Implicit => 465,
        }
    }
}

impl fmt::Display for SmtpTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::StartTls => "starttls",
            Self::Implicit => "implicit",
        })
    }
}

/// `smtp.tls` was not one of the three words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("smtp.tls must be \"none\", \"starttls\" or \"implicit\", not {0:?}")]
pub struct ParseSmtpTlsError(pub String);

impl FromStr for SmtpTls {
    type Err = ParseSmtpTlsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Self::None),
            "starttls" => Ok(Self::StartTls),
            "implicit" => Ok(Self::Implicit),
            _ => Err(ParseSmtpTlsError(s.to_owned())),
        }
    }
}

/// The `[smtp]` settings. `from` may carry a name: `Countersign <mfa@example.org>`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
    pub timeout_seconds: u64,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .field("timeout_seconds", &self.timeout_seconds)
            .finish()
    }
}

/// Sends mail through one SMTP server. Each send opens its own
/// connection, so one slow or failing message never holds up another.
#[derive(Clone)]
pub struct Mailer {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) mode: SmtpTls,
    pub(crate) tls: Option<TlsParameters>,
    pub(crate) hello: ClientId,
    pub(crate) login: Option<(String, Credentials)>,
    pub(crate) from: Mailbox,
    pub(crate) timeout: Duration,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server())
            .field("tls", &self.mode)
            .field("user", &self.login.as_ref().map(|(user, _)| user))
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// Checks the settings (no network): a host, a valid `from`, a
    /// password with a username, and no login over plain SMTP to another
    /// machine (the password would cross the network in clear).
    pub fn new(cfg: SmtpConfig) -> Result<Self, SendError> {
        let host = cfg.host.trim().to_owned();
        if host.is_empty() {
            return Err(SendError::config(
                "smtp.host",
                "is empty: set the mail server's name",
            ));
        }
        let from = cfg.from.trim().parse::<Mailbox>().map_err(|e| {
            SendError::config(
                "smtp.from",
                format!(
                    "{:?} is not a valid address ({e}): set it like mfa@example.org",
                    cfg.from
                ),
            )
        })?;
        let login = login(&cfg, &host)?;
        let tls = match cfg.tls {
            SmtpTls::None => None,
            SmtpTls::StartTls | SmtpTls::Implicit => Some(tls_parameters(&host)?),
        };
        Ok(Self {
            port: cfg.port,
            mode: cfg.tls,
            tls,
            hello: ClientId::default(),
            login,
            from,
            timeout: Duration::from_secs(cfg.timeout_seconds.max(1)),
            host,
        })
    }

    /// `host:port`, as error messages name the server.
    pub(crate) fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Sends one email: reads its attachments, builds the MIME message,
    /// connects (TLS, login as configured) and hands it over.
    pub async fn send(&self, email: &Email) -> Result<(), SendError> {
        let to = mime::recipient(&email.to)?;
        let files = attachments::load(&email.attachments).await?;
        let message = mime::build(&self.from, to, email, files)?;
        let mut session = self.open().await?;
        let result = session.send(&message, &email.to).await;
        session.quit().await;
        result?;
        tracing::debug!(server = %self.server(), to = %email.to, "mail handed to the SMTP server");
        Ok(())
    }

    /// Connects, greets, upgrades and logs in as configured, then quits.
    /// Returns a line for `countersign doctor`, such as
    /// `mail.example.org (STARTTLS, logged in as mfa)`.
    pub async fn check(&self) -> Result<String, SendError> {
        let session = self.open().await?;
        let name = session.server_name();
        session.quit().await;
        let security = match self.mode {
            SmtpTls::None => "no TLS",
            SmtpTls::StartTls => "STARTTLS",
            SmtpTls::Implicit => "implicit TLS",
        };
        let login = match &self.login {
            Some((user, _)) => format!("logged in as {user}"),
            None => "no login".to_owned(),
        };
        Ok(format!("{name} at {} ({security}, {login})", self.server()))
    }
}

fn login(cfg: &SmtpConfig, host: &str) -> Result<Option<(String, Credentials)>, SendError> {
    let user = cfg
        .username
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let Some(user) = user else {
        return Ok(None);
    };
    let Some(password) = &cfg.password else {
        return Err(SendError::config(
            "smtp.password",
            "is missing while smtp.username is set: set it (or smtp.password_file), or remove smtp.username",
        ));
    };
    if cfg.tls == SmtpTls::None && !is_loopback(host) {
        return Err(SendError::config(
            "smtp.tls",
            format!(
                "is \"none\", so the password for {user} would cross the network to {host} in \
                 clear text: use \"starttls\" or \"implicit\", or remove smtp.username"
            ),
        ));
    }
    Ok(Some((
        user.to_owned(),
        Credentials::new(user.to_owned(), password.clone()),
    )))
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

fn tls_parameters(host: &str) -> Result<TlsParameters, SendError> {
    TlsParameters::new(host.to_owned()).map_err(|e| {
        SendError::config(
            "smtp.host",
            format!("cannot set up TLS for {host:?}: {}", describe_chain(&e)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> SmtpConfig {
        SmtpConfig {
            host: "mail.example.org".into(),
            port: 587,
            tls: SmtpTls::StartTls,
            username: Some("mfa".into()),
            password: Some("s3cret".into()),
            from: "Countersign <mfa@example.org>".into(),
            timeout_seconds: 10,
        }
    }

    #[test]
    fn tls_modes_parse_from_their_words() {
        assert_eq!("STARTTLS".parse::<SmtpTls>().unwrap(), SmtpTls::StartTls);
        assert_eq!("implicit".parse::<SmtpTls>().unwrap(), SmtpTls::Implicit);
        assert_eq!("none".parse::<SmtpTls>().unwrap(), SmtpTls::None);
        let err = "ssl".parse::<SmtpTls>().unwrap_err();
        assert!(err.to_string().contains("\"ssl\""), "{err}");
    }

    #[test]
    fn passwords_never_show_in_debug_output() {
        let text = format!("{:?} {:?}", cfg(), Mailer::new(cfg()).unwrap());
        assert!(!text.contains("s3cret"), "{text}");
    }

    #[test]
    fn a_login_over_plain_smtp_is_refused_unless_local() {
        let mut c = cfg();
        c.tls = SmtpTls::None;
        let err = Mailer::new(c.clone()).unwrap_err();
        assert!(err.to_string().starts_with("smtp.tls: "), "{err}");
        c.host = "127.0.0.1".into();
        assert!(Mailer::new(c).is_ok());
    }

    #[test]
    fn a_bad_from_address_names_the_setting() {
        let mut c = cfg();
        c.from = "not an address".into();
        let err = Mailer::new(c).unwrap_err();
        assert!(err.to_string().starts_with("smtp.from: "), "{err}");
    }
}
