//! Tokens this application issues to consumers as an OAuth service provider.
//!
//! A request token lives minutes and becomes usable once a user authorises it; the consumer
//! then exchanges it, with the verifier, for an access token that lives years and can be
//! renewed with its session handle. Token values, verifiers and session handles are stored only
//! as digests, and token secrets only sealed: a copy of the database holds nothing a consumer
//! could sign with.

use crate::clock::UnixTime;
use crate::consumer::{ConsumerKey, Sealed};
use crate::user::Username;

/// Whether a token is a request token or an access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A temporary credential, waiting for a user's approval and then an exchange.
    Request,
    /// A token credential: requests signed with it act as its user.
    Access,
}

impl TokenKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Access => "access",
        }
    }

    /// Parses a stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "request" => Some(Self::Request),
            "access" => Some(Self::Access),
            _ => None,
        }
    }
}

/// How long tokens live, in seconds. The defaults are the reference products': request tokens
/// 10 minutes, access tokens 5 years, sessions 5 years and 30 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetimes {
    /// Request tokens.
    pub request: i64,
    /// Access tokens.
    pub access: i64,
    /// The session an access token can be renewed within.
    pub session: i64,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        const DAY: i64 = 24 * 60 * 60;
        Self {
            request: 10 * 60,
            access: 5 * 365 * DAY,
            session: (5 * 365 + 30) * DAY,
        }
    }
}

/// A token this application issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The hex SHA-256 digest of the token value: the stored key, also used to name the token
    /// when a user revokes it.
    pub digest: String,
    /// Request or access token.
    pub kind: TokenKind,
    /// The consumer it was issued to.
    pub consumer_key: ConsumerKey,
    /// The token secret, sealed (used by HMAC-SHA1 consumers).
    pub secret: Sealed,
    /// The user: for a request token, the one who authorised it; for an access token, the one
    /// requests act as.
    pub username: Option<Username>,
    /// Where to send the user after approval (request tokens).
    pub callback: Option<String>,
    /// The digest of the verifier handed out on approval (request tokens).
    pub verifier_digest: Option<String>,
    /// When it was issued.
    pub created_at: UnixTime,
    /// When it stops working.
    pub expires_at: UnixTime,
    /// The digest of the session handle that renews it (access tokens).
    pub session_handle_digest: Option<String>,
    /// When renewal stops being possible (access tokens).
    pub session_expires_at: Option<UnixTime>,
}

impl IssuedToken {
    /// Whether the token has expired at `now`.
    pub fn is_expired(&self, now: UnixTime) -> bool {
        now >= self.expires_at
    }

    /// Whether the access token can still be renewed at `now`.
    pub fn can_renew(&self, now: UnixTime) -> bool {
        self.kind == TokenKind::Access && self.session_expires_at.is_some_and(|end| now < end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_lifetimes_are_the_reference_products() {
        let lifetimes = TokenLifetimes::default();
        assert_eq!(lifetimes.request, 600);
        assert_eq!(lifetimes.access, 157_680_000);
        assert_eq!(lifetimes.session - lifetimes.access, 30 * 86_400);
    }

    #[test]
    fn kinds_round_trip() {
        for kind in [TokenKind::Request, TokenKind::Access] {
            assert_eq!(TokenKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(TokenKind::parse("other"), None);
    }
}
