//! [`TokenStore`] over the `oauth_tokens` table.

use applinks_core::clock::UnixTime;
use applinks_core::consumer::{ConsumerKey, Sealed};
use applinks_core::store::{StoreError, StoreResult, TokenStore};
use applinks_core::token::{IssuedToken, TokenKind};
use applinks_core::user::Username;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::database::{Database, store_error};

/// The columns that make an [`IssuedToken`], in the order [`token_from_row`] reads them.
const TOKEN_COLUMNS: &str = "digest, kind, consumer_key, secret, username, callback, \
    verifier_digest, created_at, expires_at, session_handle_digest, session_expires_at";

impl TokenStore for Database {
    async fn insert_token(&self, token: &IssuedToken) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        insert(&mut conn, token).await
    }

    async fn token(&self, digest: &str) -> StoreResult<Option<IssuedToken>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE digest = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(digest)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn authorise_request_token(
        &self,
        digest: &str,
        username: &Username,
        verifier_digest: &str,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE oauth_tokens SET username = $1, verifier_digest = $2 \
             WHERE digest = $3 AND kind = 'request' AND username IS NULL AND expires_at > $4",
        )
        .bind(username.as_str())
        .bind(verifier_digest)
        .bind(digest)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn take_request_token(&self, digest: &str) -> StoreResult<Option<IssuedToken>> {
        let Some(token) = self.token(digest).await? else {
            return Ok(None);
        };
        if token.kind != TokenKind::Request {
            return Ok(None);
        }
        // Whoever deletes the row owns the token; a concurrent caller deletes nothing.
        let result = sqlx::query("DELETE FROM oauth_tokens WHERE digest = $1 AND kind = 'request'")
            .bind(digest)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok((result.rows_affected() == 1).then_some(token))
    }

    async fn renew_access_token(
        &self,
        old_digest: &str,
        renewed: &IssuedToken,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let result = sqlx::query("DELETE FROM oauth_tokens WHERE digest = $1 AND kind = 'access'")
            .bind(old_digest)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        if result.rows_affected() != 1 {
            return Ok(false);
        }
        insert(&mut tx, renewed).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn user_access_tokens(&self, username: &Username) -> StoreResult<Vec<IssuedToken>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE username = $1 AND kind = 'access' \
             ORDER BY created_at DESC, digest"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(username.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        rows.iter().map(token_from_row).collect()
    }

    async fn revoke_user_token(&self, username: &Username, digest: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM oauth_tokens WHERE digest = $1 AND username = $2")
            .bind(digest)
            .bind(username.as_str())
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn revoke_consumer_tokens(&self, consumer_key: &ConsumerKey) -> StoreResult<u64> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        crate::consumers::delete_tokens(&mut conn, consumer_key).await
    }

    async fn delete_expired_tokens(&self, now: UnixTime) -> StoreResult<u64> {
        let result = sqlx::query(
            "DELETE FROM oauth_tokens WHERE expires_at <= $1 \
             AND (session_expires_at IS NULL OR session_expires_at <= $1)",
        )
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected())
    }
}

async fn insert(conn: &mut AnyConnection, token: &IssuedToken) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO oauth_tokens (digest, kind, consumer_key, secret, username, callback, \
         verifier_digest, created_at, expires_at, session_handle_digest, session_expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&token.digest)
    .bind(token.kind.as_str())
    .bind(token.consumer_key.as_str())
    .bind(&token.secret.0)
    .bind(token.username.as_ref().map(Username::as_str))
    .bind(token.callback.as_deref())
    .bind(token.verifier_digest.as_deref())
    .bind(token.created_at)
    .bind(token.expires_at)
    .bind(token.session_handle_digest.as_deref())
    .bind(token.session_expires_at)
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Reads the [`TOKEN_COLUMNS`] of a row.
fn token_from_row(row: &AnyRow) -> StoreResult<IssuedToken> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("invalid stored token {what}"));
    let kind: String = row.try_get(1).map_err(store_error)?;
    let consumer_key: String = row.try_get(2).map_err(store_error)?;
    let username: Option<String> = row.try_get(4).map_err(store_error)?;
    Ok(IssuedToken {
        digest: row.try_get(0).map_err(store_error)?,
        kind: TokenKind::parse(&kind).ok_or_else(|| corrupt("kind"))?,
        consumer_key: ConsumerKey::parse(&consumer_key).map_err(|_| corrupt("consumer key"))?,
        secret: Sealed(row.try_get(3).map_err(store_error)?),
        username: username
            .map(|name| Username::parse(&name).map_err(|_| corrupt("user")))
            .transpose()?,
        callback: row.try_get(5).map_err(store_error)?,
        verifier_digest: row.try_get(6).map_err(store_error)?,
        created_at: row.try_get(7).map_err(store_error)?,
        expires_at: row.try_get(8).map_err(store_error)?,
        session_handle_digest: row.try_get(9).map_err(store_error)?,
        session_expires_at: row.try_get(10).map_err(store_error)?,
    })
}
