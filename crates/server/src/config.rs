//! What a running server needs to know about itself, once the CLI has read flags, environment
//! and the configuration file.

use std::time::Duration;

use applinks_core::manifest::ApplicationType;
use applinks_core::session::DEFAULT_SESSION_LIFETIME_SECS;
use applinks_core::token::TokenLifetimes;
use url::Url;

use crate::outbound::{DEFAULT_TIMEOUT, Redirects, RequestOptions};

/// The reference products' OAuth timestamp window: five minutes either way.
pub const DEFAULT_TIMESTAMP_WINDOW_SECS: u64 = 300;

/// How often links are checked by default: every five minutes.
pub const DEFAULT_STATUS_INTERVAL_SECS: u64 = 300;

/// The largest answer the proxy passes on by default: 16 MiB.
pub const DEFAULT_PROXY_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// How long a proxied request may take by default, its whole body included: 60 seconds.
pub const DEFAULT_PROXY_TIMEOUT: Duration = Duration::from_secs(60);

/// The settings of one server node.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The public base URL: what peers and browsers use to reach this application (the load
    /// balancer's URL in a cluster). Signed requests are verified against it.
    pub base_url: Url,
    /// The application name shown in the manifest and to peers' administrators.
    pub name: String,
    /// The application type announced in the manifest.
    pub type_id: ApplicationType,
    /// How long a browser session lasts, in seconds.
    pub session_lifetime_secs: i64,
    /// How long issued OAuth tokens live.
    pub token_lifetimes: TokenLifetimes,
    /// How far, in seconds, an OAuth timestamp may be from this server's clock.
    pub timestamp_window_secs: u64,
    /// How often links are checked in the background, in seconds; 0 turns checks off.
    pub status_interval_secs: u64,
    /// The limits of a request through the proxy, whose answer streams to the user.
    pub proxy_limits: RequestOptions,
}

impl ServerConfig {
    /// A configuration with the default lifetimes and window.
    pub fn new(base_url: Url, name: impl Into<String>, type_id: ApplicationType) -> Self {
        Self {
            base_url,
            name: name.into(),
            type_id,
            session_lifetime_secs: DEFAULT_SESSION_LIFETIME_SECS,
            token_lifetimes: TokenLifetimes::default(),
            timestamp_window_secs: DEFAULT_TIMESTAMP_WINDOW_SECS,
            status_interval_secs: DEFAULT_STATUS_INTERVAL_SECS,
            proxy_limits: RequestOptions {
                connect_timeout: DEFAULT_TIMEOUT,
                timeout: DEFAULT_PROXY_TIMEOUT,
                max_response_bytes: DEFAULT_PROXY_MAX_RESPONSE_BYTES,
                redirects: Redirects::Refuse,
            },
        }
    }

    /// The base URL as text, without a trailing slash.
    pub fn base_url_str(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }

    /// Whether cookies must be marked `Secure`.
    pub fn is_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }
}
