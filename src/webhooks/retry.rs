//! Retry schedules of webhook deliveries, and the policy that disables a failing subscription.
//!
//! A schedule lists the delays between attempts: the first attempt is made as soon as the event
//! is committed, the n-th retry waits the n-th delay after the attempt before it failed. The
//! default, `0s,5s,5m,30m,2h,5h,10h,10h`, therefore allows 9 attempts over about 28 hours. A
//! subscription may also cap its attempts (`maxAttempts`); the smaller of the two limits wins.
//! Every delay gets ±10 % of jitter so that receivers coming back after an outage are not hit by
//! every retry at once; the random number is passed in, so the computation stays pure.
//!
//! A subscription whose deliveries have failed without a single success for the disable-after
//! period (5 days by default) is disabled; a warning is due a day before, and an HTTP 410 Gone
//! disables it at once.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};

/// The server-wide default schedule (`PATCHBAY_WEBHOOK_RETRY_SCHEDULE`).
pub const DEFAULT_SCHEDULE: &str = "0s,5s,5m,30m,2h,5h,10h,10h";
/// The most delays a schedule may have.
pub const MAX_STEPS: usize = 20;
/// The longest a single delay may be.
pub const MAX_STEP: TimeDelta = TimeDelta::days(7);
/// The jitter applied to every delay, as a fraction of it (±).
pub const JITTER: f64 = 0.10;
/// How long a subscription may fail continuously before it is disabled, by default.
pub const DEFAULT_DISABLE_AFTER: TimeDelta = TimeDelta::days(5);
/// How long before being disabled a subscription's owner is warned, at most.
pub const WARNING_LEAD: TimeDelta = TimeDelta::days(1);
/// HTTP 410 Gone: the receiver says the endpoint no longer exists.
pub const HTTP_GONE: u16 = 410;

/// The default delays, in seconds, matching [`DEFAULT_SCHEDULE`].
const DEFAULT_DELAYS_SECS: [i64; 8] = [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];
/// The units a delay may use, with their length in seconds, largest first.
const UNITS: [(char, i64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

/// A validated list of delays between attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    delays: Vec<TimeDelta>,
}

/// A schedule together with a subscription's own cap on attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delays between attempts.
    pub schedule: RetrySchedule,
    /// The subscription's `maxAttempts`, counting the first attempt.
    pub max_attempts: u32,
}

/// Why a retry schedule is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetryScheduleError {
    /// No delays at all.
    #[error("the retry schedule is empty; list at least one delay such as `5s`")]
    Empty,
    /// More than [`MAX_STEPS`] delays.
    #[error("the retry schedule has {0} steps; at most 20 are allowed")]
    TooManySteps(usize),
    /// One delay is invalid.
    #[error("step {position} (`{text}`): {problem}")]
    InvalidStep {
        /// The step's position, from 1.
        position: usize,
        /// The step as given.
        text: String,
        /// What is wrong with it.
        problem: DelayError,
    },
}

/// Why a single delay such as `5m` is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DelayError {
    /// Not a whole number followed by a unit.
    #[error("write a whole number followed by a unit s, m, h or d, such as `5m`")]
    Malformed,
    /// A unit other than s, m, h or d.
    #[error("unknown unit `{0}`; use s, m, h or d")]
    UnknownUnit(String),
    /// Longer than [`MAX_STEP`].
    #[error("longer than 7 days")]
    TooLong,
}

/// What to do with a subscription whose deliveries fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Keep delivering.
    Healthy,
    /// Keep delivering, and warn (`webhook.disabling_soon`) that it will soon be disabled.
    DisablingSoon,
    /// Disable the subscription (`webhook.disabled`).
    Disable,
}

/// When a continuously failing subscription is disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisablePolicy {
    /// How long deliveries may fail without a success before the subscription is disabled.
    pub disable_after: TimeDelta,
}

impl RetrySchedule {
    /// Parses a comma-separated schedule such as `0s,5s,5m,30m` (spaces around steps allowed).
    pub fn parse(text: &str) -> Result<Self, RetryScheduleError> {
        if text.trim().is_empty() {
            return Err(RetryScheduleError::Empty);
        }
        Self::from_steps(&text.split(',').collect::<Vec<_>>())
    }

    /// Builds a schedule from a list of steps such as `["5s", "5m"]`.
    pub fn from_steps<S: AsRef<str>>(steps: &[S]) -> Result<Self, RetryScheduleError> {
        if steps.is_empty() {
            return Err(RetryScheduleError::Empty);
        }
        if steps.len() > MAX_STEPS {
            return Err(RetryScheduleError::TooManySteps(steps.len()));
        }
        let delays = steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                parse_delay(step.as_ref()).map_err(|problem| RetryScheduleError::InvalidStep {
                    position: i + 1,
                    text: step.as_ref().to_owned(),
                    problem,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { delays })
    }

    /// The delays, in order.
    pub fn delays(&self) -> &[TimeDelta] {
        &self.delays
    }

    /// The steps written in their largest exact unit, such as `["0s", "5s", "5m"]`.
    pub fn steps(&self) -> Vec<String> {
        self.delays
            .iter()
            .map(|delay| format_delay(*delay))
            .collect()
    }

    /// How many attempts the schedule allows: the first one and one per delay.
    pub fn attempts(&self) -> u32 {
        u32::try_from(self.delays.len()).map_or(u32::MAX, |len| len.saturating_add(1))
    }
}

impl Default for RetrySchedule {
    /// The schedule of [`DEFAULT_SCHEDULE`].
    fn default() -> Self {
        Self {
            delays: DEFAULT_DELAYS_SECS.map(TimeDelta::seconds).to_vec(),
        }
    }
}

impl fmt::Display for RetrySchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.steps().join(","))
    }
}

impl RetryPolicy {
    /// The number of attempts allowed: the smaller of the schedule's and the subscription's
    /// limit, and always at least the first attempt.
    pub fn max_attempts(&self) -> u32 {
        self.schedule.attempts().min(self.max_attempts).max(1)
    }
}

/// When to make the next attempt after attempt number `attempt_number` (counted from 1; 0 is
/// taken as 1) failed at `last_attempt_at`; `None` once the attempts are exhausted. `random`
/// is a uniform number in `[0, 1)` that picks the jitter: 0 gives −10 %, 0.5 none, 1 +10 %.
pub fn next_attempt_at(
    policy: &RetryPolicy,
    attempt_number: u32,
    last_attempt_at: DateTime<Utc>,
    random: f64,
) -> Option<DateTime<Utc>> {
    let attempt_number = attempt_number.max(1);
    if attempt_number >= policy.max_attempts() {
        return None;
    }
    let index = usize::try_from(attempt_number - 1).ok()?;
    let delay = *policy.schedule.delays.get(index)?;
    last_attempt_at.checked_add_signed(jittered(delay, random))
}

/// `delay` scaled by a factor between 0.9 and 1.1 picked by `random` (clamped to `[0, 1]`; a
/// NaN counts as 0.5, no jitter), rounded to the millisecond.
pub fn jittered(delay: TimeDelta, random: f64) -> TimeDelta {
    let random = if random.is_nan() {
        0.5
    } else {
        random.clamp(0.0, 1.0)
    };
    let factor = 1.0 + JITTER * (2.0 * random - 1.0);
    // Delays are at most 7 days (6.048e8 ms), far inside the range f64 represents exactly.
    let millis = (delay.num_milliseconds() as f64 * factor).round() as i64;
    TimeDelta::milliseconds(millis)
}

/// Parses one delay: a whole number followed by `s`, `m`, `h` or `d`, at most 7 days.
pub fn parse_delay(text: &str) -> Result<TimeDelta, DelayError> {
    let text = text.trim();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    if digits.is_empty() || unit.is_empty() {
        return Err(DelayError::Malformed);
    }
    let unit_secs = unit_seconds(unit).ok_or_else(|| DelayError::UnknownUnit(unit.to_owned()))?;
    let amount: i64 = digits.parse().map_err(|_| DelayError::TooLong)?;
    let seconds = amount.checked_mul(unit_secs).ok_or(DelayError::TooLong)?;
    let delay = TimeDelta::try_seconds(seconds).ok_or(DelayError::TooLong)?;
    if delay > MAX_STEP {
        return Err(DelayError::TooLong);
    }
    Ok(delay)
}

impl DisablePolicy {
    /// How long before the subscription is disabled its owner is warned: a day, or half the
    /// period when the period is shorter than two days.
    pub fn warning_lead(&self) -> TimeDelta {
        WARNING_LEAD.min(self.disable_after / 2)
    }

    /// Decides what to do, given when the current streak of failures began (`None`: the last
    /// delivery succeeded), the time now and the status of the last response, if any.
    pub fn decide(
        &self,
        failing_since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        last_status: Option<u16>,
    ) -> Health {
        if last_status == Some(HTTP_GONE) {
            return Health::Disable;
        }
        let Some(since) = failing_since else {
            return Health::Healthy;
        };
        let failing_for = now - since;
        if failing_for >= self.disable_after {
            Health::Disable
        } else if failing_for >= self.disable_after - self.warning_lead() {
            Health::DisablingSoon
        } else {
            Health::Healthy
        }
    }
}

impl Default for DisablePolicy {
    /// Disable after [`DEFAULT_DISABLE_AFTER`].
    fn default() -> Self {
        Self {
            disable_after: DEFAULT_DISABLE_AFTER,
        }
    }
}

/// The length of a unit in seconds.
fn unit_seconds(unit: &str) -> Option<i64> {
    let mut chars = unit.chars();
    let (Some(symbol), None) = (chars.next(), chars.next()) else {
        return None;
    };
    UNITS
        .iter()
        .find(|(name, _)| *name == symbol)
        .map(|(_, seconds)| *seconds)
}

/// A delay in its largest exact unit (`300s` → `5m`); sub-second parts are dropped.
fn format_delay(delay: TimeDelta) -> String {
    let seconds = delay.num_seconds();
    let (symbol, size) = UNITS
        .iter()
        .find(|(_, size)| seconds % size == 0 && seconds != 0)
        .copied()
        .unwrap_or(('s', 1));
    format!("{}{symbol}", seconds / size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    fn secs(delays: &[TimeDelta]) -> Vec<i64> {
        delays.iter().map(|d| d.num_seconds()).collect()
    }

    #[test]
    fn schedules_parse_into_delays() {
        let cases: [(&str, &[i64]); 6] = [
            (DEFAULT_SCHEDULE, &DEFAULT_DELAYS_SECS),
            ("5s", &[5]),
            (" 1m , 2h,3d ", &[60, 7_200, 259_200]),
            ("0s,0m", &[0, 0]),
            ("7d,168h,10080m,604800s", &[604_800; 4]),
            ("90s,36h", &[90, 129_600]),
        ];
        for (text, expected) in cases {
            let schedule = RetrySchedule::parse(text).unwrap();
            assert_eq!(secs(schedule.delays()), expected, "{text}");
        }
    }

    #[test]
    fn invalid_schedules_are_refused_with_the_step_at_fault() {
        let twenty_one = vec!["5s"; MAX_STEPS + 1].join(",");
        let cases = [
            (
                "",
                "the retry schedule is empty; list at least one delay such as `5s`",
            ),
            (
                "  ",
                "the retry schedule is empty; list at least one delay such as `5s`",
            ),
            ("5s,5x", "step 2 (`5x`): unknown unit `x`; use s, m, h or d"),
            ("5S", "step 1 (`5S`): unknown unit `S`; use s, m, h or d"),
            ("5ms", "step 1 (`5ms`): unknown unit `ms`; use s, m, h or d"),
            ("5 m", "step 1 (`5 m`): unknown unit ` m`; use s, m, h or d"),
            (
                "5",
                "step 1 (`5`): write a whole number followed by a unit s, m, h or d, such as `5m`",
            ),
            (
                "m",
                "step 1 (`m`): write a whole number followed by a unit s, m, h or d, such as `5m`",
            ),
            (
                "5s,",
                "step 2 (``): write a whole number followed by a unit s, m, h or d, such as `5m`",
            ),
            (
                "-5s",
                "step 1 (`-5s`): write a whole number followed by a unit s, m, h or d, such as `5m`",
            ),
            (
                "1.5h",
                "step 1 (`1.5h`): unknown unit `.5h`; use s, m, h or d",
            ),
            ("0s,8d", "step 2 (`8d`): longer than 7 days"),
            ("604801s", "step 1 (`604801s`): longer than 7 days"),
            (
                "99999999999999999999d",
                "step 1 (`99999999999999999999d`): longer than 7 days",
            ),
            (
                "9999999999999999d",
                "step 1 (`9999999999999999d`): longer than 7 days",
            ),
            (
                &twenty_one,
                "the retry schedule has 21 steps; at most 20 are allowed",
            ),
        ];
        for (text, expected) in cases {
            let error = RetrySchedule::parse(text).unwrap_err();
            assert_eq!(error.to_string(), expected, "{text}");
        }
    }

    #[test]
    fn lists_parse_like_the_comma_form() {
        let twenty = vec!["1h"; MAX_STEPS];
        assert_eq!(RetrySchedule::from_steps(&twenty).unwrap().attempts(), 21);
        assert_eq!(
            secs(RetrySchedule::from_steps(&["5s", "5m"]).unwrap().delays()),
            [5, 300]
        );
        let empty: [&str; 0] = [];
        assert_eq!(
            RetrySchedule::from_steps(&empty),
            Err(RetryScheduleError::Empty)
        );
        assert_eq!(
            RetrySchedule::from_steps(&["5s".to_owned(), "5y".to_owned()])
                .unwrap_err()
                .to_string(),
            "step 2 (`5y`): unknown unit `y`; use s, m, h or d"
        );
    }

    #[test]
    fn schedules_print_in_their_largest_exact_unit() {
        let cases = [
            (DEFAULT_SCHEDULE, DEFAULT_SCHEDULE),
            ("60s,90s,3600s,86400s,120m", "1m,90s,1h,1d,2h"),
        ];
        for (text, expected) in cases {
            let schedule = RetrySchedule::parse(text).unwrap();
            assert_eq!(schedule.to_string(), expected);
            assert_eq!(schedule.steps().join(","), expected);
        }
        assert_eq!(RetrySchedule::default().to_string(), DEFAULT_SCHEDULE);
    }

    #[test]
    fn attempts_follow_the_schedule_until_exhausted() {
        let policy = RetryPolicy {
            schedule: RetrySchedule::default(),
            max_attempts: 100,
        };
        let t = at(1_000_000);
        let cases = [
            (0, Some(0)),
            (1, Some(0)),
            (2, Some(5)),
            (3, Some(300)),
            (4, Some(1_800)),
            (5, Some(7_200)),
            (6, Some(18_000)),
            (7, Some(36_000)),
            (8, Some(36_000)),
            (9, None),
            (10, None),
            (u32::MAX, None),
        ];
        for (attempt, expected) in cases {
            let next = next_attempt_at(&policy, attempt, t, 0.5);
            assert_eq!(
                next,
                expected.map(|s| t + TimeDelta::seconds(s)),
                "after {attempt}"
            );
        }
    }

    #[test]
    fn max_attempts_is_the_smaller_of_schedule_and_subscription_limits() {
        let schedule = RetrySchedule::parse("5s,5m,30m").unwrap();
        let cases = [(0, 1), (1, 1), (2, 2), (4, 4), (5, 4), (100, 4)];
        for (configured, expected) in cases {
            let policy = RetryPolicy {
                schedule: schedule.clone(),
                max_attempts: configured,
            };
            assert_eq!(policy.max_attempts(), expected, "configured {configured}");
            let last = expected;
            assert_eq!(
                next_attempt_at(&policy, last, at(0), 0.5),
                None,
                "{configured}"
            );
            if last > 1 {
                assert!(next_attempt_at(&policy, last - 1, at(0), 0.5).is_some());
            }
        }
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let delay = TimeDelta::seconds(100);
        let cases = [
            (0.0, 90_000),
            (0.25, 95_000),
            (0.5, 100_000),
            (0.75, 105_000),
            (0.999_999, 110_000),
            (1.0, 110_000),
            (-3.0, 90_000),
            (7.0, 110_000),
            (f64::NAN, 100_000),
        ];
        for (random, expected_ms) in cases {
            assert_eq!(
                jittered(delay, random).num_milliseconds(),
                expected_ms,
                "{random}"
            );
        }
        assert_eq!(jittered(TimeDelta::zero(), 0.0), TimeDelta::zero());
        assert_eq!(jittered(MAX_STEP, 1.0), TimeDelta::seconds(665_280));
    }

    #[test]
    fn next_attempt_applies_jitter() {
        let policy = RetryPolicy {
            schedule: RetrySchedule::parse("10m").unwrap(),
            max_attempts: 5,
        };
        let cases = [(0.0, 540), (0.5, 600), (1.0, 660)];
        for (random, expected) in cases {
            let next = next_attempt_at(&policy, 1, at(0), random);
            assert_eq!(next, Some(at(expected)), "{random}");
        }
    }

    #[test]
    fn failing_subscriptions_are_warned_then_disabled() {
        let day = 86_400;
        let default = DisablePolicy::default();
        let short = DisablePolicy {
            disable_after: TimeDelta::hours(1),
        };
        let since = Some(at(0));
        let cases = [
            (default, None, 10 * day, None, Health::Healthy),
            (default, None, 10 * day, Some(500), Health::Healthy),
            (default, since, 0, Some(500), Health::Healthy),
            (default, since, 4 * day - 1, Some(500), Health::Healthy),
            (default, since, 4 * day, Some(500), Health::DisablingSoon),
            (default, since, 5 * day - 1, None, Health::DisablingSoon),
            (default, since, 5 * day, Some(503), Health::Disable),
            (default, since, 9 * day, None, Health::Disable),
            (default, None, 0, Some(410), Health::Disable),
            (default, since, 1, Some(410), Health::Disable),
            (short, since, 1_799, None, Health::Healthy),
            (short, since, 1_800, None, Health::DisablingSoon),
            (short, since, 3_600, None, Health::Disable),
        ];
        for (policy, failing_since, now, status, expected) in cases {
            let health = policy.decide(failing_since, at(now), status);
            assert_eq!(
                health, expected,
                "{failing_since:?} now={now} status={status:?}"
            );
        }
    }

    #[test]
    fn warning_lead_is_a_day_or_half_a_short_period() {
        let cases = [
            (TimeDelta::days(5), TimeDelta::days(1)),
            (TimeDelta::days(2), TimeDelta::days(1)),
            (TimeDelta::hours(30), TimeDelta::hours(15)),
            (TimeDelta::minutes(10), TimeDelta::minutes(5)),
        ];
        for (disable_after, expected) in cases {
            assert_eq!(DisablePolicy { disable_after }.warning_lead(), expected);
        }
    }
}
