//! [`StatusStore`] over the `link_status` table.

use applinks_core::link::{ApplicationId, LinkStatus};
use applinks_core::store::{StatusStore, StoreResult};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::database::{Database, flag, store_error};

impl StatusStore for Database {
    async fn put_status(&self, link_id: &ApplicationId, status: &LinkStatus) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO link_status \
             (link_id, checked_at, working, error_category, error_type, details) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (link_id) DO UPDATE SET checked_at = excluded.checked_at, \
             working = excluded.working, error_category = excluded.error_category, \
             error_type = excluded.error_type, details = excluded.details",
        )
        .bind(link_id.as_str())
        .bind(status.checked_at)
        .bind(flag(status.working))
        .bind(status.error_category.as_deref())
        .bind(status.error_type.as_deref())
        .bind(status.details.as_deref())
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn status(&self, link_id: &ApplicationId) -> StoreResult<Option<LinkStatus>> {
        let sql = format!("SELECT {STATUS_COLUMNS} FROM link_status WHERE link_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(link_id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.as_ref().map(|row| status_at(row, 0)).transpose()
    }
}

/// The columns of [`status_at`], unqualified.
pub(crate) const STATUS_COLUMNS: &str = "checked_at, working, error_category, error_type, details";

/// Reads a status from [`STATUS_COLUMNS`] at `first` and the four columns after it.
pub(crate) fn status_at(row: &AnyRow, first: usize) -> StoreResult<LinkStatus> {
    Ok(LinkStatus {
        checked_at: row.try_get(first).map_err(store_error)?,
        working: row.try_get::<i64, _>(first + 1).map_err(store_error)? != 0,
        error_category: row.try_get(first + 2).map_err(store_error)?,
        error_type: row.try_get(first + 3).map_err(store_error)?,
        details: row.try_get(first + 4).map_err(store_error)?,
    })
}
