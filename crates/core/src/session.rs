//! Sign-in sessions of people using the web UI.
//!
//! The browser holds a random session id; the store keeps only its digest, so a copy of the
//! database does not let anyone take over a session. Each session carries its own CSRF token
//! and the time its owner last confirmed their password (the "secure administrator session").

use crate::clock::UnixTime;
use crate::user::Username;

/// How long a sign-in lasts when nobody signs out: 14 days.
pub const DEFAULT_SESSION_LIFETIME_SECS: i64 = 14 * 24 * 60 * 60;

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The digest of the session id the browser holds (hex SHA-256).
    pub id_digest: String,
    /// Who signed in.
    pub username: Username,
    /// The token every state-changing form of this session must carry.
    pub csrf_token: String,
    /// When the session began.
    pub created_at: UnixTime,
    /// When the session stops being valid.
    pub expires_at: UnixTime,
    /// When the user last typed their password in this session.
    pub confirmed_at: UnixTime,
}

impl Session {
    /// Whether the session is still valid at `now`.
    pub fn is_live(&self, now: UnixTime) -> bool {
        now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_at_its_expiry() {
        let session = Session {
            id_digest: "d".into(),
            username: Username::parse("alice").unwrap(),
            csrf_token: "t".into(),
            created_at: 100,
            expires_at: 200,
            confirmed_at: 100,
        };
        assert!(session.is_live(199));
        assert!(!session.is_live(200));
    }
}
