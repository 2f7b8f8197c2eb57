//! What a running server needs to know about itself, once the CLI has read flags, environment
//! and the configuration file.

use applinks_core::manifest::ApplicationType;
use url::Url;

/// The settings of one server node.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The public base URL: what peers and browsers use to reach this application (the load
    /// balancer's URL in a cluster). No trailing slash.
    pub base_url: Url,
    /// The application name shown in the manifest and to peers' administrators.
    pub name: String,
    /// The application type announced in the manifest.
    pub type_id: ApplicationType,
    /// How long a browser session lasts.
    pub session_lifetime_secs: i64,
}

impl ServerConfig {
    /// The base URL as text, without a trailing slash.
    pub fn base_url_str(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }

    /// Whether cookies must be marked `Secure`.
    pub fn is_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }
}
