//! A request id on every request: taken from `X-Request-Id` when a proxy set a sane one, made
//! up otherwise, echoed in the response, attached to the request's tracing span and placed in
//! every error body so that an operator can find the log lines of a failed call.

use std::cell::Cell;

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

thread_local! {
    /// This thread's id source: a random half drawn once, and a counter for the other half.
    static SOURCE: Cell<(u64, u64)> = Cell::new((random_half(), 0));
}

/// A new UUID (version 4 in form) for a request that came without an id.
///
/// Drawing 122 random bits per request costs a system call, a tenth of what an unsigned
/// request costs in all (`docs/performance.md`). Ids only need to be unique, not secret: each
/// thread draws one random half once and fills the other 62 bits with a scrambled counter, so
/// no two ids of a thread repeat and threads or restarts collide only if their random halves
/// do.
fn fresh_id() -> String {
    let (high, count) = SOURCE.with(|source| {
        let (high, count) = source.get();
        source.set((high, count.wrapping_add(1)));
        (high, count)
    });
    let mut bytes = [0; 16];
    bytes[..8].copy_from_slice(&high.to_be_bytes());
    bytes[8..].copy_from_slice(&scramble(count).to_be_bytes());
    // Sets the version bits (in the random half) and the variant bits (the two the scramble
    // leaves clear).
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

fn random_half() -> u64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    u64::from_be_bytes(bytes[..8].try_into().expect("eight bytes"))
}

/// A bijection on the numbers below 2^62 (odd multipliers and xor-shifts, modulo 2^62), so
/// distinct counts give distinct values whose top two bits are clear.
fn scramble(count: u64) -> u64 {
    const MASK: u64 = (1 << 62) - 1;
    let mut z = count.wrapping_mul(0x9e37_79b9_7f4a_7c15) & MASK;
    z ^= z >> 29;
    z = z.wrapping_mul(0xbf58_476d_1ce4_e5b9) & MASK;
    z ^ (z >> 32)
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
        .unwrap_or_else(fresh_id);
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn made_up_ids_are_version_4_uuids_and_never_repeat() {
        let ids: Vec<String> = (0..10_000).map(|_| fresh_id()).collect();
        let other_thread: Vec<String> =
            std::thread::spawn(|| (0..10_000).map(|_| fresh_id()).collect())
                .join()
                .unwrap();
        let distinct: HashSet<&String> = ids.iter().chain(&other_thread).collect();
        assert_eq!(distinct.len(), 20_000);
        for id in ids.iter().chain(&other_thread) {
            let uuid = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(uuid.get_version_num(), 4, "{id}");
            assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122, "{id}");
            assert!(is_sane(id));
        }
    }

    #[test]
    fn the_scramble_keeps_distinct_counts_apart_below_the_variant_bits() {
        let values: HashSet<u64> = (0..100_000).map(scramble).collect();
        assert_eq!(values.len(), 100_000);
        let top = [0, 1, u64::MAX >> 2, (1 << 61) + 12_345];
        assert!(top.iter().all(|&count| scramble(count) >> 62 == 0));
    }
}
