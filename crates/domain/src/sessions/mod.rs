//! Signed-in browser sessions.

pub mod console;
