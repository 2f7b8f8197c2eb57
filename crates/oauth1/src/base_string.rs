//! The signature base string (RFC 5849 §3.4.1): the exact bytes both sides sign.
//!
//! It is built from three parts — the upper-cased method, the base string URI and the
//! normalised parameters — each percent-encoded and joined by `&`. A base string is never
//! shown to a caller (SPEC §4): it would help an attacker and it is all a confused client
//! would need to leak a secret in a support ticket.

use std::fmt::Write as _;
use std::ops::Range;

use url::Url;

use crate::encoding::encode_into;

/// The base string URI (RFC 5849 §3.4.1.2) of a request's parts: scheme and host in lower
/// case, the port only when it is not the scheme's default, the path exactly as it was sent
/// (an empty path becomes `/`), no query and no fragment.
pub fn base_string_uri(scheme: &str, host: &str, port: Option<u16>, path: &str) -> String {
    let default_port = if scheme.eq_ignore_ascii_case("http") {
        Some(80)
    } else if scheme.eq_ignore_ascii_case("https") {
        Some(443)
    } else {
        None
    };
    let path = if path.is_empty() { "/" } else { path };

    // `:65535` is the longest port.
    let mut uri = String::with_capacity(scheme.len() + host.len() + path.len() + 9);
    push_lowercase(&mut uri, scheme);
    uri.push_str("://");
    push_lowercase(&mut uri, host);
    if let Some(port) = port.filter(|port| Some(*port) != default_port) {
        // Writing to a `String` cannot fail.
        let _ = write!(uri, ":{port}");
    }
    uri.push_str(path);
    uri
}

/// Appends `text` with its ASCII letters in lower case, as `to_ascii_lowercase` would return
/// it, without a copy of its own.
fn push_lowercase(out: &mut String, text: &str) {
    out.extend(text.chars().map(|c| c.to_ascii_lowercase()));
}

/// The base string URI of a full URL, as a client signs it: the URL is parsed and normalised
/// the way it will be sent (so `http://EXAMPLE.COM:80/r v` becomes `http://example.com/r%20v`).
pub fn base_string_uri_of_url(url: &Url) -> String {
    base_string_uri(
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port(),
        url.path(),
    )
}

/// The normalised request parameters (RFC 5849 §3.4.1.3.2): every name and value encoded,
/// the pairs sorted by encoded name and then by encoded value, joined as `name=value` with
/// `&`.
pub fn normalize_parameters<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    // Every name and value is encoded into one buffer, and the pairs are sorted as ranges of
    // it: three allocations for a typical request (a few hundred bytes of parameters).
    let mut encoded = String::with_capacity(1024);
    let mut pairs: Vec<(Range<usize>, Range<usize>)> = Vec::with_capacity(16);
    for (name, value) in params {
        let start = encoded.len();
        encode_into(&mut encoded, name);
        let middle = encoded.len();
        encode_into(&mut encoded, value);
        pairs.push((start..middle, middle..encoded.len()));
    }
    // The encoded text is ASCII: comparing its bytes is comparing its characters, without
    // the boundary checks of slicing a `str`.
    let bytes = encoded.as_bytes();
    let text = |(name, value): &(Range<usize>, Range<usize>)| {
        (&bytes[name.clone()], &bytes[value.clone()])
    };
    pairs.sort_unstable_by(|a, b| text(a).cmp(&text(b)));

    let mut out = String::with_capacity(encoded.len() + 2 * pairs.len());
    for (index, (name, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.push_str(&encoded[name.clone()]);
        out.push('=');
        out.push_str(&encoded[value.clone()]);
    }
    out
}

/// The signature base string (RFC 5849 §3.4.1.1):
/// `METHOD&enc(base string URI)&enc(normalised parameters)`.
pub fn signature_base_string<'a>(
    method: &str,
    base_uri: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let normalized = normalize_parameters(params);
    let mut out =
        String::with_capacity(method.len() + base_uri.len() * 3 / 2 + normalized.len() * 3 / 2);
    if method.bytes().all(|byte| byte.is_ascii_alphabetic()) {
        // Every method in use (`GET`, `POST`, …) passes through the encoding unchanged.
        out.extend(method.chars().map(|c| c.to_ascii_uppercase()));
    } else {
        encode_into(&mut out, &method.to_ascii_uppercase());
    }
    out.push('&');
    encode_into(&mut out, base_uri);
    out.push('&');
    encode_into(&mut out, &normalized);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ports_are_dropped_and_others_kept() {
        assert_eq!(
            base_string_uri("HTTP", "Example.COM", Some(80), "/a"),
            "http://example.com/a"
        );
        assert_eq!(
            base_string_uri("https", "example.com", Some(443), ""),
            "https://example.com/"
        );
        assert_eq!(
            base_string_uri("https", "example.com", Some(80), "/"),
            "https://example.com:80/"
        );
        assert_eq!(
            base_string_uri("http", "example.com", None, "/p%20q"),
            "http://example.com/p%20q"
        );
    }

    #[test]
    fn method_is_upper_cased() {
        let base = signature_base_string("post", "http://e/", [("a", "b")]);
        assert_eq!(base, "POST&http%3A%2F%2Fe%2F&a%3Db");
    }
}
