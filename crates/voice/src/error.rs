//! Errors that stop a call before it starts (a call that starts and fails
//! is a [`crate::CallOutcome::Failed`], not an error).

use crate::dial::DialError;
use crate::prompts::PromptError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum VoiceError {
    #[error("voice settings: {}", .0.join("; "))]
    Config(Vec<String>),
    #[error(transparent)]
    Dial(#[from] DialError),
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error("cannot listen for SIP on {addr}: {reason}; pick a free address for voice.sip.bind")]
    Bind { addr: String, reason: String },
    #[error("no free RTP port in {range} on {ip}: widen voice.sip.rtp_ports or end other calls")]
    RtpPorts { range: String, ip: String },
    #[error("SIP: {0}")]
    Sip(String),
}
