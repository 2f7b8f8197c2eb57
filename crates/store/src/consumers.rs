//! [`ConsumerStore`] over the `consumers` table.

use applinks_core::consumer::{Consumer, ConsumerCredential, ConsumerKey, Sealed};
use applinks_core::link::ApplicationId;
use applinks_core::store::{ConsumerStore, StoreError, StoreResult};
use applinks_core::user::Username;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::database::{Database, flag, store_error};

/// The columns that make a [`Consumer`], in the order [`consumer_from_row`] reads them.
const CONSUMER_COLUMNS: &str = "consumer_key, link_id, name, description, public_key, \
    shared_secret, callback, three_lo_allowed, two_lo_allowed, two_lo_execute_as, \
    two_lo_impersonation_allowed";

impl ConsumerStore for Database {
    async fn put_consumer(&self, consumer: &Consumer) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let previous = find(&mut tx, "link_id", consumer.link_id.as_str()).await?;
        let (public_key, shared_secret) = match &consumer.credential {
            ConsumerCredential::Rsa { public_key } => (Some(public_key.as_str()), None),
            ConsumerCredential::SharedSecret(sealed) => (None, Some(sealed.0.as_str())),
        };
        // The same key is updated in place so that its tokens stay; a new key replaces the
        // row, and the old key's tokens go with it.
        let sql = match previous {
            Some(previous) if previous.key == consumer.key => {
                "UPDATE consumers SET link_id = $2, name = $3, description = $4, public_key = $5, \
                 shared_secret = $6, callback = $7, three_lo_allowed = $8, two_lo_allowed = $9, \
                 two_lo_execute_as = $10, two_lo_impersonation_allowed = $11 \
                 WHERE consumer_key = $1"
            }
            previous => {
                if previous.is_some() {
                    delete_consumer_of_link(&mut tx, &consumer.link_id).await?;
                }
                "INSERT INTO consumers (consumer_key, link_id, name, description, public_key, \
                 shared_secret, callback, three_lo_allowed, two_lo_allowed, two_lo_execute_as, \
                 two_lo_impersonation_allowed) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            }
        };
        sqlx::query(sql)
            .bind(consumer.key.as_str())
            .bind(consumer.link_id.as_str())
            .bind(&consumer.name)
            .bind(&consumer.description)
            .bind(public_key)
            .bind(shared_secret)
            .bind(consumer.callback.as_deref())
            .bind(flag(consumer.three_lo_allowed))
            .bind(flag(consumer.two_lo_allowed))
            .bind(consumer.two_lo_execute_as.as_ref().map(Username::as_str))
            .bind(flag(consumer.two_lo_impersonation_allowed))
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn consumer(&self, key: &ConsumerKey) -> StoreResult<Option<Consumer>> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        find(&mut conn, "consumer_key", key.as_str()).await
    }

    async fn link_consumer(&self, link_id: &ApplicationId) -> StoreResult<Option<Consumer>> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        find(&mut conn, "link_id", link_id.as_str()).await
    }

    async fn delete_link_consumer(&self, link_id: &ApplicationId) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let deleted = delete_consumer_of_link(&mut tx, link_id).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(deleted)
    }
}

/// Deletes a link's consumer and its tokens inside the caller's transaction.
pub(crate) async fn delete_consumer_of_link(
    conn: &mut AnyConnection,
    link_id: &ApplicationId,
) -> StoreResult<bool> {
    let Some(consumer) = find(conn, "link_id", link_id.as_str()).await? else {
        return Ok(false);
    };
    delete_tokens(conn, &consumer.key).await?;
    sqlx::query("DELETE FROM consumers WHERE link_id = $1")
        .bind(link_id.as_str())
        .execute(&mut *conn)
        .await
        .map_err(store_error)?;
    Ok(true)
}

/// Deletes every token of a consumer; returns how many.
pub(crate) async fn delete_tokens(conn: &mut AnyConnection, key: &ConsumerKey) -> StoreResult<u64> {
    let result = sqlx::query("DELETE FROM oauth_tokens WHERE consumer_key = $1")
        .bind(key.as_str())
        .execute(conn)
        .await
        .map_err(store_error)?;
    Ok(result.rows_affected())
}

/// Finds the consumer whose `column` (a fixed column name, never input) equals `value`.
async fn find(
    conn: &mut AnyConnection,
    column: &str,
    value: &str,
) -> StoreResult<Option<Consumer>> {
    let sql = format!("SELECT {CONSUMER_COLUMNS} FROM consumers WHERE {column} = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_optional(conn)
        .await
        .map_err(store_error)?;
    row.as_ref().map(consumer_from_row).transpose()
}

/// Reads the [`CONSUMER_COLUMNS`] of a row.
fn consumer_from_row(row: &AnyRow) -> StoreResult<Consumer> {
    let text = |index: usize| -> StoreResult<String> { row.try_get(index).map_err(store_error) };
    let optional =
        |index: usize| -> StoreResult<Option<String>> { row.try_get(index).map_err(store_error) };
    let flag_at = |index: usize| -> StoreResult<bool> {
        Ok(row.try_get::<i64, _>(index).map_err(store_error)? != 0)
    };
    let corrupt = |what: &str| StoreError::Corrupt(format!("invalid stored consumer {what}"));

    let key = ConsumerKey::parse(&text(0)?).map_err(|_| corrupt("key"))?;
    let link_id = ApplicationId::parse(&text(1)?).map_err(|_| corrupt("link id"))?;
    let credential = match (optional(4)?, optional(5)?) {
        (Some(public_key), None) => ConsumerCredential::Rsa { public_key },
        (None, Some(sealed)) => ConsumerCredential::SharedSecret(Sealed(sealed)),
        _ => return Err(corrupt("credential")),
    };
    let two_lo_execute_as = optional(9)?
        .map(|name| Username::parse(&name).map_err(|_| corrupt("execute-as user")))
        .transpose()?;
    Ok(Consumer {
        key,
        link_id,
        name: text(2)?,
        description: text(3)?,
        credential,
        callback: optional(6)?,
        three_lo_allowed: flag_at(7)?,
        two_lo_allowed: flag_at(8)?,
        two_lo_execute_as,
        two_lo_impersonation_allowed: flag_at(10)?,
    })
}
