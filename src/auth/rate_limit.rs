//! Per-key rate limits with `governor`: one GCRA limiter per API key, created on first use
//! with the key's own quota, evicted when idle. Generic over the clock so tests use a fake one.
//!
//! Each process limits on its own: with N processes behind a load balancer a key may reach
//! N times its limit. The limit protects the server; it is not a billing meter.

use std::{collections::HashMap, num::NonZeroU32, sync::Mutex, time::Duration};

use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock, Reference},
    middleware::StateInformationMiddleware,
    state::{InMemoryState, NotKeyed},
};

type Limiter<C> = RateLimiter<NotKeyed, InMemoryState, C, StateInformationMiddleware>;

/// A key's limit: sustained requests per minute and the burst allowed above it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Requests per minute, sustained.
    pub per_minute: NonZeroU32,
    /// Requests allowed at once before the sustained rate applies.
    pub burst: NonZeroU32,
}

impl Limit {
    /// A limit of `per_minute` with a burst of `burst` (defaulting to `per_minute`).
    pub fn new(per_minute: u32, burst: Option<u32>) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = burst.and_then(NonZeroU32::new).unwrap_or(per_minute);
        Self { per_minute, burst }
    }

    fn quota(self) -> Quota {
        Quota::per_minute(self.per_minute).allow_burst(self.burst)
    }
}

/// The answer for one request, with what the `RateLimit-*` headers report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allowed {
        /// Requests per minute.
        limit: u32,
        /// Requests left in the current burst.
        remaining: u32,
        /// Seconds until the burst is full again.
        reset_secs: u64,
    },
    /// Over the limit.
    Limited {
        /// Requests per minute.
        limit: u32,
        /// Seconds until one request will be accepted.
        retry_after_secs: u64,
    },
}

struct Entry<C: Clock> {
    limit: Limit,
    limiter: Limiter<C>,
    last_seen: C::Instant,
}

/// Rate limiters of every key seen recently.
pub struct KeyedLimiter<C: Clock = DefaultClock> {
    clock: C,
    entries: Mutex<HashMap<String, Entry<C>>>,
}

impl Default for KeyedLimiter<DefaultClock> {
    fn default() -> Self {
        Self::with_clock(DefaultClock::default())
    }
}

impl<C: Clock + Clone> KeyedLimiter<C> {
    /// A limiter reading time from `clock`.
    pub fn with_clock(clock: C) -> Self {
        Self {
            clock,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `key_id` against `limit`.
    pub fn check(&self, key_id: &str, limit: Limit) -> Decision {
        let now = self.clock.now();
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = match entries.get_mut(key_id) {
            Some(entry) if entry.limit == limit => entry,
            _ => {
                // New key, or its limit changed: start from a full burst.
                let limiter = RateLimiter::direct_with_clock(limit.quota(), self.clock.clone())
                    .with_middleware::<StateInformationMiddleware>();
                entries.insert(
                    key_id.to_owned(),
                    Entry {
                        limit,
                        limiter,
                        last_seen: now,
                    },
                );
                entries
                    .get_mut(key_id)
                    .unwrap_or_else(|| unreachable!("just inserted"))
            }
        };
        entry.last_seen = now;
        let per_minute = limit.per_minute.get();
        match entry.limiter.check() {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let used = limit.burst.get().saturating_sub(remaining);
                let refill = limit.quota().replenish_interval() * used;
                Decision::Allowed {
                    limit: per_minute,
                    remaining,
                    reset_secs: ceil_secs(refill),
                }
            }
            Err(not_until) => Decision::Limited {
                limit: per_minute,
                retry_after_secs: ceil_secs(not_until.wait_time_from(now)).max(1),
            },
        }
    }

    /// Forgets keys not seen for `idle`; their next request starts with a full burst.
    pub fn evict_idle(&self, idle: Duration) -> usize {
        let now = self.clock.now();
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let before = entries.len();
        entries.retain(|_, entry| Duration::from(now.duration_since(entry.last_seen)) < idle);
        before - entries.len()
    }

    /// How many keys are tracked.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or_default()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn ceil_secs(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn the_request_after_the_burst_is_limited_until_a_slot_refills() {
        let clock = FakeRelativeClock::default();
        let limiter = KeyedLimiter::with_clock(clock.clone());
        let limit = Limit::new(3, None);
        for remaining in [2, 1, 0] {
            assert!(matches!(
                limiter.check("a", limit),
                Decision::Allowed { limit: 3, remaining: r, .. } if r == remaining
            ));
        }
        assert_eq!(
            limiter.check("a", limit),
            Decision::Limited {
                limit: 3,
                retry_after_secs: 20
            }
        );
        assert!(
            matches!(limiter.check("b", limit), Decision::Allowed { .. }),
            "other keys are unaffected"
        );
        clock.advance(Duration::from_secs(20));
        assert!(matches!(
            limiter.check("a", limit),
            Decision::Allowed { remaining: 0, .. }
        ));
    }

    #[test]
    fn reset_reports_when_the_burst_is_full_again() {
        let limiter = KeyedLimiter::with_clock(FakeRelativeClock::default());
        let limit = Limit::new(60, Some(10));
        limiter.check("a", limit);
        let Decision::Allowed {
            remaining,
            reset_secs,
            ..
        } = limiter.check("a", limit)
        else {
            panic!("allowed")
        };
        assert_eq!((remaining, reset_secs), (8, 2));
    }

    #[test]
    fn idle_keys_are_evicted() {
        let clock = FakeRelativeClock::default();
        let limiter = KeyedLimiter::with_clock(clock.clone());
        limiter.check("old", Limit::new(5, None));
        clock.advance(Duration::from_secs(600));
        limiter.check("new", Limit::new(5, None));
        assert_eq!(limiter.evict_idle(Duration::from_secs(300)), 1);
        assert_eq!(limiter.len(), 1);
    }
}
