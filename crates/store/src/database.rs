//! The connection pool and the translation of sqlx errors into [`StoreError`].

use applinks_core::store::StoreError;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};

/// Which database a [`Database`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (one node).
    Sqlite,
    /// A PostgreSQL server (one node or a cluster).
    Postgres,
}

/// The applinks database: every storage trait of `applinks-core` is implemented on it.
#[derive(Debug, Clone)]
pub struct Database {
    pub(crate) pool: AnyPool,
    backend: Backend,
}

impl Database {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) and applies pending migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Corrupt(
                "the database URL must start with sqlite: or postgres:".into(),
            ));
        };
        install_default_drivers();

        // SQLite serialises writers anyway; a small pool keeps readers concurrent in WAL mode.
        let max_connections = match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 16,
        };
        // A PostgreSQL connection can go stale (a server restart, a proxy's idle timeout), so
        // the pool checks it before handing it out; an embedded SQLite file cannot, and the
        // check would cost one more hop to its worker thread per query.
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .test_before_acquire(backend == Backend::Postgres)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(unavailable)?;

        let database = Self { pool, backend };
        if backend == Backend::Sqlite {
            database.use_write_ahead_log().await?;
        }
        crate::migrate::run(&database).await?;
        Ok(database)
    }

    /// Puts a SQLite file in WAL mode, which the file keeps: readers then never wait for the
    /// writer, nor the writer for readers, as they do with the rollback journal SQLite starts
    /// with (a page of the links list waited up to a second behind background status checks).
    /// A file system without shared memory keeps the journal; that is logged, not refused.
    async fn use_write_ahead_log(&self) -> Result<(), StoreError> {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode = WAL")
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        if !matches!(mode.to_ascii_lowercase().as_str(), "wal" | "memory") {
            tracing::warn!(%mode, "SQLite could not switch to WAL mode; readers wait for writers");
        }
        Ok(())
    }

    /// The backend this database runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a transaction that writes, and waits until no other write transaction runs: on
    /// both databases such transactions take turns, so one that reads before it writes (is
    /// there a consumer already? a primary link of this type?) acts on what the others
    /// committed, never on what they are about to change.
    ///
    /// SQLite has one writer at a time; `BEGIN IMMEDIATE` takes its write lock at once, because
    /// a deferred transaction that reads first cannot wait for a writer that commits in between
    /// and fails with "database is locked" whatever the busy timeout. On PostgreSQL, where
    /// READ COMMITTED would let two such transactions both see "none yet", a transaction-level
    /// advisory lock gives the same turn-taking across every node of a cluster. Single
    /// statements (nonces, sessions) need no turn and do not take one.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        match self.backend {
            Backend::Sqlite => self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(store_error),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await.map_err(store_error)?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK_KEY)
                    .execute(&mut *tx)
                    .await
                    .map_err(store_error)?;
                Ok(tx)
            }
        }
    }

    /// Checks that the database answers, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.pool.execute("SELECT 1").await.map_err(unavailable)?;
        Ok(())
    }

    /// Closes every connection, waiting for queries in flight.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The PostgreSQL advisory lock key that write transactions take turns on ("applinkw" in
/// ASCII), apart from the migrations' key.
const WRITE_LOCK_KEY: i64 = 0x6170_706c_696e_6b77;

/// Maps a sqlx error to the domain's error, keeping the cause for logs.
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_) => StoreError::Corrupt(error.to_string()),
        _ => unavailable(error),
    }
}

/// Wraps an error that means the database cannot serve.
pub(crate) fn unavailable(error: sqlx::Error) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

/// Stores a flag as the portable 0/1 integer.
pub(crate) fn flag(value: bool) -> i64 {
    i64::from(value)
}

/// The wall-clock time for bookkeeping columns that operators read (when a migration ran, when a
/// user was created). Domain times such as expiry come from the injected clock instead.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}
