//! Phone calls (`[voice]`): the adapter behind the engine's [`Telephone`]
//! port. `provider = "sip"` places calls with `countersign_voice::Caller`,
//! started once by `serve` (its registration kept); `provider = "http"`
//! with `countersign_voice::http::HttpCaller`, whose callbacks the web
//! door serves (`/voice/v1`). The call's [`CallOutcome`] becomes the
//! engine's [`CallEnd`]. The greeting says the account name
//! (`voice.account_name`), spoken by espeak-ng when it is installed.

pub mod cli;
mod metrics;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::{Context, Result};
use countersign_domain::methods::call::Calls;
use countersign_domain::ports::{CallEnd, CallOrder, Telephone};
use countersign_voice::http::HttpCaller;
use countersign_voice::speech::Speech;
use countersign_voice::{CallOutcome, CallReport, Caller, Language, Prompt, Prompts};

use crate::app::App;
use crate::config::voice::{VoiceConfig, VoiceProvider};
pub use metrics::VoiceMetrics;

/// The telephone the engine calls through, one per provider; cheap to clone.
#[derive(Clone)]
pub struct VoiceTelephone {
    provider: Provider,
    prompts: Arc<Prompts>,
    account_name: Arc<str>,
    metrics: Arc<VoiceMetrics>,
}

#[derive(Clone)]
enum Provider {
    Sip(Caller),
    Http(HttpCaller),
}

impl VoiceTelephone {
    /// Starts the provider (the SIP user agent binds and registers).
    pub async fn start(config: &VoiceConfig) -> Result<VoiceTelephone> {
        let speech = config.speak_account_name.then(Speech::find).flatten();
        if let Some(s) = &speech {
            tracing::info!(espeak = %s.program().display(), "voice: the account name is spoken by espeak-ng");
        }
        let prompts = Prompts::load(config.prompts_dir.as_deref())
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .with_speech(speech);
        // Say the name once now (espeak-ng runs here, not during a call).
        for lang in Language::ALL {
            prompts.account_name(lang, &config.account_name);
        }
        let provider = match &config.provider {
            VoiceProvider::Sip(sip) => {
                let caller = Caller::start((**sip).clone())
                    .await
                    .with_context(|| {
                        format!(
                            "cannot start the SIP user agent on {} (voice.sip.listen): is another program using the port?",
                            sip.bind
                        )
                    })?;
                tracing::info!(sip = %caller.local_addr(), trunk = %sip.trunk, "voice: SIP user agent started");
                Provider::Sip(caller)
            }
            VoiceProvider::Http(http) => {
                let caller =
                    HttpCaller::new((**http).clone()).map_err(|e| anyhow::anyhow!("{e}"))?;
                tracing::info!(api = %caller.calls_url(), "voice: calls through the HTTP provider");
                Provider::Http(caller)
            }
        };
        let hooks = match &provider {
            Provider::Http(caller) => Some(caller.webhooks()),
            Provider::Sip(_) => None,
        };
        Ok(VoiceTelephone {
            provider,
            prompts: Arc::new(prompts),
            account_name: config.account_name.as_str().into(),
            metrics: Arc::new(VoiceMetrics::default().with_callbacks(hooks)),
        })
    }

    pub fn metrics(&self) -> Arc<VoiceMetrics> {
        self.metrics.clone()
    }

    /// The SIP caller (`voice test`, doctor); `None` for the HTTP provider.
    pub fn caller(&self) -> Option<&Caller> {
        match &self.provider {
            Provider::Sip(caller) => Some(caller),
            Provider::Http(_) => None,
        }
    }

    /// The HTTP provider's callbacks, for the web door.
    pub fn webhooks(&self) -> Option<countersign_voice::http::Webhooks> {
        match &self.provider {
            Provider::Http(caller) => Some(caller.webhooks()),
            Provider::Sip(_) => None,
        }
    }

    /// What the call says to a user in `language` (the portal's languages; else English).
    pub fn prompt(&self, language: Option<&str>, pin_mode: bool) -> Prompt {
        let lang = language
            .and_then(Language::from_code)
            .unwrap_or(Language::En);
        self.prompts.greeting(lang, &self.account_name, pin_mode)
    }

    /// Places one call and waits for its end (what `voice test` reports).
    pub async fn call(&self, number: &str, prompt: &Prompt) -> Result<CallReport, String> {
        self.metrics.placed();
        let report = match &self.provider {
            Provider::Sip(caller) => caller.call(number, prompt).await,
            Provider::Http(caller) => caller.call(number, prompt).await,
        };
        match report {
            Ok(report) => {
                self.metrics.ended(&report);
                Ok(report)
            }
            Err(e) => {
                self.metrics.not_placed();
                Err(e.to_string())
            }
        }
    }
}

impl Telephone for VoiceTelephone {
    fn place(&self, order: CallOrder) -> Pin<Box<dyn Future<Output = CallEnd> + Send>> {
        let me = self.clone();
        Box::pin(async move {
            let prompt = me.prompt(order.language.as_deref(), order.pin_mode);
            match me.call(&order.number, &prompt).await {
                Ok(report) => end_of(report.outcome),
                Err(reason) => CallEnd::Failed {
                    status: None,
                    reason,
                },
            }
        })
    }
}

/// The engine's words for how a call ended.
pub fn end_of(outcome: CallOutcome) -> CallEnd {
    match outcome {
        CallOutcome::Keys(keys) => CallEnd::Keys(keys),
        CallOutcome::NoKey { .. } => CallEnd::NoKey,
        CallOutcome::Unanswered => CallEnd::Unanswered,
        CallOutcome::Busy => CallEnd::Busy,
        CallOutcome::Declined => CallEnd::Declined,
        CallOutcome::Failed { status, reason } => CallEnd::Failed { status, reason },
    }
}

/// Starts the telephone when `[voice]` is configured and lets the engine
/// call through it; its metrics for `/metrics`.
pub async fn start(app: &mut App) -> Result<Option<Arc<VoiceMetrics>>> {
    let Some(config) = app.config.voice.clone() else {
        return Ok(None);
    };
    let telephone = VoiceTelephone::start(&config).await?;
    let metrics = telephone.metrics();
    app.voice_hooks = telephone.webhooks();
    let calls = Calls::new(
        app.push.clone(),
        Arc::new(telephone),
        config.policy.clone(),
        Some(app.codes.send_gate().clone()),
    );
    app.signin = app.signin.clone().with_calls(calls);
    Ok(Some(metrics))
}
