//! Counting brakes against guessing and flooding, per key, in this node's memory.
//!
//! One [`Throttle`] counts events per key within a fixed window and refuses the key once the
//! count reaches its limit, until the window that began with the first event ends. It serves
//! three brakes: failed sign-ins per user name, failed OAuth signatures per consumer and client,
//! and calls to the OAuth token endpoints per client. Counts are per node: a cluster multiplies
//! the allowance by its node count, which still turns an online attack into a crawl.

use std::collections::HashMap;
use std::sync::Mutex;

/// The most keys tracked at once; beyond it expired windows are dropped, then all of them.
const MAX_TRACKED: usize = 10_000;

/// Events per key within a window.
#[derive(Debug)]
pub(crate) struct Throttle {
    limit: u32,
    window_secs: i64,
    windows: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: i64,
    count: u32,
}

impl Throttle {
    /// Allows `limit` events per key in each window of `window_secs`.
    pub(crate) fn new(limit: u32, window_secs: i64) -> Self {
        Self {
            limit,
            window_secs,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when `key` has used up its events at `now`.
    pub(crate) fn check(&self, key: &str, now: i64) -> Result<(), u64> {
        let windows = self.windows.lock().expect("throttle lock poisoned");
        match windows.get(key) {
            Some(window)
                if now - window.started < self.window_secs && window.count >= self.limit =>
            {
                Err((window.started + self.window_secs - now).max(1) as u64)
            }
            _ => Ok(()),
        }
    }

    /// Counts one event for `key`.
    pub(crate) fn record(&self, key: &str, now: i64) {
        let mut windows = self.windows.lock().expect("throttle lock poisoned");
        if windows.len() >= MAX_TRACKED && !windows.contains_key(key) {
            let window_secs = self.window_secs;
            windows.retain(|_, window| now - window.started < window_secs);
            if windows.len() >= MAX_TRACKED {
                windows.clear();
            }
        }
        let window = windows.entry(key.to_owned()).or_insert(Window {
            started: now,
            count: 0,
        });
        if now - window.started >= self.window_secs {
            *window = Window {
                started: now,
                count: 0,
            };
        }
        window.count += 1;
    }

    /// Checks and counts in one step: the brake for calls rather than failures.
    pub(crate) fn admit(&self, key: &str, now: i64) -> Result<(), u64> {
        self.check(key, now)?;
        self.record(key, now);
        Ok(())
    }

    /// Forgets `key`, after a success.
    pub(crate) fn clear(&self, key: &str) {
        self.windows
            .lock()
            .expect("throttle lock poisoned")
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_after_its_limit_until_the_window_ends() {
        let throttle = Throttle::new(5, 300);
        for _ in 0..5 {
            assert_eq!(throttle.check("alice", 1_000), Ok(()));
            throttle.record("alice", 1_000);
        }
        assert_eq!(throttle.check("alice", 1_010), Err(290));
        assert_eq!(throttle.check("bob", 1_010), Ok(()));
        assert_eq!(throttle.check("alice", 1_300), Ok(()));
    }

    #[test]
    fn clearing_forgets_the_count() {
        let throttle = Throttle::new(1, 60);
        throttle.record("alice", 0);
        assert!(throttle.check("alice", 1).is_err());
        throttle.clear("alice");
        assert_eq!(throttle.check("alice", 1), Ok(()));
    }

    #[test]
    fn admit_counts_every_call() {
        let throttle = Throttle::new(2, 60);
        assert_eq!(throttle.admit("10.0.0.1", 0), Ok(()));
        assert_eq!(throttle.admit("10.0.0.1", 0), Ok(()));
        assert_eq!(throttle.admit("10.0.0.1", 0), Err(60));
    }

    #[test]
    fn the_tracked_set_stays_bounded() {
        let throttle = Throttle::new(1, 60);
        for key in 0..(MAX_TRACKED + 10) {
            throttle.record(&key.to_string(), 0);
        }
        assert!(throttle.windows.lock().unwrap().len() <= MAX_TRACKED);
    }
}
