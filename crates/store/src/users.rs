//! [`UserStore`] over the `users` table.

use applinks_core::store::{DisabledChange, StoreError, StoreResult, UserStore};
use applinks_core::user::{NewUser, User, Username};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::database::{Database, flag, store_error, unix_now};

/// The columns that make a [`User`], in the order [`user_from_row`] reads them.
const USER_COLUMNS: &str = "username, display_name, email, is_admin, disabled";

impl UserStore for Database {
    async fn create_user(&self, user: &NewUser) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO users \
             (username, display_name, email, password_hash, is_admin, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6)",
        )
        .bind(user.username.as_str())
        .bind(&user.display_name)
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(flag(user.is_admin))
        .bind(unix_now())
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn user(&self, username: &Username) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(username.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_with_password(&self, username: &Username) -> StoreResult<Option<(User, String)>> {
        let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(username.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        let Some(row) = row else { return Ok(None) };
        let hash: String = row.try_get(5).map_err(store_error)?;
        Ok(Some((user_from_row(&row)?, hash)))
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        rows.iter().map(user_from_row).collect()
    }

    async fn set_password_hash(
        &self,
        username: &Username,
        password_hash: &str,
    ) -> StoreResult<bool> {
        let result = sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
            .bind(password_hash)
            .bind(username.as_str())
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected() > 0)
    }

    async fn user_count(&self) -> StoreResult<u64> {
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)?
            .try_get(0)
            .map_err(store_error)?;
        Ok(count.max(0) as u64)
    }

    async fn set_user_disabled(
        &self,
        username: &Username,
        disabled: bool,
    ) -> StoreResult<DisabledChange> {
        let mut tx = self.begin_write().await?;

        // Locking the enabled administrators first makes two processes that disable two of them
        // at once take turns, so the second sees the first's change instead of each counting the
        // other as still enabled. Being a write, it also takes SQLite's write lock up front.
        sqlx::query("UPDATE users SET disabled = disabled WHERE is_admin = 1 AND disabled = 0")
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;

        let row = sqlx::query("SELECT is_admin, disabled FROM users WHERE username = $1")
            .bind(username.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_error)?;
        let Some(row) = row else {
            return Ok(DisabledChange::NoSuchUser);
        };
        let is_admin = row.try_get::<i64, _>(0).map_err(store_error)? != 0;
        let was_disabled = row.try_get::<i64, _>(1).map_err(store_error)? != 0;
        if was_disabled == disabled {
            return Ok(DisabledChange::Unchanged);
        }
        if disabled && is_admin && enabled_admins_besides(&mut tx, username).await? == 0 {
            return Ok(DisabledChange::LastAdministrator);
        }

        sqlx::query("UPDATE users SET disabled = $1 WHERE username = $2")
            .bind(flag(disabled))
            .bind(username.as_str())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(DisabledChange::Changed)
    }
}

/// How many enabled administrators there are other than `username`.
async fn enabled_admins_besides(
    connection: &mut AnyConnection,
    username: &Username,
) -> StoreResult<i64> {
    sqlx::query("SELECT COUNT(*) FROM users WHERE is_admin = 1 AND disabled = 0 AND username <> $1")
        .bind(username.as_str())
        .fetch_one(connection)
        .await
        .map_err(store_error)?
        .try_get(0)
        .map_err(store_error)
}

/// Reads the [`USER_COLUMNS`] of a row.
fn user_from_row(row: &AnyRow) -> StoreResult<User> {
    let username: String = row.try_get(0).map_err(store_error)?;
    let username = Username::parse(&username)
        .map_err(|_| StoreError::Corrupt(format!("invalid stored user name {username:?}")))?;
    Ok(User {
        username,
        display_name: row.try_get(1).map_err(store_error)?,
        email: row.try_get(2).map_err(store_error)?,
        is_admin: row.try_get::<i64, _>(3).map_err(store_error)? != 0,
        disabled: row.try_get::<i64, _>(4).map_err(store_error)? != 0,
    })
}
