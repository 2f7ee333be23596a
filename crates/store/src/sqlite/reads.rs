//! The hot reads on direct connections, on the caller's thread: a user with
//! their tokens, an API key. A few indexed rows each, so running them here
//! costs less than handing them to another thread.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use countersign_domain::model::method::parse_list;
use countersign_domain::model::user::username_key;
use countersign_domain::ports::StoreResult;
use countersign_domain::signin::Method;
use countersign_domain::{ApiKey, Scope, StoreError, StoredToken, User};
use rusqlite::{Connection, OptionalExtension, Row};

use super::{connect, sqlite_error};
use crate::outside_text;

/// Idle connections kept for reuse; more are opened when all are busy.
const MAX_IDLE: usize = 8;

const USER_WITH_TOKENS: &str = "SELECT u.id, u.username, u.display_name, u.email, u.phone, u.enabled, \
    u.locked_until, u.failed_attempts, u.created_at, u.updated_at, u.push_number_matching, \
    u.push_pin_required, u.welcome_email, u.welcomed_at, u.pin_hash, \
    t.id, t.kind, t.algorithm, t.digits, t.period, t.last_used, t.drift, t.secret, t.created_at, t.last_used_at, \
    u.default_method, u.allowed_methods, u.bypass_until, u.bypass_reason, t.serial, t.issuer, u.language, u.voice_phone \
    FROM users u LEFT JOIN tokens t ON t.user_id = u.id WHERE u.username_key = ?1 ORDER BY t.created_at, t.id";

const KEY_BY_PREFIX: &str =
    "SELECT id, name, prefix, hash, scopes, created_at, revoked_at, last_used_at FROM api_keys WHERE prefix = ?1";

pub struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Mutex::default(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `read` on an idle connection (or a new one) and puts it back.
    pub(crate) fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = connect(&self.path)?;
                let err = sqlite_error("opening a SQLite reader");
                conn.pragma_update(None, "query_only", true).map_err(&err)?;
                conn.pragma_update(None, "mmap_size", super::MMAP_SIZE)
                    .map_err(&err)?;
                conn
            }
        };
        let result = read(&conn);
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        result
    }

    /// The user and their tokens in one query.
    pub fn user_with_tokens(
        &self,
        username: &str,
    ) -> StoreResult<Option<(User, Vec<StoredToken>)>> {
        let key = outside_text(&username_key(username));
        self.with(|conn| {
            let err = sqlite_error("reading user and tokens");
            let mut statement = conn.prepare_cached(USER_WITH_TOKENS).map_err(&err)?;
            let mut rows = statement.query([key]).map_err(&err)?;
            let mut found: Option<(User, Vec<StoredToken>)> = None;
            while let Some(row) = rows.next().map_err(&err)? {
                let (user, tokens) = match &mut found {
                    Some(found) => found,
                    None => found.insert((user_of(row).map_err(&err)?, Vec::new())),
                };
                if let Some(token) = token_of(row, &user.id)? {
                    tokens.push(token);
                }
            }
            Ok(found)
        })
    }

    pub fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<ApiKey>> {
        let prefix = outside_text(prefix);
        self.with(|conn| {
            let err = sqlite_error("reading API key");
            conn.prepare_cached(KEY_BY_PREFIX)
                .and_then(|mut s| s.query_row([prefix], key_of).optional())
                .map_err(err)
        })
    }
}

fn flag(value: Option<i64>) -> Option<bool> {
    value.map(|v| v != 0)
}

fn user_of(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        username: row.get(1)?,
        display_name: row.get(2)?,
        email: row.get(3)?,
        phone: row.get(4)?,
        enabled: row.get::<_, i64>(5)? != 0,
        locked_until: row.get(6)?,
        failed_attempts: row.get(7)?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
        push_number_matching: flag(row.get(10)?),
        push_pin_required: flag(row.get(11)?),
        welcome_email: flag(row.get(12)?),
        welcomed_at: row.get(13)?,
        pin_hash: row.get(14)?,
        // After the token columns (15..=24).
        default_method: row
            .get::<_, Option<String>>(25)?
            .and_then(|m| Method::parse(&m)),
        allowed_methods: row
            .get::<_, Option<String>>(26)?
            .and_then(|list| parse_list(&list).ok()),
        bypass_until: row.get(27)?,
        bypass_reason: row.get(28)?,
        // After the token's serial and issuer (29, 30).
        language: row.get(31)?,
        voice_phone: row.get(32)?,
    })
}

/// The token of a joined row (columns 15..), if the user has one there.
fn token_of(row: &Row<'_>, user_id: &str) -> StoreResult<Option<StoredToken>> {
    let err = sqlite_error("reading token");
    let Some(id) = row.get::<_, Option<String>>(15).map_err(&err)? else {
        return Ok(None);
    };
    let kind: String = row.get(16).map_err(&err)?;
    let algorithm: String = row.get(17).map_err(&err)?;
    Ok(Some(StoredToken {
        id,
        user_id: user_id.to_string(),
        kind: kind
            .parse()
            .map_err(|_| StoreError::Backend(format!("token has unknown type '{kind}'")))?,
        algorithm: algorithm.parse().map_err(|_| {
            StoreError::Backend(format!("token has unknown algorithm '{algorithm}'"))
        })?,
        digits: u32::try_from(row.get::<_, i64>(18).map_err(&err)?)
            .map_err(|_| StoreError::Backend("token has a bad digit count".into()))?,
        period: u64::try_from(row.get::<_, i64>(19).map_err(&err)?)
            .map_err(|_| StoreError::Backend("token has a bad period".into()))?,
        last_used: row.get(20).map_err(&err)?,
        drift: row.get(21).map_err(&err)?,
        sealed_secret: row.get(22).map_err(&err)?,
        created_at: row.get(23).map_err(&err)?,
        last_used_at: row.get(24).map_err(&err)?,
        // After the user's last columns (25..=28).
        serial: row.get(29).map_err(&err)?,
        issuer: row.get(30).map_err(&err)?,
    }))
}

fn key_of(row: &Row<'_>) -> rusqlite::Result<ApiKey> {
    let scopes: String = row.get(4)?;
    Ok(ApiKey {
        id: row.get(0)?,
        name: row.get(1)?,
        prefix: row.get(2)?,
        hash: row.get(3)?,
        // A scope this version does not know is dropped rather than failing every request.
        scopes: scopes
            .split(',')
            .filter_map(|s| Scope::parse_list(s).ok())
            .flatten()
            .collect(),
        created_at: row.get(5)?,
        revoked_at: row.get(6)?,
        last_used_at: row.get(7)?,
    })
}
