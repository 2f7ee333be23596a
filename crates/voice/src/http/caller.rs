//! Placing a call through the provider's REST API (Twilio's
//! `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`) and waiting for its
//! callbacks.

use super::calls::Webhooks;
use super::HttpConfig;
use crate::error::VoiceError;
use crate::outcome::{CallOutcome, CallReport, MediaStats};
use crate::prompts::Prompt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::info;

/// Places calls through an HTTP voice provider. Cheap to clone.
#[derive(Clone)]
pub struct HttpCaller {
    config: Arc<HttpConfig>,
    client: reqwest::Client,
    hooks: Webhooks,
}

#[derive(serde::Deserialize)]
struct Created {
    sid: Option<String>,
}

#[derive(serde::Deserialize)]
struct Refused {
    message: Option<String>,
    code: Option<i64>,
}

impl HttpCaller {
    pub fn new(config: HttpConfig) -> Result<HttpCaller, VoiceError> {
        let problems = config.problems();
        if !problems.is_empty() {
            return Err(VoiceError::Config(problems));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("Countersign/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| VoiceError::Config(vec![format!("voice.http: no HTTP client: {e}")]))?;
        let config = Arc::new(config);
        Ok(HttpCaller {
            hooks: Webhooks::new(config.clone()),
            config,
            client,
        })
    }

    /// What the web door needs for `/voice/v1/calls/...`.
    pub fn webhooks(&self) -> Webhooks {
        self.hooks.clone()
    }

    /// `{api_base}/2010-04-01/Accounts/{sid}/Calls.json`.
    pub fn calls_url(&self) -> String {
        let c = &self.config;
        format!(
            "{}/2010-04-01/Accounts/{}/Calls.json",
            c.api_base.trim_end_matches('/'),
            c.account_sid
        )
    }

    /// Whether the API takes the account's credentials: `GET
    /// {api_base}/2010-04-01/Accounts/{sid}.json` (for `doctor`).
    pub async fn check_account(&self) -> Result<String, String> {
        let c = &self.config;
        let url = format!(
            "{}/2010-04-01/Accounts/{}.json",
            c.api_base.trim_end_matches('/'),
            c.account_sid
        );
        let response = self
            .client
            .get(&url)
            .basic_auth(&c.account_sid, Some(&c.auth_token))
            .send()
            .await
            .map_err(|e| format!("{} did not answer: {e}", c.api_base))?;
        match response.status().as_u16() {
            200 => Ok(format!("{} accepts account {}", c.api_base, c.account_sid)),
            401 | 403 => Err(format!(
                "{} refuses account {} (HTTP {}): check voice.http.account_sid and auth_token",
                c.api_base,
                c.account_sid,
                response.status()
            )),
            _ => Err(format!("{url} answered HTTP {}", response.status())),
        }
    }

    /// Calls `number` (E.164), plays `prompt` until the keys are complete or
    /// the key timeout ends, and says what the callee did.
    pub async fn call(&self, number: &str, prompt: &Prompt) -> Result<CallReport, VoiceError> {
        let id = call_id();
        let done = self.hooks.register(&id, prompt.clone());
        let started = Instant::now();
        let mut report = CallReport {
            outcome: CallOutcome::Unanswered,
            target: number.to_string(),
            status: None,
            setup: Duration::ZERO,
            talk: Duration::ZERO,
            media: MediaStats::default(),
        };
        info!(to = number, call = %id, "calling through the voice provider");
        if let Err(reason) = self.create(&id, number).await {
            self.hooks.forget(&id);
            report.outcome = CallOutcome::Failed {
                status: None,
                reason,
            };
            report.setup = started.elapsed();
            return Ok(report);
        }
        let c = &self.config;
        let limit = c.ring_timeout + c.key_timeout + Duration::from_secs(60);
        match tokio::time::timeout(limit, done).await {
            Ok(Ok(ended)) => {
                let answered = ended.answered.unwrap_or_else(Instant::now);
                report.setup = answered.saturating_duration_since(started);
                report.talk = ended.answered.map(|a| a.elapsed()).unwrap_or_default();
                report.outcome = ended.outcome;
            }
            _ => {
                self.hooks.forget(&id);
                report.setup = started.elapsed();
                report.outcome = CallOutcome::Failed {
                    status: None,
                    reason: format!(
                        "no callback from the voice provider within {} s: can it reach {}voice/v1/ (voice.http.public_url)?",
                        limit.as_secs(),
                        c.public_url
                    ),
                };
            }
        }
        Ok(report)
    }

    /// The POST to Calls.json; the refusal in words.
    async fn create(&self, id: &str, number: &str) -> Result<(), String> {
        let c = &self.config;
        let timeout = c.ring_timeout.as_secs().clamp(5, 600).to_string();
        let form = [
            ("To", number.to_string()),
            ("From", c.from.clone()),
            ("Url", self.hooks.url(id, "twiml")),
            ("Method", "POST".into()),
            ("StatusCallback", self.hooks.url(id, "status")),
            ("StatusCallbackMethod", "POST".into()),
            ("Timeout", timeout),
        ];
        let url = self.calls_url();
        let response = self
            .client
            .post(&url)
            .basic_auth(&c.account_sid, Some(&c.auth_token))
            .form(&form)
            .send()
            .await
            .map_err(|e| format!("the voice provider at {} did not answer: {e}", c.api_base))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if status.is_success() {
            let sid = serde_json::from_str::<Created>(&text)
                .ok()
                .and_then(|c| c.sid);
            info!(
                call = id,
                provider_sid = sid.as_deref().unwrap_or("?"),
                "the voice provider took the call"
            );
            return Ok(());
        }
        let detail = serde_json::from_str::<Refused>(&text)
            .ok()
            .map(|r| {
                format!(
                    "{} (code {})",
                    r.message.unwrap_or_default(),
                    r.code.unwrap_or(0)
                )
            })
            .unwrap_or_else(|| text.chars().take(200).collect());
        let hint = match status.as_u16() {
            401 | 403 => "; check voice.http.account_sid and auth_token",
            404 => "; check voice.http.api_base and account_sid",
            _ => "",
        };
        Err(format!(
            "the voice provider refused the call: HTTP {status}: {detail}{hint}"
        ))
    }
}

/// 128 random bits, hex: the call's name in its callback URLs.
fn call_id() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
