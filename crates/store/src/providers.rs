//! [`ProviderStore`] over the `outgoing_providers` table.

use applinks_core::link::ApplicationId;
use applinks_core::store::{ProviderStore, StoreResult};
use sqlx::Row;

use crate::database::{Database, store_error};

impl ProviderStore for Database {
    async fn put_provider(
        &self,
        link_id: &ApplicationId,
        provider: &str,
        config_json: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO outgoing_providers (link_id, provider, config) VALUES ($1, $2, $3) \
             ON CONFLICT (link_id, provider) DO UPDATE SET config = excluded.config",
        )
        .bind(link_id.as_str())
        .bind(provider)
        .bind(config_json)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn providers(&self, link_id: &ApplicationId) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT provider, config FROM outgoing_providers WHERE link_id = $1 ORDER BY provider",
        )
        .bind(link_id.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get(0).map_err(store_error)?,
                    row.try_get(1).map_err(store_error)?,
                ))
            })
            .collect()
    }

    async fn delete_provider(&self, link_id: &ApplicationId, provider: &str) -> StoreResult<bool> {
        let result =
            sqlx::query("DELETE FROM outgoing_providers WHERE link_id = $1 AND provider = $2")
                .bind(link_id.as_str())
                .bind(provider)
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }
}
