//! [`AuditStore`] over the `audit_events` table.

use applinks_core::audit::AuditEvent;
use applinks_core::store::{AuditStore, StoreResult};
use sqlx::Row;

use crate::database::{Database, store_error};

impl AuditStore for Database {
    async fn record_event(&self, event: &AuditEvent) -> StoreResult<()> {
        // The order of events within one second comes from the wall clock's microseconds.
        let recorded_micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| {
                i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX)
            });
        sqlx::query(
            "INSERT INTO audit_events \
             (id, at, recorded_micros, actor, action, target, before_state, after_state) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(event.at)
        .bind(recorded_micros)
        .bind(&event.actor)
        .bind(&event.action)
        .bind(&event.target)
        .bind(event.before.as_deref())
        .bind(event.after.as_deref())
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn audit_events(&self, limit: u32) -> StoreResult<Vec<AuditEvent>> {
        let rows = sqlx::query(
            "SELECT at, actor, action, target, before_state, after_state FROM audit_events \
             ORDER BY recorded_micros DESC, id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(AuditEvent {
                    at: row.try_get(0).map_err(store_error)?,
                    actor: row.try_get(1).map_err(store_error)?,
                    action: row.try_get(2).map_err(store_error)?,
                    target: row.try_get(3).map_err(store_error)?,
                    before: row.try_get(4).map_err(store_error)?,
                    after: row.try_get(5).map_err(store_error)?,
                })
            })
            .collect()
    }
}
