//! The proxy's answers streaming from a linked application on loopback: a large answer arrives
//! whole, one past the size cap is cut short, and one that stalls ends at the deadline. Each
//! test reads the body as the user's client would, so a complete-looking answer fails it.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::json;
use support::{ADMIN_PASSWORD, Harness, basic};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tower::ServiceExt as _;

const LINK_ID: &str = "5a0b4c1e-0000-4000-8000-0000000bea15";
const MIB: usize = 1024 * 1024;

/// How the fake linked application answers every request.
#[derive(Clone, Copy)]
enum Remote {
    /// `length` bytes with a `Content-Length`.
    Sized { length: usize },
    /// `length` bytes in chunks of 64 KiB, without a `Content-Length`.
    Chunked { length: usize },
    /// Announces `length` bytes, sends the first kilobyte, then waits a minute.
    Stalls { length: usize },
}

/// The byte at `index` of every answer, so that a reordered or lost chunk changes the digest.
fn byte_at(index: usize) -> u8 {
    (index.wrapping_mul(31) ^ (index >> 11)) as u8
}

fn body_of(length: usize) -> Vec<u8> {
    (0..length).map(byte_at).collect()
}

/// Serves `remote` on 127.0.0.1 and returns its address.
async fn start(remote: Remote) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let _ = answer(&mut stream, remote).await;
            });
        }
    });
    address
}

async fn answer(stream: &mut tokio::net::TcpStream, remote: Remote) -> std::io::Result<()> {
    let ok = "HTTP/1.1 200 OK\r\nContent-Type: application/x-test\r\nConnection: close\r\n";
    match remote {
        Remote::Sized { length } => {
            let head = format!("{ok}Content-Length: {length}\r\n\r\n");
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body_of(length)).await?;
        }
        Remote::Chunked { length } => {
            let head = format!("{ok}Transfer-Encoding: chunked\r\n\r\n");
            stream.write_all(head.as_bytes()).await?;
            let body = body_of(length);
            for chunk in body.chunks(64 * 1024) {
                stream
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
                stream.write_all(chunk).await?;
                stream.write_all(b"\r\n").await?;
            }
            stream.write_all(b"0\r\n\r\n").await?;
        }
        Remote::Stalls { length } => {
            let head = format!("{ok}Content-Length: {length}\r\n\r\n");
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body_of(1024)).await?;
            stream.flush().await?;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    }
    stream.shutdown().await
}

/// A harness with a 2-legged link to `remote`, and limits `max_bytes` and `timeout`.
async fn linked_to(remote: Remote, max_bytes: usize, timeout: Duration) -> Harness {
    let address = start(remote).await;
    let harness = Harness::with_config(|config| {
        config.proxy_limits.max_response_bytes = max_bytes;
        config.proxy_limits.timeout = timeout;
    })
    .await;
    let path = format!("/rest/applinks/1.0/applicationlink/{LINK_ID}");
    let url = format!("http://{address}");
    let link = json!({"name": "Reports", "typeId": "generic", "displayUrl": url, "rpcUrl": url});
    let put = harness.admin_json("PUT", &path, link).await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);
    let levels = json!({"outgoing": {
        "enabled": false, "twoLoEnabled": true, "twoLoImpersonationEnabled": false,
    }});
    let path = format!("/rest/applinks/3.0/status/{LINK_ID}/oauth");
    let set = harness.admin_json("PUT", &path, levels).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    harness
}

/// `GET` through the proxy as the administrator: the answer's head, and its body as the
/// client reads it, or the error that cut it.
async fn through_proxy(
    harness: &Harness,
) -> (axum::http::response::Parts, Result<Vec<u8>, String>) {
    let request = Request::get(format!(
        "/plugins/servlet/applinks/proxy?appId={LINK_ID}&path=%2Freport"
    ))
    .header(header::AUTHORIZATION, basic("admin", ADMIN_PASSWORD))
    .body(Body::empty())
    .unwrap();
    let response = harness.app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    // A stalled body that the deadline failed to end would hang here; the outer limit turns
    // that into a failure.
    let read = tokio::time::timeout(Duration::from_secs(30), body.collect())
        .await
        .expect("the body ends");
    let body = read
        .map(|collected| collected.to_bytes().to_vec())
        .map_err(|error| format!("{error:?}"));
    (parts, body)
}

#[tokio::test]
async fn a_large_answer_under_the_cap_arrives_whole() {
    for remote in [
        Remote::Sized { length: 4 * MIB },
        Remote::Chunked { length: 4 * MIB },
    ] {
        let harness = linked_to(remote, 8 * MIB, Duration::from_secs(30)).await;
        let (head, body) = through_proxy(&harness).await;
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(head.headers[header::CONTENT_TYPE], "application/x-test");
        if let Remote::Sized { length } = remote {
            assert_eq!(head.headers[header::CONTENT_LENGTH], length.to_string());
        }
        let body = body.expect("a complete body");
        assert_eq!(body.len(), 4 * MIB);
        let expected = openssl::sha::sha256(&body_of(4 * MIB));
        assert_eq!(openssl::sha::sha256(&body), expected);
    }
}

#[tokio::test]
async fn an_answer_past_the_cap_is_cut_short() {
    let harness = linked_to(
        Remote::Chunked { length: 3 * MIB },
        MIB,
        Duration::from_secs(30),
    )
    .await;
    let (head, body) = through_proxy(&harness).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.headers.get(header::CONTENT_LENGTH).is_none());
    let error = body.expect_err("the body is cut, not complete");
    assert!(error.contains("TooLarge"), "{error}");

    // An answer that announces its size past the cap is refused before any of it is sent.
    let harness = linked_to(
        Remote::Sized { length: 3 * MIB },
        MIB,
        Duration::from_secs(30),
    )
    .await;
    let (head, _) = through_proxy(&harness).await;
    assert_eq!(head.status, StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn an_answer_that_stalls_ends_at_the_deadline() {
    let remote = Remote::Stalls { length: 64 * 1024 };
    let harness = linked_to(remote, MIB, Duration::from_secs(1)).await;
    let (head, body) = through_proxy(&harness).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.headers[header::CONTENT_LENGTH], "65536");
    let error = body.expect_err("the body is cut at the deadline");
    assert!(error.contains("Timeout"), "{error}");
}

#[tokio::test]
async fn a_change_to_the_link_reaches_the_next_proxied_request_at_once() {
    let harness = linked_to(Remote::Sized { length: 10 }, MIB, Duration::from_secs(30)).await;
    let (parts, body) = through_proxy(&harness).await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(body.unwrap(), body_of(10));

    // The proxy reads links through a one-second cache; this node's own change clears it, so
    // the very next request goes to the new address, and after the removal nowhere.
    let elsewhere = format!("http://{}", start(Remote::Sized { length: 20 }).await);
    let path = format!("/rest/applinks/1.0/applicationlink/{LINK_ID}");
    let moved = json!({
        "name": "Reports", "typeId": "generic", "displayUrl": elsewhere, "rpcUrl": elsewhere,
    });
    let put = harness.admin_json("PUT", &path, moved).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let (parts, body) = through_proxy(&harness).await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(body.unwrap(), body_of(20));

    let removed = harness.admin_json("DELETE", &path, json!({})).await;
    assert!(removed.status.is_success(), "{}", removed.body);
    let (parts, _) = through_proxy(&harness).await;
    assert_eq!(parts.status, StatusCode::NOT_FOUND);
}
