//! [`SessionStore`] over the `sessions` table.

use applinks_core::clock::UnixTime;
use applinks_core::session::Session;
use applinks_core::store::{SessionStore, StoreError, StoreResult};
use applinks_core::user::Username;
use sqlx::Row;

use crate::database::{Database, store_error};

impl SessionStore for Database {
    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions \
             (id_digest, username, csrf_token, created_at, expires_at, confirmed_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&session.id_digest)
        .bind(session.username.as_str())
        .bind(&session.csrf_token)
        .bind(session.created_at)
        .bind(session.expires_at)
        .bind(session.confirmed_at)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn live_session(&self, id_digest: &str, now: UnixTime) -> StoreResult<Option<Session>> {
        let row = sqlx::query(
            "SELECT username, csrf_token, created_at, expires_at, confirmed_at \
             FROM sessions WHERE id_digest = $1 AND expires_at > $2",
        )
        .bind(id_digest)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        let Some(row) = row else { return Ok(None) };

        let username: String = row.try_get(0).map_err(store_error)?;
        let username = Username::parse(&username)
            .map_err(|_| StoreError::Corrupt(format!("invalid session user {username:?}")))?;
        Ok(Some(Session {
            id_digest: id_digest.to_owned(),
            username,
            csrf_token: row.try_get(1).map_err(store_error)?,
            created_at: row.try_get(2).map_err(store_error)?,
            expires_at: row.try_get(3).map_err(store_error)?,
            confirmed_at: row.try_get(4).map_err(store_error)?,
        }))
    }

    async fn confirm_session(&self, id_digest: &str, now: UnixTime) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET confirmed_at = $1 WHERE id_digest = $2")
            .bind(now)
            .bind(id_digest)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn delete_session(&self, id_digest: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_digest = $1")
            .bind(id_digest)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn delete_user_sessions(&self, username: &Username) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM sessions WHERE username = $1")
            .bind(username.as_str())
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected())
    }

    async fn delete_expired_sessions(&self, now: UnixTime) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected())
    }
}
