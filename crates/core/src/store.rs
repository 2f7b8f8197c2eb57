//! The storage traits: what the domain needs to remember, without saying how.
//!
//! `applinks-store` implements every trait here once, over SQLite and PostgreSQL alike, and runs
//! one conformance suite against both. The futures are `Send` so that handlers can await them on
//! a multi-threaded runtime.

use std::future::Future;

use crate::audit::AuditEvent;
use crate::clock::UnixTime;
use crate::consumer::{Consumer, ConsumerKey};
use crate::link::{ApplicationId, ApplicationLink, LinkStatus};
use crate::session::Session;
use crate::token::IssuedToken;
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

    /// Disables (`disabled = true`) or enables a user. The instance never loses its last enabled
    /// administrator this way: disabling them answers [`DisabledChange::LastAdministrator`] and
    /// changes nothing, even when several processes disable administrators at once. Sessions are
    /// not touched; [`SessionStore::delete_user_sessions`] ends them.
    fn set_user_disabled(
        &self,
        username: &Username,
        disabled: bool,
    ) -> impl Future<Output = StoreResult<DisabledChange>> + Send;
}

/// What [`UserStore::set_user_disabled`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisabledChange {
    /// The user's state changed as asked.
    Changed,
    /// The user was already in the asked state; nothing changed.
    Unchanged,
    /// There is no user of that name.
    NoSuchUser,
    /// The user is the last enabled administrator, who is never disabled: nobody would be left
    /// to administer the links.
    LastAdministrator,
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

    /// Records that the owner of a session typed their password again at `now` (the "secure
    /// administrator session"); confirming a session that does not exist is not an error.
    fn confirm_session(
        &self,
        id_digest: &str,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;

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

/// Application links.
pub trait LinkStore {
    /// Creates or replaces the link with `link.id`, keeping exactly one primary link per
    /// application type: a new type's first link becomes primary. Answers whether it was
    /// created (rather than updated) and the link as stored.
    fn put_link(
        &self,
        link: &ApplicationLink,
    ) -> impl Future<Output = StoreResult<(bool, ApplicationLink)>> + Send;

    /// Finds a link.
    fn link(
        &self,
        id: &ApplicationId,
    ) -> impl Future<Output = StoreResult<Option<ApplicationLink>>> + Send;

    /// Every link, by name.
    fn links(&self) -> impl Future<Output = StoreResult<Vec<ApplicationLink>>> + Send;

    /// At most `limit` links from the `offset`-th on, in the order of [`LinkStore::links`],
    /// each with the last outcome of its check, and how many links there are: one page of the
    /// administrators' list, read in two queries however many links there are.
    fn links_page(
        &self,
        offset: u64,
        limit: u64,
    ) -> impl Future<Output = StoreResult<LinksPage>> + Send;

    /// Makes a link the primary one of its type, and the previous primary an ordinary link.
    /// `false` when there is no such link.
    fn make_primary(&self, id: &ApplicationId) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Deletes a link with its consumer and every token issued to that consumer; promotes
    /// another link of the same type when the deleted one was primary. `false` when there was
    /// no such link.
    fn delete_link(&self, id: &ApplicationId) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// One page of the links, from [`LinkStore::links_page`].
#[derive(Debug, Clone, PartialEq)]
pub struct LinksPage {
    /// The page's links, each with the last outcome of its check, if it was checked.
    pub links: Vec<(ApplicationLink, Option<LinkStatus>)>,
    /// How many links there are in all.
    pub total: u64,
}

/// Incoming OAuth consumers, one per link at most.
pub trait ConsumerStore {
    /// Sets the consumer of `consumer.link_id`, replacing any previous one. When the key
    /// changes, the tokens issued under the old key are deleted. [`StoreError::Conflict`] when
    /// another link's consumer has the same key.
    fn put_consumer(&self, consumer: &Consumer) -> impl Future<Output = StoreResult<()>> + Send;

    /// Finds a consumer by key.
    fn consumer(
        &self,
        key: &ConsumerKey,
    ) -> impl Future<Output = StoreResult<Option<Consumer>>> + Send;

    /// Finds the consumer of a link.
    fn link_consumer(
        &self,
        link_id: &ApplicationId,
    ) -> impl Future<Output = StoreResult<Option<Consumer>>> + Send;

    /// Deletes a link's consumer and its tokens; `false` when it had none.
    fn delete_link_consumer(
        &self,
        link_id: &ApplicationId,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// Tokens issued to consumers.
pub trait TokenStore {
    /// Stores a newly issued token.
    fn insert_token(&self, token: &IssuedToken) -> impl Future<Output = StoreResult<()>> + Send;

    /// Finds a token by the digest of its value.
    fn token(&self, digest: &str) -> impl Future<Output = StoreResult<Option<IssuedToken>>> + Send;

    /// Marks a live, not yet authorised request token as approved by `username` with the
    /// verifier whose digest is given. `false` when the token is gone, expired or already
    /// authorised.
    fn authorise_request_token(
        &self,
        digest: &str,
        username: &Username,
        verifier_digest: &str,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Deletes a request token and returns it, exactly once: of two concurrent callers, one
    /// gets the token and the other `None`.
    fn take_request_token(
        &self,
        digest: &str,
    ) -> impl Future<Output = StoreResult<Option<IssuedToken>>> + Send;

    /// Replaces an access token by its renewal, atomically; `false` when the old one was
    /// already gone (renewed or revoked meanwhile).
    fn renew_access_token(
        &self,
        old_digest: &str,
        renewed: &IssuedToken,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// The access tokens a user has granted, newest first.
    fn user_access_tokens(
        &self,
        username: &Username,
    ) -> impl Future<Output = StoreResult<Vec<IssuedToken>>> + Send;

    /// Revokes one of a user's tokens; `false` when the user holds no such token.
    fn revoke_user_token(
        &self,
        username: &Username,
        digest: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Revokes every token issued to a consumer; returns how many.
    fn revoke_consumer_tokens(
        &self,
        consumer_key: &ConsumerKey,
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Deletes tokens that expired (and can no longer be renewed) before `now`.
    fn delete_expired_tokens(&self, now: UnixTime)
    -> impl Future<Output = StoreResult<u64>> + Send;
}

/// Leases: a named background job runs on one node of a cluster at a time.
pub trait LeaseStore {
    /// Takes or renews the lease `name` for `holder` until `now + ttl_secs`, when it is free,
    /// expired, or already `holder`'s; answers whether `holder` has it now.
    fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: UnixTime,
        ttl_secs: i64,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// The audit log.
pub trait AuditStore {
    /// Records an event.
    fn record_event(&self, event: &AuditEvent) -> impl Future<Output = StoreResult<()>> + Send;

    /// The newest events first, at most `limit`.
    fn audit_events(&self, limit: u32)
    -> impl Future<Output = StoreResult<Vec<AuditEvent>>> + Send;
}

/// Outgoing authentication configured by hand for generic applications: per link, the
/// provider's short name and its settings as JSON (secrets inside already sealed).
pub trait ProviderStore {
    /// Sets a link's configuration of one provider.
    fn put_provider(
        &self,
        link_id: &ApplicationId,
        provider: &str,
        config_json: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// A link's configured providers, as (provider, config JSON), by provider name.
    fn providers(
        &self,
        link_id: &ApplicationId,
    ) -> impl Future<Output = StoreResult<Vec<(String, String)>>> + Send;

    /// Removes a link's configuration of one provider; `false` when there was none.
    fn delete_provider(
        &self,
        link_id: &ApplicationId,
        provider: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// The last background check of each link.
pub trait StatusStore {
    /// Records the outcome of a check.
    fn put_status(
        &self,
        link_id: &ApplicationId,
        status: &LinkStatus,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The last outcome, if the link was checked.
    fn status(
        &self,
        link_id: &ApplicationId,
    ) -> impl Future<Output = StoreResult<Option<LinkStatus>>> + Send;
}

/// Access tokens this application holds at remote applications for its users, and the login
/// dances in progress that will yield them.
pub trait ConsumerTokenStore {
    /// Stores the access token of `token.username` for `token.link_id`, replacing any previous
    /// one.
    fn put_held_token(
        &self,
        token: &crate::held_token::HeldToken,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The access token a user holds for a link.
    fn held_token(
        &self,
        link_id: &ApplicationId,
        username: &Username,
    ) -> impl Future<Output = StoreResult<Option<crate::held_token::HeldToken>>> + Send;

    /// Every access token a user holds, by link id.
    fn user_held_tokens(
        &self,
        username: &Username,
    ) -> impl Future<Output = StoreResult<Vec<crate::held_token::HeldToken>>> + Send;

    /// Drops the access token a user holds for a link; `false` when there was none.
    fn delete_held_token(
        &self,
        link_id: &ApplicationId,
        username: &Username,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Remembers a dance in progress, replacing the user's earlier unfinished dance for the
    /// same link (so that abandoned dances do not pile up).
    fn start_dance(
        &self,
        dance: &crate::held_token::PendingDance,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Deletes and returns the dance of `username` for `link_id` whose request token has
    /// `token_digest`, exactly once: of two concurrent callers, one gets it and the other
    /// `None`. Another user's dance is never returned, nor deleted.
    fn take_dance(
        &self,
        token_digest: &str,
        link_id: &ApplicationId,
        username: &Username,
    ) -> impl Future<Output = StoreResult<Option<crate::held_token::PendingDance>>> + Send;

    /// Deletes dances started before `before`; returns how many.
    fn delete_stale_dances(
        &self,
        before: UnixTime,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
}
