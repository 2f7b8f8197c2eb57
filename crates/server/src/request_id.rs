//! A request id on every request: taken from `X-Request-Id` when a proxy set a sane one, made
//! up otherwise, echoed in the response, attached to the request's tracing span and placed in
//! every error body so that an operator can find the log lines of a failed call.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Span;

/// The header that carries the id, in and out.
pub(crate) const HEADER: &str = "x-request-id";

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being handled, or an empty string outside a request.
pub(crate) fn current() -> String {
    CURRENT.try_with(Clone::clone).unwrap_or_default()
}

/// Middleware: picks the id, runs the rest of the stack with it in scope, echoes it back.
pub(crate) async fn scope(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|value| is_sane(value))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if let Ok(value) = HeaderValue::from_str(&id) {
        request.headers_mut().insert(HEADER, value.clone());
        let mut response = CURRENT.scope(id, next.run(request)).await;
        response.headers_mut().insert(HEADER, value);
        return response;
    }
    next.run(request).await
}

/// The span of one request, named by method, matched route and id.
pub(crate) fn span_for(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |path| path.as_str());
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", method = %request.method(), route, request_id = id)
}

/// Accepts ids a proxy might set (UUIDs, hex, base64url), refusing anything that could forge a
/// log line.
fn is_sane(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}
