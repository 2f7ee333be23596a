//! What administrators manage: user accounts and their tokens, API keys,
//! console administrators, the token pool and its imports, bulk user import,
//! RADIUS clients and the stored settings.

pub mod accounts;
pub mod admins;
pub mod apikeys;
pub mod pool;
pub mod radius_clients;
pub mod settings;
pub mod user_import;
