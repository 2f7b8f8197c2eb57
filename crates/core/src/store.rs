//! The storage traits: what the domain needs to remember, without saying how.
//!
//! `applinks-store` implements every trait here once, over SQLite and PostgreSQL alike, and runs
//! one conformance suite against both. The futures are `Send` so that handlers can await them on
//! a multi-threaded runtime.

use std::future::Future;

use crate::clock::UnixTime;
use crate::session::Session;
use crate::user::{NewUser, User, Username};

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row with the same key already exists.
    #[error("already exists")]
    Conflict,
    /// The database could not be reached or answered with an error. The source is for logs,
    /// never for a response body.
    #[error("database unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The stored data could not be read back into the domain (a corrupted or foreign row).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

/// The result of a storage operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Server-wide settings that every node of a cluster shares: the server id, the key pair.
pub trait SettingStore {
    /// Reads a setting.
    fn setting(&self, key: &str) -> impl Future<Output = StoreResult<Option<String>>> + Send;

    /// Stores `value` under `key` unless a value is already there, and returns the value that
    /// won. Nodes starting at once all end up with the same server id this way.
    fn setting_or_insert(
        &self,
        key: &str,
        value: &str,
    ) -> impl Future<Output = StoreResult<String>> + Send;
}

/// Local users.
pub trait UserStore {
    /// Creates a user; [`StoreError::Conflict`] when the name is taken.
    fn create_user(&self, user: &NewUser) -> impl Future<Output = StoreResult<()>> + Send;

    /// Finds a user by name.
    fn user(&self, username: &Username) -> impl Future<Output = StoreResult<Option<User>>> + Send;

    /// Finds a user with their password hash, for signing in.
    fn user_with_password(
        &self,
        username: &Username,
    ) -> impl Future<Output = StoreResult<Option<(User, String)>>> + Send;

    /// Every user, ordered by name.
    fn users(&self) -> impl Future<Output = StoreResult<Vec<User>>> + Send;

    /// Replaces a user's password hash; `false` when there is no such user.
    fn set_password_hash(
        &self,
        username: &Username,
        password_hash: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// How many users exist.
    fn user_count(&self) -> impl Future<Output = StoreResult<u64>> + Send;
}

/// Sign-in sessions, keyed by the digest of the id the browser holds.
pub trait SessionStore {
    /// Stores a new session.
    fn create_session(&self, session: &Session) -> impl Future<Output = StoreResult<()>> + Send;

    /// Finds a session that is live at `now`.
    fn live_session(
        &self,
        id_digest: &str,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Option<Session>>> + Send;

    /// Ends a session; ending one that does not exist is not an error.
    fn delete_session(&self, id_digest: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// Ends every session of a user, after a password change; returns how many ended.
    fn delete_user_sessions(
        &self,
        username: &Username,
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Removes sessions that expired before `now`; returns how many.
    fn delete_expired_sessions(
        &self,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
}
