//! Incoming OAuth 1.0a requests: verification, and the layer that authenticates every signed
//! request to a protected route.
//!
//! [`verify`] runs the checks in an order that keeps the expensive one last: parameters,
//! consumer, signature method, timestamp, the failure brake, token, and only then the RSA
//! signature; the nonce is recorded once the signature holds, so forged requests cannot fill
//! the nonce store. [`authenticate`] is the layer: a request signed by a consumer (by header,
//! query or form body) is verified, the user it acts as is decided by the consumer's
//! permissions, and handlers find that user through the [`crate::caller::Caller`] extractor.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use applinks_core::consumer::{Acting, Consumer, ConsumerCredential, ConsumerKey};
use applinks_core::nonce::NonceVerdict;
use applinks_core::store::TokenStore;
use applinks_core::token::{IssuedToken, TokenKind};
use applinks_core::user::User;
use applinks_oauth1::{
    IncomingRequest, Problem, ProblemReport, ProtocolParam, SharedSecrets, SignedRequest,
    VerifyingKey, is_form_content_type,
};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::secrets::digest;
use crate::state::AppState;

/// The largest body buffered to read OAuth parameters from a form.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// What a request may do with `oauth_token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenUse {
    /// None allowed: the request-token endpoint.
    Forbidden,
    /// A request token to exchange, or an access token to renew: the access-token endpoint.
    Exchange,
    /// An access token, or none for 2-legged requests: any protected resource.
    Resource,
}

/// A request whose signature, timestamp, nonce and token all hold.
#[derive(Debug)]
pub(crate) struct Verified {
    pub(crate) consumer: Arc<Consumer>,
    pub(crate) token: Option<IssuedToken>,
    pub(crate) request: SignedRequest,
}

/// Verifies the request whose head is `parts` and whose (form) body is `body`.
pub(crate) async fn verify_parts(
    state: &AppState,
    parts: &Parts,
    body: &[u8],
    token_use: TokenUse,
) -> Result<Verified, ApiError> {
    let client = client_address(&parts.extensions);
    let request = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body,
        client: &client,
    };
    verify(state, &request, token_use).await
}

/// The parts of an HTTP request that OAuth reads.
#[derive(Debug, Clone, Copy)]
struct RequestParts<'a> {
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    headers: &'a HeaderMap,
    body: &'a [u8],
    /// The client's address, for the failure brake.
    client: &'a str,
}

/// Who a signed request acts as, for handlers.
#[derive(Debug, Clone)]
pub(crate) struct OAuthActor {
    /// The user it acts as; `None` for an anonymous 2-legged request.
    pub(crate) user: Option<User>,
}

/// An `oauth_problem` refusal.
pub(crate) fn refuse(state: &AppState, report: impl Into<ProblemReport>) -> ApiError {
    ApiError::OAuth {
        report: report.into(),
        realm: state.config().base_url_str().to_owned(),
    }
}

/// Verifies a signed request for the given use of `oauth_token`.
async fn verify(
    state: &AppState,
    parts: &RequestParts<'_>,
    token_use: TokenUse,
) -> Result<Verified, ApiError> {
    let base = &state.config().base_url;
    let path = format!("{}{}", base.path().trim_end_matches('/'), parts.path);
    let header_text = |name| {
        parts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    let request = SignedRequest::collect(&IncomingRequest {
        method: parts.method,
        scheme: base.scheme(),
        host: base.host_str().unwrap_or_default(),
        port: base.port(),
        path: &path,
        query: parts.query,
        authorization: header_text(header::AUTHORIZATION),
        content_type: header_text(header::CONTENT_TYPE),
        body: parts.body,
    })
    .map_err(|problem| refuse(state, problem))?;
    let protocol = request.protocol();
    protocol
        .require(&ProtocolParam::SIGNED)
        .map_err(|report| refuse(state, report))?;
    if token_use == TokenUse::Exchange {
        protocol
            .require(&[ProtocolParam::Token])
            .map_err(|report| refuse(state, report))?;
    }

    let consumer_key = protocol.consumer_key.as_deref().unwrap_or_default();
    let consumer = match ConsumerKey::parse(consumer_key) {
        Ok(key) => {
            state
                .recent()
                .consumer(state.database(), &key, state.now())
                .await?
        }
        Err(_) => None,
    };
    let Some(consumer) = consumer else {
        return Err(refuse(state, Problem::ConsumerKeyUnknown));
    };

    let now = state.now();
    let window = state.config().timestamp_window_secs;
    let clock = UNIX_EPOCH + Duration::from_secs(now.max(0) as u64);
    request
        .check_timestamp(clock, Duration::from_secs(window))
        .map_err(|report| refuse(state, report))?;

    // The brake comes before any RSA work, so a flood of forged signatures costs us little.
    let brake = format!("{}|{}", consumer.key, parts.client);
    if let Err(retry_after_secs) = state.throttles().signatures.check(&brake, now) {
        tracing::info!(consumer = %consumer.key, client = parts.client, "signature brake engaged");
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }

    let token = find_token(state, &consumer, protocol.token(), token_use, now).await?;
    if let Err(problem) = check_signature(state, &consumer, token.as_ref(), &request) {
        if problem == Problem::SignatureInvalid {
            state.throttles().signatures.record(&brake, now);
        }
        return Err(refuse(state, problem));
    }

    let timestamp = protocol.timestamp.unwrap_or_default();
    let nonce = protocol.nonce.as_deref().unwrap_or_default();
    let forget_after = timestamp.saturating_add(window).min(i64::MAX as u64) as i64;
    match state
        .remember_nonce(consumer.key.as_str(), timestamp, nonce, forget_after)
        .await?
    {
        NonceVerdict::Fresh => {}
        NonceVerdict::Replayed => return Err(refuse(state, Problem::NonceUsed)),
        NonceVerdict::Full => {
            tracing::warn!("the nonce store is full; refusing signed requests for now");
            return Err(ApiError::TooManyRequests {
                retry_after_secs: 60,
            });
        }
    }
    Ok(Verified {
        consumer,
        token,
        request,
    })
}

/// Finds the token a request names and checks it may be used this way by this consumer.
async fn find_token(
    state: &AppState,
    consumer: &Consumer,
    value: Option<&str>,
    token_use: TokenUse,
    now: i64,
) -> Result<Option<IssuedToken>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    if token_use == TokenUse::Forbidden {
        return Err(refuse(state, Problem::ParameterRejected));
    }
    // A token issued to another consumer is as good as unknown: consumer B can never use
    // consumer A's token.
    let token = state.database().token(&digest(value)).await?;
    let Some(token) = token.filter(|token| token.consumer_key == consumer.key) else {
        return Err(refuse(state, Problem::TokenRejected));
    };
    let usable = match (token_use, token.kind) {
        // A request token is never an access token.
        (TokenUse::Resource, TokenKind::Request) => {
            return Err(refuse(state, Problem::TokenRejected));
        }
        (TokenUse::Resource, TokenKind::Access) | (TokenUse::Exchange, TokenKind::Request) => {
            !token.is_expired(now)
        }
        // Renewal is judged by the session handle, after the signature.
        (TokenUse::Exchange, TokenKind::Access) => true,
        (TokenUse::Forbidden, _) => false,
    };
    if !usable {
        return Err(refuse(state, Problem::TokenExpired));
    }
    Ok(Some(token))
}

/// Verifies the signature with the one method the consumer's credential allows.
fn check_signature(
    state: &AppState,
    consumer: &Consumer,
    token: Option<&IssuedToken>,
    request: &SignedRequest,
) -> Result<(), Problem> {
    match &consumer.credential {
        ConsumerCredential::Rsa { public_key } => {
            let Some(key) = state.public_key(public_key) else {
                tracing::warn!(
                    consumer = %consumer.key,
                    "the consumer's stored public key is invalid"
                );
                return Err(Problem::SignatureInvalid);
            };
            request.verify(&VerifyingKey::RsaSha1(&key))
        }
        ConsumerCredential::SharedSecret(sealed) => {
            let consumer_secret = state
                .unseal(CONSUMER_SECRET, sealed)
                .ok_or(Problem::SignatureInvalid)?;
            let token_secret = match token {
                Some(token) => Some(
                    state
                        .unseal(TOKEN_SECRET, &token.secret)
                        .ok_or(Problem::SignatureInvalid)?,
                ),
                None => None,
            };
            let secrets = SharedSecrets {
                consumer_secret: &consumer_secret,
                token_secret: token_secret.as_ref(),
            };
            request.verify(&VerifyingKey::HmacSha1(secrets))
        }
    }
}

/// The purpose a consumer's shared secret is sealed under.
pub(crate) const CONSUMER_SECRET: &str = "consumer.shared_secret";
/// The purpose a token secret is sealed under.
pub(crate) const TOKEN_SECRET: &str = "token.secret";

/// The client's address as the connection reports it.
pub(crate) fn client_address(request_extensions: &axum::http::Extensions) -> String {
    request_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "local".to_owned(), |info| info.0.ip().to_string())
}

/// The layer: authenticates OAuth-signed requests, passing others through untouched.
///
/// A form body is buffered (up to 64 KiB) because its parameters are signed; other bodies
/// stream through as they came.
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(is_form_content_type);
    let (form_body, body) = if form {
        match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
            Ok(bytes) => (bytes.clone(), Body::from(bytes)),
            Err(_) => return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        }
    } else {
        (Bytes::new(), body)
    };
    if !is_signed(
        &parts.headers,
        parts.uri.query(),
        form.then_some(&form_body[..]),
    ) {
        return next.run(Request::from_parts(parts, body)).await;
    }

    match act(&state, &parts, &form_body).await {
        Ok(actor) => {
            parts.extensions.insert(actor);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(error) => error.into_response(),
    }
}

/// Verifies a resource request and decides whom it acts as.
async fn act(state: &AppState, parts: &Parts, body: &[u8]) -> Result<OAuthActor, ApiError> {
    let verified = verify_parts(state, parts, body, TokenUse::Resource).await?;
    let consumer = &verified.consumer;
    let token_user = verified
        .token
        .as_ref()
        .and_then(|token| token.username.as_ref());
    let requestor = verified.request.parameter("xoauth_requestor_id");
    let acting = consumer
        .acting_for(token_user, requestor)
        .map_err(|_| refuse(state, Problem::PermissionDenied))?;
    let user = match acting {
        Acting::Anonymous => None,
        Acting::User(username) => {
            // An unknown or disabled user is refused, never mapped to anyone else.
            let user = state
                .recent()
                .user(state.database(), &username, state.now())
                .await?;
            let Some(user) = user.filter(|user| !user.disabled) else {
                tracing::info!(
                    consumer = %consumer.key, %username,
                    "refused to act as an unknown or disabled user"
                );
                return Err(refuse(state, Problem::PermissionDenied));
            };
            Some(user)
        }
    };
    tracing::debug!(
        consumer = %consumer.key,
        user = ?user.as_ref().map(|u| u.username.as_str()),
        "OAuth request authenticated"
    );
    Ok(OAuthActor { user })
}

/// Whether a request carries OAuth protocol parameters in any transport.
fn is_signed(headers: &HeaderMap, query: Option<&str>, form: Option<&[u8]>) -> bool {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.len() >= 6 && value[..6].eq_ignore_ascii_case("oauth "));
    let has_protocol_key =
        |raw: &[u8]| url::form_urlencoded::parse(raw).any(|(name, _)| name.starts_with("oauth_"));
    header
        || query.is_some_and(|q| has_protocol_key(q.as_bytes()))
        || form.is_some_and(has_protocol_key)
}
