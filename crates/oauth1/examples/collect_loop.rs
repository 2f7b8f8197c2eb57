//! Collects a realistic signed request and builds its base string, a given number of times:
//! the server's OAuth work besides the RSA operation, in a loop with nothing else in it, for
//! counting instructions where timings are too noisy to compare two builds (a shared virtual
//! machine moves criterion's medians by a fifth).
//!
//! ```text
//! cargo build --release --example collect_loop -p applinks-oauth1
//! valgrind --tool=callgrind --toggle-collect='collect_loop::measured' \
//!   target/release/examples/collect_loop 1000
//! ```
//!
//! The `Collected` count divided by the argument is the instructions per request; only
//! `measured` is counted, not the key generation before it. The request is the one of
//! `benches/signatures.rs`.

use std::hint::black_box;

use applinks_oauth1::{ClientRequest, IncomingRequest, PrivateKey, SignedRequest, SigningKey};

/// A 2-legged request with impersonation as the reference products send it.
const URL: &str = "https://jira.example.com/rest/api/2/search?jql=project%20%3D%20APPLINKS%20\
    ORDER%20BY%20updated&maxResults=50&xoauth_requestor_id=alice";

fn main() {
    let times = std::env::args()
        .nth(1)
        .map_or(Ok(1000), |text| text.parse::<usize>())
        .expect("the argument is the number of requests to collect");
    let private = PrivateKey::generate().expect("a 2048-bit key");
    let header = ClientRequest {
        method: "GET",
        url: URL,
        realm: Some("https://jira.example.com"),
        consumer_key: "Confluence:7d5fa2b1-3c9e-4a52-9a27-1f0e6d2c8b44",
        token: Some(""),
        timestamp: 1_767_225_600,
        nonce: "8f14e45fceea167a5a36dedd",
        ..ClientRequest::default()
    }
    .authorization_header(&SigningKey::RsaSha1(&private))
    .expect("a signed header");
    println!("{} bytes of base strings", measured(&header, times));
}

/// The loop that is counted.
#[inline(never)]
fn measured(header: &str, times: usize) -> usize {
    let mut total = 0;
    for _ in 0..times {
        let request = SignedRequest::collect(&IncomingRequest {
            method: "GET",
            scheme: "https",
            host: "jira.example.com",
            port: None,
            path: "/rest/api/2/search",
            query: URL.split_once('?').map(|(_, query)| query),
            authorization: Some(black_box(header)),
            ..IncomingRequest::default()
        })
        .expect("the request collects");
        total += black_box(request.base_string()).len();
    }
    total
}
