//! Schema migrations, embedded in the binary and applied in order.
//!
//! Each migration runs in one transaction together with the row that records it, so a
//! half-applied migration never stays behind (SQLite and PostgreSQL both run DDL inside
//! transactions). When several nodes start at once, PostgreSQL serialises them with an advisory
//! lock; SQLite serialises writers itself, and a node that loses the race finds the migration
//! recorded when it retries.

use std::time::Duration;

use applinks_core::store::StoreError;
use sqlx::{AnyConnection, Connection as _, Row};

use crate::database::{Backend, Database, store_error, unix_now};

/// Every migration, as (version, name, SQL). Versions only grow; a released one never changes.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "users_sessions_settings",
        include_str!("../migrations/0001_users_sessions_settings.sql"),
    ),
    (
        2,
        "links_consumers_tokens",
        include_str!("../migrations/0002_links_consumers_tokens.sql"),
    ),
    (
        3,
        "nonces_leases",
        include_str!("../migrations/0003_nonces_leases.sql"),
    ),
    (
        4,
        "link_pending",
        include_str!("../migrations/0004_link_pending.sql"),
    ),
    (
        5,
        "audit_events",
        include_str!("../migrations/0005_audit_events.sql"),
    ),
    (
        6,
        "outgoing_providers",
        include_str!("../migrations/0006_outgoing_providers.sql"),
    ),
    (
        7,
        "link_status",
        include_str!("../migrations/0007_link_status.sql"),
    ),
    (
        8,
        "consumer_tokens",
        include_str!("../migrations/0008_consumer_tokens.sql"),
    ),
    (
        9,
        "links_by_name",
        include_str!("../migrations/0009_links_by_name.sql"),
    ),
];

/// The PostgreSQL advisory lock key that serialises migrations across nodes ("applinks" in
/// ASCII, truncated to 63 bits).
const ADVISORY_LOCK: i64 = 0x6170_706c_696e_6b73;

/// How often a migration is retried after losing a race with another node.
const ATTEMPTS: usize = 5;

/// Applies every migration the database has not recorded yet.
pub(crate) async fn run(database: &Database) -> Result<(), StoreError> {
    let mut conn = database.pool.acquire().await.map_err(store_error)?;
    let postgres = database.backend() == Backend::Postgres;
    if postgres {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(ADVISORY_LOCK)
            .execute(&mut *conn)
            .await
            .map_err(store_error)?;
    }
    let outcome = apply_all(&mut conn).await;
    if postgres {
        // Closing the connection would release the lock too; unlocking keeps it reusable.
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(ADVISORY_LOCK)
            .execute(&mut *conn)
            .await
            .map_err(store_error)?;
    }
    outcome
}

async fn apply_all(conn: &mut AnyConnection) -> Result<(), StoreError> {
    for &(version, name, sql) in MIGRATIONS {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match apply(conn, version, name, sql).await {
                Ok(()) => break,
                Err(error) if attempt < ATTEMPTS => {
                    tracing::debug!(version, %error, "migration raced another node; retrying");
                    tokio::time::sleep(Duration::from_millis(20 * attempt as u64)).await;
                }
                Err(error) => return Err(error),
            }
        }
    }
    Ok(())
}

/// Applies one migration unless it is recorded already.
async fn apply(
    conn: &mut AnyConnection,
    version: i64,
    name: &str,
    sql: &'static str,
) -> Result<(), StoreError> {
    let mut tx = conn.begin().await.map_err(store_error)?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS applinks_schema (\
             version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *tx)
    .await
    .map_err(store_error)?;
    let recorded: i64 = sqlx::query("SELECT COUNT(*) FROM applinks_schema WHERE version = $1")
        .bind(version)
        .fetch_one(&mut *tx)
        .await
        .map_err(store_error)?
        .try_get(0)
        .map_err(store_error)?;
    if recorded > 0 {
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
