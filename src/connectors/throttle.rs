//! Per-connection pacing of provider requests: a `governor` limiter per connection (and rate
//! limit) keeps requests under the definition's limit, shared by every sync of the connection
//! in the process; and what the provider's own headers said (`X-RateLimit-Remaining: 0` with a
//! reset time) holds the connection's next requests until the reset — briefly by waiting,
//! past the policy's threshold by telling the caller to park.

use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    state::{InMemoryState, NotKeyed},
};

use super::definition::{RateLimit, RatePeriod};

type Limiter = RateLimiter<NotKeyed, InMemoryState, DefaultClock>;

/// What the caller should do before sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Send now.
    Go,
    /// Wait this long, then ask again.
    Wait(Duration),
    /// The connection cannot send before this time: checkpoint and come back.
    Park(SystemTime),
}

/// Limiters and learned quotas of every connection in the process.
#[derive(Default)]
pub struct Throttle {
    limiters: Mutex<HashMap<(String, RateLimit), Arc<Limiter>>>,
    quiet_until: Mutex<HashMap<String, SystemTime>>,
}

impl Throttle {
    /// Whether a request of `connection` may go now, given its rate limit and what the
    /// provider said; waits longer than `park_after` become [`Admission::Park`].
    pub fn admit(
        &self,
        connection: &str,
        limit: Option<&RateLimit>,
        now: SystemTime,
        park_after: Option<Duration>,
    ) -> Admission {
        let wait_or_park = |wait: Duration| match park_after {
            Some(threshold) if wait > threshold => Admission::Park(now + wait),
            _ => Admission::Wait(wait),
        };
        if let Some(until) = self.quiet_until(connection)
            && let Ok(wait) = until.duration_since(now)
            && !wait.is_zero()
        {
            return wait_or_park(wait);
        }
        let Some(limit) = limit else {
            return Admission::Go;
        };
        let limiter = self.limiter(connection, limit);
        match limiter.check() {
            Ok(()) => Admission::Go,
            Err(not_until) => wait_or_park(not_until.wait_time_from(DefaultClock::default().now())),
        }
    }

    /// Remembers that the provider's quota for `connection` is spent until `until`.
    pub fn hold_until(&self, connection: &str, until: SystemTime) {
        let mut quiet = self
            .quiet_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = quiet.entry(connection.to_owned()).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// Forgets everything about a connection (deleted, or its quota reset seen).
    pub fn forget(&self, connection: &str) {
        self.quiet_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(connection);
        self.limiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|(id, _), _| id != connection);
    }

    fn quiet_until(&self, connection: &str) -> Option<SystemTime> {
        self.quiet_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(connection)
            .copied()
    }

    fn limiter(&self, connection: &str, limit: &RateLimit) -> Arc<Limiter> {
        let mut limiters = self
            .limiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        limiters
            .entry((connection.to_owned(), *limit))
            .or_insert_with(|| Arc::new(RateLimiter::direct(quota(limit))))
            .clone()
    }
}

/// The governor quota of a definition's rate limit: `requests` per period, replenished
/// evenly, with a burst of `burst` (default `requests`).
pub fn quota(limit: &RateLimit) -> Quota {
    let requests = NonZeroU32::new(limit.requests).unwrap_or(NonZeroU32::MIN);
    let period = match limit.per {
        RatePeriod::Second => Duration::from_secs(1),
        RatePeriod::Minute => Duration::from_secs(60),
        RatePeriod::Hour => Duration::from_secs(3600),
        RatePeriod::Day => Duration::from_secs(86_400),
    };
    let burst = limit.burst.and_then(NonZeroU32::new).unwrap_or(requests);
    Quota::with_period(period / requests.get())
        .unwrap_or_else(|| Quota::per_second(requests))
        .allow_burst(burst)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(requests: u32, per: RatePeriod, burst: Option<u32>) -> RateLimit {
        RateLimit {
            requests,
            per,
            burst,
        }
    }

    #[test]
    fn a_connection_gets_its_burst_then_waits_and_others_are_unaffected() {
        let throttle = Throttle::default();
        let now = SystemTime::now();
        let per_minute = limit(60, RatePeriod::Minute, Some(3));
        for _ in 0..3 {
            assert_eq!(
                throttle.admit("a", Some(&per_minute), now, None),
                Admission::Go
            );
        }
        match throttle.admit("a", Some(&per_minute), now, None) {
            Admission::Wait(wait) => assert!(wait <= Duration::from_secs(1), "{wait:?}"),
            other => panic!("expected a wait, got {other:?}"),
        }
        assert_eq!(
            throttle.admit("b", Some(&per_minute), now, None),
            Admission::Go
        );
        assert_eq!(throttle.admit("a", None, now, None), Admission::Go);
    }

    #[test]
    fn a_long_wait_for_the_limiter_parks() {
        let throttle = Throttle::default();
        let now = SystemTime::now();
        let hourly = limit(2, RatePeriod::Hour, Some(1));
        assert_eq!(throttle.admit("a", Some(&hourly), now, None), Admission::Go);
        match throttle.admit("a", Some(&hourly), now, Some(Duration::from_secs(60))) {
            Admission::Park(until) => {
                let wait = until.duration_since(now).expect("future");
                assert!(wait > Duration::from_secs(1700), "{wait:?}");
            }
            other => panic!("expected to park, got {other:?}"),
        }
    }

    #[test]
    fn a_spent_provider_quota_holds_the_connection_until_its_reset() {
        let throttle = Throttle::default();
        let now = SystemTime::now();
        throttle.hold_until("a", now + Duration::from_secs(5));
        assert_eq!(
            throttle.admit("a", None, now, Some(Duration::from_secs(60))),
            Admission::Wait(Duration::from_secs(5))
        );
        throttle.hold_until("a", now + Duration::from_secs(3600));
        assert_eq!(
            throttle.admit("a", None, now, Some(Duration::from_secs(60))),
            Admission::Park(now + Duration::from_secs(3600))
        );
        assert_eq!(
            throttle.admit("b", None, now, Some(Duration::from_secs(60))),
            Admission::Go
        );
        // Once the reset has passed, requests go again.
        assert_eq!(
            throttle.admit("a", None, now + Duration::from_secs(3601), None),
            Admission::Go
        );
        throttle.forget("a");
        assert_eq!(throttle.admit("a", None, now, None), Admission::Go);
    }

    #[test]
    fn quotas_spread_requests_over_the_period() {
        let q = quota(&limit(100, RatePeriod::Second, None));
        assert_eq!(q.replenish_interval(), Duration::from_millis(10));
        assert_eq!(q.burst_size().get(), 100);
        let q = quota(&limit(10_000, RatePeriod::Day, Some(50)));
        assert_eq!(q.replenish_interval(), Duration::from_millis(8640));
        assert_eq!(q.burst_size().get(), 50);
    }
}
