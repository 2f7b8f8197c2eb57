//! Collecting the parameters of an incoming request (RFC 5849 §3.4.1.3.1) into a
//! [`SignedRequest`]: the typed protocol parameters a server acts on, and everything the base
//! string needs to verify them.
//!
//! This is the parser that faces the network, so it caps what it reads and never panics: every
//! malformed input becomes a [`Problem`]. It does not look anything up (consumers, tokens,
//! nonces); that is the server's job once it holds a `SignedRequest`.

use std::fmt;
use std::ops::Range;
use std::time::{Duration, SystemTime};

use crate::authorization::for_each_auth_param;
use crate::base_string::{base_string_uri, signature_base_string};
use crate::encoding::{decode_into, form_segments};
use crate::problem::{Problem, ProblemReport};
use crate::secret::Secret;
use crate::signature::{SignatureMethod, VerifyingKey};
use crate::timestamp::check_timestamp;

/// The most parameters read from one request, all transports together.
pub const MAX_PARAMETERS: usize = 256;

/// The longest `oauth_nonce` accepted, in bytes. Nonces are stored, so their size is bounded.
pub const MAX_NONCE_LEN: usize = 255;

/// The parts of an incoming HTTP request that OAuth signs, as the server received them.
///
/// Behind a reverse proxy, `scheme`, `host` and `port` should be those of the public base URL
/// the client signed against, not the proxy's connection.
#[derive(Clone, Copy, Default)]
pub struct IncomingRequest<'a> {
    /// The HTTP method, in any case.
    pub method: &'a str,
    /// `http` or `https`.
    pub scheme: &'a str,
    /// The host name, without the port.
    pub host: &'a str,
    /// The port, if the request named one; the scheme's default port is dropped either way.
    pub port: Option<u16>,
    /// The path exactly as sent, still percent-encoded.
    pub path: &'a str,
    /// The raw query string, without the `?`.
    pub query: Option<&'a str>,
    /// The `Authorization` header value, if any.
    pub authorization: Option<&'a str>,
    /// The `Content-Type` header value, if any.
    pub content_type: Option<&'a str>,
    /// The body; read for parameters only when [`is_form_content_type`] holds for
    /// `content_type`.
    pub body: &'a [u8],
}

impl fmt::Debug for IncomingRequest<'_> {
    /// The header and body can carry a verifier: they are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IncomingRequest")
            .field("method", &self.method)
            .field("scheme", &self.scheme)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Whether a `Content-Type` value is `application/x-www-form-urlencoded`, whose body
/// parameters are signed (RFC 5849 §3.4.1.3.1). Media type parameters such as `charset` are
/// ignored. A server uses this to decide whether it must buffer the body before verifying.
pub fn is_form_content_type(content_type: &str) -> bool {
    let media_type = content_type.split(';').next().unwrap_or_default();
    media_type
        .trim()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// The typed protocol parameters of a request (RFC 5849 §3.1, §2.1–2.3, and the session
/// extension's `oauth_session_handle`). Each appears at most once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProtocolParams {
    /// `oauth_consumer_key`.
    pub consumer_key: Option<String>,
    /// `oauth_token`: `None` when absent, `Some("")` when sent empty. Both mean a 2-legged
    /// request (SPEC §4); see [`ProtocolParams::token`].
    pub token: Option<String>,
    /// `oauth_signature_method`.
    pub signature_method: Option<SignatureMethod>,
    /// `oauth_signature`, decoded.
    pub signature: Option<Secret>,
    /// `oauth_timestamp`, in Unix seconds. Any number of digits is accepted, since some
    /// clients send more than ten.
    pub timestamp: Option<u64>,
    /// `oauth_nonce`.
    pub nonce: Option<String>,
    /// `oauth_version`; only ever `1.0` once collected.
    pub version: Option<String>,
    /// `oauth_callback` (an absolute URL, or `oob`).
    pub callback: Option<String>,
    /// `oauth_verifier`.
    pub verifier: Option<Secret>,
    /// `oauth_session_handle`, for renewing an access token.
    pub session_handle: Option<Secret>,
}

impl ProtocolParams {
    /// The token, when one was sent and is not empty.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref().filter(|token| !token.is_empty())
    }

    /// Whether the request carries no token: 2-legged OAuth, as the reference products send it
    /// (`oauth_token=""`) or as generic libraries do (no `oauth_token` at all).
    pub fn is_two_legged(&self) -> bool {
        self.token().is_none()
    }

    /// Succeeds when every parameter in `required` is present (a token only when non-empty);
    /// otherwise a `parameter_absent` report naming the missing ones.
    pub fn require(&self, required: &[ProtocolParam]) -> Result<(), ProblemReport> {
        let absent: Vec<&str> = required
            .iter()
            .filter(|param| !self.has(**param))
            .map(|param| param.as_str())
            .collect();
        if absent.is_empty() {
            Ok(())
        } else {
            Err(ProblemReport::parameters_absent(absent))
        }
    }

    fn has(&self, param: ProtocolParam) -> bool {
        match param {
            ProtocolParam::ConsumerKey => self.consumer_key.is_some(),
            ProtocolParam::Token => self.token().is_some(),
            ProtocolParam::SignatureMethod => self.signature_method.is_some(),
            ProtocolParam::Signature => self.signature.is_some(),
            ProtocolParam::Timestamp => self.timestamp.is_some(),
            ProtocolParam::Nonce => self.nonce.is_some(),
            ProtocolParam::Callback => self.callback.is_some(),
            ProtocolParam::Verifier => self.verifier.is_some(),
            ProtocolParam::SessionHandle => self.session_handle.is_some(),
        }
    }
}

/// The name of a protocol parameter, for [`ProtocolParams::require`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolParam {
    /// `oauth_consumer_key`.
    ConsumerKey,
    /// `oauth_token`, non-empty.
    Token,
    /// `oauth_signature_method`.
    SignatureMethod,
    /// `oauth_signature`.
    Signature,
    /// `oauth_timestamp`.
    Timestamp,
    /// `oauth_nonce`.
    Nonce,
    /// `oauth_callback`.
    Callback,
    /// `oauth_verifier`.
    Verifier,
    /// `oauth_session_handle`.
    SessionHandle,
}

impl ProtocolParam {
    /// What every signed request carries (RFC 5849 §3.1); timestamp and nonce may only be
    /// left out with PLAINTEXT, which application links never use.
    pub const SIGNED: [ProtocolParam; 5] = [
        ProtocolParam::ConsumerKey,
        ProtocolParam::SignatureMethod,
        ProtocolParam::Signature,
        ProtocolParam::Timestamp,
        ProtocolParam::Nonce,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolParam::ConsumerKey => "oauth_consumer_key",
            ProtocolParam::Token => "oauth_token",
            ProtocolParam::SignatureMethod => "oauth_signature_method",
            ProtocolParam::Signature => "oauth_signature",
            ProtocolParam::Timestamp => "oauth_timestamp",
            ProtocolParam::Nonce => "oauth_nonce",
            ProtocolParam::Callback => "oauth_callback",
            ProtocolParam::Verifier => "oauth_verifier",
            ProtocolParam::SessionHandle => "oauth_session_handle",
        }
    }
}

/// An incoming request's OAuth view: its protocol parameters and what its base string is made
/// of. Built by [`SignedRequest::collect`]; checked by [`SignedRequest::verify`].
#[derive(Clone)]
pub struct SignedRequest {
    method: String,
    base_uri: String,
    /// The signed parameters' names and values, decoded, one after another.
    text: String,
    /// The signed parameters in the order collected, as ranges of `text`.
    parameters: Vec<(Range<usize>, Range<usize>)>,
    protocol: ProtocolParams,
    found_protocol_params: bool,
}

impl SignedRequest {
    /// Reads the parameters of `request` from the `Authorization: OAuth` header (without
    /// `realm`), the query, and a form-encoded body (RFC 5849 §3.4.1.3.1).
    ///
    /// Refused as `parameter_rejected`: a malformed header or encoding, a header over
    /// [`MAX_HEADER_LEN`](crate::MAX_HEADER_LEN), more than [`MAX_PARAMETERS`], a protocol
    /// parameter (`oauth_*`) given twice (in one transport or across them), a nonce over
    /// [`MAX_NONCE_LEN`] or a timestamp that is not a number. An `oauth_version` other than
    /// `1.0` is `version_rejected`, an unknown signature method `signature_method_rejected`.
    /// Non-protocol parameters may repeat.
    ///
    /// A request without any OAuth parameter is collected successfully; see
    /// [`SignedRequest::is_oauth`].
    pub fn collect(request: &IncomingRequest<'_>) -> Result<Self, Problem> {
        let is_form = request.content_type.is_some_and(is_form_content_type);
        // Decoding never lengthens a parameter, so this holds every one of them.
        let longest = request.authorization.map_or(0, str::len)
            + request.query.map_or(0, str::len)
            + if is_form { request.body.len() } else { 0 };
        let mut collector = Collector {
            text: String::with_capacity(longest),
            // A request from the reference products has about a dozen.
            parameters: Vec::with_capacity(16),
            ..Collector::default()
        };

        if let Some(header) = request.authorization {
            for_each_auth_param(header, |name, value| {
                collector.add_encoded(name, value, Transport::Header)
            })?;
        }
        if let Some(query) = request.query {
            collector.add_form(query)?;
        }
        if is_form {
            let body = std::str::from_utf8(request.body).map_err(|_| Problem::ParameterRejected)?;
            collector.add_form(body)?;
        }

        Ok(Self {
            method: request.method.to_ascii_uppercase(),
            base_uri: base_string_uri(request.scheme, request.host, request.port, request.path),
            found_protocol_params: collector.seen_known != 0 || !collector.seen_other.is_empty(),
            text: collector.text,
            parameters: collector.parameters,
            protocol: collector.protocol,
        })
    }

    /// Whether the request carried any `oauth_*` parameter. A request without one is not an
    /// OAuth request at all, and other authentication may apply.
    pub fn is_oauth(&self) -> bool {
        self.found_protocol_params
    }

    /// The typed protocol parameters.
    pub fn protocol(&self) -> &ProtocolParams {
        &self.protocol
    }

    /// The first value of a parameter from any transport, e.g. `xoauth_requestor_id` for
    /// 2-legged impersonation (SPEC §5.4). `oauth_signature` and the header's `realm` are not
    /// among them.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters()
            .find(|(candidate, _)| *candidate == name)
            .map(|(_, value)| value)
    }

    /// Every signed parameter's name and value, decoded, in the order collected.
    pub fn parameters(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + Clone + '_ {
        self.parameters
            .iter()
            .map(|(name, value)| (&self.text[name.clone()], &self.text[value.clone()]))
    }

    /// The method, upper-cased.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The base string URI (RFC 5849 §3.4.1.2).
    pub fn base_string_uri(&self) -> &str {
        &self.base_uri
    }

    /// The signature base string (RFC 5849 §3.4.1). Never send it to the caller (SPEC §4).
    pub fn base_string(&self) -> String {
        signature_base_string(&self.method, &self.base_uri, self.parameters())
    }

    /// Verifies the signature with the consumer's key.
    ///
    /// `parameter_absent` when the method or signature is missing; `signature_method_rejected`
    /// when the request's method is not the key's (an RSA consumer never verifies an HMAC or
    /// PLAINTEXT signature); `signature_invalid` when the signature does not match. The caller
    /// still checks the consumer, token, timestamp and nonce.
    pub fn verify(&self, key: &VerifyingKey<'_>) -> Result<(), Problem> {
        let (Some(method), Some(signature)) =
            (self.protocol.signature_method, &self.protocol.signature)
        else {
            return Err(Problem::ParameterAbsent);
        };
        if method != key.method() {
            return Err(Problem::SignatureMethodRejected);
        }
        key.verify(method, &self.base_string(), signature)
    }

    /// Checks `oauth_timestamp` against `now` (see [`check_timestamp`]); `parameter_absent`
    /// when the request has none.
    pub fn check_timestamp(&self, now: SystemTime, window: Duration) -> Result<(), ProblemReport> {
        let timestamp = self
            .protocol
            .timestamp
            .ok_or_else(|| ProblemReport::parameters_absent([ProtocolParam::Timestamp.as_str()]))?;
        check_timestamp(timestamp, now, window)
    }
}

impl fmt::Debug for SignedRequest {
    /// Parameter values can hold a verifier, so only names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.parameters().map(|(name, _)| name).collect();
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("base_uri", &self.base_uri)
            .field("parameter_names", &names)
            .field("protocol", &self.protocol)
            .finish()
    }
}

/// The protocol parameters of RFC 5849 and its common extensions, whose repeats
/// [`Collector`] tracks without copying their names (at most 16, one bit each).
const KNOWN_PROTOCOL: [&str; 11] = [
    "oauth_consumer_key",
    "oauth_token",
    "oauth_signature_method",
    "oauth_signature",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_version",
    "oauth_callback",
    "oauth_verifier",
    "oauth_session_handle",
    "oauth_body_hash",
];

/// Where a parameter travelled; the header's values never encode a space as `+`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Header,
    Form,
}

#[derive(Default)]
struct Collector {
    /// The kept parameters' names and values, decoded into one buffer.
    text: String,
    /// Where escaped values are decoded before they join `text`.
    scratch: Vec<u8>,
    parameters: Vec<(Range<usize>, Range<usize>)>,
    protocol: ProtocolParams,
    /// The protocol parameters of [`KNOWN_PROTOCOL`] seen so far, a bit each.
    seen_known: u16,
    /// Other `oauth_*` parameters (extensions) seen so far; few requests carry any, so a list
    /// beats a hash set.
    seen_other: Vec<String>,
    count: usize,
}

impl Collector {
    fn add_form(&mut self, input: &str) -> Result<(), Problem> {
        for (name, value) in form_segments(input) {
            self.add_encoded(name, value, Transport::Form)?;
        }
        Ok(())
    }

    /// Decodes a parameter as it travelled and adds it.
    fn add_encoded(
        &mut self,
        name: &str,
        value: &str,
        transport: Transport,
    ) -> Result<(), Problem> {
        // Counting before decoding keeps a hostile query of a million `&a` cheap to refuse.
        if transport == Transport::Form && self.count >= MAX_PARAMETERS {
            return Err(Problem::ParameterRejected);
        }
        let plus_is_space = transport == Transport::Form;
        let start = self.text.len();
        self.decode(name, plus_is_space)?;
        let names = start..self.text.len();
        self.decode(value, plus_is_space)?;
        let values = names.end..self.text.len();
        // The realm names a protection space, not a signed parameter (§3.4.1.3.1); only the
        // header's realm is one.
        if transport == Transport::Header && &self.text[names.clone()] == "realm" {
            self.text.truncate(start);
            return Ok(());
        }
        self.count += 1;
        if self.count > MAX_PARAMETERS {
            return Err(Problem::ParameterRejected);
        }
        self.add(names, values)
    }

    fn decode(&mut self, encoded: &str, plus_is_space: bool) -> Result<(), Problem> {
        decode_into(&mut self.text, &mut self.scratch, encoded, plus_is_space)
            .map_err(|_| Problem::ParameterRejected)
    }

    /// Keeps the decoded parameter at `names` and `values` of `text`, checking and typing it
    /// first when it is a protocol parameter.
    fn add(&mut self, names: Range<usize>, values: Range<usize>) -> Result<(), Problem> {
        let name = &self.text[names.clone()];
        if !name.starts_with("oauth_") {
            self.parameters.push((names, values));
            return Ok(());
        }

        // Each protocol parameter is sent once; a repeat could make the server act on a value
        // other than the one the signature was checked against. RFC 5849 §3.5 also asks for a
        // single transport, but real clients split them (requests-oauthlib renews with
        // `oauth_session_handle` in the body and the rest in the header), and every parameter
        // is signed wherever it travels, so only repeats are refused.
        if !first_sight(&mut self.seen_known, &mut self.seen_other, name) {
            return Err(Problem::ParameterRejected);
        }
        record_protocol(&mut self.protocol, name, &self.text[values.clone()])?;
        // The signature is not part of what it signs (§3.4.1.3.1).
        if name == "oauth_signature" {
            self.text.truncate(names.start);
        } else {
            self.parameters.push((names, values));
        }
        Ok(())
    }
}

/// Whether the protocol parameter `name` is seen for the first time, noting it in `known` (a
/// bit per name of [`KNOWN_PROTOCOL`]) or `other`.
fn first_sight(known: &mut u16, other: &mut Vec<String>, name: &str) -> bool {
    match KNOWN_PROTOCOL
        .iter()
        .position(|candidate| *candidate == name)
    {
        Some(index) => {
            let bit = 1 << index;
            let first = *known & bit == 0;
            *known |= bit;
            first
        }
        None if other.iter().any(|seen| seen == name) => false,
        None => {
            other.push(name.to_owned());
            true
        }
    }
}

fn record_protocol(protocol: &mut ProtocolParams, name: &str, value: &str) -> Result<(), Problem> {
    match name {
        "oauth_consumer_key" => protocol.consumer_key = Some(value.to_owned()),
        "oauth_token" => protocol.token = Some(value.to_owned()),
        "oauth_signature_method" => protocol.signature_method = Some(value.parse()?),
        "oauth_signature" => protocol.signature = Some(Secret::new(value)),
        "oauth_timestamp" => protocol.timestamp = Some(parse_timestamp(value)?),
        "oauth_nonce" if value.len() > MAX_NONCE_LEN => {
            return Err(Problem::ParameterRejected);
        }
        "oauth_nonce" => protocol.nonce = Some(value.to_owned()),
        // §3.1: "If present, MUST be set to 1.0".
        "oauth_version" if value != "1.0" => return Err(Problem::VersionRejected),
        "oauth_version" => protocol.version = Some(value.to_owned()),
        "oauth_callback" => protocol.callback = Some(value.to_owned()),
        "oauth_verifier" => protocol.verifier = Some(Secret::new(value)),
        "oauth_session_handle" => protocol.session_handle = Some(Secret::new(value)),
        // Extensions (`oauth_body_hash`, …) are signed like any parameter.
        _ => {}
    }
    Ok(())
}

/// A positive integer of seconds (§3.3); digits only, so `+5` or ` 5` are refused.
fn parse_timestamp(value: &str) -> Result<u64, Problem> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::ParameterRejected);
    }
    value.parse().map_err(|_| Problem::ParameterRejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_header(header: &str) -> IncomingRequest<'_> {
        IncomingRequest {
            method: "GET",
            scheme: "https",
            host: "example.com",
            path: "/",
            authorization: Some(header),
            ..IncomingRequest::default()
        }
    }

    fn collect(request: IncomingRequest<'_>) -> Result<SignedRequest, Problem> {
        SignedRequest::collect(&request)
    }

    #[test]
    fn realm_is_excluded_and_protocol_params_are_typed() {
        let header = r#"OAuth realm="R", oauth_consumer_key="ck", oauth_token="",
            oauth_signature_method="RSA-SHA1", oauth_signature="c2ln", oauth_timestamp="12",
            oauth_nonce="n", oauth_version="1.0", oauth_verifier="v""#;
        let signed = collect(with_header(header)).unwrap();
        let protocol = signed.protocol();

        assert!(signed.is_oauth());
        assert_eq!(signed.parameter("realm"), None);
        assert_eq!(signed.parameter("oauth_signature"), None);
        assert_eq!(protocol.consumer_key.as_deref(), Some("ck"));
        assert_eq!(protocol.token.as_deref(), Some(""));
        assert!(protocol.is_two_legged());
        assert_eq!(protocol.signature_method, Some(SignatureMethod::RsaSha1));
        assert_eq!(protocol.signature, Some(Secret::new("c2ln")));
        assert_eq!(protocol.timestamp, Some(12));
        assert_eq!(protocol.verifier, Some(Secret::new("v")));
        assert_eq!(protocol.require(&ProtocolParam::SIGNED), Ok(()));
    }

    #[test]
    fn a_malformed_header_is_refused_whatever_came_before_it() {
        for header in [
            r#"OAuth oauth_nonce="a", oauth_token="%zz""#,
            r#"OAuth oauth_nonce="a", oauth_token="t" oauth_version="1.0""#,
            r#"OAuth realm="%zz", oauth_nonce="a""#,
            r#"OAuth oauth_nonce="a", oauth_token="unterminated"#,
        ] {
            assert_eq!(
                collect(with_header(header)).unwrap_err(),
                Problem::ParameterRejected,
                "{header}"
            );
        }
    }

    #[test]
    fn absent_and_empty_tokens_are_distinguished() {
        let absent = collect(with_header("OAuth oauth_consumer_key=\"k\"")).unwrap();
        assert_eq!(absent.protocol().token, None);
        assert!(absent.protocol().is_two_legged());

        let present = collect(with_header("OAuth oauth_token=\"t\"")).unwrap();
        assert_eq!(present.protocol().token(), Some("t"));
        assert!(!present.protocol().is_two_legged());
    }

    #[test]
    fn duplicate_protocol_params_are_rejected_within_and_across_transports() {
        let within = with_header("OAuth oauth_nonce=\"a\", oauth_nonce=\"b\"");
        assert_eq!(collect(within).unwrap_err(), Problem::ParameterRejected);

        let across = IncomingRequest {
            query: Some("oauth_nonce=b"),
            ..with_header("OAuth oauth_nonce=\"a\"")
        };
        assert_eq!(collect(across).unwrap_err(), Problem::ParameterRejected);

        let in_body = IncomingRequest {
            content_type: Some("application/x-www-form-urlencoded; charset=UTF-8"),
            body: b"oauth_signature=x",
            ..with_header("OAuth oauth_signature=\"y\"")
        };
        assert_eq!(collect(in_body).unwrap_err(), Problem::ParameterRejected);

        // Extensions the collector does not know by name are held to the same rule, and the
        // names it knows do not stand in each other's way.
        let extension = IncomingRequest {
            query: Some("oauth_custom=2"),
            ..with_header("OAuth oauth_custom=\"1\", oauth_nonce=\"a\"")
        };
        assert_eq!(collect(extension).unwrap_err(), Problem::ParameterRejected);
        let distinct = with_header(
            "OAuth oauth_custom=\"1\", oauth_other=\"2\", oauth_nonce=\"a\", oauth_token=\"t\"",
        );
        let collected = collect(distinct).unwrap();
        assert!(collected.is_oauth());
        assert_eq!(collected.parameter("oauth_other"), Some("2"));
    }

    #[test]
    fn protocol_params_may_travel_in_different_transports_once_each() {
        let mixed = IncomingRequest {
            query: Some("oauth_token=t"),
            ..with_header("OAuth oauth_consumer_key=\"k\"")
        };
        let signed = collect(mixed).unwrap();
        assert_eq!(signed.protocol().token.as_deref(), Some("t"));
        assert_eq!(signed.protocol().consumer_key.as_deref(), Some("k"));

        let all_in_query = IncomingRequest {
            query: Some("oauth_consumer_key=k&oauth_token=t&xoauth_requestor_id=alice"),
            ..with_header("OAuth realm=\"r\"")
        };
        let signed = collect(all_in_query).unwrap();
        assert_eq!(signed.protocol().token(), Some("t"));
        assert_eq!(signed.parameter("xoauth_requestor_id"), Some("alice"));
    }

    #[test]
    fn other_parameters_may_repeat_and_realm_in_the_query_is_signed() {
        let request = IncomingRequest {
            query: Some("a=1&a=2&realm=x"),
            ..with_header("OAuth realm=\"y\"")
        };
        let signed = collect(request).unwrap();
        assert_eq!(signed.parameters().len(), 3);
        assert_eq!(signed.parameter("realm"), Some("x"));
        assert!(!signed.is_oauth());
    }

    #[test]
    fn body_is_read_only_for_form_content() {
        let json = IncomingRequest {
            content_type: Some("application/json"),
            body: b"a=1",
            ..with_header("OAuth")
        };
        assert_eq!(collect(json).unwrap().parameters().len(), 0);

        let form = IncomingRequest {
            content_type: Some("Application/X-WWW-Form-Urlencoded"),
            body: b"a=1",
            ..with_header("OAuth")
        };
        assert_eq!(collect(form).unwrap().parameter("a"), Some("1"));

        let not_utf8 = IncomingRequest {
            content_type: Some("application/x-www-form-urlencoded"),
            body: b"a=\xff",
            ..with_header("OAuth")
        };
        assert_eq!(collect(not_utf8).unwrap_err(), Problem::ParameterRejected);
    }

    #[test]
    fn parameter_count_is_capped() {
        let at_cap = vec!["a=1"; MAX_PARAMETERS].join("&");
        let request = IncomingRequest {
            query: Some(&at_cap),
            ..with_header("OAuth")
        };
        assert!(collect(request).is_ok());

        let over_cap = format!("{at_cap}&b=2");
        let request = IncomingRequest {
            query: Some(&over_cap),
            ..with_header("OAuth")
        };
        assert_eq!(collect(request).unwrap_err(), Problem::ParameterRejected);
    }

    #[test]
    fn long_nonces_are_rejected() {
        let ok = format!("OAuth oauth_nonce=\"{}\"", "n".repeat(MAX_NONCE_LEN));
        assert!(collect(with_header(&ok)).is_ok());
        let long = format!("OAuth oauth_nonce=\"{}\"", "n".repeat(MAX_NONCE_LEN + 1));
        assert_eq!(
            collect(with_header(&long)).unwrap_err(),
            Problem::ParameterRejected
        );
    }

    #[test]
    fn versions_methods_and_timestamps_are_validated() {
        let cases = [
            ("OAuth oauth_version=\"1.0a\"", Problem::VersionRejected),
            ("OAuth oauth_version=\"\"", Problem::VersionRejected),
            (
                "OAuth oauth_signature_method=\"RSA-SHA256\"",
                Problem::SignatureMethodRejected,
            ),
            ("OAuth oauth_timestamp=\"12a\"", Problem::ParameterRejected),
            ("OAuth oauth_timestamp=\"\"", Problem::ParameterRejected),
            (
                "OAuth oauth_timestamp=\"99999999999999999999999\"",
                Problem::ParameterRejected,
            ),
        ];
        for (header, problem) in cases {
            assert_eq!(
                collect(with_header(header)).unwrap_err(),
                problem,
                "{header}"
            );
        }
        let eleven_digits = collect(with_header("OAuth oauth_timestamp=\"12303202302\"")).unwrap();
        assert_eq!(eleven_digits.protocol().timestamp, Some(12_303_202_302));
    }

    #[test]
    fn missing_parameters_are_named() {
        let signed = collect(with_header("OAuth oauth_consumer_key=\"k\"")).unwrap();
        let report = signed
            .protocol()
            .require(&ProtocolParam::SIGNED)
            .unwrap_err();
        assert_eq!(report.problem(), Problem::ParameterAbsent);
        assert_eq!(
            report.absent_parameters(),
            [
                "oauth_signature_method",
                "oauth_signature",
                "oauth_timestamp",
                "oauth_nonce"
            ]
        );
        let secrets = crate::Secret::new("s");
        let key = VerifyingKey::HmacSha1(crate::SharedSecrets {
            consumer_secret: &secrets,
            token_secret: None,
        });
        assert_eq!(signed.verify(&key), Err(Problem::ParameterAbsent));
    }

    #[test]
    fn debug_output_hides_parameter_values() {
        let request = IncomingRequest {
            query: Some("x=alsosecret"),
            ..with_header("OAuth oauth_signature=\"sig\", oauth_verifier=\"topsecret\"")
        };
        let debug = format!("{:?} {request:?}", collect(request).unwrap());
        assert!(
            !debug.contains("topsecret") && !debug.contains("alsosecret"),
            "{debug}"
        );
        assert!(!debug.contains("sig\""), "{debug}");
    }
}
