//! The client side of `/device/v1` (docs/device-api.md).

mod device;
mod error;
mod events;
mod http;
mod types;

pub use device::{activate, Device};
pub use error::ClientError;
pub use events::EventStream;
pub use http::Http;
pub use types::{
    ActivateBody, Activated, Answer, AnswerBody, AnswerResult, PendingList, SignInRequest,
};
