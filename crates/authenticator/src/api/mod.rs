//! The client side of `/device/v1` (docs/device-api.md).

mod device;
mod error;
mod events;
mod http;

pub use device::{activate, Device};
pub use error::ClientError;
pub use events::EventStream;
pub use http::Http;
// The JSON bodies are the protocol crate's, the server's own.
pub use countersign_device_proto::{
    ActivateBody, Activated, Answer, AnswerBody, AnswerResult, PendingList, SignInRequest,
};
