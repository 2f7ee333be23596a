use std::future::Future;
use std::pin::Pin;

/// One call to place: whom to call and what the call asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOrder {
    /// The pending transaction the call settles (`cal_...`).
    pub transaction_id: String,
    pub username: String,
    /// The number to dial: E.164 (`+15550001111`) or an extension (`4711`).
    pub number: String,
    /// The user's language tag (`de`, `en-GB`); `None`: the default.
    pub language: Option<String>,
    /// The call asks for the user's PIN and `#` instead of `#` alone.
    pub pin_mode: bool,
}

/// How a call ended, as the telephone saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEnd {
    /// Answered; these keys were pressed, ending with `#` (`#`, `1234#`, `0#`).
    Keys(String),
    /// Answered, but no complete input before the key timeout (or the user hung up).
    NoKey,
    /// Rang out (or the far end gave up: 408, 480, 487).
    Unanswered,
    /// 486, 600.
    Busy,
    /// 603.
    Declined,
    /// Anything else: a SIP status (404, 503, ...), or none when no answer came.
    Failed { status: Option<u16>, reason: String },
}

/// Places phone calls. The engine calls [`Telephone::place`] and spawns
/// the future it gets: the call runs in the background and its end settles
/// the transaction. All I/O is the adapter's (SIP in `countersign-server`).
pub trait Telephone: Send + Sync {
    fn place(&self, order: CallOrder) -> Pin<Box<dyn Future<Output = CallEnd> + Send>>;
}

/// For servers without `[voice]`: every call fails at once.
pub struct NoTelephone;

impl Telephone for NoTelephone {
    fn place(&self, _order: CallOrder) -> Pin<Box<dyn Future<Output = CallEnd> + Send>> {
        Box::pin(async {
            CallEnd::Failed {
                status: None,
                reason: "no voice provider is configured ([voice])".into(),
            }
        })
    }
}
