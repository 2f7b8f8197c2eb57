//! Tokens this application holds as an OAuth consumer: per user and link, the access token a
//! remote application issued after the user allowed it (the 3-legged "login dance"), and the
//! request tokens of dances still in progress.
//!
//! This is the mirror of [`crate::token`], which holds what this application issues. A held
//! token must be sent back to the remote, so it cannot be kept as a digest: its value, secret
//! and session handle are stored sealed. Pending dances are found by the digest of their
//! request token, which the remote echoes back in the callback.

use crate::clock::UnixTime;
use crate::consumer::Sealed;
use crate::link::ApplicationId;
use crate::user::Username;

/// An access token a remote application issued to us for one of our users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldToken {
    /// The link to the remote application.
    pub link_id: ApplicationId,
    /// Our user the token acts as over there.
    pub username: Username,
    /// The token value, sealed.
    pub token: Sealed,
    /// The token secret, sealed.
    pub secret: Sealed,
    /// The session handle for renewal, sealed, when the remote gave one.
    pub session_handle: Option<Sealed>,
    /// When the user allowed it; renewing the token keeps this time.
    pub created_at: UnixTime,
}

/// A login dance in progress: we asked the remote for a request token on behalf of a user and
/// sent them to approve it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDance {
    /// The digest of the request token the remote issued.
    pub token_digest: String,
    /// The link the dance is for.
    pub link_id: ApplicationId,
    /// The user who started it; only they may finish it.
    pub username: Username,
    /// The request token secret, sealed.
    pub secret: Sealed,
    /// Where to send the user once the dance is done: a path on this server.
    pub return_to: Option<String>,
    /// When the dance started.
    pub started_at: UnixTime,
}
