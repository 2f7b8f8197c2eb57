//! Slows down password guessing: after a few failed sign-ins for one user name, further
//! attempts for that name are refused for the rest of a window, whatever the password.
//!
//! The count is per node and in memory, bounded in size; a cluster multiplies the allowance by
//! its node count, which still turns an online guessing attack into a crawl.

use std::collections::HashMap;
use std::sync::Mutex;

/// Failed attempts allowed per user name within [`WINDOW_SECS`].
pub(crate) const MAX_FAILURES: u32 = 5;
/// The window, in seconds, after the first failure.
pub(crate) const WINDOW_SECS: i64 = 300;
/// The most names tracked at once; beyond it the oldest windows are forgotten first.
const MAX_TRACKED: usize = 10_000;

/// Failed sign-ins per user name.
#[derive(Debug, Default)]
pub(crate) struct LoginThrottle {
    failures: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: i64,
    count: u32,
}

impl LoginThrottle {
    /// `Err(seconds to wait)` when `username` has used up its attempts at `now`.
    pub(crate) fn check(&self, username: &str, now: i64) -> Result<(), u64> {
        let failures = self.failures.lock().expect("throttle lock poisoned");
        match failures.get(username) {
            Some(window) if now - window.started < WINDOW_SECS && window.count >= MAX_FAILURES => {
                Err((window.started + WINDOW_SECS - now).max(1) as u64)
            }
            _ => Ok(()),
        }
    }

    /// Records a failed attempt.
    pub(crate) fn fail(&self, username: &str, now: i64) {
        let mut failures = self.failures.lock().expect("throttle lock poisoned");
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, window| now - window.started < WINDOW_SECS);
            if failures.len() >= MAX_TRACKED {
                failures.clear();
            }
        }
        let window = failures.entry(username.to_owned()).or_insert(Window {
            started: now,
            count: 0,
        });
        if now - window.started >= WINDOW_SECS {
            *window = Window {
                started: now,
                count: 0,
            };
        }
        window.count += 1;
    }

    /// Forgets the failures of a user who just signed in.
    pub(crate) fn succeed(&self, username: &str) {
        self.failures
            .lock()
            .expect("throttle lock poisoned")
            .remove(username);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_locked_after_repeated_failures_until_the_window_ends() {
        let throttle = LoginThrottle::default();
        for _ in 0..MAX_FAILURES {
            assert_eq!(throttle.check("alice", 1_000), Ok(()));
            throttle.fail("alice", 1_000);
        }
        assert_eq!(throttle.check("alice", 1_010), Err(290));
        assert_eq!(throttle.check("bob", 1_010), Ok(()));
        assert_eq!(throttle.check("alice", 1_000 + WINDOW_SECS), Ok(()));
    }

    #[test]
    fn success_clears_the_count() {
        let throttle = LoginThrottle::default();
        for _ in 0..MAX_FAILURES {
            throttle.fail("alice", 0);
        }
        throttle.succeed("alice");
        assert_eq!(throttle.check("alice", 1), Ok(()));
    }
}
