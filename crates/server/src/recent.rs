//! A short-lived cache of what the hot paths read on every request: the consumer of a signed
//! request and the user it acts as, a browser's session and its user, and the link a proxied
//! request goes through. They change rarely, and a database round trip costs more than the RSA
//! verification itself (see `docs/performance.md`).
//!
//! Entries live for [`TTL_SECS`], so a change made on another node of a cluster, or by the
//! `applinks user` command, takes effect within a second. Changes this node makes take effect
//! at once: every administrative change drops the consumers, users and links
//! ([`Recent::forget_changes`], called by the audit log), and signing out or confirming a
//! password drops that session ([`Recent::forget_session`]). Sessions are cached only when
//! found, so a new sign-in on another node works at once too.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use applinks_core::clock::UnixTime;
use applinks_core::consumer::{Consumer, ConsumerKey};
use applinks_core::link::{ApplicationId, ApplicationLink};
use applinks_core::session::Session;
use applinks_core::store::{ConsumerStore, LinkStore, SessionStore, StoreResult, UserStore};
use applinks_core::user::{User, Username};
use applinks_store::Database;

/// How long an entry is trusted, in seconds.
pub(crate) const TTL_SECS: i64 = 1;
/// The most entries of each kind; beyond it the cache starts afresh.
const MAX_ENTRIES: usize = 10_000;

/// Recently read consumers, users, sessions and links.
#[derive(Default)]
pub(crate) struct Recent {
    /// Shared, not copied: a consumer carries its public key's text.
    consumers: Entries<ConsumerKey, Option<Arc<Consumer>>>,
    users: Entries<Username, Option<User>>,
    /// Live sessions by the digest of their id; never the absence of one.
    sessions: Entries<String, Session>,
    links: Entries<ApplicationId, Option<ApplicationLink>>,
}

impl Recent {
    /// The consumer with `key`, from the cache or the database.
    pub(crate) async fn consumer(
        &self,
        database: &Database,
        key: &ConsumerKey,
        now: i64,
    ) -> StoreResult<Option<Arc<Consumer>>> {
        let load = async { Ok(database.consumer(key).await?.map(Arc::new)) };
        self.consumers.get_or_load(key, now, load).await
    }

    /// The user named `username`, from the cache or the database.
    pub(crate) async fn user(
        &self,
        database: &Database,
        username: &Username,
        now: i64,
    ) -> StoreResult<Option<User>> {
        let load = database.user(username);
        self.users.get_or_load(username, now, load).await
    }

    /// The session whose id has `id_digest`, if it is live at `now`.
    pub(crate) async fn live_session(
        &self,
        database: &Database,
        id_digest: &str,
        now: UnixTime,
    ) -> StoreResult<Option<Session>> {
        if let Some(hit) = self.sessions.get(id_digest, now) {
            return Ok(Some(hit).filter(|session| session.is_live(now)));
        }
        let found = database.live_session(id_digest, now).await?;
        if let Some(session) = &found {
            self.sessions
                .put(id_digest.to_owned(), session.clone(), now);
        }
        Ok(found)
    }

    /// The link with `id`, from the cache or the database.
    pub(crate) async fn link(
        &self,
        database: &Database,
        id: &ApplicationId,
        now: UnixTime,
    ) -> StoreResult<Option<ApplicationLink>> {
        self.links.get_or_load(id, now, database.link(id)).await
    }

    /// Drops every cached consumer, user and link, after this node changed one of them.
    pub(crate) fn forget_changes(&self) {
        self.consumers.clear();
        self.users.clear();
        self.links.clear();
    }

    /// Drops one session, after this node ended or changed it.
    pub(crate) fn forget_session(&self, id_digest: &str) {
        self.sessions.remove(id_digest);
    }
}

struct Entries<K, V>(Mutex<HashMap<K, (i64, V)>>);

impl<K, V> Default for Entries<K, V> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<K: Eq + Hash, V: Clone> Entries<K, V> {
    fn get<Q>(&self, key: &Q, now: i64) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.0.lock().expect("cache lock poisoned");
        entries
            .get(key)
            .filter(|(stored, _)| now - stored < TTL_SECS)
            .map(|(_, value)| value.clone())
    }

    /// The entry for `key`, or what `load` finds, which is then kept.
    async fn get_or_load(
        &self,
        key: &K,
        now: i64,
        load: impl Future<Output = StoreResult<V>>,
    ) -> StoreResult<V>
    where
        K: Clone,
    {
        if let Some(hit) = self.get(key, now) {
            return Ok(hit);
        }
        let found = load.await?;
        self.put(key.clone(), found.clone(), now);
        Ok(found)
    }

    fn put(&self, key: K, value: V, now: i64) {
        let mut entries = self.0.lock().expect("cache lock poisoned");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (now, value));
    }

    fn clear(&self) {
        self.0.lock().expect("cache lock poisoned").clear();
    }

    fn remove<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.0.lock().expect("cache lock poisoned").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_after_the_ttl_and_clear_on_demand() {
        let entries: Entries<&str, u8> = Entries::default();
        entries.put("a", 1, 100);
        assert_eq!(entries.get(&"a", 100), Some(1));
        assert_eq!(entries.get(&"a", 100 + TTL_SECS), None);
        entries.put("b", 2, 100);
        entries.clear();
        assert_eq!(entries.get(&"b", 100), None);
    }
}
