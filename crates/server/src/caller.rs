//! Who is making a request: an OAuth-signed request (authenticated by the layer in
//! [`crate::signed`]), a signed-in browser session, or HTTP Basic credentials.
//!
//! Handlers take a [`Caller`] (REST: answers 401 when nobody is signed in) or a [`Visitor`]
//! (pages: redirects to the sign-in page and back).

use applinks_core::session::Session;
use applinks_core::store::UserStore;
use applinks_core::user::{User, Username};
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;

use crate::error::ApiError;
use crate::password;
use crate::secrets::digest;
use crate::signed::OAuthActor;
use crate::state::AppState;

/// The cookie holding the session id.
pub(crate) const SESSION_COOKIE: &str = "applinks_session";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The user the request acts as.
    pub(crate) user: User,
    /// The browser session, when the caller came with one.
    pub(crate) session: Option<Session>,
    /// How the caller proved who they are.
    pub(crate) via: Via,
}

/// How a caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    /// A request signed by an OAuth consumer.
    OAuth,
    /// A browser session cookie.
    Session,
    /// HTTP Basic credentials.
    Basic,
}

impl Caller {
    /// Allows an administrative change: the caller is an administrator and, when their
    /// credentials ride along automatically (a session cookie, or Basic credentials a browser
    /// remembers), the request carries `X-Atlassian-Token: no-check` or the session's CSRF
    /// token in `X-CSRF-Token`. Browsers cannot send either header cross-site without the
    /// server's consent, so a forged form or link cannot make the change.
    pub(crate) fn authorise_admin_change(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        self.authorise_admin_read()?;
        self.check_xsrf(headers)
    }

    /// Allows reading administrative data.
    pub(crate) fn authorise_admin_read(&self) -> Result<(), ApiError> {
        if self.user.is_admin {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// The XSRF rule of [`Caller::authorise_admin_change`], for a change any signed-in user
    /// may make to their own things.
    pub(crate) fn check_xsrf(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        if self.via == Via::OAuth {
            return Ok(());
        }
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        let no_check =
            header("x-atlassian-token").is_some_and(|value| value.eq_ignore_ascii_case("no-check"));
        let token = match (&self.session, header("x-csrf-token")) {
            (Some(session), Some(token)) => crate::csrf::token_matches(session, token),
            _ => false,
        };
        if no_check || token {
            Ok(())
        } else {
            Err(ApiError::CrossSite)
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(actor) = parts.extensions.get::<OAuthActor>() {
            // The layer verified the signature; an anonymous 2-legged request is nobody.
            return match &actor.user {
                Some(user) => Ok(Self {
                    user: user.clone(),
                    session: None,
                    via: Via::OAuth,
                }),
                None => Err(ApiError::Unauthenticated),
            };
        }
        if let Some(caller) = from_session(&parts.headers, state).await? {
            return Ok(caller);
        }
        if let Some((username, password)) = basic_credentials(&parts.headers) {
            let user = authenticate_password(state, &username, password).await?;
            return Ok(Self {
                user,
                session: None,
                via: Via::Basic,
            });
        }
        Err(ApiError::Unauthenticated)
    }
}

/// A signed-in person on a page; anyone else is sent to `/login` and brought back after.
#[derive(Debug, Clone)]
pub(crate) struct Visitor(pub(crate) Caller);

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match from_session(&parts.headers, state).await {
            Ok(Some(caller)) => Ok(Self(caller)),
            Ok(None) => {
                let here = parts
                    .extensions
                    .get::<OriginalUri>()
                    .map_or_else(|| parts.uri.to_string(), |uri| uri.0.to_string());
                let next =
                    url::form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>();
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
            Err(error) => Err(error.into_response()),
        }
    }
}

/// Checks a user name and password, with throttling; the same answer for every kind of
/// failure, so that callers cannot tell which names exist.
pub(crate) async fn authenticate_password(
    state: &AppState,
    username: &str,
    password: String,
) -> Result<User, ApiError> {
    let now = state.now();
    state
        .throttles()
        .sign_in
        .check(username, now)
        .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })?;

    let found = match Username::parse(username) {
        Ok(name) => state.database().user_with_password(&name).await?,
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let verified = password::verify(password, hash).await;
    match user {
        Some(user) if verified && !user.disabled => {
            state.throttles().sign_in.clear(username);
            Ok(user)
        }
        _ => {
            state.throttles().sign_in.record(username, now);
            tracing::debug!(username, "password authentication failed");
            Err(ApiError::Unauthenticated)
        }
    }
}

/// The caller of a live session cookie, if the request has one.
async fn from_session(headers: &HeaderMap, state: &AppState) -> Result<Option<Caller>, ApiError> {
    let Some(session_id) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    // Both through the one-second cache: this node forgets a session it ends or changes at
    // once, and one ended elsewhere (another node, `applinks user`) stops within a second.
    let (database, recent, now) = (state.database(), state.recent(), state.now());
    let Some(session) = recent
        .live_session(database, &digest(session_id), now)
        .await?
    else {
        return Ok(None);
    };
    match recent.user(database, &session.username, now).await? {
        Some(user) if !user.disabled => Ok(Some(Caller {
            user,
            session: Some(session),
            via: Via::Session,
        })),
        _ => Ok(None),
    }
}

/// The value of cookie `name`, if the request carries it.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The user name and password of an `Authorization: Basic` header, if well formed.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (username, password) = decoded.split_once(':')?;
    Some((username.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; applinks_session=xyz"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn basic_credentials_parse_and_refuse_garbage() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic YWxpY2U6cHc6eA=="),
        );
        assert_eq!(
            basic_credentials(&headers),
            Some(("alice".into(), "pw:x".into()))
        );
        for bad in ["Basic !!!", "Bearer abc", "Basic", "Basic YWxpY2U="] {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(bad));
            assert_eq!(basic_credentials(&headers), None, "{bad}");
        }
    }
}
