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

use applinks_oauth1::{PrivateKey, SignedRequest, SigningKey};

#[path = "../benches/realistic_request/mod.rs"]
mod realistic_request;

fn main() {
    let times = std::env::args()
        .nth(1)
        .map_or(Ok(1000), |text| text.parse::<usize>())
        .expect("the argument is the number of requests to collect");
    let private = PrivateKey::generate().expect("a 2048-bit key");
    let header = realistic_request::signed_header(&SigningKey::RsaSha1(&private));
    println!("{} bytes of base strings", measured(&header, times));
}

/// The loop that is counted.
#[inline(never)]
fn measured(header: &str, times: usize) -> usize {
    let mut total = 0;
    for _ in 0..times {
        let request = SignedRequest::collect(&realistic_request::incoming(black_box(header)))
            .expect("the request collects");
        total += black_box(request.base_string()).len();
    }
    total
}
