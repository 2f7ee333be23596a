//! The directory Countersign takes its users from and checks passwords
//! against: Active Directory or an LDAP server, reached by `ldaps://` or
//! `ldap://` + StartTLS (plain LDAP only when the administrator says so),
//! backup servers tried in order, a service account for searches, paged
//! searches, timeouts, and errors in words.

mod changes;
mod client;
mod entry;
mod error;
mod groups;
mod password;
mod settings;
mod tls;

pub use client::{looks_like_dn, BindUser, Directory};
pub use entry::DirEntry;
pub use entry::MEMBER_OF;
pub use error::{ad_data, describe, DirError};
pub use password::PasswordCheck;
pub use settings::{Attributes, DirectoryKind, DirectorySettings};
