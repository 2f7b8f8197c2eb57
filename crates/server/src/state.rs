//! The state every handler shares: configuration, identity, database, clock and throttles.

use std::sync::Arc;
use std::time::Duration;

use applinks_core::clock::{Clock, Entropy};
use applinks_core::store::SessionStore;
use applinks_store::Database;

use crate::config::ServerConfig;
use crate::identity::Identity;
use crate::throttle::LoginThrottle;

/// Shared, cheaply cloned state of one server node.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    config: ServerConfig,
    identity: Identity,
    database: Database,
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    login_throttle: LoginThrottle,
}

impl AppState {
    /// Assembles the state from its parts; [`crate::bootstrap`] provides the identity.
    pub fn new(
        config: ServerConfig,
        identity: Identity,
        database: Database,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
    ) -> Self {
        Self(Arc::new(Inner {
            config,
            identity,
            database,
            clock,
            entropy,
            login_throttle: LoginThrottle::default(),
        }))
    }

    /// The node's configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.0.config
    }

    /// The application's identity: server id, consumer key, key pair.
    pub fn identity(&self) -> &Identity {
        &self.0.identity
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.0.database
    }

    /// The current time, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.0.clock.now()
    }

    /// `len` random bytes, URL-safe base64 encoded: session ids, CSRF tokens.
    pub(crate) fn random_token(&self, len: usize) -> String {
        use base64::Engine as _;
        let mut bytes = vec![0; len];
        self.0.entropy.fill(&mut bytes);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    pub(crate) fn login_throttle(&self) -> &LoginThrottle {
        &self.0.login_throttle
    }

    /// Removes expired sessions every `period`, forever; [`crate::run`] aborts it on shutdown.
    pub(crate) async fn sweep_expired_sessions(self, period: Duration) {
        let mut ticker = tokio::time::interval(period);
        loop {
            ticker.tick().await;
            match self.database().delete_expired_sessions(self.now()).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "removed expired sessions"),
                Err(error) => tracing::warn!(%error, "could not remove expired sessions"),
            }
        }
    }
}

/// The operating system's random generator, through OpenSSL.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) {
        // OpenSSL's generator only fails when the operating system cannot seed it, and then no
        // secret we could make would be safe: stopping is the right answer.
        openssl::rand::rand_bytes(buf).expect("the system random generator failed");
    }
}
