//! Tests of the guard with a substitute resolver, for answers the machine's DNS never gives.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::connect::Resolution;
use super::*;

/// Answers from a table; a name not in it does not exist.
struct FakeResolver {
    answers: HashMap<&'static str, Vec<IpAddr>>,
    asked: Mutex<Vec<String>>,
}

impl FakeResolver {
    fn new(answers: &[(&'static str, &[&str])]) -> Arc<Self> {
        let answers = answers
            .iter()
            .map(|(name, addresses)| {
                (
                    *name,
                    addresses.iter().map(|a| a.parse().unwrap()).collect(),
                )
            })
            .collect();
        Arc::new(Self {
            answers,
            asked: Mutex::new(Vec::new()),
        })
    }
}

impl Resolve for FakeResolver {
    fn resolve(&self, host: &str) -> Resolution {
        self.asked.lock().unwrap().push(host.to_owned());
        let answer = self.answers.get(host).cloned();
        Box::pin(async move {
            answer.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such host"))
        })
    }
}

fn client(allow: &str, resolver: Arc<FakeResolver>) -> Outbound {
    let policy = OutboundPolicy {
        allow: allow.parse().unwrap(),
        ..OutboundPolicy::default()
    };
    Outbound::with_resolver(policy, resolver).unwrap()
}

fn quick() -> RequestOptions {
    RequestOptions {
        connect_timeout: Duration::from_millis(500),
        timeout: Duration::from_secs(2),
        ..RequestOptions::default()
    }
}

/// A server on 127.0.0.1 that answers every request with `200 OK` and `hello`.
async fn hello_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0; 4096];
            let _ = socket.read(&mut buffer).await;
            let _ = socket
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
                )
                .await;
        }
    });
    port
}

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

#[tokio::test]
async fn a_name_resolving_to_a_private_address_is_denied() {
    let resolver = FakeResolver::new(&[("intranet.example", &["10.0.0.1"])]);
    let error = client("", resolver)
        .get(&url("http://intranet.example/"), &quick())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, OutboundError::Denied { host, address, range: DeniedRange::Private }
            if host == "intranet.example" && address.to_string() == "10.0.0.1"),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("intranet.example resolves to 10.0.0.1, a private-network address"),
        "{error}"
    );
}

#[tokio::test]
async fn a_name_with_one_denied_address_among_public_ones_is_denied() {
    let resolver = FakeResolver::new(&[(
        "rebind.example",
        &["93.184.215.14", "169.254.169.254", "2606:4700::1"],
    )]);
    let error = client("", resolver)
        .get(&url("https://rebind.example/"), &quick())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            OutboundError::Denied {
                range: DeniedRange::LinkLocal,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_address_checked_is_the_address_connected_to() {
    let port = hello_server().await;
    let resolver = FakeResolver::new(&[("app.test", &["127.0.0.1"])]);
    let target = url(&format!("http://app.test:{port}/"));

    let denied = client("", resolver.clone()).get(&target, &quick()).await;
    assert!(
        matches!(
            denied,
            Err(OutboundError::Denied {
                range: DeniedRange::Loopback,
                ..
            })
        ),
        "{denied:?}"
    );

    // Allowed by address, the request reaches the server at the resolved address; the
    // machine's own resolver has never heard of `app.test`.
    let response = client("127.0.0.1/32", resolver.clone())
        .get(&target, &quick())
        .await
        .unwrap();
    assert_eq!(response.body, "hello");
    assert_eq!(*resolver.asked.lock().unwrap(), ["app.test", "app.test"]);
}

#[tokio::test]
async fn an_allowed_name_skips_the_check_of_its_addresses() {
    let port = hello_server().await;
    let resolver = FakeResolver::new(&[("jira.internal", &["127.0.0.1"])]);
    let response = client("jira.internal", resolver)
        .get(&url(&format!("http://JIRA.internal:{port}/")), &quick())
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_name_is_reported_as_such() {
    let resolver = FakeResolver::new(&[("empty.example", &[])]);
    let client = client("", resolver);
    for name in ["http://missing.example/", "http://empty.example/"] {
        let error = client.get(&url(name), &quick()).await.unwrap_err();
        assert!(
            matches!(error, OutboundError::UnknownHost { .. }),
            "{error:?}"
        );
    }
}
