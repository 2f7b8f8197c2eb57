//! [`ConsumerTokenStore`] over the `consumer_tokens` and `consumer_request_tokens` tables.

use applinks_core::clock::UnixTime;
use applinks_core::consumer::Sealed;
use applinks_core::held_token::{HeldToken, PendingDance};
use applinks_core::link::ApplicationId;
use applinks_core::store::{ConsumerTokenStore, StoreError, StoreResult};
use applinks_core::user::Username;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::database::{Database, store_error};

/// The columns that make a [`HeldToken`], in the order [`held_from_row`] reads them.
const HELD_COLUMNS: &str =
    "link_id, username, token_sealed, secret_sealed, session_handle_sealed, created_at";

/// The columns that make a [`PendingDance`], in the order [`dance_from_row`] reads them.
const DANCE_COLUMNS: &str = "token_digest, link_id, username, secret_sealed, return_to, created_at";

impl ConsumerTokenStore for Database {
    async fn put_held_token(&self, token: &HeldToken) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO consumer_tokens \
             (link_id, username, token_sealed, secret_sealed, session_handle_sealed, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (link_id, username) DO UPDATE SET token_sealed = excluded.token_sealed, \
             secret_sealed = excluded.secret_sealed, \
             session_handle_sealed = excluded.session_handle_sealed, \
             created_at = excluded.created_at",
        )
        .bind(token.link_id.as_str())
        .bind(token.username.as_str())
        .bind(&token.token.0)
        .bind(&token.secret.0)
        .bind(
            token
                .session_handle
                .as_ref()
                .map(|sealed| sealed.0.as_str()),
        )
        .bind(token.created_at)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn held_token(
        &self,
        link_id: &ApplicationId,
        username: &Username,
    ) -> StoreResult<Option<HeldToken>> {
        let sql = format!(
            "SELECT {HELD_COLUMNS} FROM consumer_tokens WHERE link_id = $1 AND username = $2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(link_id.as_str())
            .bind(username.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.as_ref().map(held_from_row).transpose()
    }

    async fn user_held_tokens(&self, username: &Username) -> StoreResult<Vec<HeldToken>> {
        let sql = format!(
            "SELECT {HELD_COLUMNS} FROM consumer_tokens WHERE username = $1 ORDER BY link_id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(username.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        rows.iter().map(held_from_row).collect()
    }

    async fn delete_held_token(
        &self,
        link_id: &ApplicationId,
        username: &Username,
    ) -> StoreResult<bool> {
        let result =
            sqlx::query("DELETE FROM consumer_tokens WHERE link_id = $1 AND username = $2")
                .bind(link_id.as_str())
                .bind(username.as_str())
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn start_dance(&self, dance: &PendingDance) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM consumer_request_tokens WHERE link_id = $1 AND username = $2")
            .bind(dance.link_id.as_str())
            .bind(dance.username.as_str())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        sqlx::query(
            "INSERT INTO consumer_request_tokens \
             (token_digest, link_id, username, secret_sealed, return_to, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&dance.token_digest)
        .bind(dance.link_id.as_str())
        .bind(dance.username.as_str())
        .bind(&dance.secret.0)
        .bind(dance.return_to.as_deref())
        .bind(dance.started_at)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn take_dance(
        &self,
        token_digest: &str,
        link_id: &ApplicationId,
        username: &Username,
    ) -> StoreResult<Option<PendingDance>> {
        let sql = format!(
            "SELECT {DANCE_COLUMNS} FROM consumer_request_tokens \
             WHERE token_digest = $1 AND link_id = $2 AND username = $3"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_digest)
            .bind(link_id.as_str())
            .bind(username.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        let Some(dance) = row.as_ref().map(dance_from_row).transpose()? else {
            return Ok(None);
        };
        // Whoever deletes the row owns the dance; a concurrent caller deletes nothing.
        let result = sqlx::query(
            "DELETE FROM consumer_request_tokens \
             WHERE token_digest = $1 AND link_id = $2 AND username = $3",
        )
        .bind(token_digest)
        .bind(link_id.as_str())
        .bind(username.as_str())
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok((result.rows_affected() == 1).then_some(dance))
    }

    async fn delete_stale_dances(&self, before: UnixTime) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM consumer_request_tokens WHERE created_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected())
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("invalid stored consumer token {what}"))
}

fn ids_from_row(row: &AnyRow, link: usize, user: usize) -> StoreResult<(ApplicationId, Username)> {
    let link_id: String = row.try_get(link).map_err(store_error)?;
    let username: String = row.try_get(user).map_err(store_error)?;
    Ok((
        ApplicationId::parse(&link_id).map_err(|_| corrupt("link"))?,
        Username::parse(&username).map_err(|_| corrupt("user"))?,
    ))
}

/// Reads the [`HELD_COLUMNS`] of a row.
fn held_from_row(row: &AnyRow) -> StoreResult<HeldToken> {
    let (link_id, username) = ids_from_row(row, 0, 1)?;
    let handle: Option<String> = row.try_get(4).map_err(store_error)?;
    Ok(HeldToken {
        link_id,
        username,
        token: Sealed(row.try_get(2).map_err(store_error)?),
        secret: Sealed(row.try_get(3).map_err(store_error)?),
        session_handle: handle.map(Sealed),
        created_at: row.try_get(5).map_err(store_error)?,
    })
}

/// Reads the [`DANCE_COLUMNS`] of a row.
fn dance_from_row(row: &AnyRow) -> StoreResult<PendingDance> {
    let (link_id, username) = ids_from_row(row, 1, 2)?;
    Ok(PendingDance {
        token_digest: row.try_get(0).map_err(store_error)?,
        link_id,
        username,
        secret: Sealed(row.try_get(3).map_err(store_error)?),
        return_to: row.try_get(4).map_err(store_error)?,
        started_at: row.try_get(5).map_err(store_error)?,
    })
}
