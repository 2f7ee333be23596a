//! Passkey reads on the direct connections (the answer to a `webauthn`
//! challenge reads its challenge and its passkey): indexed single rows.

use countersign_domain::model::passkey::{StoredPasskey, WebauthnChallenge};
use countersign_domain::ports::StoreResult;
use rusqlite::{OptionalExtension, Row};

use super::reads::ReadPool;
use super::sqlite_error;
use crate::outside_text;
use crate::passkeys::{ceremony_kind, PasskeyColumns, COLUMNS};

const CHALLENGE: &str =
    "SELECT id, kind, user_id, challenge, expires_at, used FROM webauthn_challenges WHERE id = ?1";

impl ReadPool {
    pub fn webauthn_challenge(&self, id: &str) -> StoreResult<Option<WebauthnChallenge>> {
        self.with(|conn| {
            conn.prepare_cached(CHALLENGE)
                .and_then(|mut s| {
                    s.query_row([outside_text(id)], |r| {
                        Ok(WebauthnChallenge {
                            id: r.get(0)?,
                            kind: ceremony_kind(&r.get::<_, String>(1)?),
                            user_id: r.get(2)?,
                            challenge: r.get(3)?,
                            expires_at: r.get(4)?,
                            used: r.get::<_, i64>(5)? != 0,
                        })
                    })
                    .optional()
                })
                .map_err(sqlite_error("reading a passkey challenge"))
        })
    }

    pub fn passkey_by_credential_id(
        &self,
        credential_id: &str,
    ) -> StoreResult<Option<StoredPasskey>> {
        let sql = format!("SELECT {COLUMNS} FROM webauthn_credentials WHERE credential_id = ?1");
        self.with(|conn| {
            conn.prepare_cached(&sql)
                .and_then(|mut s| {
                    s.query_row([outside_text(credential_id)], columns)
                        .optional()
                })
                .map(|found| found.map(PasskeyColumns::into_stored))
                .map_err(sqlite_error("reading a passkey"))
        })
    }
}

/// In `COLUMNS`' order.
fn columns(r: &Row<'_>) -> rusqlite::Result<PasskeyColumns> {
    Ok(PasskeyColumns {
        id: r.get(0)?,
        user_id: r.get(1)?,
        credential_id: r.get(2)?,
        public_key: r.get(3)?,
        alg: r.get(4)?,
        aaguid: r.get(5)?,
        transports: r.get(6)?,
        sign_count: r.get(7)?,
        name: r.get(8)?,
        user_verified: r.get(9)?,
        backup_eligible: r.get(10)?,
        backup_state: r.get(11)?,
        discoverable: r.get(12)?,
        attestation: r.get(13)?,
        created_at: r.get(14)?,
        last_used_at: r.get(15)?,
    })
}
