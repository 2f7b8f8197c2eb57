//! The client side: signing an outgoing request and writing its `Authorization` header
//! (RFC 5849 §3.1, §3.5.1).
//!
//! Time and randomness come from the caller: the timestamp and nonce are inputs, so signing is
//! a pure function that tests can pin down. [`generate_nonce`] is a convenience for callers
//! that have no random source of their own.

use thiserror::Error;
use url::Url;

use crate::authorization::write_header;
use crate::base_string::{base_string_uri_of_url, signature_base_string};
use crate::encoding::parse_form;
use crate::keys::KeyError;
use crate::secret::Secret;
use crate::signature::SigningKey;

/// Why an outgoing request could not be signed.
#[derive(Debug, Error)]
pub enum SignError {
    /// The URL is not an absolute `http` or `https` URL with a host.
    #[error("the URL cannot be signed: {0}")]
    InvalidUrl(&'static str),
    /// The URL's query holds a malformed percent escape or non-UTF-8 bytes, so its signed form
    /// would be ambiguous.
    #[error("the URL's query is not validly percent-encoded")]
    InvalidQuery,
    /// The signing key failed.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// An outgoing request to sign: what is sent, and the protocol parameters to send with it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientRequest<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The absolute URL, with its query, exactly as it will be requested.
    pub url: &'a str,
    /// The decoded parameters of an `application/x-www-form-urlencoded` body, if the request
    /// has one; other bodies are not signed (RFC 5849 §3.4.1.3.1).
    pub form: &'a [(&'a str, &'a str)],
    /// The `realm` written first in the header, unsigned; the reference products put their
    /// base URL there.
    pub realm: Option<&'a str>,
    /// `oauth_consumer_key`.
    pub consumer_key: &'a str,
    /// `oauth_token`: `None` leaves it out, `Some("")` sends it empty as the reference products
    /// do for 2-legged requests.
    pub token: Option<&'a str>,
    /// `oauth_timestamp`, Unix seconds from the caller's clock.
    pub timestamp: u64,
    /// `oauth_nonce`, unique for this timestamp; see [`generate_nonce`].
    pub nonce: &'a str,
    /// `oauth_callback`, when asking for a request token.
    pub callback: Option<&'a str>,
    /// `oauth_verifier`, when exchanging a request token.
    pub verifier: Option<&'a Secret>,
    /// `oauth_session_handle`, when renewing an access token.
    pub session_handle: Option<&'a Secret>,
}

impl ClientRequest<'_> {
    /// Signs the request with `key` and returns the `Authorization` header value:
    /// `OAuth realm="...", oauth_consumer_key="...", ..., oauth_signature="..."`.
    ///
    /// The signature covers the method, the URL with its query, the form parameters and every
    /// protocol parameter, with `oauth_version="1.0"` always sent.
    pub fn authorization_header(&self, key: &SigningKey<'_>) -> Result<String, SignError> {
        let url = Url::parse(self.url).map_err(|_| SignError::InvalidUrl("not an absolute URL"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(SignError::InvalidUrl(
                "not an http or https URL with a host",
            ));
        }
        let query =
            parse_form(url.query().unwrap_or_default()).map_err(|_| SignError::InvalidQuery)?;

        let timestamp = self.timestamp.to_string();
        let protocol = self.protocol_params(key, &timestamp);
        let signed = query
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .chain(self.form.iter().copied())
            .chain(protocol.iter().map(|(name, value)| (*name, *value)));
        let base_string = signature_base_string(self.method, &base_string_uri_of_url(&url), signed);
        let signature = key.sign(&base_string)?;

        let header_params = protocol
            .iter()
            .copied()
            .chain([("oauth_signature", signature.expose())]);
        Ok(write_header(self.realm, header_params))
    }

    /// The protocol parameters in the order they are written.
    fn protocol_params<'p>(
        &'p self,
        key: &SigningKey<'_>,
        timestamp: &'p str,
    ) -> Vec<(&'static str, &'p str)> {
        let mut params = vec![("oauth_consumer_key", self.consumer_key)];
        if let Some(token) = self.token {
            params.push(("oauth_token", token));
        }
        params.push(("oauth_signature_method", key.method().as_str()));
        params.push(("oauth_timestamp", timestamp));
        params.push(("oauth_nonce", self.nonce));
        params.push(("oauth_version", "1.0"));
        if let Some(callback) = self.callback {
            params.push(("oauth_callback", callback));
        }
        if let Some(verifier) = self.verifier {
            params.push(("oauth_verifier", verifier.expose()));
        }
        if let Some(handle) = self.session_handle {
            params.push(("oauth_session_handle", handle.expose()));
        }
        params
    }
}

/// A fresh nonce: 12 random bytes from OpenSSL's generator as 24 hexadecimal characters,
/// which also fits peers (such as oauthlib) that insist on 20 to 30 alphanumerics.
pub fn generate_nonce() -> String {
    let mut bytes = [0u8; 12];
    openssl::rand::rand_bytes(&mut bytes).expect("OpenSSL's random generator is seeded");
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut nonce = String::with_capacity(2 * bytes.len());
    for byte in bytes {
        nonce.push(char::from(HEX[usize::from(byte >> 4)]));
        nonce.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    nonce
}
