//! OAuth 1.0a (RFC 5849) as real clients and the Atlassian products use it: percent-encoding,
//! parameter collection, signature base strings, HMAC-SHA1, RSA-SHA1 and PLAINTEXT, the
//! `Authorization` header in both directions, and `oauth_problem` reports.
//!
//! This crate does no I/O and knows nothing about application links: it turns the parts of an
//! HTTP request into a verdict, or signs one. Consumers, tokens, nonce storage and which
//! signature method a consumer may use are the caller's.
//!
//! # A server verifying a request
//!
//! 1. [`SignedRequest::collect`] reads the parameters of an [`IncomingRequest`] from the
//!    header, the query and a form body, refusing malformed or oversized input as a
//!    [`Problem`].
//! 2. [`ProtocolParams::require`] names the missing parameters for the endpoint.
//! 3. The caller looks up the consumer by [`ProtocolParams::consumer_key`] and builds a
//!    [`VerifyingKey`] whose variant is the one method that consumer may use.
//! 4. [`SignedRequest::verify`] and [`SignedRequest::check_timestamp`] decide; the caller then
//!    records the nonce and checks the token.
//! 5. A refusal is answered with [`ProblemReport::www_authenticate`], the same report as
//!    [`ProblemReport::form_body`], and [`ProblemReport::status`].
//!
//! # A client signing a request
//!
//! [`ClientRequest::authorization_header`] signs with a [`SigningKey`] and writes the header.
//!
//! # Example
//!
//! ```
//! use applinks_oauth1::{
//!     ClientRequest, IncomingRequest, Secret, SharedSecrets, SignedRequest, SigningKey,
//!     VerifyingKey,
//! };
//!
//! let consumer_secret = Secret::new("kd94hf93k423kf44");
//! let token_secret = Secret::new("pfkkdhi9sl3r4s00");
//! let secrets = SharedSecrets {
//!     consumer_secret: &consumer_secret,
//!     token_secret: Some(&token_secret),
//! };
//!
//! // The client signs a GET with its query.
//! let header = ClientRequest {
//!     method: "GET",
//!     url: "http://photos.example.net/photos?file=vacation.jpg&size=original",
//!     realm: Some("http://photos.example.net/"),
//!     consumer_key: "dpf43f3p2l4k3l03",
//!     token: Some("nnch734d00sl2jdk"),
//!     timestamp: 1_191_242_096,
//!     nonce: "kllo9940pd9333jh",
//!     ..ClientRequest::default()
//! }
//! .authorization_header(&SigningKey::HmacSha1(secrets))?;
//! assert!(header.contains("oauth_signature=\"tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D\""));
//!
//! // The server collects what it received and verifies it.
//! let request = SignedRequest::collect(&IncomingRequest {
//!     method: "GET",
//!     scheme: "http",
//!     host: "photos.example.net",
//!     port: Some(80),
//!     path: "/photos",
//!     query: Some("file=vacation.jpg&size=original"),
//!     authorization: Some(&header),
//!     ..IncomingRequest::default()
//! })?;
//! assert_eq!(request.protocol().consumer_key.as_deref(), Some("dpf43f3p2l4k3l03"));
//! request.verify(&VerifyingKey::HmacSha1(secrets))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod authorization;
mod base_string;
mod client;
mod collect;
mod encoding;
mod keys;
mod problem;
mod secret;
mod signature;
mod timestamp;

pub use authorization::{MAX_HEADER_LEN, parse_auth_params};
pub use base_string::{
    base_string_uri, base_string_uri_of_url, normalize_parameters, signature_base_string,
};
pub use client::{ClientRequest, SignError, generate_nonce};
pub use collect::{
    IncomingRequest, MAX_NONCE_LEN, MAX_PARAMETERS, ProtocolParam, ProtocolParams, SignedRequest,
    is_form_content_type,
};
pub use encoding::{DecodeError, form_decode, parse_form, percent_decode, percent_encode};
pub use keys::{GENERATED_RSA_BITS, KeyError, MIN_RSA_BITS, PrivateKey, PublicKey};
pub use problem::{Problem, ProblemReport, UnknownProblem};
pub use secret::Secret;
pub use signature::{SharedSecrets, SignatureMethod, SigningKey, VerifyingKey};
pub use timestamp::{DEFAULT_WINDOW, check_timestamp};
pub use url::Url;
