//! The consumer side of the 3-legged OAuth "login dance" (SPEC §4, §5.4): a signed-in user lets
//! this application act as them in a linked application.
//!
//! `…/login-dance/authorize?applicationLinkID=…&redirectUrl=…` asks the remote for a request
//! token, remembers it for this user, and sends the browser to the remote's approval page. The
//! remote sends the browser back to `…/login-dance/access` with the request token and a
//! verifier; we check the token is this user's pending dance (once), exchange it for an access
//! token, keep that sealed, and send the user on to the path they came from. When the remote
//! later answers that the token expired, [`renew`] exchanges it for a new one with its session
//! handle, without the user. This module is not the provider side (see [`crate::provider`]),
//! nor the use of the token ([`crate::remote`]).

use applinks_core::held_token::{HeldToken, PendingDance};
use applinks_core::link::{ApplicationId, ApplicationLink};
use applinks_core::store::{ConsumerTokenStore, LinkStore, StoreError};
use applinks_oauth1::{Secret, percent_encode};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use url::Url;

use crate::account::render;
use crate::caller::Visitor;
use crate::error::ApiError;
use crate::remote::{self, ActingError, HELD_TOKEN, OAuthCall, RemoteError};
use crate::secrets::digest;
use crate::state::AppState;

/// Where the remote sends the user back.
const ACCESS: &str = "/plugins/servlet/applinks/oauth/login-dance/access";

/// How long a dance may take, in seconds: the reference products' request token lifetime.
const DANCE_LIFETIME_SECS: i64 = 600;

/// The routes of this module (pages, for signed-in users).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(remote::DANCE_AUTHORIZE, get(authorize))
        .route(ACCESS, get(access))
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    #[serde(rename = "applicationLinkID")]
    link_id: Option<String>,
    #[serde(rename = "redirectUrl")]
    redirect_url: Option<String>,
}

#[derive(Deserialize)]
struct AccessQuery {
    #[serde(rename = "applicationLinkID")]
    link_id: Option<String>,
    oauth_token: Option<String>,
    oauth_verifier: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    app_name: &'a str,
    title: &'a str,
    message: &'a str,
    detail: Option<&'a str>,
}

/// `login-dance/authorize`: starts a dance and sends the browser to the remote's approval page.
async fn authorize(
    State(state): State<AppState>,
    Visitor(caller): Visitor,
    Query(query): Query<AuthorizeQuery>,
) -> Result<Response, ApiError> {
    let Some(link) = named_link(&state, query.link_id.as_deref()).await? else {
        return Ok(unknown_link(&state));
    };
    let return_to = match query.redirect_url.as_deref().filter(|url| !url.is_empty()) {
        None => None,
        Some(path) if is_local_path(path) => Some(path.to_owned()),
        Some(_) => {
            return Ok(message(
                &state,
                StatusCode::BAD_REQUEST,
                "Request refused",
                "redirectUrl must be a path on this server.",
            ));
        }
    };

    let endpoints = match DanceEndpoints::of(&state, &link).await? {
        Some(endpoints) => endpoints,
        None => return Ok(not_configured(&state, &link)),
    };
    let callback = format!(
        "{}{ACCESS}?applicationLinkID={}",
        state.config().base_url_str(),
        percent_encode(link.id.as_str())
    );
    let call = OAuthCall {
        method: Method::POST,
        url: &endpoints.request_token,
        consumer_key: &endpoints.consumer_key,
        token: None,
        callback: Some(&callback),
        verifier: None,
        session_handle: None,
    };
    let credentials = match token_exchange(&state, "the request token", call).await {
        Ok(credentials) => credentials,
        Err(error) => return Ok(remote_failed(&state, &link, &error)),
    };

    let dance = PendingDance {
        token_digest: digest(credentials.token.expose()),
        link_id: link.id.clone(),
        username: caller.user.username.clone(),
        secret: state.seal(HELD_TOKEN, credentials.secret.expose()),
        return_to,
        started_at: state.now(),
    };
    state.database().start_dance(&dance).await?;
    tracing::debug!(link = %link.id, username = %caller.user.username, "started a login dance");
    let mut approval = endpoints.authorize;
    approval
        .query_pairs_mut()
        .append_pair("oauth_token", credentials.token.expose());
    Ok(Redirect::to(approval.as_str()).into_response())
}

/// `login-dance/access`: the remote's callback; finishes the dance of this user.
async fn access(
    State(state): State<AppState>,
    Visitor(caller): Visitor,
    Query(query): Query<AccessQuery>,
) -> Result<Response, ApiError> {
    let Some(link) = named_link(&state, query.link_id.as_deref()).await? else {
        return Ok(unknown_link(&state));
    };
    let request_token = query.oauth_token.unwrap_or_default();
    let username = &caller.user.username;
    let dance = state
        .database()
        .take_dance(&digest(&request_token), &link.id, username)
        .await?
        .filter(|dance| dance.started_at + DANCE_LIFETIME_SECS > state.now());
    let Some(dance) = dance else {
        return Ok(message(
            &state,
            StatusCode::BAD_REQUEST,
            "Request expired",
            "This authorisation has expired or was already completed. Start again from the page \
             that sent you.",
        ));
    };
    let verifier = query.oauth_verifier.unwrap_or_default();
    if verifier.is_empty() || verifier == "denied" {
        tracing::info!(
            link = %link.id, %username,
            "access to a linked application was not granted"
        );
        let text = format!(
            "Access to {} was not granted. You can authorise it again at any time.",
            link.name
        );
        return Ok(message(&state, StatusCode::OK, "Access not granted", &text));
    }

    let Some(endpoints) = DanceEndpoints::of(&state, &link).await? else {
        return Ok(not_configured(&state, &link));
    };
    let verifier = Secret::new(verifier);
    let call = OAuthCall {
        method: Method::POST,
        url: &endpoints.access_token,
        consumer_key: &endpoints.consumer_key,
        token: Some(&request_token),
        callback: None,
        verifier: Some(&verifier),
        session_handle: None,
    };
    let credentials = match token_exchange(&state, "the access token", call).await {
        Ok(credentials) => credentials,
        Err(error) => return Ok(remote_failed(&state, &link, &error)),
    };
    let held = HeldToken {
        link_id: link.id.clone(),
        username: username.clone(),
        token: state.seal(HELD_TOKEN, credentials.token.expose()),
        secret: state.seal(HELD_TOKEN, credentials.secret.expose()),
        session_handle: credentials
            .session_handle
            .map(|handle| state.seal(HELD_TOKEN, handle.expose())),
        created_at: state.now(),
    };
    state.database().put_held_token(&held).await?;
    tracing::info!(link = %link.id, %username, "a user authorised a linked application");

    match dance.return_to {
        Some(path) => Ok(Redirect::to(&path).into_response()),
        None => {
            let text = format!(
                "{} can now act as you in {}. You can revoke this on the Linked applications page.",
                state.config().name,
                link.name
            );
            Ok(message(&state, StatusCode::OK, "Access granted", &text))
        }
    }
}

/// Renews the user's expired access token `token` (held as `held`) at the remote's access-token
/// endpoint with its session handle (the `oauth_session_handle` extension of the reference
/// products, which Yahoo first described), stores the new token in its place and returns it.
///
/// `None` when the remote refuses the renewal (the session is over, or the grant was revoked),
/// or when the link has no usable access-token URL: the caller then drops the token and asks
/// the user again. When another request renewed the same token a moment earlier, the remote
/// refuses ours as used; the token that request stored is returned instead. An unreachable
/// remote is an error, and the token is kept for the next attempt.
pub(crate) async fn renew(
    state: &AppState,
    link: &ApplicationLink,
    held: &HeldToken,
    token: &Secret,
) -> Result<Option<Secret>, ActingError> {
    let handle = held
        .session_handle
        .as_ref()
        .and_then(|sealed| state.unseal(HELD_TOKEN, sealed));
    let (Some(handle), Some(endpoints)) = (handle, DanceEndpoints::of(state, link).await?) else {
        return Ok(None);
    };
    let call = OAuthCall {
        method: Method::POST,
        url: &endpoints.access_token,
        consumer_key: &endpoints.consumer_key,
        token: Some(token.expose()),
        callback: None,
        verifier: None,
        session_handle: Some(&handle),
    };
    let username = &held.username;
    let credentials = match token_exchange(state, "the token renewal", call).await {
        Ok(credentials) => credentials,
        Err(RemoteError::Unreachable(error)) => return Err(RemoteError::Unreachable(error).into()),
        Err(error) => {
            tracing::info!(
                link = %link.id, %username, %error,
                "the linked application refused to renew a held token"
            );
            return renewed_meanwhile(state, held, token).await;
        }
    };

    let renewed = HeldToken {
        token: state.seal(HELD_TOKEN, credentials.token.expose()),
        secret: state.seal(HELD_TOKEN, credentials.secret.expose()),
        // A remote that answers without a new handle keeps the old one valid.
        session_handle: Some(
            state.seal(
                HELD_TOKEN,
                credentials
                    .session_handle
                    .as_ref()
                    .unwrap_or(&handle)
                    .expose(),
            ),
        ),
        // The user's grant goes on: it is still the authorisation they gave then.
        created_at: held.created_at,
        ..held.clone()
    };
    state.database().put_held_token(&renewed).await?;
    tracing::info!(link = %link.id, %username, "renewed a held token");
    Ok(Some(credentials.token))
}

/// The token another request stored in place of `token` for the same user and link, if any.
async fn renewed_meanwhile(
    state: &AppState,
    held: &HeldToken,
    token: &Secret,
) -> Result<Option<Secret>, ActingError> {
    let now_held = state
        .database()
        .held_token(&held.link_id, &held.username)
        .await?;
    Ok(now_held
        .and_then(|now_held| state.unseal(HELD_TOKEN, &now_held.token))
        .filter(|current| current != token))
}

/// The remote's token and approval URLs, and the consumer key we present there.
struct DanceEndpoints {
    request_token: Url,
    access_token: Url,
    authorize: Url,
    consumer_key: String,
}

impl DanceEndpoints {
    /// For a generic application, the URLs its administrator configured; for an applinks
    /// peer, the reference products' paths under its rpc URL (tokens) and display URL (the
    /// page a person sees). `None` when a configured URL is unusable.
    async fn of(state: &AppState, link: &ApplicationLink) -> Result<Option<Self>, StoreError> {
        let consumer_key = remote::outgoing_consumer_key(state, link).await?;
        let config = remote::oauth_provider_config(state, link).await?;
        let configured = |key: &str| {
            config
                .as_ref()
                .and_then(|config| config.get(key))
                .and_then(|url| Url::parse(url).ok())
        };
        let under = |base: &str, path: &str| Url::parse(base).ok().map(|b| remote::join(&b, path));
        let endpoints = (
            configured("serviceProvider.requestTokenUrl")
                .or_else(|| under(&link.rpc_url, "/plugins/servlet/oauth/request-token")),
            configured("serviceProvider.accessTokenUrl")
                .or_else(|| under(&link.rpc_url, "/plugins/servlet/oauth/access-token")),
            configured("serviceProvider.authorizeUrl")
                .or_else(|| under(&link.display_url, "/plugins/servlet/oauth/authorize")),
        );
        let (Some(request_token), Some(access_token), Some(authorize)) = endpoints else {
            return Ok(None);
        };
        Ok(Some(Self {
            request_token,
            access_token,
            authorize,
            consumer_key,
        }))
    }
}

/// The credentials a token endpoint answers with (RFC 5849 §2.1, §2.3).
struct Credentials {
    token: Secret,
    secret: Secret,
    session_handle: Option<Secret>,
}

/// Calls a token endpoint and reads its form-encoded answer.
async fn token_exchange(
    state: &AppState,
    step: &'static str,
    call: OAuthCall<'_>,
) -> Result<Credentials, RemoteError> {
    let answer = remote::send_oauth(state, step, call).await?;
    if !answer.status.is_success() {
        return Err(remote::refused(step, answer.status, &answer));
    }
    let mut token = None;
    let mut secret = None;
    let mut session_handle = None;
    for (name, value) in url::form_urlencoded::parse(&answer.body) {
        match name.as_ref() {
            "oauth_token" => token = Some(Secret::new(value)),
            "oauth_token_secret" => secret = Some(Secret::new(value)),
            "oauth_session_handle" => session_handle = Some(Secret::new(value)),
            _ => {}
        }
    }
    match (token, secret) {
        (Some(token), Some(secret)) if !token.is_empty() => Ok(Credentials {
            token,
            secret,
            session_handle,
        }),
        _ => Err(RemoteError::Unusable {
            step,
            reason: "the answer has no oauth_token and oauth_token_secret".into(),
        }),
    }
}

/// The link a query names, if it is well formed and exists.
pub(crate) async fn named_link(
    state: &AppState,
    raw: Option<&str>,
) -> Result<Option<ApplicationLink>, ApiError> {
    let Some(Ok(id)) = raw.map(ApplicationId::parse) else {
        return Ok(None);
    };
    Ok(state.database().link(&id).await?)
}

/// Whether `path` is a path on this server: browsers read `//host` and `/\host` as another
/// host, so both are refused, as are control characters.
pub(crate) fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && path.len() <= 2048
        && !path.chars().any(char::is_control)
}

fn unknown_link(state: &AppState) -> Response {
    message(
        state,
        StatusCode::NOT_FOUND,
        "Unknown application",
        "applicationLinkID does not name a linked application.",
    )
}

fn not_configured(state: &AppState, link: &ApplicationLink) -> Response {
    let text = format!(
        "The link to {} has no usable OAuth URLs. Ask an administrator to check it.",
        link.name
    );
    message(state, StatusCode::CONFLICT, "Link not configured", &text)
}

fn remote_failed(state: &AppState, link: &ApplicationLink, error: &RemoteError) -> Response {
    tracing::info!(link = %link.id, %error, "a login dance failed at the linked application");
    let text = format!(
        "{} did not complete the authorisation. Try again later, or ask an administrator to \
         check the link.",
        link.name
    );
    message(
        state,
        StatusCode::BAD_GATEWAY,
        "Authorisation failed",
        &text,
    )
}

fn message(state: &AppState, status: StatusCode, title: &str, text: &str) -> Response {
    let page = MessagePage {
        app_name: &state.config().name,
        title,
        message: text,
        detail: None,
    };
    render(status, &page)
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_paths_on_this_server_are_return_targets() {
        for fine in ["/", "/plugins/servlet/x?a=b", "/a/b#c"] {
            assert!(is_local_path(fine), "{fine}");
        }
        for foreign in [
            "",
            "https://evil.test/",
            "//evil.test/x",
            "/\\evil.test",
            "evil",
            "/a\r\nSet-Cookie: x",
        ] {
            assert!(!is_local_path(foreign), "{foreign}");
        }
    }
}
