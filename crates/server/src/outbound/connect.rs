//! Opening a connection for one outgoing request: resolve the host, check every address against
//! the deny-list, connect over TCP to one of exactly those checked addresses, then speak TLS
//! for `https`.
//!
//! Checking and connecting happen here together on purpose. A guard that checks a name's
//! addresses and then lets another component resolve the name again can be defeated by a DNS
//! server that answers with a public address the first time and `127.0.0.1` the second (DNS
//! rebinding); here the address that was checked is the address that is dialled.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use openssl::ssl::SslConnector;
use openssl::x509::X509VerifyResult;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_openssl::SslStream;
use url::{Host, Url};

use super::OutboundError;
use super::address::{AllowList, denied_range};

/// OpenSSL's `X509_V_ERR_HOSTNAME_MISMATCH`: the certificate names another host.
const HOSTNAME_MISMATCH: i32 = 62;
/// OpenSSL's `X509_V_ERR_IP_ADDRESS_MISMATCH`: the certificate names another address.
const IP_ADDRESS_MISMATCH: i32 = 64;

/// A connected byte stream, plain or TLS.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// The addresses a host name resolves to, eventually.
pub(crate) type Resolution = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>>;

/// Turns host names into addresses. The system resolver in production; tests substitute
/// answers that the machine's DNS would never give.
pub(crate) trait Resolve: Send + Sync {
    /// The addresses of `host`, a domain name (never an IP literal).
    fn resolve(&self, host: &str) -> Resolution;
}

/// The operating system's resolver (`getaddrinfo`, through tokio's blocking pool).
pub(crate) struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, host: &str) -> Resolution {
        let host = host.to_owned();
        Box::pin(async move {
            let addresses = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addresses.map(|address| address.ip()).collect())
        })
    }
}

/// Opens guarded connections.
pub(crate) struct Connector {
    pub(crate) allow: AllowList,
    pub(crate) resolver: Arc<dyn Resolve>,
    pub(crate) tls: SslConnector,
}

impl Connector {
    /// Connects to the host and port of `url`, an `http` or `https` URL with a host (the caller
    /// has checked both). Each TCP attempt and the TLS handshake get `timeout`.
    pub(crate) async fn connect(
        &self,
        url: &Url,
        timeout: Duration,
    ) -> Result<Box<dyn Io>, OutboundError> {
        let host = url.host().ok_or_else(|| OutboundError::InvalidUrl {
            url: url.to_string(),
            reason: "the URL has no host",
        })?;
        let port = url.port_or_known_default().unwrap_or(80);

        let addresses = self.checked_addresses(&host).await?;
        let tcp = connect_tcp(&host, &addresses, port, timeout).await?;
        if url.scheme() == "https" {
            Ok(Box::new(self.handshake(&host, tcp, timeout).await?))
        } else {
            Ok(Box::new(tcp))
        }
    }

    /// The addresses to dial for `host`, every one of them allowed.
    ///
    /// A name is refused when any of its addresses is denied, rather than dialling only the
    /// others: a name that mixes public and private addresses is either misconfigured or an
    /// attempt to slip past this check, and either way the administrator should hear of it.
    pub(crate) async fn checked_addresses(
        &self,
        host: &Host<&str>,
    ) -> Result<Vec<IpAddr>, OutboundError> {
        let (name, addresses) = match host {
            Host::Ipv4(address) => return self.check(&host.to_string(), vec![(*address).into()]),
            Host::Ipv6(address) => return self.check(&host.to_string(), vec![(*address).into()]),
            Host::Domain(name) => (*name, self.resolve(name).await?),
        };
        if self.allow.allows_host(name) {
            return Ok(addresses);
        }
        self.check(name, addresses)
    }

    async fn resolve(&self, name: &str) -> Result<Vec<IpAddr>, OutboundError> {
        let unknown = |source| OutboundError::UnknownHost {
            host: name.to_owned(),
            source,
        };
        let addresses = self
            .resolver
            .resolve(name)
            .await
            .map_err(|error| unknown(Some(error)))?;
        if addresses.is_empty() {
            return Err(unknown(None));
        }
        Ok(addresses)
    }

    fn check(&self, host: &str, addresses: Vec<IpAddr>) -> Result<Vec<IpAddr>, OutboundError> {
        for address in &addresses {
            if self.allow.allows_address(*address) {
                continue;
            }
            if let Some(range) = denied_range(*address) {
                return Err(OutboundError::Denied {
                    host: host.to_owned(),
                    address: *address,
                    range,
                });
            }
        }
        Ok(addresses)
    }

    /// Speaks TLS over `tcp`, verifying the certificate chain and that it names `host`.
    async fn handshake(
        &self,
        host: &Host<&str>,
        tcp: TcpStream,
        timeout: Duration,
    ) -> Result<SslStream<TcpStream>, OutboundError> {
        // OpenSSL wants IPv6 addresses without brackets, for SNI and for the name check alike.
        let name = match host {
            Host::Domain(name) => (*name).to_owned(),
            Host::Ipv4(address) => address.to_string(),
            Host::Ipv6(address) => address.to_string(),
        };
        let setup = |source: openssl::error::ErrorStack| OutboundError::Tls {
            host: name.clone(),
            source: source.into(),
        };
        let ssl = self
            .tls
            .configure()
            .and_then(|configuration| configuration.into_ssl(&name))
            .map_err(setup)?;
        let mut stream = SslStream::new(ssl, tcp).map_err(setup)?;

        let handshake = tokio::time::timeout(timeout, Pin::new(&mut stream).connect()).await;
        match handshake {
            Ok(Ok(())) => Ok(stream),
            Err(_) => Err(OutboundError::ConnectTimeout {
                host: name,
                after: timeout,
            }),
            Ok(Err(source)) => Err(classify_tls_failure(
                name,
                stream.ssl().verify_result(),
                source,
            )),
        }
    }
}

/// Tells an untrusted certificate from one for another host, the two TLS failures an
/// administrator fixes differently (import a CA certificate, or use the name the certificate
/// carries).
fn classify_tls_failure(
    host: String,
    verification: X509VerifyResult,
    source: openssl::ssl::Error,
) -> OutboundError {
    match verification.as_raw() {
        _ if verification == X509VerifyResult::OK => OutboundError::Tls { host, source },
        HOSTNAME_MISMATCH | IP_ADDRESS_MISMATCH => OutboundError::TlsHostnameMismatch { host },
        _ => OutboundError::TlsUntrusted {
            host,
            reason: verification.error_string().to_owned(),
        },
    }
}

/// Connects to the first of `addresses` that answers.
async fn connect_tcp(
    host: &Host<&str>,
    addresses: &[IpAddr],
    port: u16,
    timeout: Duration,
) -> Result<TcpStream, OutboundError> {
    let mut failure = None;
    for address in addresses {
        let address = SocketAddr::new(*address, port);
        match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(error)) if error.kind() == io::ErrorKind::ConnectionRefused => {
                failure = Some(OutboundError::ConnectionRefused { address });
            }
            Ok(Err(source)) => failure = Some(OutboundError::Connect { address, source }),
            Err(_) => {
                failure = Some(OutboundError::ConnectTimeout {
                    host: host.to_string(),
                    after: timeout,
                });
            }
        }
    }
    Err(failure.unwrap_or_else(|| OutboundError::UnknownHost {
        host: host.to_string(),
        source: None,
    }))
}
