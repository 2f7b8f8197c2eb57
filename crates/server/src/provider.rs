//! The OAuth 1.0a service provider: request tokens, the approval page, access tokens.
//!
//! A consumer asks for a request token (signed, with a callback), sends the user to
//! `authorize`, where a signed-in user allows or denies it, and exchanges the authorised
//! request token and its verifier for an access token, which it later renews with the session
//! handle. Request tokens and verifiers work once; callbacks must lead back to the consumer.

use applinks_core::consumer::Consumer;
use applinks_core::store::{ConsumerStore, LinkStore, TokenStore};
use applinks_core::token::{IssuedToken, TokenKind};
use applinks_oauth1::{Problem, ProtocolParam, percent_encode};
use askama::Template;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use crate::account::render;
use crate::caller::Visitor;
use crate::csrf;
use crate::error::ApiError;
use crate::secrets::digest;
use crate::signed::{self, TOKEN_SECRET, TokenUse, Verified, refuse};
use crate::state::AppState;

/// The largest body a token endpoint reads.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/plugins/servlet/oauth/request-token",
            get(request_token).post(request_token),
        )
        .route(
            "/plugins/servlet/oauth/authorize",
            get(authorize_page).post(authorize),
        )
        .route(
            "/plugins/servlet/oauth/access-token",
            get(access_token).post(access_token),
        )
}

#[derive(Template)]
#[template(path = "authorize.html")]
struct AuthorizePage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    consumer_name: &'a str,
    consumer_description: &'a str,
    link_url: &'a str,
    oauth_token: &'a str,
    csrf_token: &'a str,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    app_name: &'a str,
    title: &'a str,
    message: &'a str,
    detail: Option<&'a str>,
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    oauth_token: Option<String>,
}

#[derive(Deserialize)]
struct AuthorizeForm {
    oauth_token: String,
    csrf_token: String,
    decision: String,
}

/// `request-token`: issues a request token to a consumer allowed to use 3-legged OAuth.
async fn request_token(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let verified = verify_token_call(&state, request, TokenUse::Forbidden).await?;
    let protocol = verified.request.protocol();
    protocol
        .require(&[ProtocolParam::Callback])
        .map_err(|report| refuse(&state, report))?;
    let consumer = &verified.consumer;
    if !consumer.three_lo_allowed {
        return Err(refuse(&state, Problem::PermissionDenied));
    }
    let callback = protocol.callback.clone().unwrap_or_default();
    if !callback_allowed(&state, consumer, &callback).await? {
        tracing::info!(consumer = %consumer.key, "refused a callback to a foreign host");
        return Err(refuse(&state, Problem::ParameterRejected));
    }

    let now = state.now();
    let (value, secret) = (state.random_token(24), state.random_token(24));
    let token = IssuedToken {
        digest: digest(&value),
        kind: TokenKind::Request,
        consumer_key: consumer.key.clone(),
        secret: state.seal(TOKEN_SECRET, &secret),
        username: None,
        callback: (callback != "oob").then_some(callback),
        verifier_digest: None,
        created_at: now,
        expires_at: now + state.config().token_lifetimes.request,
        session_handle_digest: None,
        session_expires_at: None,
    };
    state.database().insert_token(&token).await?;
    tracing::debug!(consumer = %consumer.key, "issued a request token");
    Ok(form_answer(&[
        ("oauth_token", &value),
        ("oauth_token_secret", &secret),
        ("oauth_callback_confirmed", "true"),
    ]))
}

/// `authorize` (GET): the approval page, for signed-in users only.
async fn authorize_page(
    State(state): State<AppState>,
    Visitor(caller): Visitor,
    Query(query): Query<AuthorizeQuery>,
) -> Result<Response, ApiError> {
    let Some(value) = query.oauth_token.filter(|value| !value.is_empty()) else {
        return Ok(message(
            &state,
            StatusCode::BAD_REQUEST,
            "Missing request",
            "This page needs an oauth_token.",
            None,
        ));
    };
    let Some((token, consumer)) = pending_request(&state, &value).await? else {
        return Ok(expired(&state));
    };
    let link = state.database().link(&consumer.link_id).await?;
    let session = caller.session.as_ref().ok_or(ApiError::Unauthenticated)?;
    let page = AuthorizePage {
        app_name: &state.config().name,
        display_name: &caller.user.display_name,
        consumer_name: &consumer.name,
        consumer_description: &consumer.description,
        link_url: link.as_ref().map_or("", |link| link.display_url.as_str()),
        oauth_token: &value,
        csrf_token: &session.csrf_token,
    };
    debug_assert_eq!(token.kind, TokenKind::Request);
    Ok(render(StatusCode::OK, &page))
}

/// `authorize` (POST): the user's decision. Allow sends them to the callback with the
/// verifier; Deny withdraws the request token.
async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    Visitor(caller): Visitor,
    Form(form): Form<AuthorizeForm>,
) -> Result<Response, ApiError> {
    let session = caller.session.as_ref().ok_or(ApiError::Unauthenticated)?;
    if !csrf::same_origin(&headers, state.config())
        || !csrf::token_matches(session, &form.csrf_token)
    {
        return Ok(message(
            &state,
            StatusCode::FORBIDDEN,
            "Request refused",
            "The form has expired. Go back and reload the page.",
            None,
        ));
    }
    let Some((token, consumer)) = pending_request(&state, &form.oauth_token).await? else {
        return Ok(expired(&state));
    };

    if form.decision != "allow" {
        state.database().take_request_token(&token.digest).await?;
        tracing::info!(
            consumer = %consumer.key, username = %caller.user.username,
            "access denied by the user"
        );
        // The reference products send the user back with the verifier `denied`, so the
        // consumer learns of the refusal instead of waiting; the token is gone either way.
        if let Some(callback) = &token.callback {
            return Ok(
                Redirect::to(&callback_target(callback, &form.oauth_token, "denied"))
                    .into_response(),
            );
        }
        let text = format!("{} will not have access to your account.", consumer.name);
        return Ok(message(
            &state,
            StatusCode::OK,
            "Access denied",
            &text,
            None,
        ));
    }

    let verifier = state.random_token(16);
    let authorised = state
        .database()
        .authorise_request_token(
            &token.digest,
            &caller.user.username,
            &digest(&verifier),
            state.now(),
        )
        .await?;
    if !authorised {
        return Ok(expired(&state));
    }
    tracing::info!(
        consumer = %consumer.key, username = %caller.user.username,
        "access allowed by the user"
    );
    match &token.callback {
        Some(callback) => {
            Ok(
                Redirect::to(&callback_target(callback, &form.oauth_token, &verifier))
                    .into_response(),
            )
        }
        None => {
            let text = format!("Give this code to {} to finish:", consumer.name);
            Ok(message(
                &state,
                StatusCode::OK,
                "Access allowed",
                &text,
                Some(&verifier),
            ))
        }
    }
}

/// `access-token`: exchanges an authorised request token and its verifier, or renews an
/// access token with its session handle.
async fn access_token(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let verified = verify_token_call(&state, request, TokenUse::Exchange).await?;
    let token = verified
        .token
        .ok_or_else(|| refuse(&state, Problem::ParameterAbsent))?;
    let protocol = verified.request.protocol();
    let now = state.now();

    let (username, old_access) = match token.kind {
        TokenKind::Request => {
            protocol
                .require(&[ProtocolParam::Verifier])
                .map_err(|report| refuse(&state, report))?;
            // Taken before the verifier is compared: a wrong guess burns the token, so a
            // verifier cannot be guessed over many tries, and a right one works only once.
            let Some(taken) = state.database().take_request_token(&token.digest).await? else {
                return Err(refuse(&state, Problem::TokenUsed));
            };
            let verifier = protocol
                .verifier
                .as_ref()
                .map(|v| digest(v.expose()))
                .unwrap_or_default();
            let expected = taken.verifier_digest.as_deref().unwrap_or_default();
            let (Some(username), true) = (taken.username, digests_match(expected, &verifier))
            else {
                return Err(refuse(&state, Problem::TokenRejected));
            };
            (username, None)
        }
        TokenKind::Access => {
            let handle = protocol.session_handle.as_ref().map(|h| digest(h.expose()));
            let expected = token.session_handle_digest.as_deref().unwrap_or_default();
            let Some(handle) = handle else {
                return Err(refuse(
                    &state,
                    applinks_oauth1::ProblemReport::parameters_absent(["oauth_session_handle"]),
                ));
            };
            if !digests_match(expected, &handle) {
                return Err(refuse(&state, Problem::TokenRejected));
            }
            if !token.can_renew(now) {
                return Err(refuse(&state, Problem::TokenExpired));
            }
            let username = token
                .username
                .clone()
                .ok_or_else(|| refuse(&state, Problem::TokenRejected))?;
            (username, Some(token.digest.clone()))
        }
    };

    let lifetimes = state.config().token_lifetimes;
    let (value, secret, handle) = (
        state.random_token(24),
        state.random_token(24),
        state.random_token(24),
    );
    let access = IssuedToken {
        digest: digest(&value),
        kind: TokenKind::Access,
        consumer_key: verified.consumer.key.clone(),
        secret: state.seal(TOKEN_SECRET, &secret),
        username: Some(username.clone()),
        callback: None,
        verifier_digest: None,
        created_at: now,
        expires_at: now + lifetimes.access,
        session_handle_digest: Some(digest(&handle)),
        session_expires_at: Some(now + lifetimes.session),
    };
    match old_access {
        Some(old) => {
            if !state.database().renew_access_token(&old, &access).await? {
                return Err(refuse(&state, Problem::TokenUsed));
            }
            tracing::info!(consumer = %verified.consumer.key, %username, "renewed an access token");
        }
        None => {
            state.database().insert_token(&access).await?;
            tracing::info!(consumer = %verified.consumer.key, %username, "issued an access token");
        }
    }
    Ok(form_answer(&[
        ("oauth_token", &value),
        ("oauth_token_secret", &secret),
        ("oauth_expires_in", &lifetimes.access.to_string()),
        ("oauth_session_handle", &handle),
        (
            "oauth_authorization_expires_in",
            &lifetimes.session.to_string(),
        ),
    ]))
}

/// The callback URL with the request token and the verifier added to its query.
fn callback_target(callback: &str, token: &str, verifier: &str) -> String {
    let separator = if callback.contains('?') { '&' } else { '?' };
    format!(
        "{callback}{separator}oauth_token={}&oauth_verifier={}",
        percent_encode(token),
        percent_encode(verifier)
    )
}

/// Verifies a call to a token endpoint, after the per-client brake that comes before any
/// signature work.
async fn verify_token_call(
    state: &AppState,
    request: Request,
    token_use: TokenUse,
) -> Result<Verified, ApiError> {
    let (parts, body) = request.into_parts();
    state
        .throttles()
        .token_endpoints
        .admit(&signed::client_address(&parts.extensions), state.now())
        .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })?;
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::bad_request("the request body is over 64 KiB"))?;
    signed::verify_parts(state, &parts, &body, token_use).await
}

/// A live, not yet authorised request token and its consumer.
async fn pending_request(
    state: &AppState,
    value: &str,
) -> Result<Option<(IssuedToken, Consumer)>, ApiError> {
    let token = state.database().token(&digest(value)).await?;
    let Some(token) = token.filter(|t| {
        t.kind == TokenKind::Request && t.username.is_none() && !t.is_expired(state.now())
    }) else {
        return Ok(None);
    };
    let consumer = state.database().consumer(&token.consumer_key).await?;
    Ok(consumer.map(|consumer| (token, consumer)))
}

/// Whether a callback leads back to the consumer: `oob`, or the same origin as the
/// consumer's registered callback or its link's URLs (and, for a link, under its path).
async fn callback_allowed(
    state: &AppState,
    consumer: &Consumer,
    callback: &str,
) -> Result<bool, ApiError> {
    if callback == "oob" {
        return Ok(true);
    }
    let Ok(target) = url::Url::parse(callback) else {
        return Ok(false);
    };
    if !matches!(target.scheme(), "http" | "https") || target.host().is_none() {
        return Ok(false);
    }
    let mut allowed: Vec<String> = consumer.callback.iter().cloned().collect();
    if let Some(link) = state.database().link(&consumer.link_id).await? {
        allowed.push(link.display_url);
        allowed.push(link.rpc_url);
    }
    Ok(allowed.iter().any(|base| leads_under(&target, base)))
}

/// Whether `target` has the origin of `base` and a path at or under `base`'s path.
fn leads_under(target: &url::Url, base: &str) -> bool {
    let Ok(base) = url::Url::parse(base) else {
        return false;
    };
    let prefix = base.path().trim_end_matches('/');
    let path = target.path();
    target.origin() == base.origin()
        && (prefix.is_empty() || path == prefix || path.starts_with(&format!("{prefix}/")))
}

/// Compares two hex digests in constant time.
fn digests_match(expected: &str, given: &str) -> bool {
    !expected.is_empty()
        && expected.len() == given.len()
        && openssl::memcmp::eq(expected.as_bytes(), given.as_bytes())
}

/// A token endpoint's answer: form-encoded parameters in a `text/plain` body, as the reference
/// products send it.
fn form_answer(pairs: &[(&str, &str)]) -> Response {
    let body = pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    (
        [
            (header::CONTENT_TYPE, "text/plain;charset=UTF-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn expired(state: &AppState) -> Response {
    message(
        state,
        StatusCode::BAD_REQUEST,
        "Request expired",
        "This authorisation request has expired or was already answered. Start again from the \
         application that sent you here.",
        None,
    )
}

fn message(
    state: &AppState,
    status: StatusCode,
    title: &str,
    text: &str,
    detail: Option<&str>,
) -> Response {
    let page = MessagePage {
        app_name: &state.config().name,
        title,
        message: text,
        detail,
    };
    render(status, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_must_stay_under_the_registered_origin_and_path() {
        let target = |raw: &str| url::Url::parse(raw).unwrap();
        let base = "https://jira.example.com/jira";
        assert!(leads_under(
            &target("https://jira.example.com/jira/plugins/servlet/x"),
            base
        ));
        assert!(leads_under(&target("https://jira.example.com/jira"), base));
        for foreign in [
            "https://jira.example.com/jirafake/x",
            "https://jira.example.com.evil.test/jira/x",
            "http://jira.example.com/jira/x",
            "https://jira.example.com:8443/jira/x",
            "https://evil.test/jira/x",
        ] {
            assert!(!leads_under(&target(foreign), base), "{foreign}");
        }
        assert!(leads_under(
            &target("https://x.test/any/path"),
            "https://x.test"
        ));
    }

    #[test]
    fn digests_compare_only_when_present_and_equal() {
        assert!(digests_match("ab", "ab"));
        assert!(!digests_match("ab", "ac"));
        assert!(!digests_match("", ""));
        assert!(!digests_match("ab", "abc"));
    }
}
