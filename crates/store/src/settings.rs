//! [`SettingStore`] over the `settings` table.

use applinks_core::store::{SettingStore, StoreResult};
use sqlx::Row;

use crate::database::{Database, store_error};

impl SettingStore for Database {
    async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.map(|row| row.try_get(0).map_err(store_error))
            .transpose()
    }

    async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String> {
        // `ON CONFLICT DO NOTHING` is understood by SQLite (3.24+) and PostgreSQL alike, and
        // makes concurrent first starts agree on one value.
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        self.setting(key).await?.ok_or_else(|| {
            applinks_core::store::StoreError::Corrupt(format!(
                "setting {key} vanished after insert"
            ))
        })
    }
}
