use crate::model::token::Token;
use serde::Serialize;

/// A listing of the pool.
#[derive(Debug, Clone, Default)]
pub struct PoolQuery {
    /// Serials starting with this text.
    pub serial: Option<String>,
    pub unassigned_only: bool,
    /// Serials after this one (paging).
    pub after: Option<String>,
    pub limit: u32,
}

/// A pool token as the API and CLI show it.
#[derive(Debug, Clone, Serialize)]
pub struct PoolToken {
    #[serde(flatten)]
    pub token: Token,
    /// The username it is assigned to, if any.
    pub assigned_to: Option<String>,
}
