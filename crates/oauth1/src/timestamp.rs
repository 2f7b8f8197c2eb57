//! The timestamp window (RFC 5849 §3.3): a server refuses requests whose `oauth_timestamp` is
//! too far from its own clock, which bounds how long it must remember nonces.
//!
//! The clock is an argument, never read here, so that windows are tested without sleeping.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::problem::ProblemReport;

/// The window of the reference products (SPEC §4): five minutes either side of `now`.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(5 * 60);

/// Accepts `timestamp` (Unix seconds) when it lies within `window` of `now`, in either
/// direction. Otherwise answers `timestamp_refused` with the accepted range, which lets a
/// client (or an administrator reading `applinks doctor`) see the clock skew.
pub fn check_timestamp(
    timestamp: u64,
    now: SystemTime,
    window: Duration,
) -> Result<(), ProblemReport> {
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let earliest = now.saturating_sub(window.as_secs());
    let latest = now.saturating_add(window.as_secs());

    if (earliest..=latest).contains(&timestamp) {
        Ok(())
    } else {
        Err(ProblemReport::timestamp_refused(earliest, latest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Problem;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn the_window_is_inclusive_on_both_sides() {
        let now = at(1_000_000);
        for ts in [999_700, 1_000_000, 1_000_300] {
            assert_eq!(check_timestamp(ts, now, DEFAULT_WINDOW), Ok(()), "{ts}");
        }
        for ts in [999_699, 1_000_301, 0, u64::MAX] {
            let report = check_timestamp(ts, now, DEFAULT_WINDOW).unwrap_err();
            assert_eq!(report.problem(), Problem::TimestampRefused);
            assert_eq!(report.acceptable_timestamps(), Some((999_700, 1_000_300)));
        }
    }

    #[test]
    fn clocks_before_the_epoch_do_not_panic() {
        let before = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(check_timestamp(0, before, DEFAULT_WINDOW), Ok(()));
    }
}
