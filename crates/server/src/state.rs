//! The state every handler shares: configuration, identity, database, clock, replay
//! protection, parsed consumer keys and throttles.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use applinks_core::clock::{Clock, Entropy};
use applinks_core::consumer::Sealed;
use applinks_core::nonce::{MemoryNonces, NonceStore, NonceVerdict};
use applinks_core::store::{ConsumerTokenStore, LeaseStore, SessionStore, StoreResult, TokenStore};
use applinks_oauth1::{PublicKey, Secret};
use applinks_store::{Backend, Database};

use crate::config::ServerConfig;
use crate::identity::Identity;
use crate::outbound::Outbound;
use crate::recent::Recent;
use crate::secrets::SecretKey;
use crate::throttle::Throttle;

/// Shared, cheaply cloned state of one server node.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    config: ServerConfig,
    identity: Identity,
    database: Database,
    secret_key: SecretKey,
    outbound: Outbound,
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    nonces: Nonces,
    node_id: String,
    public_keys: PublicKeyCache,
    recent: Recent,
    throttles: Throttles,
}

/// The brakes of this node.
#[derive(Debug)]
pub(crate) struct Throttles {
    /// Failed sign-ins per user name: 5 in 5 minutes.
    pub(crate) sign_in: Throttle,
    /// Failed OAuth signatures per consumer key and client address: 20 a minute.
    pub(crate) signatures: Throttle,
    /// Calls to the OAuth token endpoints per client address: 120 a minute.
    pub(crate) token_endpoints: Throttle,
}

impl Default for Throttles {
    fn default() -> Self {
        Self {
            sign_in: Throttle::new(5, 300),
            signatures: Throttle::new(20, 60),
            token_endpoints: Throttle::new(120, 60),
        }
    }
}

impl AppState {
    /// Assembles the state from its parts; [`crate::bootstrap`] provides the identity.
    pub fn new(
        config: ServerConfig,
        identity: Identity,
        database: Database,
        secret_key: SecretKey,
        outbound: Outbound,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
    ) -> Self {
        let nonces = Nonces::for_backend(database.backend());
        Self(Arc::new(Inner {
            config,
            identity,
            database,
            secret_key,
            outbound,
            clock,
            entropy,
            nonces,
            node_id: uuid::Uuid::new_v4().to_string(),
            public_keys: PublicKeyCache::default(),
            recent: Recent::default(),
            throttles: Throttles::default(),
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

    /// Seals a secret for storage under `purpose`.
    pub(crate) fn seal(&self, purpose: &str, secret: &str) -> Sealed {
        Sealed(self.0.secret_key.seal(purpose, secret.as_bytes()))
    }

    /// Opens a secret sealed under `purpose`; `None` (logged) when it cannot be opened.
    pub(crate) fn unseal(&self, purpose: &str, sealed: &Sealed) -> Option<Secret> {
        let opened = self
            .0
            .secret_key
            .open(purpose, &sealed.0)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        if opened.is_none() {
            tracing::error!(
                purpose,
                "a stored secret cannot be opened with the configured secret key"
            );
        }
        opened.map(Secret::new)
    }

    /// This node's id, for leases.
    pub(crate) fn node_id(&self) -> &str {
        &self.0.node_id
    }

    /// The guarded client for every request to an admin-supplied URL.
    pub(crate) fn outbound(&self) -> &Outbound {
        &self.0.outbound
    }

    /// The current time, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.0.clock.now()
    }

    /// `len` random bytes, URL-safe base64 encoded: session ids, tokens, verifiers.
    pub(crate) fn random_token(&self, len: usize) -> String {
        use base64::Engine as _;
        let mut bytes = vec![0; len];
        self.0.entropy.fill(&mut bytes);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Records a nonce, in this node's memory or in the database every node shares.
    pub(crate) async fn remember_nonce(
        &self,
        consumer_key: &str,
        timestamp: u64,
        nonce: &str,
        forget_after: i64,
    ) -> StoreResult<NonceVerdict> {
        let now = self.now();
        match &self.0.nonces {
            Nonces::InMemory(nonces) => {
                nonces
                    .remember(consumer_key, timestamp, nonce, forget_after, now)
                    .await
            }
            Nonces::Shared => {
                self.database()
                    .remember(consumer_key, timestamp, nonce, forget_after, now)
                    .await
            }
        }
    }

    /// Recently read consumers and users, for signed requests.
    pub(crate) fn recent(&self) -> &Recent {
        &self.0.recent
    }

    pub(crate) fn throttles(&self) -> &Throttles {
        &self.0.throttles
    }

    /// A consumer's RSA public key, parsed once per distinct key text and kept.
    pub(crate) fn public_key(&self, text: &str) -> Option<PublicKey> {
        self.0.public_keys.get(text)
    }

    /// Removes expired sessions, tokens and nonces every `period`, forever, on one node of
    /// the cluster at a time (the holder of the `sweeper` lease); [`crate::run`] aborts it on
    /// shutdown.
    pub(crate) async fn sweep_expired(self, period: Duration) {
        let mut ticker = tokio::time::interval(period);
        let ttl = i64::try_from(period.as_secs())
            .unwrap_or(i64::MAX / 2)
            .saturating_mul(2);
        loop {
            ticker.tick().await;
            let now = self.now();
            if let Nonces::InMemory(nonces) = &self.0.nonces {
                let _ = nonces.forget_expired(now).await;
            }
            match self
                .database()
                .try_lease("sweeper", &self.0.node_id, now, ttl)
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    tracing::warn!(%error, "could not take the sweeper lease");
                    continue;
                }
            }
            if let Nonces::Shared = &self.0.nonces {
                match self.database().forget_expired(now).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::debug!(removed, "forgot expired nonces"),
                    Err(error) => tracing::warn!(%error, "could not forget expired nonces"),
                }
            }
            match self.database().delete_expired_sessions(now).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "removed expired sessions"),
                Err(error) => tracing::warn!(%error, "could not remove expired sessions"),
            }
            // A dance not finished within the request-token lifetime cannot finish any more.
            let stale = now - self.config().token_lifetimes.request;
            match self.database().delete_stale_dances(stale).await {
                Ok(0) => {}
                Ok(removed) => tracing::debug!(removed, "removed unfinished OAuth dances"),
                Err(error) => tracing::warn!(%error, "could not remove unfinished OAuth dances"),
            }
            match self.database().delete_expired_tokens(now).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "removed expired OAuth tokens"),
                Err(error) => tracing::warn!(%error, "could not remove expired OAuth tokens"),
            }
        }
    }
}

/// Where nonces are remembered. An SQLite database serves one node, whose memory is the
/// fastest place; PostgreSQL may serve a cluster, whose nodes must all see every nonce.
enum Nonces {
    InMemory(MemoryNonces),
    Shared,
}

impl Nonces {
    fn for_backend(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Self::InMemory(MemoryNonces::default()),
            Backend::Postgres => Self::Shared,
        }
    }
}

/// Parsed public keys by their text, bounded: consumers are few, and a key that changes
/// leaves one stale entry until the cache is cleared on overflow.
#[derive(Default)]
struct PublicKeyCache(RwLock<HashMap<String, PublicKey>>);

impl PublicKeyCache {
    const MAX_KEYS: usize = 10_000;

    fn get(&self, text: &str) -> Option<PublicKey> {
        if let Some(key) = self.0.read().expect("key cache lock poisoned").get(text) {
            return Some(key.clone());
        }
        let parsed = PublicKey::parse(text).ok()?;
        let mut keys = self.0.write().expect("key cache lock poisoned");
        if keys.len() >= Self::MAX_KEYS {
            keys.clear();
        }
        keys.insert(text.to_owned(), parsed.clone());
        Some(parsed)
    }
}

/// The operating system's random generator, through OpenSSL.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl applinks_core::clock::Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) {
        // OpenSSL's generator only fails when the operating system cannot seed it, and then no
        // secret we could make would be safe: stopping is the right answer.
        openssl::rand::rand_bytes(buf).expect("the system random generator failed");
    }
}
