//! The guarded outgoing client against real servers on loopback: every SSRF defence, the limits,
//! TLS failures and the manifest probe. Each test fails if the defence it names is removed.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use applinks_core::manifest::{ApplicationType, ManifestParseError};
use applinks_server::outbound::{
    AllowList, DeniedRange, ManifestFetchError, Outbound, OutboundError, OutboundPolicy, Redirects,
    RequestOptions, USER_AGENT,
};
use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::header::HeaderMap;
use hyper::{Method, StatusCode};
use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::ssl::{Ssl, SslAcceptor, SslMethod};
use openssl::x509::extension::SubjectAlternativeName;
use openssl::x509::{X509, X509NameBuilder};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

/// A one-shot-per-connection HTTP server that records what it was asked.
struct TestServer {
    address: SocketAddr,
    connections: Arc<AtomicUsize>,
    heads: Arc<std::sync::Mutex<Vec<String>>>,
}

impl TestServer {
    /// Serves on `bind` (port 0 for any), answering each request with `respond(head)`.
    async fn start(bind: &str, respond: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind(bind).await.unwrap();
        Self::serve(listener, None, respond)
    }

    /// Serves HTTPS with `identity` on 127.0.0.1.
    async fn start_tls(
        identity: &Identity,
        respond: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static,
    ) -> Self {
        let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
        acceptor.set_private_key(&identity.key).unwrap();
        acceptor.set_certificate(&identity.certificate).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, Some(acceptor.build()), respond)
    }

    fn serve(
        listener: TcpListener,
        tls: Option<SslAcceptor>,
        respond: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static,
    ) -> Self {
        let address = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(std::sync::Mutex::new(Vec::new()));
        let respond = Arc::new(respond);
        let (counter, log) = (connections.clone(), heads.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let (respond, log, tls) = (respond.clone(), log.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        None => answer(socket, &*respond, &log).await,
                        Some(acceptor) => {
                            let ssl = Ssl::new(acceptor.context()).unwrap();
                            let mut stream = tokio_openssl::SslStream::new(ssl, socket).unwrap();
                            if Pin::new(&mut stream).accept().await.is_ok() {
                                answer(stream, &*respond, &log).await;
                            }
                        }
                    }
                });
            }
        });
        Self {
            address,
            connections,
            heads,
        }
    }

    fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{}{path}", self.address)).unwrap()
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

async fn answer(
    mut socket: impl AsyncRead + AsyncWrite + Unpin,
    respond: &(dyn Fn(&str) -> Vec<u8> + Send + Sync),
    log: &std::sync::Mutex<Vec<String>>,
) {
    let mut head = Vec::new();
    let mut buffer = [0; 4096];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let answer = respond(&head);
    log.lock().unwrap().push(head);
    let _ = socket.write_all(&answer).await;
    let _ = socket.shutdown().await;
}

fn http(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut answer = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in headers {
        answer.push_str(&format!("{name}: {value}\r\n"));
    }
    answer.push_str("connection: close\r\n\r\n");
    let mut answer = answer.into_bytes();
    answer.extend_from_slice(body);
    answer
}

fn ok(body: &'static str) -> impl Fn(&str) -> Vec<u8> + Send + Sync + 'static {
    move |_| http("200 OK", &[], body.as_bytes())
}

fn client(allow: &str) -> Outbound {
    Outbound::new(OutboundPolicy {
        allow: allow.parse().unwrap(),
        ..OutboundPolicy::default()
    })
    .unwrap()
}

/// Short limits, so that a removed defence fails the test quickly instead of hanging it.
fn quick() -> RequestOptions {
    RequestOptions {
        connect_timeout: Duration::from_millis(500),
        timeout: Duration::from_secs(3),
        ..RequestOptions::default()
    }
}

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

#[track_caller]
fn assert_denied(
    result: Result<applinks_server::outbound::Response, OutboundError>,
    range: DeniedRange,
) {
    match result {
        Err(OutboundError::Denied { range: found, .. }) if found == range => {}
        other => panic!("expected a refusal of a {range} address, got {other:?}"),
    }
}

#[tokio::test]
async fn loopback_literals_are_denied_in_every_spelling() {
    let server = TestServer::start("127.0.0.1:0", ok("secret")).await;
    let port = server.address.port();
    let outbound = client("");
    for target in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://0x7f000001:{port}/"),
        format!("http://017700000001:{port}/"),
        format!("http://0x7f.0.0.1:{port}/"),
        format!("http://127.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://[::ffff:7f00:1]:{port}/"),
        format!("https://127.0.0.1:{port}/"),
    ] {
        let result = outbound.get(&url(&target), &quick()).await;
        assert_denied(result, DeniedRange::Loopback);
    }
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn localhost_is_denied_after_resolution() {
    let server = TestServer::start("127.0.0.1:0", ok("secret")).await;
    let target = url(&format!("http://localhost:{}/", server.address.port()));
    assert_denied(
        client("").get(&target, &quick()).await,
        DeniedRange::Loopback,
    );
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn private_metadata_and_unspecified_addresses_are_denied() {
    let outbound = client("");
    for (target, range) in [
        (
            "http://169.254.169.254/latest/meta-data/",
            DeniedRange::LinkLocal,
        ),
        ("http://10.0.0.1/", DeniedRange::Private),
        ("http://192.168.1.1/", DeniedRange::Private),
        ("http://172.16.0.1/", DeniedRange::Private),
        ("http://100.64.0.1/", DeniedRange::SharedAddressSpace),
        ("http://0.0.0.0/", DeniedRange::Unspecified),
        ("http://0/", DeniedRange::Unspecified),
        ("http://[::]/", DeniedRange::Unspecified),
        ("http://[::1]/", DeniedRange::Loopback),
        ("http://[fe80::1]/", DeniedRange::LinkLocal),
        ("http://[fd00::1]/", DeniedRange::Private),
        ("http://[::ffff:169.254.169.254]/", DeniedRange::LinkLocal),
    ] {
        assert_denied(outbound.get(&url(target), &quick()).await, range);
    }
}

#[tokio::test]
async fn the_refusal_names_the_address_and_the_way_out() {
    let error = client("")
        .get(&url("http://169.254.169.254/"), &quick())
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("169.254.169.254"), "{message}");
    assert!(message.contains("link-local"), "{message}");
    assert!(message.contains("--outbound-allow"), "{message}");
}

#[tokio::test]
async fn allowed_networks_and_names_are_reached() {
    let server = TestServer::start("127.0.0.1:0", ok("hello")).await;
    let port = server.address.port();

    let by_network = client("127.0.0.1/32")
        .get(&server.url("/"), &quick())
        .await
        .unwrap();
    assert_eq!(by_network.status, StatusCode::OK);
    assert_eq!(by_network.body, "hello");

    let by_name = client("localhost")
        .get(&url(&format!("http://localhost:{port}/")), &quick())
        .await
        .unwrap();
    assert_eq!(by_name.body, "hello");
}

#[tokio::test]
async fn only_http_and_https_without_credentials_are_requested() {
    let outbound = client("0.0.0.0/0");
    for target in [
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/",
        "ftp://example.com/",
        "http://user:pass@127.0.0.1/",
    ] {
        let error = outbound.get(&url(target), &quick()).await.unwrap_err();
        assert!(
            matches!(error, OutboundError::InvalidUrl { .. }),
            "{target}: {error:?}"
        );
    }
}

#[tokio::test]
async fn redirects_are_not_followed_by_default_and_the_target_is_reported() {
    let target = TestServer::start("127.0.0.1:0", ok("moved here")).await;
    let location = target.url("/new");
    let origin = TestServer::start("127.0.0.1:0", move |_| {
        http("302 Found", &[("location", location.as_str())], b"")
    })
    .await;

    let error = client("127.0.0.1/32")
        .get(&origin.url("/old"), &quick())
        .await
        .unwrap_err();
    match error {
        OutboundError::UnexpectedRedirect { status, location } => {
            assert_eq!(status, StatusCode::FOUND);
            assert_eq!(location, target.url("/new").as_str());
        }
        other => panic!("expected a redirect, got {other:?}"),
    }
    assert_eq!(target.connections(), 0);
}

#[tokio::test]
async fn a_relative_redirect_is_reported_as_an_absolute_url() {
    let origin = TestServer::start("127.0.0.1:0", |_| {
        http("301 Moved Permanently", &[("location", "/jira/")], b"")
    })
    .await;
    let error = client("127.0.0.1/32")
        .get(&origin.url("/"), &quick())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, OutboundError::UnexpectedRedirect { location, .. }
            if *location == origin.url("/jira/").as_str()),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_followed_redirect_reaches_an_allowed_target() {
    let target = TestServer::start("127.0.0.1:0", ok("moved here")).await;
    let location = target.url("/new");
    let origin = TestServer::start("127.0.0.1:0", move |_| {
        http(
            "307 Temporary Redirect",
            &[("location", location.as_str())],
            b"",
        )
    })
    .await;
    let options = RequestOptions {
        redirects: Redirects::Follow(3),
        ..quick()
    };
    let response = client("127.0.0.1/32")
        .get(&origin.url("/old"), &options)
        .await
        .unwrap();
    assert_eq!(response.body, "moved here");
    assert_eq!(response.final_url, target.url("/new"));
}

#[tokio::test]
async fn a_redirect_from_an_allowed_host_to_a_denied_one_is_refused() {
    // Linux routes all of 127.0.0.0/8 to loopback, so 127.0.0.2 is a second host on this
    // machine that the allow-list below leaves denied.
    let internal = TestServer::start("127.0.0.2:0", ok("internal secret")).await;
    let location = format!("http://{}/admin", internal.address);
    let origin = TestServer::start("127.0.0.1:0", move |_| {
        http("302 Found", &[("location", &location)], b"")
    })
    .await;
    let options = RequestOptions {
        redirects: Redirects::Follow(3),
        ..quick()
    };

    let result = client("127.0.0.1/32").get(&origin.url("/"), &options).await;
    match result {
        Err(OutboundError::Denied { address, range, .. }) => {
            assert_eq!(address.to_string(), "127.0.0.2");
            assert_eq!(range, DeniedRange::Loopback);
        }
        other => panic!("expected a refusal of 127.0.0.2, got {other:?}"),
    }
    assert_eq!(internal.connections(), 0);

    // The same redirect with the second host allowed goes through: the setup is sound.
    let response = client("127.0.0.0/8")
        .get(&origin.url("/"), &options)
        .await
        .unwrap();
    assert_eq!(response.body, "internal secret");
}

#[tokio::test]
async fn a_redirect_to_another_scheme_is_refused() {
    let origin = TestServer::start("127.0.0.1:0", |_| {
        http("302 Found", &[("location", "file:///etc/passwd")], b"")
    })
    .await;
    let options = RequestOptions {
        redirects: Redirects::Follow(3),
        ..quick()
    };
    let error = client("127.0.0.1/32")
        .get(&origin.url("/"), &options)
        .await
        .unwrap_err();
    assert!(
        matches!(error, OutboundError::InvalidUrl { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn redirect_loops_stop_at_the_limit() {
    let origin = TestServer::start("127.0.0.1:0", |_| {
        http("302 Found", &[("location", "/again")], b"")
    })
    .await;
    let options = RequestOptions {
        redirects: Redirects::Follow(2),
        ..quick()
    };
    let error = client("127.0.0.1/32")
        .get(&origin.url("/"), &options)
        .await
        .unwrap_err();
    assert!(
        matches!(error, OutboundError::TooManyRedirects { max: 2, .. }),
        "{error:?}"
    );
    assert_eq!(origin.connections(), 3);
}

#[tokio::test]
async fn a_redirect_can_be_returned_as_an_answer() {
    let origin = TestServer::start("127.0.0.1:0", |_| {
        http("303 See Other", &[("location", "/elsewhere")], b"see")
    })
    .await;
    let options = RequestOptions {
        redirects: Redirects::Return,
        ..quick()
    };
    let response = client("127.0.0.1/32")
        .get(&origin.url("/"), &options)
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(response.headers["location"], "/elsewhere");
}

#[tokio::test]
async fn error_statuses_are_answers() {
    let server = TestServer::start("127.0.0.1:0", |_| {
        http("500 Internal Server Error", &[], b"broken")
    })
    .await;
    let response = client("127.0.0.1/32")
        .get(&server.url("/"), &quick())
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(response.body, "broken");
}

#[tokio::test]
async fn requests_carry_our_user_agent_and_the_host() {
    let server = TestServer::start("127.0.0.1:0", ok("")).await;
    client("127.0.0.1/32")
        .get(&server.url("/path?q=1"), &quick())
        .await
        .unwrap();
    let head = server.heads.lock().unwrap()[0].to_lowercase();
    assert!(head.starts_with("get /path?q=1 http/1.1\r\n"), "{head}");
    assert!(
        head.contains(&format!("user-agent: {}", USER_AGENT.to_lowercase())),
        "{head}"
    );
    assert!(
        head.contains(&format!("host: {}", server.address)),
        "{head}"
    );
}

#[tokio::test]
async fn oversized_answers_are_refused() {
    let announced =
        TestServer::start("127.0.0.1:0", |_| http("200 OK", &[], &vec![b'x'; 4096])).await;
    // No length announced: the cap must hold while the body streams in.
    let streamed = TestServer::start("127.0.0.1:0", |_| {
        let mut answer = b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n".to_vec();
        answer.extend_from_slice(&vec![b'x'; 4096]);
        answer
    })
    .await;
    let options = RequestOptions {
        max_response_bytes: 1024,
        ..quick()
    };
    let outbound = client("127.0.0.1/32");
    for server in [&announced, &streamed] {
        let error = outbound.get(&server.url("/"), &options).await.unwrap_err();
        assert!(
            matches!(error, OutboundError::TooLarge { limit: 1024 }),
            "{error:?}"
        );
    }
    let within = RequestOptions {
        max_response_bytes: 4096,
        ..quick()
    };
    assert_eq!(
        outbound
            .get(&streamed.url("/"), &within)
            .await
            .unwrap()
            .body
            .len(),
        4096
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let options = RequestOptions {
        timeout: Duration::from_millis(300),
        ..quick()
    };
    let started = std::time::Instant::now();
    let error = client("127.0.0.1/32")
        .get(&url(&format!("http://{address}/")), &options)
        .await
        .unwrap_err();
    assert!(matches!(error, OutboundError::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_closed_port_is_connection_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let error = client("127.0.0.1/32")
        .get(&url(&format!("http://{address}/")), &quick())
        .await
        .unwrap_err();
    assert!(
        matches!(error, OutboundError::ConnectionRefused { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_unresolvable_name_is_an_unknown_host() {
    let error = client("")
        .get(&url("http://no-such-host.invalid/"), &quick())
        .await
        .unwrap_err();
    assert!(
        matches!(error, OutboundError::UnknownHost { .. }),
        "{error:?}"
    );
}

#[test]
fn invalid_allow_entries_are_startup_errors() {
    let error = "10.0.0.0/8, 192.168.1.5/24"
        .parse::<AllowList>()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid --outbound-allow entry `192.168.1.5/24`: bits are set after the prefix; \
         did you mean 192.168.1.0/24?"
    );
    assert!("https://jira.internal".parse::<AllowList>().is_err());
}

/// A key and a self-signed certificate.
struct Identity {
    key: PKey<Private>,
    certificate: X509,
}

/// A self-signed certificate for `san` (`DNS:name` or `IP:address`).
fn identity(san: &str) -> Identity {
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "applinks test").unwrap();
    let name = name.build();
    let mut builder = X509::builder().unwrap();
    builder.set_version(2).unwrap();
    builder.set_subject_name(&name).unwrap();
    builder.set_issuer_name(&name).unwrap();
    builder.set_pubkey(&key).unwrap();
    builder
        .set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    builder
        .set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    let mut alternative = SubjectAlternativeName::new();
    match san.split_once(':') {
        Some(("DNS", name)) => alternative.dns(name),
        Some(("IP", address)) => alternative.ip(address),
        _ => panic!("bad SAN {san}"),
    };
    let extension = alternative
        .build(&builder.x509v3_context(None, None))
        .unwrap();
    builder.append_extension(extension).unwrap();
    builder.sign(&key, MessageDigest::sha256()).unwrap();
    Identity {
        key,
        certificate: builder.build(),
    }
}

fn trusting(certificate: &X509) -> Outbound {
    Outbound::new(OutboundPolicy {
        allow: "127.0.0.1/32".parse().unwrap(),
        extra_trusted_certificates: vec![certificate.clone()],
    })
    .unwrap()
}

#[tokio::test]
async fn tls_tells_an_untrusted_certificate_from_one_for_another_host() {
    let right = identity("IP:127.0.0.1");
    let server = TestServer::start_tls(&right, ok("over tls")).await;
    let target = url(&format!("https://{}/", server.address));

    let untrusted = client("127.0.0.1/32")
        .get(&target, &quick())
        .await
        .unwrap_err();
    assert!(
        matches!(&untrusted, OutboundError::TlsUntrusted { reason, .. }
            if reason.contains("self-signed")),
        "{untrusted:?}"
    );

    let response = trusting(&right.certificate)
        .get(&target, &quick())
        .await
        .unwrap();
    assert_eq!(response.body, "over tls");

    let wrong = identity("DNS:other.example");
    let server = TestServer::start_tls(&wrong, ok("over tls")).await;
    let target = url(&format!("https://{}/", server.address));
    let mismatch = trusting(&wrong.certificate)
        .get(&target, &quick())
        .await
        .unwrap_err();
    assert!(
        matches!(mismatch, OutboundError::TlsHostnameMismatch { .. }),
        "{mismatch:?}"
    );
}

const MANIFEST: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><manifest>\
    <id>144880e9-a353-312f-9412-ed028e8166fa</id><name>Jira</name><typeId>jira</typeId>\
    <inboundAuthenticationTypes>\
    com.atlassian.applinks.api.auth.types.OAuthAuthenticationProvider</inboundAuthenticationTypes>\
    <outboundAuthenticationTypes>\
    placeholder.to.ensure.backwards.compatibility</outboundAuthenticationTypes>\
    <publicSignup>false</publicSignup><url>https://jira.example.com</url></manifest>";

#[tokio::test]
async fn the_manifest_probe_reads_a_manifest() {
    let server = TestServer::start("127.0.0.1:0", |head| {
        if head.starts_with("GET /jira/rest/applinks/1.0/manifest HTTP/1.1")
            && head.to_lowercase().contains("accept: application/xml")
        {
            http(
                "200 OK",
                &[("content-type", "application/xml")],
                MANIFEST.as_bytes(),
            )
        } else {
            http("404 Not Found", &[], b"")
        }
    })
    .await;
    let manifest = client("127.0.0.1/32")
        .fetch_manifest(&server.url("/jira/"))
        .await
        .unwrap();
    assert_eq!(manifest.application_type(), Some(ApplicationType::Jira));
    assert_eq!(manifest.name, "Jira");
}

#[tokio::test]
async fn the_manifest_probe_sorts_what_is_not_a_manifest() {
    let missing = TestServer::start("127.0.0.1:0", |_| http("404 Not Found", &[], b"")).await;
    let page = TestServer::start("127.0.0.1:0", |_| {
        http("200 OK", &[], b"<html><body>Welcome</body></html>")
    })
    .await;
    let hostile = TestServer::start("127.0.0.1:0", |_| {
        http(
            "200 OK",
            &[],
            b"<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\
              <manifest><name>&e;</name></manifest>",
        )
    })
    .await;
    let failing =
        TestServer::start("127.0.0.1:0", |_| http("503 Service Unavailable", &[], b"")).await;
    let outbound = client("127.0.0.1/32");

    let error = outbound.fetch_manifest(&missing.url("")).await.unwrap_err();
    assert!(
        matches!(error, ManifestFetchError::NoManifest { .. }),
        "{error:?}"
    );
    assert!(error.is_not_application_links());

    let error = outbound.fetch_manifest(&page.url("")).await.unwrap_err();
    assert!(
        matches!(error, ManifestFetchError::NotAManifest { .. }),
        "{error:?}"
    );
    assert!(error.is_not_application_links());

    let error = outbound.fetch_manifest(&hostile.url("")).await.unwrap_err();
    assert!(
        matches!(
            error,
            ManifestFetchError::NotAManifest {
                source: ManifestParseError::DtdRefused,
                ..
            }
        ),
        "{error:?}"
    );

    let error = outbound.fetch_manifest(&failing.url("")).await.unwrap_err();
    assert!(
        matches!(error, ManifestFetchError::UnexpectedStatus { .. }),
        "{error:?}"
    );
    assert!(!error.is_not_application_links());
}

#[tokio::test]
async fn the_manifest_probe_reports_a_redirect_with_the_base_to_use() {
    let server = TestServer::start("127.0.0.1:0", |_| {
        http(
            "301 Moved Permanently",
            &[(
                "location",
                "https://jira.example.com/rest/applinks/1.0/manifest",
            )],
            b"",
        )
    })
    .await;
    let error = client("127.0.0.1/32")
        .fetch_manifest(&server.url(""))
        .await
        .unwrap_err();
    match error {
        ManifestFetchError::Redirected {
            status,
            location,
            suggested_base,
            ..
        } => {
            assert_eq!(status, StatusCode::MOVED_PERMANENTLY);
            assert_eq!(
                location,
                "https://jira.example.com/rest/applinks/1.0/manifest"
            );
            assert_eq!(
                suggested_base.unwrap().as_str(),
                "https://jira.example.com/"
            );
        }
        other => panic!("expected a redirect, got {other:?}"),
    }
}

#[tokio::test]
async fn the_manifest_probe_is_guarded_too() {
    let error = client("")
        .fetch_manifest(&url("http://169.254.169.254/"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ManifestFetchError::Request(OutboundError::Denied { .. })
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_streamed_body_arrives_in_frames_and_ends_with_an_error_past_the_cap() {
    let streamed = TestServer::start("127.0.0.1:0", |_| {
        let mut answer = b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n".to_vec();
        answer.extend_from_slice(&vec![b'x'; 64 * 1024]);
        answer
    })
    .await;
    let options = RequestOptions {
        max_response_bytes: 16 * 1024,
        ..quick()
    };
    let answer = client("127.0.0.1/32")
        .send_streaming(
            Method::GET,
            &streamed.url("/"),
            HeaderMap::new(),
            Bytes::new(),
            &options,
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 200);

    let mut body = answer.body;
    let mut received = 0;
    let error = loop {
        match body.frame().await {
            Some(Ok(frame)) => received += frame.into_data().map_or(0, |data| data.len()),
            Some(Err(error)) => break error,
            None => panic!("the body ended after {received} bytes without an error"),
        }
    };
    assert!(
        matches!(error, OutboundError::TooLarge { limit: 16384 }),
        "{error:?}"
    );
    assert!(received <= 16 * 1024, "{received} bytes passed the cap");
    assert!(body.frame().await.is_none(), "nothing follows the error");
}

#[tokio::test]
async fn a_streamed_body_that_stalls_ends_at_the_call_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0; 4096];
            let _ = socket.read(&mut buffer).await;
            let head = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npart of it";
            let _ = socket.write_all(head).await;
            held.push(socket);
        }
    });
    let options = RequestOptions {
        timeout: Duration::from_millis(300),
        ..quick()
    };
    let started = std::time::Instant::now();
    let answer = client("127.0.0.1/32")
        .send_streaming(
            Method::GET,
            &url(&format!("http://{address}/")),
            HeaderMap::new(),
            Bytes::new(),
            &options,
        )
        .await
        .unwrap();
    let error = answer.body.collect().await.unwrap_err();
    assert!(matches!(error, OutboundError::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// How a keep-alive test server decides on each request; see [`KeepAliveServer::start`].
type Replies = dyn Fn(usize, &str) -> Reply + Send + Sync;

/// What a keep-alive test server does with one request.
enum Reply {
    /// Answers and keeps the connection open for the next request.
    Answer(Vec<u8>),
    /// Answers, then closes the connection without announcing it.
    AnswerAndClose(Vec<u8>),
    /// Closes the connection without answering.
    HangUp,
}

/// A server that reads request after request on each connection, deciding with
/// `reply(n, head)` what to do with the `n`th request (from 0) on its connection. It counts
/// connections and records the request line of every request it read whole.
struct KeepAliveServer {
    address: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<std::sync::Mutex<Vec<String>>>,
}

impl KeepAliveServer {
    async fn start(reply: impl Fn(usize, &str) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
        let reply = Arc::new(reply);
        let (counter, log) = (connections.clone(), requests.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(keep_alive(socket, reply.clone(), log.clone()));
            }
        });
        Self {
            address,
            connections,
            requests,
        }
    }

    fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{}{path}", self.address)).unwrap()
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

async fn keep_alive(
    mut socket: tokio::net::TcpStream,
    reply: Arc<Replies>,
    log: Arc<std::sync::Mutex<Vec<String>>>,
) {
    let mut pending = Vec::new();
    let mut buffer = [0; 4096];
    for served in 0.. {
        let end = loop {
            if let Some(at) = pending.windows(4).position(|window| window == b"\r\n\r\n") {
                break at + 4;
            }
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(read) => pending.extend_from_slice(&buffer[..read]),
            }
        };
        let head = String::from_utf8_lossy(&pending[..end]).into_owned();
        let length = head
            .lines()
            .find_map(|line| {
                line.to_ascii_lowercase()
                    .strip_prefix("content-length:")?
                    .trim()
                    .parse()
                    .ok()
            })
            .unwrap_or(0);
        while pending.len() < end + length {
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(read) => pending.extend_from_slice(&buffer[..read]),
            }
        }
        pending.drain(..end + length);
        log.lock()
            .unwrap()
            .push(head.lines().next().unwrap_or_default().to_owned());

        match reply(served, &head) {
            Reply::Answer(answer) => {
                if socket.write_all(&answer).await.is_err() {
                    return;
                }
            }
            Reply::AnswerAndClose(answer) => {
                let _ = socket.write_all(&answer).await;
                let _ = socket.shutdown().await;
                return;
            }
            Reply::HangUp => {
                let _ = socket.shutdown().await;
                return;
            }
        }
    }
}

/// An answer that leaves the connection open.
fn kept(body: &[u8]) -> Vec<u8> {
    let mut answer = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
    answer.push_str(&String::from_utf8_lossy(body));
    answer.into_bytes()
}

#[tokio::test]
async fn sequential_requests_to_a_keep_alive_server_share_one_connection() {
    let server = KeepAliveServer::start(|served, _| match served {
        1 => Reply::Answer(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n".to_vec(),
        ),
        _ => Reply::Answer(kept(b"one")),
    })
    .await;
    let outbound = client("127.0.0.1/32");

    let first = outbound.get(&server.url("/first"), &quick()).await.unwrap();
    assert_eq!(first.body, "one");
    let second = outbound
        .send_streaming(
            Method::GET,
            &server.url("/second"),
            HeaderMap::new(),
            Bytes::new(),
            &quick(),
        )
        .await
        .unwrap();
    assert_eq!(second.body.collect().await.unwrap().to_bytes(), "two");
    let third = outbound
        .clone()
        .get(&server.url("/third"), &quick())
        .await
        .unwrap();
    assert_eq!(third.body, "one");

    assert_eq!(server.requests().len(), 3);
    assert_eq!(
        server.connections(),
        1,
        "every request opened its own connection"
    );
}

#[tokio::test]
async fn an_answer_with_connection_close_is_not_reused() {
    let server = TestServer::start("127.0.0.1:0", ok("closing")).await;
    let outbound = client("127.0.0.1/32");

    for _ in 0..2 {
        let answer = outbound.get(&server.url("/"), &quick()).await.unwrap();
        assert_eq!(answer.body, "closing");
    }
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn a_body_dropped_before_its_end_closes_the_connection() {
    let server = KeepAliveServer::start(|_, head| {
        if head.starts_with("GET /large ") {
            Reply::Answer(kept(&vec![b'x'; 256 * 1024]))
        } else {
            Reply::Answer(kept(b"small"))
        }
    })
    .await;
    let outbound = client("127.0.0.1/32");

    let answer = outbound
        .send_streaming(
            Method::GET,
            &server.url("/large"),
            HeaderMap::new(),
            Bytes::new(),
            &quick(),
        )
        .await
        .unwrap();
    let mut body = answer.body;
    body.frame().await.unwrap().unwrap();
    drop(body);

    let next = outbound.get(&server.url("/small"), &quick()).await.unwrap();
    assert_eq!(next.body, "small");
    assert_eq!(server.connections(), 2, "a half-read connection was reused");
}

#[tokio::test]
async fn a_body_ended_by_the_size_cap_closes_the_connection() {
    let server = KeepAliveServer::start(|_, _| {
        Reply::Answer(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n8\r\n12345678\r\n0\r\n\r\n"
                .to_vec(),
        )
    })
    .await;
    let outbound = client("127.0.0.1/32");
    let capped = RequestOptions {
        max_response_bytes: 4,
        ..quick()
    };

    let error = outbound.get(&server.url("/"), &capped).await.unwrap_err();
    assert!(
        matches!(error, OutboundError::TooLarge { limit: 4 }),
        "{error:?}"
    );
    let answer = outbound.get(&server.url("/"), &quick()).await.unwrap();
    assert_eq!(answer.body, "12345678");
    assert_eq!(
        server.connections(),
        2,
        "a connection cut by the cap was reused"
    );
}

#[tokio::test]
async fn a_get_on_a_connection_the_server_closed_succeeds() {
    let server = KeepAliveServer::start(|_, _| Reply::AnswerAndClose(kept(b"fine"))).await;
    let outbound = client("127.0.0.1/32");

    for _ in 0..3 {
        let answer = outbound.get(&server.url("/"), &quick()).await.unwrap();
        assert_eq!(answer.body, "fine");
    }
    assert_eq!(server.connections(), 3);
}

/// A server that answers the first request on each connection and hangs up on the next, as
/// when its idle timeout strikes just as a request is sent.
async fn hangs_up_after_one_answer() -> KeepAliveServer {
    KeepAliveServer::start(|served, _| match served {
        0 => Reply::Answer(kept(b"fine")),
        _ => Reply::HangUp,
    })
    .await
}

#[tokio::test]
async fn a_get_the_server_hung_up_on_is_sent_again_on_a_new_connection() {
    let server = hangs_up_after_one_answer().await;
    let outbound = client("127.0.0.1/32");

    outbound.get(&server.url("/first"), &quick()).await.unwrap();
    let again = outbound
        .get(&server.url("/second"), &quick())
        .await
        .unwrap();
    assert_eq!(again.body, "fine");
    assert_eq!(
        server.requests(),
        [
            "GET /first HTTP/1.1",
            "GET /second HTTP/1.1",
            "GET /second HTTP/1.1"
        ]
    );
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn a_post_the_server_hung_up_on_is_not_sent_again() {
    let server = hangs_up_after_one_answer().await;
    let outbound = client("127.0.0.1/32");

    outbound.get(&server.url("/first"), &quick()).await.unwrap();
    let error = outbound
        .send(
            Method::POST,
            &server.url("/create"),
            HeaderMap::new(),
            Bytes::from_static(b"once"),
            &quick(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, OutboundError::Http(_)), "{error:?}");
    assert_eq!(
        server.requests(),
        ["GET /first HTTP/1.1", "POST /create HTTP/1.1"]
    );
    assert_eq!(server.connections(), 1, "the POST was sent again");
}
