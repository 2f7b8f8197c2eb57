//! Cross-site request forgery defences for browser forms: the request must come from one of our
//! own pages (its `Origin` or `Sec-Fetch-Site` says so) and, once signed in, carry the session's
//! token.

use applinks_core::session::Session;
use axum::http::{HeaderMap, header};

use crate::config::ServerConfig;

/// Whether the browser says the request comes from our own origin. Requests without either
/// header come from old browsers or non-browser clients, which a forging page cannot be.
pub(crate) fn same_origin(headers: &HeaderMap, config: &ServerConfig) -> bool {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if site.is_some_and(|site| !matches!(site, "same-origin" | "none")) {
        return false;
    }
    match headers.get(header::ORIGIN).map(|v| v.to_str()) {
        None => true,
        Some(Ok(origin)) => origin == config.base_url.origin().ascii_serialization(),
        Some(Err(_)) => false,
    }
}

/// Whether a form's token is the session's, compared in constant time.
pub(crate) fn token_matches(session: &Session, submitted: &str) -> bool {
    let expected = session.csrf_token.as_bytes();
    let submitted = submitted.as_bytes();
    expected.len() == submitted.len() && openssl::memcmp::eq(expected, submitted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use applinks_core::manifest::ApplicationType;
    use axum::http::HeaderValue;

    fn config() -> ServerConfig {
        ServerConfig::new(
            "https://links.example.com".parse().unwrap(),
            "t",
            ApplicationType::Generic,
        )
    }

    #[test]
    fn foreign_origins_and_cross_site_fetches_are_refused() {
        let mut headers = HeaderMap::new();
        assert!(same_origin(&headers, &config()));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://links.example.com"),
        );
        assert!(same_origin(&headers, &config()));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&headers, &config()));
        headers.remove(header::ORIGIN);
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&headers, &config()));
    }
}
