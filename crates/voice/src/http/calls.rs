//! The calls in flight (call id → prompt and waiter) and the provider's
//! callbacks to them: the TwiML fetch, the Gather action, the status
//! callback, each refused (403) unless its signature is right.

use super::{form, signature, twiml, HttpConfig};
use crate::outcome::CallOutcome;
use crate::prompts::Prompt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tracing::{info, warn};

/// Which callback a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// The provider fetches the call's TwiML (the callee answered).
    Twiml,
    /// The `<Gather>` ended: `Digits`, `FinishedOnKey`.
    Gather,
    /// The call ended: `CallStatus`.
    Status,
}

impl Hook {
    /// The last path segment under `/voice/v1/calls/{id}/`.
    pub fn from_segment(segment: &str) -> Option<Hook> {
        match segment {
            "twiml" => Some(Hook::Twiml),
            "gather" => Some(Hook::Gather),
            "status" => Some(Hook::Status),
            _ => None,
        }
    }

    pub fn segment(self) -> &'static str {
        match self {
            Hook::Twiml => "twiml",
            Hook::Gather => "gather",
            Hook::Status => "status",
        }
    }
}

/// What the web door sends back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookAnswer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl HookAnswer {
    fn xml(body: String) -> Self {
        HookAnswer {
            status: 200,
            content_type: "text/xml; charset=utf-8",
            body: body.into_bytes(),
        }
    }
    fn text(status: u16, body: &str) -> Self {
        HookAnswer {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.as_bytes().to_vec(),
        }
    }
}

/// How a call in flight ended, as far as the callbacks tell.
#[derive(Debug)]
pub(crate) struct Ended {
    pub outcome: CallOutcome,
    /// When the TwiML was fetched (the answer).
    pub answered: Option<Instant>,
}

struct InFlight {
    prompt: Prompt,
    answered: Option<Instant>,
    done: Option<oneshot::Sender<Ended>>,
}

/// The calls in flight and the checks on their callbacks. Cheap to clone;
/// the web door holds one (`/voice/v1/calls/...`).
#[derive(Clone)]
pub struct Webhooks {
    config: Arc<HttpConfig>,
    calls: Arc<Mutex<HashMap<String, InFlight>>>,
    /// Callbacks whose signature was right, and those refused.
    counts: Arc<[AtomicU64; 2]>,
}

impl std::fmt::Debug for Webhooks {
    // Never the config: it holds the auth token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("in_flight", &self.in_flight())
            .finish()
    }
}

impl Webhooks {
    pub(crate) fn new(config: Arc<HttpConfig>) -> Self {
        Webhooks {
            config,
            calls: Arc::default(),
            counts: Arc::default(),
        }
    }

    /// `{public_url}voice/v1/calls/{id}/{what}`.
    pub(crate) fn url(&self, id: &str, what: &str) -> String {
        let base = self.config.public_url.trim_end_matches('/');
        format!("{base}/voice/v1/calls/{id}/{what}")
    }

    pub(crate) fn register(&self, id: &str, prompt: Prompt) -> oneshot::Receiver<Ended> {
        let (tx, rx) = oneshot::channel();
        let entry = InFlight {
            prompt,
            answered: None,
            done: Some(tx),
        };
        if let Ok(mut calls) = self.calls.lock() {
            calls.insert(id.to_string(), entry);
        }
        rx
    }

    pub(crate) fn forget(&self, id: &str) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.remove(id);
        }
    }

    /// (callbacks accepted, callbacks refused for their signature) so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.counts[0].load(Ordering::Relaxed),
            self.counts[1].load(Ordering::Relaxed),
        )
    }

    /// How many calls wait for their callbacks.
    pub fn in_flight(&self) -> usize {
        self.calls.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// The call's prompt as a WAV file (8 kHz, 16-bit), while it is in flight.
    /// Not signed (the provider's media fetch may carry no signature); the
    /// call id is 128 random bits and lives only as long as the call.
    pub fn prompt_wav(&self, id: &str) -> Option<Vec<u8>> {
        let calls = self.calls.lock().ok()?;
        calls.get(id).map(|c| crate::wav::write(c.prompt.samples()))
    }

    /// One callback: `url` is the full URL the provider requested (as it
    /// signed it), `body` the form it posted.
    pub fn handle(
        &self,
        hook: Hook,
        id: &str,
        url: &str,
        body: &[u8],
        signature: Option<&str>,
    ) -> HookAnswer {
        let params = match form::parse(body) {
            Ok(p) => p,
            Err(e) => {
                warn!(call = id, hook = hook.segment(), error = %e, "voice callback refused: unreadable form");
                return HookAnswer::text(400, "unreadable form");
            }
        };
        if !signature::verify(&self.config.auth_token, url, &params, signature) {
            let why = if signature.is_none() {
                "no X-Twilio-Signature header"
            } else {
                "X-Twilio-Signature does not match"
            };
            warn!(call = id, hook = hook.segment(), %url, "voice callback refused (403): {why}; the provider must sign with voice.http.auth_token, and public_url must be the URL it calls");
            self.counts[1].fetch_add(1, Ordering::Relaxed);
            return HookAnswer::text(403, "signature refused");
        }
        self.counts[0].fetch_add(1, Ordering::Relaxed);
        match hook {
            Hook::Twiml => self.twiml(id),
            Hook::Gather => self.gather(id, &params),
            Hook::Status => self.status(id, &params),
        }
    }

    fn twiml(&self, id: &str) -> HookAnswer {
        let Ok(mut calls) = self.calls.lock() else {
            return HookAnswer::xml(twiml::hangup());
        };
        let Some(call) = calls.get_mut(id) else {
            return HookAnswer::xml(twiml::hangup());
        };
        call.answered.get_or_insert_with(Instant::now);
        let c = &self.config;
        let script = twiml::Script {
            prompt_url: self.url(id, "prompt.wav"),
            action_url: self.url(id, "gather"),
            prompt: Duration::from_millis(call.prompt.duration_ms()),
            key_timeout: c.key_timeout,
            terminator: c.keys.terminator,
            max_keys: c.keys.max_keys,
        };
        HookAnswer::xml(twiml::gather(&script))
    }

    fn gather(&self, id: &str, params: &[(String, String)]) -> HookAnswer {
        let keys = self.config.keys;
        let outcome = match form::gathered(params, keys.terminator, keys.max_keys) {
            Ok(k) => CallOutcome::Keys(k),
            Err(partial) => CallOutcome::NoKey {
                partial,
                hung_up: false,
            },
        };
        self.finish(id, outcome);
        HookAnswer::xml(twiml::hangup())
    }

    fn status(&self, id: &str, params: &[(String, String)]) -> HookAnswer {
        let status = form::field(params, "CallStatus").unwrap_or_default();
        let outcome = match status {
            "busy" => CallOutcome::Busy,
            "no-answer" | "canceled" => CallOutcome::Unanswered,
            "failed" => CallOutcome::Failed {
                status: form::field(params, "SipResponseCode").and_then(|c| c.parse().ok()),
                reason: "the voice provider could not place the call (CallStatus failed)".into(),
            },
            "completed" => CallOutcome::NoKey {
                partial: String::new(),
                hung_up: true,
            },
            // queued, ringing, in-progress: not an end.
            _ => return HookAnswer::text(200, "ok"),
        };
        self.finish(id, outcome);
        HookAnswer::text(200, "ok")
    }

    /// The first end wins; later callbacks of the same call find nothing.
    fn finish(&self, id: &str, outcome: CallOutcome) {
        let Some(call) = self.calls.lock().ok().and_then(|mut c| c.remove(id)) else {
            return;
        };
        info!(
            call = id,
            outcome = outcome.label(),
            "voice call ended (provider callback)"
        );
        if let Some(done) = call.done {
            let _ = done.send(Ended {
                outcome,
                answered: call.answered,
            });
        }
    }
}
