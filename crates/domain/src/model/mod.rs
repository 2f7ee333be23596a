//! The domain's data: users, tokens, methods, reasons, audit records and the
//! rows the ports read and write. Nothing here imports a service or a port.

pub mod admin;
pub mod apikey;
pub mod audit;
pub mod channels;
pub mod code;
pub mod decision;
pub mod directory;
pub mod door;
pub mod error;
pub mod group;
pub mod ids;
pub mod messages;
pub mod method;
pub mod net;
pub mod oidc;
pub mod passkey;
pub mod pool;
pub mod portal;
pub mod push;
pub mod radius;
pub mod reason;
pub mod remembered;
pub mod session;
pub mod token;
pub mod token_spec;
pub mod user;
pub mod webpush;
pub mod welcome;
