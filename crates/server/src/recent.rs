//! A short-lived cache of what every signed request reads: the consumer and the user it acts
//! as. Both change rarely and are read on every request, and a database round trip costs more
//! than the RSA verification itself (see `docs/performance.md`).
//!
//! Entries live for [`TTL_SECS`], so a change made on another node of a cluster, or by the
//! `applinks user` command, takes effect within a second. Changes this node makes to consumers
//! drop the consumer entries at once ([`Recent::forget_consumers`]).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use applinks_core::consumer::{Consumer, ConsumerKey};
use applinks_core::store::{ConsumerStore, StoreResult, UserStore};
use applinks_core::user::{User, Username};
use applinks_store::Database;

/// How long an entry is trusted, in seconds.
pub(crate) const TTL_SECS: i64 = 1;
/// The most entries of each kind; beyond it the cache starts afresh.
const MAX_ENTRIES: usize = 10_000;

/// Recently read consumers and users.
#[derive(Default)]
pub(crate) struct Recent {
    consumers: Entries<ConsumerKey, Option<Consumer>>,
    users: Entries<Username, Option<User>>,
}

impl Recent {
    /// The consumer with `key`, from the cache or the database.
    pub(crate) async fn consumer(
        &self,
        database: &Database,
        key: &ConsumerKey,
        now: i64,
    ) -> StoreResult<Option<Consumer>> {
        if let Some(hit) = self.consumers.get(key, now) {
            return Ok(hit);
        }
        let found = database.consumer(key).await?;
        self.consumers.put(key.clone(), found.clone(), now);
        Ok(found)
    }

    /// The user named `username`, from the cache or the database.
    pub(crate) async fn user(
        &self,
        database: &Database,
        username: &Username,
        now: i64,
    ) -> StoreResult<Option<User>> {
        if let Some(hit) = self.users.get(username, now) {
            return Ok(hit);
        }
        let found = database.user(username).await?;
        self.users.put(username.clone(), found.clone(), now);
        Ok(found)
    }

    /// Drops every cached consumer, after this node changed one.
    pub(crate) fn forget_consumers(&self) {
        self.consumers.clear();
    }
}

struct Entries<K, V>(Mutex<HashMap<K, (i64, V)>>);

impl<K, V> Default for Entries<K, V> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<K: Eq + Hash, V: Clone> Entries<K, V> {
    fn get(&self, key: &K, now: i64) -> Option<V> {
        let entries = self.0.lock().expect("cache lock poisoned");
        entries
            .get(key)
            .filter(|(stored, _)| now - stored < TTL_SECS)
            .map(|(_, value)| value.clone())
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
