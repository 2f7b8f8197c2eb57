//! [`NonceStore`] over the `oauth_nonces` table, shared by every node, and [`LeaseStore`] over
//! `leases`.

use applinks_core::clock::UnixTime;
use applinks_core::nonce::{NonceStore, NonceVerdict};
use applinks_core::store::{LeaseStore, StoreError, StoreResult};

use crate::database::{Database, store_error};

impl NonceStore for Database {
    async fn remember(
        &self,
        consumer_key: &str,
        timestamp: u64,
        nonce: &str,
        forget_after: UnixTime,
        _now: UnixTime,
    ) -> StoreResult<NonceVerdict> {
        // The primary key does the deciding: of two nodes inserting the same nonce at once,
        // exactly one succeeds.
        let inserted = sqlx::query(
            "INSERT INTO oauth_nonces (consumer_key, nonce_timestamp, nonce, forget_after) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(consumer_key)
        .bind(i64::try_from(timestamp).unwrap_or(i64::MAX))
        .bind(nonce)
        .bind(forget_after)
        .execute(&self.pool)
        .await;
        match inserted.map_err(store_error) {
            Ok(_) => Ok(NonceVerdict::Fresh),
            Err(StoreError::Conflict) => Ok(NonceVerdict::Replayed),
            Err(error) => Err(error),
        }
    }

    async fn forget_expired(&self, now: UnixTime) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM oauth_nonces WHERE forget_after <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected())
    }
}

impl LeaseStore for Database {
    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: UnixTime,
        ttl_secs: i64,
    ) -> StoreResult<bool> {
        let result = sqlx::query(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at \
             WHERE leases.expires_at <= $4 OR leases.holder = excluded.holder",
        )
        .bind(name)
        .bind(holder)
        .bind(now + ttl_secs)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }
}
