//! [`LinkStore`] over the `links` table, with the one-primary-per-type rule.

use applinks_core::link::{ApplicationId, ApplicationLink, OAuthLevels};
use applinks_core::store::{LinkStore, LinksPage, StoreError, StoreResult};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::database::{Database, flag, store_error, unix_now};
use crate::status::{STATUS_COLUMNS, status_at};

/// The columns that make an [`ApplicationLink`], in the order [`link_from_row`] reads them.
const LINK_COLUMNS: &str = "id, name, type_id, display_url, rpc_url, is_primary, is_system, \
     outgoing_oauth, outgoing_two_lo, outgoing_two_lo_impersonation, pending";

/// How many columns [`LINK_COLUMNS`] names, where the columns of a joined table start.
const LINK_COLUMN_COUNT: usize = column_count(LINK_COLUMNS);

/// The number of comma-separated names in `columns`.
const fn column_count(columns: &str) -> usize {
    let bytes = columns.as_bytes();
    let (mut count, mut index) = (1, 0);
    while index < bytes.len() {
        if bytes[index] == b',' {
            count += 1;
        }
        index += 1;
    }
    count
}

impl LinkStore for Database {
    async fn put_link(&self, link: &ApplicationLink) -> StoreResult<(bool, ApplicationLink)> {
        let mut tx = self.begin_write().await?;
        let previous_type = type_of(&mut tx, &link.id).await?;

        // A link is primary exactly when no other link of its type is.
        let other_primaries: i64 = sqlx::query(
            "SELECT COUNT(*) FROM links WHERE type_id = $1 AND is_primary = 1 AND id <> $2",
        )
        .bind(&link.type_id)
        .bind(link.id.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(store_error)?
        .try_get(0)
        .map_err(store_error)?;
        let stored = ApplicationLink {
            is_primary: other_primaries == 0,
            ..link.clone()
        };

        sqlx::query(
            "INSERT INTO links (id, name, type_id, display_url, rpc_url, is_primary, is_system, \
             outgoing_oauth, outgoing_two_lo, outgoing_two_lo_impersonation, created_at, pending) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, type_id = excluded.type_id, \
             display_url = excluded.display_url, rpc_url = excluded.rpc_url, \
             is_primary = excluded.is_primary, is_system = excluded.is_system, \
             outgoing_oauth = excluded.outgoing_oauth, outgoing_two_lo = excluded.outgoing_two_lo, \
             outgoing_two_lo_impersonation = excluded.outgoing_two_lo_impersonation, \
             pending = excluded.pending",
        )
        .bind(stored.id.as_str())
        .bind(&stored.name)
        .bind(&stored.type_id)
        .bind(&stored.display_url)
        .bind(&stored.rpc_url)
        .bind(flag(stored.is_primary))
        .bind(flag(stored.is_system))
        .bind(flag(stored.outgoing.enabled))
        .bind(flag(stored.outgoing.two_lo_enabled))
        .bind(flag(stored.outgoing.two_lo_impersonation_enabled))
        .bind(unix_now())
        .bind(stored.pending.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;

        if let Some(previous) = previous_type.as_deref().filter(|t| *t != stored.type_id) {
            promote_primary(&mut tx, previous).await?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok((previous_type.is_none(), stored))
    }

    async fn link(&self, id: &ApplicationId) -> StoreResult<Option<ApplicationLink>> {
        let sql = format!("SELECT {LINK_COLUMNS} FROM links WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.as_ref().map(link_from_row).transpose()
    }

    async fn links(&self) -> StoreResult<Vec<ApplicationLink>> {
        let sql = format!("SELECT {LINK_COLUMNS} FROM links ORDER BY name, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        rows.iter().map(link_from_row).collect()
    }

    async fn links_page(&self, offset: u64, limit: u64) -> StoreResult<LinksPage> {
        // Both numbers are bound as SQL integers; larger ones could mean nothing anyway.
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let total: i64 = sqlx::query("SELECT COUNT(*) FROM links")
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)?
            .try_get(0)
            .map_err(store_error)?;
        // The status columns follow the link's, NULL for a link never checked.
        let sql = format!(
            "SELECT {LINK_COLUMNS}, {STATUS_COLUMNS} FROM links \
             LEFT JOIN link_status ON link_status.link_id = links.id \
             ORDER BY name, id LIMIT $1 OFFSET $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        let links = rows
            .iter()
            .map(|row| {
                let link = link_from_row(row)?;
                let checked: Option<i64> = row.try_get(LINK_COLUMN_COUNT).map_err(store_error)?;
                let status = checked
                    .map(|_| status_at(row, LINK_COLUMN_COUNT))
                    .transpose()?;
                Ok((link, status))
            })
            .collect::<StoreResult<_>>()?;
        Ok(LinksPage {
            links,
            total: u64::try_from(total).unwrap_or_default(),
        })
    }

    async fn make_primary(&self, id: &ApplicationId) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let type_id = type_of(&mut tx, id).await?;
        let Some(type_id) = type_id else {
            return Ok(false);
        };
        sqlx::query(
            "UPDATE links SET is_primary = CASE WHEN id = $1 THEN 1 ELSE 0 END WHERE type_id = $2",
        )
        .bind(id.as_str())
        .bind(&type_id)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn delete_link(&self, id: &ApplicationId) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let type_id = type_of(&mut tx, id).await?;
        let Some(type_id) = type_id else {
            return Ok(false);
        };

        crate::consumers::delete_consumer_of_link(&mut tx, id).await?;
        sqlx::query("DELETE FROM link_status WHERE link_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        sqlx::query("DELETE FROM outgoing_providers WHERE link_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        sqlx::query("DELETE FROM links WHERE id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        promote_primary(&mut tx, &type_id).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }
}

/// The type of link `id`, if it exists.
async fn type_of(conn: &mut AnyConnection, id: &ApplicationId) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT type_id FROM links WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(conn)
        .await
        .map_err(store_error)?;
    row.map(|row| row.try_get(0))
        .transpose()
        .map_err(store_error)
}

/// Makes the oldest link of `type_id` primary when none of that type is.
async fn promote_primary(conn: &mut AnyConnection, type_id: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE links SET is_primary = 1 WHERE id = (\
             SELECT id FROM links WHERE type_id = $1 ORDER BY created_at, id LIMIT 1) \
         AND NOT EXISTS (SELECT 1 FROM links WHERE type_id = $1 AND is_primary = 1)",
    )
    .bind(type_id)
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Reads the [`LINK_COLUMNS`] of a row.
fn link_from_row(row: &AnyRow) -> StoreResult<ApplicationLink> {
    let id: String = row.try_get(0).map_err(store_error)?;
    let id = ApplicationId::parse(&id)
        .map_err(|_| StoreError::Corrupt(format!("invalid stored link id {id:?}")))?;
    let flag_at = |index: usize| -> StoreResult<bool> {
        Ok(row.try_get::<i64, _>(index).map_err(store_error)? != 0)
    };
    Ok(ApplicationLink {
        id,
        name: row.try_get(1).map_err(store_error)?,
        type_id: row.try_get(2).map_err(store_error)?,
        display_url: row.try_get(3).map_err(store_error)?,
        rpc_url: row.try_get(4).map_err(store_error)?,
        is_primary: flag_at(5)?,
        is_system: flag_at(6)?,
        outgoing: OAuthLevels {
            enabled: flag_at(7)?,
            two_lo_enabled: flag_at(8)?,
            two_lo_impersonation_enabled: flag_at(9)?,
        },
        pending: row.try_get(10).map_err(store_error)?,
    })
}
