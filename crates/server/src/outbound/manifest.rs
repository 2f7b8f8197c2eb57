//! Fetching a peer's manifest: the wizard's first question to a URL, "do you speak application
//! links?" (SPEC §5.2 step 2). Parsing is `applinks-core`'s; this module only asks and sorts the
//! answers into what the wizard tells the administrator.

use applinks_core::manifest::{MAX_MANIFEST_BYTES, ManifestParseError, RemoteManifest};
use hyper::StatusCode;
use hyper::header::{self, HeaderMap, HeaderValue};
use url::Url;

use super::{Outbound, OutboundError, Redirects, RequestOptions};

/// Where every application that speaks application links serves its manifest, relative to its
/// base URL.
pub const MANIFEST_PATH: &str = "/rest/applinks/1.0/manifest";

/// Why a URL gave no manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestFetchError {
    /// The request failed: refused address, unknown host, timeout, TLS, size.
    #[error(transparent)]
    Request(OutboundError),
    /// The remote redirects. Redirects are not followed so that the administrator decides
    /// whether the new URL is the application they meant.
    #[error("{url} redirects ({status}) to {location}")]
    Redirected {
        /// The manifest URL asked for.
        url: Url,
        /// The redirect's status.
        status: StatusCode,
        /// The redirect target.
        location: String,
        /// The base URL to suggest instead, when the target is the same manifest path under
        /// another base.
        suggested_base: Option<Url>,
    },
    /// Nothing is served at the manifest path: the remote does not speak application links.
    #[error("{url} answered {status}: the application does not speak application links")]
    NoManifest {
        /// The manifest URL asked for.
        url: Url,
        /// `404` or `410`.
        status: StatusCode,
    },
    /// The remote answered with another error status (authentication required, server error).
    #[error("{url} answered {status} instead of a manifest")]
    UnexpectedStatus {
        /// The manifest URL asked for.
        url: Url,
        /// The status.
        status: StatusCode,
    },
    /// Something answered at the manifest path, but not with a manifest: a login page, a
    /// single-page application's catch-all route, another product.
    #[error(
        "{url} did not answer with a manifest: the application does not speak application links"
    )]
    NotAManifest {
        /// The manifest URL asked for.
        url: Url,
        /// What is wrong with the answer.
        #[source]
        source: ManifestParseError,
    },
}

impl ManifestFetchError {
    /// Whether the answer shows the remote does not speak application links (as opposed to
    /// a network fault or a redirect), so that the wizard asks for the link's details by hand.
    pub fn is_not_application_links(&self) -> bool {
        matches!(self, Self::NoManifest { .. } | Self::NotAManifest { .. })
    }
}

impl Outbound {
    /// Fetches and leniently parses the manifest of the application at `base_url`, without
    /// following redirects, within the default timeouts, reading at most
    /// [`MAX_MANIFEST_BYTES`].
    pub async fn fetch_manifest(
        &self,
        base_url: &Url,
    ) -> Result<RemoteManifest, ManifestFetchError> {
        let url = manifest_url(base_url);
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/xml"));
        let options = RequestOptions {
            max_response_bytes: MAX_MANIFEST_BYTES,
            redirects: Redirects::Refuse,
            ..RequestOptions::default()
        };

        let response = match self
            .send(
                hyper::Method::GET,
                &url,
                headers,
                bytes::Bytes::new(),
                &options,
            )
            .await
        {
            Ok(response) => response,
            Err(OutboundError::UnexpectedRedirect { status, location }) => {
                let suggested_base = suggested_base(&location);
                return Err(ManifestFetchError::Redirected {
                    url,
                    status,
                    location,
                    suggested_base,
                });
            }
            Err(other) => return Err(ManifestFetchError::Request(other)),
        };

        match response.status {
            status if status.is_success() => {}
            status @ (StatusCode::NOT_FOUND | StatusCode::GONE) => {
                return Err(ManifestFetchError::NoManifest { url, status });
            }
            status => return Err(ManifestFetchError::UnexpectedStatus { url, status }),
        }
        let not_a_manifest = |source| ManifestFetchError::NotAManifest {
            url: url.clone(),
            source,
        };
        let text = std::str::from_utf8(&response.body).map_err(|_| {
            not_a_manifest(ManifestParseError::Malformed(
                "the body is not UTF-8".into(),
            ))
        })?;
        RemoteManifest::parse(text.trim_start_matches('\u{feff}')).map_err(not_a_manifest)
    }
}

/// `<base>/rest/applinks/1.0/manifest`, keeping the base's path (a context path such as
/// `/jira`) and dropping its query and fragment.
pub(crate) fn manifest_url(base_url: &Url) -> Url {
    let mut url = base_url.clone();
    let path = format!("{}{MANIFEST_PATH}", base_url.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// The base URL a redirect of the manifest points to, when it points to another manifest.
fn suggested_base(location: &str) -> Option<Url> {
    let mut url = Url::parse(location).ok()?;
    let base = url.path().strip_suffix(MANIFEST_PATH)?.to_owned();
    url.set_path(&base);
    url.set_query(None);
    url.set_fragment(None);
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_lives_under_the_base_path() {
        for (base, expected) in [
            (
                "https://jira.example.com",
                "https://jira.example.com/rest/applinks/1.0/manifest",
            ),
            (
                "https://h.example/jira/",
                "https://h.example/jira/rest/applinks/1.0/manifest",
            ),
            (
                "http://h:8080/c?x=1#f",
                "http://h:8080/c/rest/applinks/1.0/manifest",
            ),
        ] {
            assert_eq!(manifest_url(&Url::parse(base).unwrap()).as_str(), expected);
        }
    }

    #[test]
    fn a_redirected_manifest_suggests_its_base() {
        assert_eq!(
            suggested_base("https://new.example/jira/rest/applinks/1.0/manifest").map(String::from),
            Some("https://new.example/jira".to_owned())
        );
        assert_eq!(suggested_base("https://sso.example/login"), None);
    }
}
