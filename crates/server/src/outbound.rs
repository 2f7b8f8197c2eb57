//! The one guarded client for outgoing HTTP requests to URLs an administrator supplied (SPEC §6):
//! the link wizard's probe, status checks, and the proxy all send through [`Outbound`].
//!
//! Every request is checked before it leaves: the scheme must be `http` or `https`; the host's
//! addresses, after DNS resolution (or as written, for IP literals), must be outside the
//! deny-list of loopback, private, link-local and other special ranges unless `--outbound-allow`
//! exempts them; and the connection goes to exactly the address that was checked. Redirects are
//! not followed unless a call asks, and then every hop is checked again. Each call has a
//! connect timeout, a total timeout and a cap on the size of the answer; [`Outbound::send`]
//! reads the whole answer, [`Outbound::send_streaming`] hands the body over as it arrives, with
//! the same cap and timeout ending it with an error. Proxy settings from
//! the environment are never read, so `HTTP_PROXY` cannot route around the checks.
//!
//! This is not a general HTTP client: it speaks HTTP/1.1 only. Connections are kept open
//! between requests in a small pool (`pool.rs`) and reused only for the same scheme, host and
//! port; each one was opened, and its address checked, by the guarded connector.

mod address;
mod connect;
mod manifest;
mod pool;

pub use address::{AllowList, AllowRule, AllowRuleError, Cidr, DeniedRange, denied_range};
pub use manifest::{MANIFEST_PATH, ManifestFetchError};

use std::fmt;
use std::future::Future as _;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri, Version};
use hyper_util::rt::TokioIo;
use openssl::ssl::{SslConnector, SslMethod};
use openssl::x509::X509;
use tokio::task::JoinHandle;
use tokio::time::{Instant, Sleep};
use url::{Position, Url};

use connect::{Connector, Resolve, SystemResolver};
use pool::{Connection, Key, Pool};

/// The `User-Agent` of every outgoing request.
pub const USER_AGENT: &str = concat!("applinks/", env!("CARGO_PKG_VERSION"));

/// The default connect and total timeouts: SPEC §5.2 gives the wizard's probe 10 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default cap on an answer's body.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// What the guarded client allows, fixed at startup.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    /// Exemptions from the deny-list (`--outbound-allow`).
    pub allow: AllowList,
    /// Certificates trusted in addition to the system's, for linked applications whose
    /// certificates an internal CA issued.
    pub extra_trusted_certificates: Vec<X509>,
}

/// How one call treats an answer that redirects (`301`, `302`, `303`, `307`, `308` with a
/// `Location`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Redirects {
    /// Fail with [`OutboundError::UnexpectedRedirect`], which carries the target so that the
    /// caller can tell the administrator which URL to use instead.
    #[default]
    Refuse,
    /// Follow up to this many redirects, checking every hop like the first request.
    Follow(u8),
    /// Return the redirecting answer itself, as the proxy does.
    Return,
}

/// The limits of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestOptions {
    /// The longest wait for each TCP connection and TLS handshake.
    pub connect_timeout: Duration,
    /// The longest the whole call may take, every redirect and the body included.
    pub timeout: Duration,
    /// The largest body accepted; a longer answer fails with [`OutboundError::TooLarge`].
    pub max_response_bytes: usize,
    /// What to do with a redirect.
    pub redirects: Redirects,
}

impl Default for RequestOptions {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            redirects: Redirects::Refuse,
        }
    }
}

/// A complete answer. Any status is an answer, `404` and `500` included: what a status means is
/// the caller's business.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The whole body, at most the call's `max_response_bytes`.
    pub body: Bytes,
    /// The URL that gave this answer, after any redirects followed.
    pub final_url: Url,
}

/// Why an outgoing request has no answer.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The URL cannot be requested at all.
    #[error("{url} cannot be requested: {reason}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// Why not.
        reason: &'static str,
    },
    /// The host is, or resolves to, an address on the deny-list.
    #[error("{}", denied_message(host, address, range))]
    Denied {
        /// The host as the URL names it.
        host: String,
        /// The refused address.
        address: IpAddr,
        /// Why the address is refused.
        range: DeniedRange,
    },
    /// The host name does not resolve (unknown host).
    #[error("the host name {host} cannot be resolved")]
    UnknownHost {
        /// The host name.
        host: String,
        /// The resolver's error, when it gave one rather than no address.
        #[source]
        source: Option<io::Error>,
    },
    /// Nothing listens on the port (connection refused).
    #[error("{address} refused the connection")]
    ConnectionRefused {
        /// The address and port dialled last.
        address: SocketAddr,
    },
    /// The connection failed otherwise (unreachable network, reset).
    #[error("cannot connect to {address}")]
    Connect {
        /// The address and port dialled last.
        address: SocketAddr,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The TCP connection or TLS handshake took longer than the connect timeout.
    #[error("connecting to {host} took longer than {after:?}")]
    ConnectTimeout {
        /// The host.
        host: String,
        /// The connect timeout.
        after: Duration,
    },
    /// The whole call took longer than its total timeout.
    #[error("no complete answer within {after:?}")]
    Timeout {
        /// The total timeout.
        after: Duration,
    },
    /// The certificate chain does not lead to a trusted CA, or is expired or revoked.
    #[error("the certificate of {host} is not trusted: {reason}")]
    TlsUntrusted {
        /// The host.
        host: String,
        /// OpenSSL's verification error, such as "self-signed certificate".
        reason: String,
    },
    /// The certificate is trusted but names another host.
    #[error("the certificate presented by {host} is for another host name")]
    TlsHostnameMismatch {
        /// The host.
        host: String,
    },
    /// The TLS handshake failed for another reason (protocol version, cipher, a plain-HTTP
    /// port).
    #[error("the TLS handshake with {host} failed")]
    Tls {
        /// The host.
        host: String,
        /// OpenSSL's error.
        #[source]
        source: openssl::ssl::Error,
    },
    /// The answer is not HTTP/1.1, or the connection closed before it was complete.
    #[error("the answer is not a valid HTTP response")]
    Http(#[source] hyper::Error),
    /// The body is larger than the call allows.
    #[error("the answer is larger than {limit} bytes")]
    TooLarge {
        /// The call's `max_response_bytes`.
        limit: usize,
    },
    /// The answer redirects and the call does not follow redirects.
    #[error("the answer ({status}) redirects to {location}")]
    UnexpectedRedirect {
        /// The redirect's status.
        status: StatusCode,
        /// The target, made absolute when it is a valid URL reference, verbatim otherwise.
        location: String,
    },
    /// The call followed as many redirects as it allows and was redirected again.
    #[error("more than {max} redirects; the last one pointed to {location}")]
    TooManyRedirects {
        /// The call's limit.
        max: u8,
        /// The redirect not followed.
        location: String,
    },
}

/// The administrator's message for a refused address, naming the host only when it is a name.
fn denied_message(host: &str, address: &IpAddr, range: &DeniedRange) -> String {
    let literal = host.trim_start_matches('[').trim_end_matches(']') == address.to_string();
    let target = if literal {
        format!("{address} is")
    } else {
        format!("{host} resolves to {address},")
    };
    format!(
        "{target} a {range} address that outgoing requests may not reach; if the application \
         really lives there, allow it with --outbound-allow"
    )
}

/// The guarded client. Cheap to clone; clones share their configuration.
#[derive(Clone)]
pub struct Outbound {
    connector: Arc<Connector>,
    pool: Arc<Pool>,
}

impl fmt::Debug for Outbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbound")
            .field("allow", &self.connector.allow)
            .finish_non_exhaustive()
    }
}

impl Outbound {
    /// Builds the client. Fails only when OpenSSL cannot set up a TLS context or refuses one of
    /// the extra certificates.
    pub fn new(policy: OutboundPolicy) -> Result<Self, openssl::error::ErrorStack> {
        Self::with_resolver(policy, Arc::new(SystemResolver))
    }

    pub(crate) fn with_resolver(
        policy: OutboundPolicy,
        resolver: Arc<dyn Resolve>,
    ) -> Result<Self, openssl::error::ErrorStack> {
        // `SslConnector::builder` loads the system's CA certificates and secure defaults.
        let mut tls = SslConnector::builder(SslMethod::tls_client())?;
        for certificate in policy.extra_trusted_certificates {
            tls.cert_store_mut().add_cert(certificate)?;
        }
        let connector = Connector {
            allow: policy.allow,
            resolver,
            tls: tls.build(),
        };
        Ok(Self {
            connector: Arc::new(connector),
            pool: Arc::default(),
        })
    }

    /// The allow-list this client was built with.
    pub fn allow_list(&self) -> &AllowList {
        &self.connector.allow
    }

    /// `GET url`.
    pub async fn get(
        &self,
        url: &Url,
        options: &RequestOptions,
    ) -> Result<Response, OutboundError> {
        self.send(Method::GET, url, HeaderMap::new(), Bytes::new(), options)
            .await
    }

    /// Sends a request and reads the whole answer.
    ///
    /// `Host` is set from the URL and `User-Agent` to [`USER_AGENT`] unless `headers` has one.
    /// When a redirect is followed to another origin, `Authorization` and `Cookie` are dropped;
    /// a `303`, or a `301` or `302` answering a `POST`, continues as a `GET` without the body.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        headers: HeaderMap,
        body: Bytes,
        options: &RequestOptions,
    ) -> Result<Response, OutboundError> {
        self.send_streaming(method, url, headers, body, options)
            .await?
            .read_whole()
            .await
    }

    /// Sends a request like [`Outbound::send`] and returns the answer as soon as its head has
    /// arrived, with a body that is read as it comes. The call's limits still hold: the body
    /// ends with [`OutboundError::TooLarge`] once it passes `max_response_bytes`, and with
    /// [`OutboundError::Timeout`] when the call's total timeout passes before it is complete.
    pub async fn send_streaming(
        &self,
        method: Method,
        url: &Url,
        headers: HeaderMap,
        body: Bytes,
        options: &RequestOptions,
    ) -> Result<StreamingResponse, OutboundError> {
        let deadline = Instant::now() + options.timeout;
        let exchange = self.exchange(method, url.clone(), headers, body, options, deadline);
        match tokio::time::timeout_at(deadline, exchange).await {
            Ok(result) => result,
            Err(_) => Err(OutboundError::Timeout {
                after: options.timeout,
            }),
        }
    }

    /// Sends the request and each redirect it is allowed to follow.
    async fn exchange(
        &self,
        mut method: Method,
        mut url: Url,
        mut headers: HeaderMap,
        mut body: Bytes,
        options: &RequestOptions,
        deadline: Instant,
    ) -> Result<StreamingResponse, OutboundError> {
        let mut followed = 0;
        loop {
            let answer = self
                .hop(&method, &url, &headers, body.clone(), options, deadline)
                .await?;
            let (status, location) = match answer {
                Hop::Answer(response) => return Ok(*response),
                Hop::Redirect { status, location } => (status, location),
            };

            let max = match options.redirects {
                Redirects::Follow(max) => max,
                Redirects::Refuse | Redirects::Return => {
                    return Err(OutboundError::UnexpectedRedirect {
                        status,
                        location: location.map_or_else(|raw| raw, String::from),
                    });
                }
            };
            let location = location.map_err(|raw| OutboundError::InvalidUrl {
                url: raw,
                reason: "the redirect target is not a valid URL",
            })?;
            if followed >= max {
                return Err(OutboundError::TooManyRedirects {
                    max,
                    location: location.into(),
                });
            }
            followed += 1;

            if location.origin() != url.origin() {
                for name in [header::AUTHORIZATION, header::COOKIE] {
                    headers.remove(name);
                }
            }
            let becomes_get = status == StatusCode::SEE_OTHER && method != Method::HEAD
                || matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND)
                    && method == Method::POST;
            if becomes_get {
                method = Method::GET;
                body = Bytes::new();
                headers.remove(header::CONTENT_TYPE);
                headers.remove(header::CONTENT_LENGTH);
            }
            url = location;
        }
    }

    /// One request, on an idle connection to the same scheme, host and port when the pool has
    /// one, on a new connection otherwise.
    async fn hop(
        &self,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        body: Bytes,
        options: &RequestOptions,
        deadline: Instant,
    ) -> Result<Hop, OutboundError> {
        let request = build_request(method, url, headers, body.clone())?;
        let key = Key::of(url);

        let (connection, response) = match self.idle_connection(&key, options).await {
            Some(mut connection) => match connection.sender.send_request(request).await {
                Ok(response) => (connection, response),
                // A server may close an idle connection just as we send on it. Sending again is
                // safe when hyper did not send the request or when it is idempotent; on a new
                // connection, a failure is the server's answer and is not retried.
                Err(error) if may_resend(method, &error) => {
                    tracing::debug!(%error, %url, "an idle connection failed, sending again");
                    drop(connection);
                    let request = build_request(method, url, headers, body)?;
                    self.send_on_new_connection(url, request, options).await?
                }
                Err(error) => return Err(OutboundError::Http(error)),
            },
            None => self.send_on_new_connection(url, request, options).await?,
        };
        let reusable = keeps_alive(headers)
            && keeps_alive(response.headers())
            && response.version() == Version::HTTP_11;
        let home = reusable.then(|| (self.pool.clone(), key));

        let status = response.status();
        if options.redirects != Redirects::Return
            && is_redirect(status)
            && let Some(location) = response.headers().get(header::LOCATION)
        {
            let location = redirect_target(url, location);
            if response.body().is_end_stream()
                && let Some((pool, key)) = home
            {
                pool.put(key, connection);
            }
            return Ok(Hop::Redirect { status, location });
        }

        let (parts, incoming) = response.into_parts();
        let limit = options.max_response_bytes;
        let announced = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if announced.is_some_and(|length| length > limit as u64) {
            return Err(OutboundError::TooLarge { limit });
        }
        let mut arriving = Arriving {
            incoming,
            limit,
            read: 0,
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
            timeout: options.timeout,
            done: false,
            connection: Some(connection),
            home,
        };
        // An empty body may never be polled: the connection is free already.
        if arriving.incoming.is_end_stream() {
            arriving.give_back();
        }
        Ok(Hop::Answer(Box::new(StreamingResponse {
            status,
            headers: parts.headers,
            body: ResponseBody(Source::Arriving(arriving)),
            final_url: url.clone(),
        })))
    }

    /// An idle connection for `key` that is ready for a request, if the pool has one. Only the
    /// guarded connector opens connections, so a pooled one went to an address that was checked
    /// against the deny-list when it was opened: reusing it bypasses no check.
    async fn idle_connection(&self, key: &Key, options: &RequestOptions) -> Option<Connection> {
        while let Some(mut connection) = self.pool.take(key) {
            // The connection is ready as soon as hyper has finished with the previous answer,
            // which the body had read to its end; one that fails here was closed meanwhile.
            let ready = tokio::time::timeout(options.connect_timeout, connection.sender.ready());
            if let Ok(Ok(())) = ready.await {
                return Some(connection);
            }
        }
        None
    }

    /// Opens a connection through the guarded connector and sends `request` on it.
    async fn send_on_new_connection(
        &self,
        url: &Url,
        request: Request<Full<Bytes>>,
        options: &RequestOptions,
    ) -> Result<(Connection, hyper::Response<Incoming>), OutboundError> {
        let io = self.connector.connect(url, options.connect_timeout).await?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(OutboundError::Http)?;
        // The connection's own errors reach us through `send_request` and the body, so the
        // task's result carries nothing new. The body owns the task once the head is in.
        let driver = AbortOnDrop(tokio::spawn(async move {
            let _ = connection.await;
        }));
        let response = sender
            .send_request(request)
            .await
            .map_err(OutboundError::Http)?;
        Ok((
            Connection {
                sender,
                _driver: driver,
            },
            response,
        ))
    }
}

/// Whether a request that failed on a reused connection before any answer may be sent again:
/// when hyper reports that it was not sent, or when sending it twice does no harm (RFC 9110
/// §9.2.2 lists the idempotent methods; RFC 9112 §9.3.1 allows retrying them).
fn may_resend(method: &Method, error: &hyper::Error) -> bool {
    error.is_canceled()
        || matches!(
            *method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        )
}

/// Whether `headers`, of a request or an answer, leave the connection open (RFC 9112 §9.6).
fn keeps_alive(headers: &HeaderMap) -> bool {
    !headers.get_all(header::CONNECTION).iter().any(|value| {
        value.to_str().is_ok_and(|value| {
            value
                .split(',')
                .any(|option| option.trim().eq_ignore_ascii_case("close"))
        })
    })
}

/// What one hop ended with.
enum Hop {
    Answer(Box<StreamingResponse>),
    /// A redirect, with its target made absolute, or verbatim when it is not a URL.
    Redirect {
        status: StatusCode,
        location: Result<Url, String>,
    },
}

/// Aborts the task that drives a connection once the hop that needs it is over, so that a
/// timed-out call leaves no connection behind.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Checks `url` and builds the HTTP/1.1 request for it.
fn build_request(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Request<Full<Bytes>>, OutboundError> {
    let invalid = |reason| OutboundError::InvalidUrl {
        url: url.to_string(),
        reason,
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("only http and https URLs are supported"));
    }
    let Some(host) = url.host_str() else {
        return Err(invalid("the URL has no host"));
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("credentials in the URL are not supported"));
    }

    let target: Uri = url[Position::BeforePath..Position::AfterQuery]
        .parse()
        .map_err(|_| invalid("the path is not a valid request target"))?;
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let authority =
        HeaderValue::from_str(&authority).map_err(|_| invalid("the host is not a valid header"))?;

    let mut request = Request::new(Full::new(body));
    *request.method_mut() = method.clone();
    *request.uri_mut() = target;
    *request.headers_mut() = headers.clone();
    request.headers_mut().insert(header::HOST, authority);
    request
        .headers_mut()
        .entry(header::USER_AGENT)
        .or_insert(HeaderValue::from_static(USER_AGENT));
    Ok(request)
}

/// Whether `status` sends the client elsewhere (`304 Not Modified` and `300 Multiple Choices`
/// do not name one target to follow).
fn is_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

/// The absolute target of a `Location` header, or its text when it is not a URL reference.
fn redirect_target(base: &Url, location: &HeaderValue) -> Result<Url, String> {
    let raw = String::from_utf8_lossy(location.as_bytes());
    base.join(&raw).map_err(|_| raw.into_owned())
}

/// An answer whose body is still arriving; see [`Outbound::send_streaming`].
#[derive(Debug)]
pub struct StreamingResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, read as it arrives, within the call's limits.
    pub body: ResponseBody,
    /// The URL that gave this answer, after any redirects followed.
    pub final_url: Url,
}

impl StreamingResponse {
    /// Reads the rest of the body, within the call's limits.
    pub async fn read_whole(self) -> Result<Response, OutboundError> {
        let body = self.body.collect().await?.to_bytes();
        Ok(Response {
            status: self.status,
            headers: self.headers,
            body,
            final_url: self.final_url,
        })
    }

    /// Reads the rest of the body like [`StreamingResponse::read_whole`], but fails with
    /// [`OutboundError::TooLarge`] past `limit` bytes when that is below the call's own cap.
    pub async fn read_whole_within(mut self, limit: usize) -> Result<Response, OutboundError> {
        if let Source::Arriving(arriving) = &mut self.body.0 {
            arriving.limit = arriving.limit.min(limit);
        }
        self.read_whole().await
    }
}

impl From<Response> for StreamingResponse {
    /// An answer read whole, handed on as one whose body is already in.
    fn from(answer: Response) -> Self {
        Self {
            status: answer.status,
            headers: answer.headers,
            body: ResponseBody(Source::Whole(Some(answer.body))),
            final_url: answer.final_url,
        }
    }
}

/// The body of a [`StreamingResponse`]: the remote's frames as they arrive, ended with an error
/// once more than the call's `max_response_bytes` have come or its total timeout has passed.
/// It holds the connection, which goes back to the client's pool once the body has been read to
/// its end and closes if the body ends otherwise or is dropped before its end.
pub struct ResponseBody(Source);

enum Source {
    /// Still coming over the connection.
    Arriving(Arriving),
    /// Read already; `None` once handed over.
    Whole(Option<Bytes>),
}

struct Arriving {
    incoming: Incoming,
    limit: usize,
    read: usize,
    deadline: Pin<Box<Sleep>>,
    timeout: Duration,
    done: bool,
    /// The connection, until the body ends; dropping it closes the connection.
    connection: Option<Connection>,
    /// Where the connection goes once the body has ended cleanly; `None` when the request or
    /// the answer asked to close it.
    home: Option<(Arc<Pool>, Key)>,
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Arriving(arriving) => f
                .debug_struct("ResponseBody")
                .field("limit", &arriving.limit)
                .field("read", &arriving.read)
                .finish_non_exhaustive(),
            Source::Whole(bytes) => f
                .debug_struct("ResponseBody")
                .field("whole", &bytes.as_ref().map_or(0, Bytes::len))
                .finish(),
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = OutboundError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, OutboundError>>> {
        match &mut self.get_mut().0 {
            Source::Arriving(arriving) => arriving.poll_frame(cx),
            Source::Whole(bytes) => Poll::Ready(bytes.take().map(|bytes| Ok(Frame::data(bytes)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Source::Arriving(arriving) => arriving.done || arriving.incoming.is_end_stream(),
            Source::Whole(bytes) => bytes.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Source::Arriving(arriving) => arriving.incoming.size_hint(),
            Source::Whole(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
        }
    }
}

impl Arriving {
    fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, OutboundError>>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.finish();
            let after = self.timeout;
            return Poll::Ready(Some(Err(OutboundError::Timeout { after })));
        }
        let polled = Pin::new(&mut self.incoming).poll_frame(cx);
        let Poll::Ready(next) = polled else {
            return Poll::Pending;
        };
        let outcome = match next {
            None => {
                self.give_back();
                None
            }
            Some(Err(error)) => Some(Err(OutboundError::Http(error))),
            Some(Ok(frame)) => {
                self.read += frame.data_ref().map_or(0, Bytes::len);
                if self.read > self.limit {
                    let limit = self.limit;
                    Some(Err(OutboundError::TooLarge { limit }))
                } else {
                    // A reader may stop at the last frame of a body of known length, since the
                    // body says it has ended, and never poll for the end.
                    if self.incoming.is_end_stream() {
                        self.give_back();
                    }
                    Some(Ok(frame))
                }
            }
        };
        if !matches!(outcome, Some(Ok(_))) {
            self.finish();
        }
        Poll::Ready(outcome)
    }

    /// Returns the connection to the pool, once the body has been read to its end.
    fn give_back(&mut self) {
        if let (Some(connection), Some((pool, key))) = (self.connection.take(), self.home.take()) {
            pool.put(key, connection);
        }
    }

    /// Ends the body; a connection not given back by now is closed.
    fn finish(&mut self) {
        self.done = true;
        self.connection = None;
    }
}

#[cfg(test)]
mod tests;
