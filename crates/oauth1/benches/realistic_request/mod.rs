//! The realistic request the benchmark and `examples/collect_loop.rs` measure.

use applinks_oauth1::{ClientRequest, IncomingRequest, SigningKey};

/// A 2-legged request with impersonation as the reference products send it: the query carries
/// `xoauth_requestor_id`, the header the protocol parameters with an empty token.
pub(crate) const URL: &str = "https://jira.example.com/rest/api/2/search?\
    jql=project%20%3D%20APPLINKS%20ORDER%20BY%20updated&maxResults=50&xoauth_requestor_id=alice";

/// The request's `Authorization` header, signed with `key` at a fixed time and nonce.
pub(crate) fn signed_header(key: &SigningKey<'_>) -> String {
    ClientRequest {
        method: "GET",
        url: URL,
        realm: Some("https://jira.example.com"),
        consumer_key: "Confluence:7d5fa2b1-3c9e-4a52-9a27-1f0e6d2c8b44",
        token: Some(""),
        timestamp: 1_767_225_600,
        nonce: "8f14e45fceea167a5a36dedd",
        ..ClientRequest::default()
    }
    .authorization_header(key)
    .unwrap()
}

/// The request as the server receives it, with `header`.
pub(crate) fn incoming(header: &str) -> IncomingRequest<'_> {
    IncomingRequest {
        method: "GET",
        scheme: "https",
        host: "jira.example.com",
        port: None,
        path: "/rest/api/2/search",
        query: URL.split_once('?').map(|(_, query)| query),
        authorization: Some(header),
        ..IncomingRequest::default()
    }
}
