//! One outbound call: INVITE with the SDP offer (digest retry by rsipstack),
//! ring timeout, the answer's SDP, the media and DTMF, then BYE.

use crate::agent::{Agent, RegistrationState};
use crate::config::{SipConfig, SipTransport};
use crate::error::VoiceError;
use crate::info;
use crate::media::{self, MediaEnd, MediaPlan, MediaSocket};
use crate::outcome::{CallOutcome, CallReport, MediaStats};
use crate::prompts::Prompt;
use crate::sdp::{self, Offer};
use rand::Rng;
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver};
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{HeadersExt, Response, StatusCode};
use rsipstack::transport::SipAddr;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info as log};

/// Places calls. Cheap to clone; the SIP endpoint stops when the last clone is dropped.
#[derive(Clone)]
pub struct Caller {
    agent: Arc<Agent>,
}

impl Caller {
    /// Starts the SIP user agent (and the registration, if configured).
    pub async fn start(config: SipConfig) -> Result<Caller, VoiceError> {
        Ok(Caller {
            agent: Arc::new(Agent::start(config).await?),
        })
    }

    /// The SIP address advertised in Via and Contact.
    pub fn local_addr(&self) -> SocketAddr {
        self.agent.advertised
    }

    pub fn registration(&self) -> RegistrationState {
        self.agent.registration.borrow().clone()
    }

    /// Waits until the registration is no longer pending (or `limit` ends).
    pub async fn registered(&self, limit: Duration) -> RegistrationState {
        let mut rx = self.agent.registration.clone();
        let wait = async move {
            let _ = rx.wait_for(|s| *s != RegistrationState::Pending).await;
        };
        let _ = tokio::time::timeout(limit, wait).await;
        self.registration()
    }

    /// Calls `number`, plays `prompt` until the keys are complete or the key
    /// timeout ends, hangs up and says what the callee did.
    pub async fn call(&self, number: &str, prompt: &Prompt) -> Result<CallReport, VoiceError> {
        let a = &self.agent;
        let dialled = a.dial.dial_string(number)?;
        let target = format!("sip:{dialled}@{}", a.config.trunk);
        let socket = MediaSocket::bind(a.media_ip, &a.config.rtp_ports).await?;
        let offer = Offer {
            address: a.advertised.ip(),
            port: socket.port(),
            codecs: a.config.codecs.clone(),
            telephone_event: a.config.telephone_event,
            session_id: rand::thread_rng().gen_range(1..u32::MAX.into()),
        };
        let option = self.invite_option(&target, offer.to_sdp())?;
        let (state_tx, state_rx) = a.dialog_layer.new_dialog_state_channel();
        let started = Instant::now();
        log!(%target, "calling");
        let mut report = CallReport {
            outcome: CallOutcome::Unanswered,
            target,
            status: None,
            setup: Duration::ZERO,
            talk: Duration::ZERO,
            media: MediaStats::default(),
        };
        let hop = a
            .config
            .outbound_proxy
            .as_deref()
            .unwrap_or(&a.config.trunk);
        if let Err(reason) = crate::tls::connect(&a.endpoint.inner, &a.config, hop).await {
            report.setup = started.elapsed();
            report.outcome = CallOutcome::Failed {
                status: None,
                reason,
            };
            log!(target = %report.target, outcome = "failed", "call ended");
            return Ok(report);
        }
        let invite = a.dialog_layer.do_invite(option, state_tx);
        // On the ring timeout the INVITE future is dropped: rsipstack's guard sends the CANCEL.
        let invited = tokio::time::timeout(a.config.ring_timeout, invite).await;
        report.setup = started.elapsed();
        let answered = match invited {
            Err(_) => None,
            Ok(result) => answered(result, &mut report),
        };
        if let CallOutcome::Failed { reason, .. } = &mut report.outcome {
            let c = &a.config;
            let hop = c.outbound_proxy.as_deref().unwrap_or(&c.trunk);
            *reason = crate::tls::explain(c, hop, reason);
        }
        if let Some((dialog, response)) = answered {
            self.talk(
                dialog,
                &response.body,
                socket,
                state_rx,
                prompt,
                &mut report,
            )
            .await;
        }
        log!(target = %report.target, outcome = report.outcome.label(), "call ended");
        Ok(report)
    }

    /// The answered part: media and keys until done, then BYE.
    async fn talk(
        &self,
        dialog: InviteDialog,
        sdp_answer: &[u8],
        socket: MediaSocket,
        states: DialogStateReceiver,
        prompt: &Prompt,
        report: &mut CallReport,
    ) {
        let a = &self.agent;
        let answer = match sdp::parse_answer(sdp_answer, &a.config.codecs) {
            Ok(answer) => answer,
            Err(e) => {
                bye(&dialog).await;
                a.dialog_layer.remove_dialog(&dialog.id());
                report.outcome = CallOutcome::Failed {
                    status: report.status,
                    reason: e.to_string(),
                };
                return;
            }
        };
        let plan = MediaPlan {
            answer,
            prompt: prompt.clone(),
            key_timeout: a.config.key_timeout,
            repeat_gap: a.config.repeat_gap,
            keys: a.config.keys,
        };
        let (info_tx, info_rx) = mpsc::unbounded_channel();
        let hangup = CancellationToken::new();
        let watcher = tokio::spawn(watch_dialog(states, info_tx, hangup.clone()));
        let talk_start = Instant::now();
        let result = media::converse(socket, plan, info_rx, hangup).await;
        report.talk = talk_start.elapsed();
        if result.end != MediaEnd::HungUp {
            bye(&dialog).await;
        }
        watcher.abort();
        a.dialog_layer.remove_dialog(&dialog.id());
        report.media = result.stats;
        report.outcome = match result.end {
            MediaEnd::Complete => CallOutcome::Keys(result.keys),
            end => CallOutcome::NoKey {
                partial: result.keys,
                hung_up: end == MediaEnd::HungUp,
            },
        };
    }

    fn invite_option(&self, target: &str, sdp: String) -> Result<InviteOption, VoiceError> {
        let c = &self.agent.config;
        let user = c
            .caller_id
            .clone()
            .or_else(|| c.username.clone())
            .unwrap_or_else(|| "countersign".into());
        let domain = c.registrar.as_deref().unwrap_or(&c.trunk);
        let uri = |text: String| {
            text.parse::<rsipstack::sip::Uri>()
                .map_err(|e| VoiceError::Sip(format!("{text} is not a SIP URI: {e}")))
        };
        let credential = match (&c.username, &c.password) {
            (Some(username), Some(password)) => Some(Credential {
                username: username.clone(),
                password: password.clone(),
                realm: None,
                auth_username: None,
            }),
            _ => None,
        };
        let next_hop = c.outbound_proxy.as_deref().unwrap_or(&c.trunk);
        let mut destination = SipAddr::try_from(&uri(format!("sip:{next_hop}"))?)
            .map_err(|e| VoiceError::Sip(format!("{next_hop}: {e}")))?;
        destination.r#type = Some(match c.transport {
            SipTransport::Udp => rsipstack::sip::Transport::Udp,
            SipTransport::Tcp => rsipstack::sip::Transport::Tcp,
            SipTransport::Tls => rsipstack::sip::Transport::Tls,
        });
        Ok(InviteOption {
            caller_display_name: c.caller_name.clone(),
            caller: uri(format!("sip:{user}@{domain}"))?,
            callee: uri(target.to_string())?,
            destination: Some(destination),
            content_type: Some("application/sdp".into()),
            offer: Some(sdp.into_bytes()),
            contact: uri(format!("sip:{user}@{}", self.agent.advertised))?,
            credential,
            ..Default::default()
        })
    }
}

/// The dialog and the 2xx of an answered INVITE; otherwise the outcome goes into `report`.
fn answered(
    result: rsipstack::Result<(InviteDialog, Option<Response>)>,
    report: &mut CallReport,
) -> Option<(InviteDialog, Response)> {
    let (dialog, response) = match result {
        Ok((dialog, Some(response))) => (dialog, response),
        Ok((_, None)) => {
            let reason = "no final answer to the INVITE".to_string();
            report.outcome = CallOutcome::Failed {
                status: None,
                reason,
            };
            return None;
        }
        Err(e) => {
            let reason = format!("the INVITE failed: {e}");
            report.outcome = CallOutcome::Failed {
                status: None,
                reason,
            };
            return None;
        }
    };
    let status = response.status_code.code();
    report.status = Some(status);
    if (200..300).contains(&status) {
        return Some((dialog, response));
    }
    report.outcome = CallOutcome::from_status(status, &response.status_code.to_string());
    None
}

async fn bye(dialog: &InviteDialog) {
    match tokio::time::timeout(Duration::from_secs(5), dialog.bye()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => debug!(error = %e, "BYE failed"),
        Err(_) => debug!("BYE unanswered"),
    }
}

/// Reads the dialog's events during the call: keys in INFO requests go to
/// `keys`, the callee's BYE cancels `hangup`, other requests get an answer.
async fn watch_dialog(
    mut states: DialogStateReceiver,
    keys: mpsc::UnboundedSender<char>,
    hangup: CancellationToken,
) {
    while let Some(state) = states.recv().await {
        match state {
            DialogState::Info(_, request, handle) => {
                let content_type = request
                    .header_value("Content-Type")
                    .or_else(|| request.header_value("c"))
                    .unwrap_or_default();
                let key = info::key(&content_type, &request.body);
                let status = match key {
                    Some(_) => StatusCode::OK,
                    None if info::is_dtmf(&content_type) => StatusCode::BadRequest,
                    None => StatusCode::UnsupportedMediaType,
                };
                // Answer first: the last key ends the call, and its BYE must not overtake
                // this 200 (rsipstack's transaction task sends it: give it a moment).
                let _ = handle.reply(status).await;
                if let Some(key) = key {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let _ = keys.send(key);
                }
            }
            DialogState::Options(_, _, handle) => {
                let _ = handle.reply(StatusCode::OK).await;
            }
            DialogState::Updated(_, _, handle)
            | DialogState::Refer(_, _, handle)
            | DialogState::Message(_, _, handle)
            | DialogState::Notify(_, _, handle)
            | DialogState::Publish(_, _, handle) => {
                let _ = handle.reply(StatusCode::NotAcceptableHere).await;
            }
            DialogState::Terminated(_, reason) => {
                debug!(?reason, "dialog terminated");
                hangup.cancel();
            }
            _ => {}
        }
    }
}
