//! Schema migrations, embedded in the binary and applied in order.
//!
//! Each migration runs in one transaction together with the row that records it. When several
//! nodes start at once, one of them wins; the others' transactions fail or find the migration
//! recorded, roll back, and move on. Both SQLite and PostgreSQL run DDL inside transactions, so
//! a half-applied migration never stays behind.

use applinks_core::store::StoreError;
use sqlx::Row;

use crate::database::{Database, store_error, unix_now};

/// Every migration, as (version, name, SQL). Versions only grow; a released one never changes.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "users_sessions_settings",
    include_str!("../migrations/0001_users_sessions_settings.sql"),
)];

/// How often a migration is retried after losing a race with another node.
const ATTEMPTS: usize = 5;

/// Applies every migration the database has not recorded yet.
pub(crate) async fn run(database: &Database) -> Result<(), StoreError> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS applinks_schema (\
             version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&database.pool)
    .await
    .map_err(store_error)?;

    for &(version, name, sql) in MIGRATIONS {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match apply(database, version, name, sql).await {
                Ok(()) => break,
                Err(_) if attempt < ATTEMPTS && is_applied(&database.pool, version).await? => break,
                Err(error) if attempt < ATTEMPTS => {
                    tracing::debug!(version, %error, "migration raced another node; retrying");
                }
                Err(error) => return Err(error),
            }
        }
    }
    Ok(())
}

/// Applies one migration unless it is recorded already.
async fn apply(
    database: &Database,
    version: i64,
    name: &str,
    sql: &'static str,
) -> Result<(), StoreError> {
    let mut tx = database.pool.begin().await.map_err(store_error)?;
    if is_applied(&mut *tx, version).await? {
        return Ok(());
    }

    sqlx::raw_sql(sql)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
    sqlx::query("INSERT INTO applinks_schema (version, name, applied_at) VALUES ($1, $2, $3)")
        .bind(version)
        .bind(name)
        .bind(unix_now())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
    tx.commit().await.map_err(store_error)?;
    tracing::info!(version, name, "applied database migration");
    Ok(())
}

/// Whether `version` is recorded (by this node earlier, or by another one meanwhile).
async fn is_applied<'e, E>(executor: E, version: i64) -> Result<bool, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM applinks_schema WHERE version = $1")
        .bind(version)
        .fetch_one(executor)
        .await
        .map_err(store_error)?
        .try_get(0)
        .map_err(store_error)?;
    Ok(count > 0)
}
