//! What administrators manage: user accounts and their tokens, API keys,
//! console administrators, the token pool and its imports, bulk user import
//! and bulk changes, RADIUS clients and the stored settings; and reading the
//! audit trail.

pub mod accounts;
pub mod admins;
pub mod apikeys;
pub mod audit_trail;
pub mod bulk;
pub mod csv;
pub mod groups;
pub mod pool;
pub mod radius_clients;
pub mod settings;
pub mod user_import;
