//! Replay protection: each (consumer, timestamp, nonce) is accepted once while its timestamp is
//! inside the window.
//!
//! [`MemoryNonces`] keeps them in this process, bounded in size, for a single node; a cluster
//! uses the database's implementation of the same [`NonceStore`] trait, which every node
//! shares.

use std::collections::{BTreeMap, HashSet};
use std::hash::BuildHasher;
use std::sync::Mutex;

use crate::clock::UnixTime;
use crate::store::StoreResult;

/// Remembers nonces until their timestamps leave the acceptance window.
pub trait NonceStore: Send + Sync {
    /// Records the nonce, answering `Ok(true)` when it is fresh and `Ok(false)` when it was
    /// seen before. `forget_after` is when the timestamp leaves the window: the nonce need not
    /// be remembered past it.
    fn remember(
        &self,
        consumer_key: &str,
        timestamp: u64,
        nonce: &str,
        forget_after: UnixTime,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<NonceVerdict>> + Send;

    /// Forgets every nonce whose `forget_after` has passed at `now`; returns how many.
    fn forget_expired(&self, now: UnixTime) -> impl Future<Output = StoreResult<u64>> + Send;
}

/// What the store says of a nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceVerdict {
    /// First use: the request may proceed.
    Fresh,
    /// Seen before: a replay.
    Replayed,
    /// The store is full of live nonces and cannot tell; refuse for now.
    Full,
}

/// Nonces in this process's memory, at most `capacity` at once.
///
/// Each entry is a 128-bit keyed hash of (consumer, timestamp, nonce), about 40 bytes with its
/// bookkeeping, so the default capacity of four million takes some 160 MiB at worst. The hash
/// keys are random per process, so nobody can craft collisions; an accidental one (odds around
/// 10⁻²⁵) would refuse one genuine request, never accept a replay.
#[derive(Debug)]
pub struct MemoryNonces {
    capacity: usize,
    hashers: (std::hash::RandomState, std::hash::RandomState),
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    seen: HashSet<u128>,
    by_expiry: BTreeMap<UnixTime, Vec<u128>>,
}

impl Entries {
    /// Drops the nonces whose window ended at or before `now`; returns how many.
    fn forget_until(&mut self, now: UnixTime) -> u64 {
        let mut forgotten = 0;
        while let Some(entry) = self.by_expiry.first_entry() {
            if *entry.key() > now {
                break;
            }
            for expired in entry.remove() {
                forgotten += u64::from(self.seen.remove(&expired));
            }
        }
        forgotten
    }
}

impl MemoryNonces {
    /// The default capacity.
    pub const DEFAULT_CAPACITY: usize = 4_000_000;

    /// A store for at most `capacity` live nonces.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            hashers: (std::hash::RandomState::new(), std::hash::RandomState::new()),
            inner: Mutex::new(Entries::default()),
        }
    }

    /// How many nonces are remembered now.
    pub fn len(&self) -> usize {
        self.inner.lock().expect("nonce lock poisoned").seen.len()
    }

    /// Whether no nonce is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn fingerprint(&self, consumer_key: &str, timestamp: u64, nonce: &str) -> u128 {
        let half =
            |state: &std::hash::RandomState| state.hash_one((consumer_key, timestamp, nonce));
        (u128::from(half(&self.hashers.0)) << 64) | u128::from(half(&self.hashers.1))
    }

    fn record(&self, fingerprint: u128, forget_after: UnixTime, now: UnixTime) -> NonceVerdict {
        let mut entries = self.inner.lock().expect("nonce lock poisoned");
        entries.forget_until(now);
        if entries.seen.contains(&fingerprint) {
            return NonceVerdict::Replayed;
        }
        if entries.seen.len() >= self.capacity {
            return NonceVerdict::Full;
        }
        entries.seen.insert(fingerprint);
        entries
            .by_expiry
            .entry(forget_after)
            .or_default()
            .push(fingerprint);
        NonceVerdict::Fresh
    }
}

impl Default for MemoryNonces {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl NonceStore for MemoryNonces {
    async fn remember(
        &self,
        consumer_key: &str,
        timestamp: u64,
        nonce: &str,
        forget_after: UnixTime,
        now: UnixTime,
    ) -> StoreResult<NonceVerdict> {
        let fingerprint = self.fingerprint(consumer_key, timestamp, nonce);
        Ok(self.record(fingerprint, forget_after, now))
    }

    async fn forget_expired(&self, now: UnixTime) -> StoreResult<u64> {
        Ok(self
            .inner
            .lock()
            .expect("nonce lock poisoned")
            .forget_until(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remember(store: &MemoryNonces, key: &str, nonce: &str, now: UnixTime) -> NonceVerdict {
        let fingerprint = store.fingerprint(key, 1_000, nonce);
        store.record(fingerprint, now + 300, now)
    }

    #[test]
    fn a_nonce_is_accepted_once_per_consumer() {
        let store = MemoryNonces::new(10);
        assert_eq!(remember(&store, "a", "n1", 0), NonceVerdict::Fresh);
        assert_eq!(remember(&store, "a", "n1", 1), NonceVerdict::Replayed);
        assert_eq!(remember(&store, "b", "n1", 1), NonceVerdict::Fresh);
    }

    #[test]
    fn nonces_are_forgotten_after_their_window_and_capacity_is_kept() {
        let store = MemoryNonces::new(2);
        assert_eq!(remember(&store, "a", "n1", 0), NonceVerdict::Fresh);
        assert_eq!(remember(&store, "a", "n2", 0), NonceVerdict::Fresh);
        assert_eq!(remember(&store, "a", "n3", 10), NonceVerdict::Full);
        assert_eq!(store.len(), 2);
        assert_eq!(remember(&store, "a", "n3", 300), NonceVerdict::Fresh);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn the_fields_cannot_be_shifted_into_each_other() {
        let store = MemoryNonces::new(10);
        let a = store.fingerprint("ab", 1, "c");
        let b = store.fingerprint("a", 1, "bc");
        assert_ne!(a, b);
    }
}
