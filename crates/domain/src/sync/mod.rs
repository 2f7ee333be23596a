//! Work that follows the directory: the sync of users and the welcome emails
//! of users it adds.

pub mod directory;
pub mod welcome;
