//! Who a session is for, what it carries, and a live session as the doors see it.

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Sessions, SessionsOf};
use crate::model::admin::Admin;
use crate::model::session::{Level, SessionKind};
use crate::model::session::{SessionData, SsoData};
use crate::model::user::User;
use crate::ports::{SessionsPorts, StoreResult};

/// The one a session is for, which makes the session's kind: an
/// administrator or a user.
#[async_trait]
pub trait Subject: Clone + std::fmt::Debug + Send + Sync + 'static {
    const KIND: SessionKind;
    /// What sessions of this kind keep between requests.
    type Data: WorkingState;

    fn id(&self) -> &str;

    /// The subject by id, while they may still hold a session.
    async fn load(store: &dyn SessionsPorts, id: &str) -> StoreResult<Option<Self>>;

    /// The sessions of this kind among all.
    fn sessions_in(all: &Sessions) -> &SessionsOf<Self>;
}

#[async_trait]
impl Subject for Admin {
    const KIND: SessionKind = SessionKind::Administrator;
    type Data = ();

    fn id(&self) -> &str {
        &self.id
    }

    fn sessions_in(all: &Sessions) -> &SessionsOf<Admin> {
        &all.admins
    }

    async fn load(store: &dyn SessionsPorts, id: &str) -> StoreResult<Option<Admin>> {
        store.admin_by_id(id).await
    }
}

#[async_trait]
impl Subject for User {
    const KIND: SessionKind = SessionKind::User;
    /// The sign-in's and the portal's working state.
    type Data = SessionData;

    fn id(&self) -> &str {
        &self.id
    }

    fn sessions_in(all: &Sessions) -> &SessionsOf<User> {
        &all.users
    }

    /// A user who is disabled meanwhile has no session any more.
    async fn load(store: &dyn SessionsPorts, id: &str) -> StoreResult<Option<User>> {
        Ok(store.user_by_id(id).await?.filter(|u| u.enabled))
    }
}

/// A user signed in at `/sso` (forward auth, the OpenID Provider): the
/// same users as the portal's, sessions of their own kind, so a portal
/// cookie never opens `/sso` nor the other way round.
#[derive(Debug, Clone, PartialEq)]
pub struct SsoUser(pub User);

#[async_trait]
impl Subject for SsoUser {
    const KIND: SessionKind = SessionKind::Sso;
    type Data = SsoData;

    fn id(&self) -> &str {
        &self.0.id
    }

    fn sessions_in(all: &Sessions) -> &SessionsOf<SsoUser> {
        &all.sso
    }

    async fn load(store: &dyn SessionsPorts, id: &str) -> StoreResult<Option<SsoUser>> {
        Ok(User::load(store, id).await?.map(SsoUser))
    }
}

/// A session's working state, sealed in its row; the default is no state.
pub trait WorkingState:
    Serialize + DeserializeOwned + Default + PartialEq + Clone + std::fmt::Debug + Send + Sync + 'static
{
}

impl<T> WorkingState for T where
    T: Serialize
        + DeserializeOwned
        + Default
        + PartialEq
        + Clone
        + std::fmt::Debug
        + Send
        + Sync
        + 'static
{
}

/// A session that is still valid, with its subject and working state.
#[derive(Debug, Clone)]
pub struct Live<S: Subject> {
    /// Keyed hash of the cookie's token (hex): the session's id in the store.
    pub id_hash: String,
    pub level: Level,
    /// The token every form of this session carries in its `csrf` field.
    pub csrf: String,
    pub created_at: i64,
    pub address: Option<String>,
    pub subject: S,
    pub data: S::Data,
}
