//! The second factors other than a typed OATH code (which the engine's
//! `Verifier` checks): push approval with its activation, device requests and
//! Web Push; codes sent by SMS or email and two-way SMS; and the outbox that
//! delivers every message.

pub mod call;
pub mod codes;
pub mod outbox;
pub mod push;
pub mod sends;
pub mod webpush;
