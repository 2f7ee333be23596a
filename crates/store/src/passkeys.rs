//! `webauthn_credentials` and `webauthn_challenges` (migration 0020):
//! passkeys, the counter's compare-and-set and single-use challenges.

use async_trait::async_trait;
use countersign_domain::model::passkey::{
    algorithm_of, CeremonyKind, StoredPasskey, WebauthnChallenge,
};
use countersign_domain::ports::{PasskeyStore, StoreResult};
use countersign_webauthn::{Aaguid, Attestation, Credential};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{db_error, outside_text, SqlStore};

pub(crate) const COLUMNS: &str = "id, user_id, credential_id, public_key, alg, aaguid, transports, sign_count, \
    name, user_verified, backup_eligible, backup_state, discoverable, attestation, created_at, last_used_at";

/// A passkey row's columns as read, by sqlx or (SQLite's hot path) rusqlite.
pub(crate) struct PasskeyColumns {
    pub id: String,
    pub user_id: String,
    pub credential_id: String,
    pub public_key: Vec<u8>,
    pub alg: i64,
    pub aaguid: String,
    pub transports: String,
    pub sign_count: i64,
    pub name: String,
    pub user_verified: i64,
    pub backup_eligible: i64,
    pub backup_state: i64,
    pub discoverable: Option<i64>,
    pub attestation: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl PasskeyColumns {
    pub(crate) fn into_stored(self) -> StoredPasskey {
        let credential = Credential {
            id: countersign_webauthn::parse::base64url_decode(&self.credential_id, "credential id")
                .unwrap_or_default(),
            public_key: self.public_key,
            algorithm: algorithm_of(self.alg),
            aaguid: Aaguid::parse(&self.aaguid).unwrap_or_default(),
            sign_count: u32::try_from(self.sign_count).unwrap_or(u32::MAX),
            transports: self
                .transports
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            user_verified: self.user_verified != 0,
            backup_eligible: self.backup_eligible != 0,
            backup_state: self.backup_state != 0,
            discoverable: self.discoverable.map(|v| v != 0),
            attestation: serde_json::from_str(&self.attestation).unwrap_or(Attestation::None),
        };
        StoredPasskey {
            id: self.id,
            user_id: self.user_id,
            credential_id: self.credential_id,
            credential,
            name: self.name,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        }
    }
}

fn from_row(r: &AnyRow) -> StoreResult<StoredPasskey> {
    let err = db_error("reading a passkey");
    let columns = PasskeyColumns {
        id: r.try_get("id").map_err(&err)?,
        user_id: r.try_get("user_id").map_err(&err)?,
        credential_id: r.try_get("credential_id").map_err(&err)?,
        public_key: r.try_get("public_key").map_err(&err)?,
        alg: r.try_get("alg").map_err(&err)?,
        aaguid: r.try_get("aaguid").map_err(&err)?,
        transports: r.try_get("transports").map_err(&err)?,
        sign_count: r.try_get("sign_count").map_err(&err)?,
        name: r.try_get("name").map_err(&err)?,
        user_verified: r.try_get("user_verified").map_err(&err)?,
        backup_eligible: r.try_get("backup_eligible").map_err(&err)?,
        backup_state: r.try_get("backup_state").map_err(&err)?,
        discoverable: r.try_get("discoverable").map_err(&err)?,
        attestation: r.try_get("attestation").map_err(&err)?,
        created_at: r.try_get("created_at").map_err(&err)?,
        last_used_at: r.try_get("last_used_at").map_err(&err)?,
    };
    Ok(columns.into_stored())
}

fn challenge_from_row(r: &AnyRow) -> StoreResult<WebauthnChallenge> {
    let err = db_error("reading a passkey challenge");
    let kind: String = r.try_get("kind").map_err(&err)?;
    Ok(WebauthnChallenge {
        id: r.try_get("id").map_err(&err)?,
        kind: ceremony_kind(&kind),
        user_id: r.try_get("user_id").map_err(&err)?,
        challenge: r.try_get("challenge").map_err(&err)?,
        expires_at: r.try_get("expires_at").map_err(&err)?,
        used: r.try_get::<i64, _>("used").map_err(&err)? != 0,
    })
}

/// A stored kind; an unknown word reads as an assertion's (never a registration).
pub(crate) fn ceremony_kind(word: &str) -> CeremonyKind {
    CeremonyKind::parse(word).unwrap_or(CeremonyKind::Assertion)
}

#[async_trait]
impl PasskeyStore for SqlStore {
    async fn insert_passkey(&self, p: &StoredPasskey) -> StoreResult<()> {
        let c = &p.credential;
        let attestation = serde_json::to_string(&c.attestation)
            .map_err(|e| countersign_domain::StoreError::Backend(e.to_string()))?;
        sqlx::query(&format!(
            "INSERT INTO webauthn_credentials ({COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ))
        .bind(&p.id)
        .bind(&p.user_id)
        .bind(&p.credential_id)
        .bind(c.public_key.clone())
        .bind(c.algorithm.cose())
        .bind(c.aaguid.to_string())
        .bind(c.transports.join(","))
        .bind(i64::from(c.sign_count))
        .bind(&p.name)
        .bind(i64::from(c.user_verified))
        .bind(i64::from(c.backup_eligible))
        .bind(i64::from(c.backup_state))
        .bind(c.discoverable.map(i64::from))
        .bind(attestation)
        .bind(p.created_at)
        .bind(p.last_used_at)
        .execute(&self.writer)
        .await
        .map_err(db_error("passkey"))?;
        Ok(())
    }

    async fn passkeys_of_user(&self, user_id: &str) -> StoreResult<Vec<StoredPasskey>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM webauthn_credentials WHERE user_id = $1 ORDER BY created_at, id"
        ))
        .bind(outside_text(user_id))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("reading passkeys"))?;
        rows.iter().map(from_row).collect()
    }

    async fn count_passkeys(&self, user_id: &str) -> StoreResult<usize> {
        let row = sqlx::query("SELECT COUNT(*) FROM webauthn_credentials WHERE user_id = $1")
            .bind(outside_text(user_id))
            .fetch_one(&self.pool)
            .await
            .map_err(db_error("counting passkeys"))?;
        let n: i64 = row.try_get(0).map_err(db_error("counting passkeys"))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    async fn passkey_by_credential_id(
        &self,
        credential_id: &str,
    ) -> StoreResult<Option<StoredPasskey>> {
        if let Some(direct) = &self.direct {
            return direct.reads.passkey_by_credential_id(credential_id);
        }
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM webauthn_credentials WHERE credential_id = $1"
        ))
        .bind(outside_text(credential_id))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error("reading a passkey"))?;
        row.map(|r| from_row(&r)).transpose()
    }

    async fn rename_passkey(
        &self,
        user_id: &str,
        credential_id: &str,
        name: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE webauthn_credentials SET name = $1 WHERE user_id = $2 AND credential_id = $3",
        )
        .bind(name)
        .bind(outside_text(user_id))
        .bind(outside_text(credential_id))
        .execute(&self.writer)
        .await
        .map_err(db_error("renaming a passkey"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_passkey(&self, user_id: &str, credential_id: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "DELETE FROM webauthn_credentials WHERE user_id = $1 AND credential_id = $2",
        )
        .bind(outside_text(user_id))
        .bind(outside_text(credential_id))
        .execute(&self.writer)
        .await
        .map_err(db_error("removing a passkey"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn advance_passkey(
        &self,
        passkey_id: &str,
        old: u32,
        new: u32,
        backup_state: bool,
        now: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE webauthn_credentials SET sign_count = $1, backup_state = $2, last_used_at = $3 \
             WHERE id = $4 AND sign_count = $5",
        )
        .bind(i64::from(new))
        .bind(i64::from(backup_state))
        .bind(now)
        .bind(passkey_id)
        .bind(i64::from(old))
        .execute(&self.writer)
        .await
        .map_err(db_error("advancing a passkey's counter"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_webauthn_challenge(&self, c: &WebauthnChallenge) -> StoreResult<()> {
        // Old challenges go as new ones come (one indexed range delete).
        sqlx::query("DELETE FROM webauthn_challenges WHERE expires_at < $1")
            .bind(c.expires_at - 7200)
            .execute(&self.writer)
            .await
            .map_err(db_error("removing old passkey challenges"))?;
        sqlx::query(
            "INSERT INTO webauthn_challenges (id, kind, user_id, challenge, expires_at, used) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&c.id)
        .bind(c.kind.as_str())
        .bind(&c.user_id)
        .bind(c.challenge.clone())
        .bind(c.expires_at)
        .bind(i64::from(c.used))
        .execute(&self.writer)
        .await
        .map_err(db_error("passkey challenge"))?;
        Ok(())
    }

    async fn webauthn_challenge(&self, id: &str) -> StoreResult<Option<WebauthnChallenge>> {
        if let Some(direct) = &self.direct {
            return direct.reads.webauthn_challenge(id);
        }
        let row = sqlx::query(
            "SELECT id, kind, user_id, challenge, expires_at, used FROM webauthn_challenges WHERE id = $1",
        )
        .bind(outside_text(id))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error("reading a passkey challenge"))?;
        row.map(|r| challenge_from_row(&r)).transpose()
    }

    async fn take_webauthn_challenge(&self, id: &str, now: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE webauthn_challenges SET used = 1 WHERE id = $1 AND used = 0 AND expires_at > $2",
        )
        .bind(outside_text(id))
        .bind(now)
        .execute(&self.writer)
        .await
        .map_err(db_error("taking a passkey challenge"))?;
        Ok(done.rows_affected() == 1)
    }
}
