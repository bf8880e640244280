//! What to do after each provider answer (pure): done, retry after a delay, refresh the token
//! once, park the sync until a quota resets, or fail. No clock and no randomness of its own: the
//! caller passes the current time and a random `u64` for the jitter, so tests are deterministic.
//!
//! - 2xx is done; 401 refreshes the credentials once, then fails.
//! - 429 waits as `Retry-After` (seconds or HTTP date) or the rate-limit reset says, capped at
//!   [`RetryPolicy::max_retry_after`], else backs off; a wait longer than
//!   [`RetryPolicy::park_after`] parks the sync instead of holding a worker.
//! - 5xx (but 501 and 505), 408, timeouts and connection errors back off exponentially with full
//!   jitter; other 4xx fail at once.
//! - Every retry stays within [`RetryPolicy::max_attempts`] and [`RetryPolicy::max_total`].

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Response headers with lower-case names; repeated headers joined with `, `.
pub type Headers = BTreeMap<String, String>;

/// The longest wait a provider is believed: a year. Longer ones are cut to it, which keeps the
/// time arithmetic from overflowing.
pub const MAX_WAIT: Duration = Duration::from_secs(365 * 24 * 3600);

/// What replaces a credential in an excerpt.
pub const REDACTED: &str = "**REDACTED**";

/// How hard to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; at least 1.
    pub max_attempts: u32,
    /// The backoff before the first retry, doubled at each further one (before jitter).
    pub base_delay: Duration,
    /// The largest backoff (before jitter).
    pub max_delay: Duration,
    /// The longest wait a `Retry-After` or a rate-limit reset is honoured with in place; longer
    /// ones are cut to it (or parked, see `park_after`).
    pub max_retry_after: Duration,
    /// The time budget from the first attempt: no retry is scheduled past it.
    pub max_total: Duration,
    /// A rate-limit wait longer than this parks the sync until the reset instead of sleeping;
    /// `None` for callers that cannot park (a connection test, an action).
    pub park_after: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            max_total: Duration::from_secs(300),
            park_after: Some(Duration::from_secs(60)),
        }
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The provider answered with this status.
    Status(u16),
    /// No complete answer within the timeout.
    Timeout,
    /// The connection failed (DNS, refused, reset, TLS).
    Connection,
}

impl From<u16> for Outcome {
    fn from(status: u16) -> Self {
        Self::Status(status)
    }
}

/// The attempt that just ended, and what the caller knows around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// Attempts made so far, this one included (1 after the first).
    pub number: u32,
    /// Time since the first attempt started.
    pub elapsed: Duration,
    /// Whether a 401 already led to a credentials refresh in this request's life.
    pub refreshed: bool,
    /// The current time, for HTTP dates and rate-limit resets.
    pub now: SystemTime,
    /// A uniformly random value for the jitter (`rand::random::<u64>()`, or `rng.next_u64()`).
    pub random: u64,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A 2xx: use the answer (and check [`park_until`] before the next request).
    Done,
    /// Send the request again after this delay.
    RetryAfter(Duration),
    /// Refresh (or re-acquire) the credentials, then send the request again, once.
    RefreshAndRetryOnce,
    /// The provider's quota is exhausted until `until`: checkpoint and stop the sync until then.
    Park {
        /// When the quota resets.
        until: SystemTime,
    },
    /// Give up.
    Fail(FailureKind),
}

/// Why a request failed for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// 401 again after a refresh: the connection needs re-authorising.
    Unauthorized,
    /// 403.
    Forbidden,
    /// 404 (or 410).
    NotFound,
    /// Any other 4xx: the request is wrong and retrying cannot help.
    Rejected(u16),
    /// 429 (or an exhausted quota) past the attempts or the time budget.
    RateLimited {
        /// How long the provider asked to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// A 5xx (or 408) past the attempts or the time budget, or a 501/505 at once.
    Upstream(u16),
    /// Timeouts past the attempts or the time budget.
    Timeout,
    /// Connection errors past the attempts or the time budget.
    Connection,
    /// A status that is neither success nor error (1xx, or a 3xx that was not followed).
    Unexpected(u16),
}

impl FailureKind {
    /// The crate error code this failure surfaces as. A provider's 401/403/404 is an upstream
    /// problem of the connection, not the caller's, so it is `UPSTREAM_ERROR` too.
    pub fn code(&self) -> &'static str {
        match self {
            Self::RateLimited { .. } => "RATE_LIMITED",
            _ => "UPSTREAM_ERROR",
        }
    }
}

/// What the provider's rate-limit headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed in the window.
    pub limit: Option<u64>,
    /// Requests left in the window.
    pub remaining: Option<u64>,
    /// When the window resets.
    pub reset_at: Option<SystemTime>,
}

impl Quota {
    /// Whether no request is left.
    pub fn is_exhausted(&self) -> bool {
        self.remaining == Some(0)
    }
}

/// Decides what follows an attempt.
pub fn classify(
    outcome: Outcome,
    headers: &Headers,
    attempt: &Attempt,
    policy: &RetryPolicy,
) -> Decision {
    let status = match outcome {
        Outcome::Timeout => return transient(None, FailureKind::Timeout, attempt, policy),
        Outcome::Connection => return transient(None, FailureKind::Connection, attempt, policy),
        Outcome::Status(status) => status,
    };
    let exhausted = || quota(headers, attempt.now).is_some_and(|q| q.is_exhausted());
    match status {
        200..=299 => Decision::Done,
        401 if attempt.refreshed => Decision::Fail(FailureKind::Unauthorized),
        401 => Decision::RefreshAndRetryOnce,
        // GitHub answers 403 when the primary rate limit is spent.
        429 => rate_limited(headers, attempt, policy),
        403 if exhausted() => rate_limited(headers, attempt, policy),
        403 => Decision::Fail(FailureKind::Forbidden),
        404 | 410 => Decision::Fail(FailureKind::NotFound),
        408 => transient(None, FailureKind::Upstream(status), attempt, policy),
        501 | 505 => Decision::Fail(FailureKind::Upstream(status)),
        500..=599 => {
            let wait = retry_after(headers, attempt.now);
            transient(wait, FailureKind::Upstream(status), attempt, policy)
        }
        400..=499 => Decision::Fail(FailureKind::Rejected(status)),
        _ => Decision::Fail(FailureKind::Unexpected(status)),
    }
}

/// The backoff before retry number `attempt` (1 for the first retry): a uniformly random
/// duration between zero and `min(max_delay, base_delay × 2^(attempt-1))` ("full jitter"),
/// drawn from `random`.
pub fn backoff(attempt: u32, random: u64, policy: &RetryPolicy) -> Duration {
    let doublings = attempt.saturating_sub(1).min(63);
    let ceiling = policy
        .base_delay
        .checked_mul(1_u32.checked_shl(doublings.min(31)).unwrap_or(u32::MAX))
        .unwrap_or(policy.max_delay)
        .min(policy.max_delay);
    // Below 2^64 nanoseconds (584 years), so the product stays below 2^128.
    let ceiling_nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    let nanos = (u128::from(random) * (u128::from(ceiling_nanos) + 1)) >> 64;
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// The wait a `Retry-After` header asks for: whole seconds, or an HTTP date (a date in the past
/// is no wait). `None` when absent or malformed.
pub fn retry_after(headers: &Headers, now: SystemTime) -> Option<Duration> {
    let value = headers.get("retry-after")?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.parse().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds).min(MAX_WAIT));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_WAIT),
    )
}

/// The quota the provider's headers announce: `X-RateLimit-Limit/Remaining/Reset`,
/// `RateLimit-Limit/Remaining/Reset`, or the structured `RateLimit: "default";r=0;t=30`.
/// A reset is read as epoch milliseconds (≥ 10¹²), epoch seconds (≥ 10⁹) or seconds from now.
/// When a header lists several values (several windows) the smallest counts.
pub fn quota(headers: &Headers, now: SystemTime) -> Option<Quota> {
    let number = |names: &[&str]| -> Option<f64> {
        names.iter().find_map(|name| {
            headers.get(*name).and_then(|value| {
                value
                    .split(',')
                    .filter_map(|part| part.trim().parse::<f64>().ok())
                    .filter(|n| n.is_finite() && *n >= 0.0)
                    .reduce(f64::min)
            })
        })
    };
    let limit = number(&["x-ratelimit-limit", "ratelimit-limit"]);
    let mut remaining = number(&["x-ratelimit-remaining", "ratelimit-remaining"]);
    let mut reset = number(&["x-ratelimit-reset", "ratelimit-reset"]).map(|n| reset_time(n, now));
    if let Some(structured) = headers.get("ratelimit")
        && let Some((r, t)) = structured_ratelimit(structured)
    {
        remaining = remaining.or(r);
        reset = reset.or_else(|| t.map(|t| reset_time(t.min(1e8), now)));
    }
    if limit.is_none() && remaining.is_none() && reset.is_none() {
        return None;
    }
    Some(Quota {
        limit: limit.map(whole),
        remaining: remaining.map(whole),
        reset_at: reset,
    })
}

/// When the provider's quota, as its headers report it, is spent until a time still to come.
pub fn exhausted_until(headers: &Headers, now: SystemTime) -> Option<SystemTime> {
    let quota = quota(headers, now)?;
    quota
        .reset_at
        .filter(|reset| quota.is_exhausted() && *reset > now)
}

/// After a successful answer: when the quota is spent and resets more than
/// [`RetryPolicy::park_after`] from now, the time to park the sync until. A sync should
/// commit the page it just read, then stop until then.
pub fn park_until(headers: &Headers, now: SystemTime, policy: &RetryPolicy) -> Option<SystemTime> {
    let threshold = policy.park_after?;
    let quota = quota(headers, now)?;
    let reset = quota.reset_at.filter(|_| quota.is_exhausted())?;
    (reset.duration_since(now).ok()? > threshold).then_some(reset)
}

/// A bounded, single-line excerpt of a provider's error body for logs and sync logs: at most
/// `max` bytes (cut on a character boundary, `…` marking the cut), invalid UTF-8 replaced,
/// control characters turned into spaces, and credentials scrubbed to `**REDACTED**`: the given
/// `secrets` (also URL- and JSON-escaped; those shorter than 4 characters are ignored), the
/// token after `Bearer`/`Basic`, and the values of keys such as `access_token`, `password` or
/// `client_secret` in JSON or form text.
pub fn excerpt(body: &[u8], max: usize, secrets: &[&str]) -> String {
    let secrets: Vec<&str> = secrets
        .iter()
        .copied()
        .filter(|s| s.chars().count() >= MIN_SECRET_CHARS)
        .collect();
    // Scrub a little more than is kept, so a secret crossing the cut is still whole.
    let longest = secrets.iter().map(|s| s.len() * 6).max().unwrap_or(0);
    let window = max.saturating_add(longest).saturating_add(256);
    let mut text = String::from_utf8_lossy(body.get(..window).unwrap_or(body)).into_owned();
    for secret in &secrets {
        for form in secret_forms(secret) {
            text = text.replace(&form, REDACTED);
        }
    }
    text = scrub_schemes(&text);
    text = scrub_keys(&text);
    let text = one_line(&text);
    if text.len() <= max {
        return text;
    }
    let keep = max.saturating_sub(ELLIPSIS.len());
    let mut end = keep;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = text.get(..end).unwrap_or_default().to_owned();
    if max >= ELLIPSIS.len() {
        out.push_str(ELLIPSIS);
    }
    out
}

const ELLIPSIS: &str = "…";
const MIN_SECRET_CHARS: usize = 4;

/// Keys whose values are credentials, compared case-insensitively.
const SECRET_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "client_secret",
    "secret",
    "password",
    "api_key",
    "apikey",
    "authorization",
];

/// Schemes followed by a credential.
const SECRET_SCHEMES: &[&str] = &["bearer", "basic"];

/// A 429 (or a spent quota): wait as the provider says, park, or back off.
fn rate_limited(headers: &Headers, attempt: &Attempt, policy: &RetryPolicy) -> Decision {
    let wait = retry_after(headers, attempt.now).or_else(|| {
        let quota = quota(headers, attempt.now)?;
        let reset = quota.reset_at.filter(|_| quota.is_exhausted())?;
        Some(reset.duration_since(attempt.now).unwrap_or(Duration::ZERO))
    });
    let kind = FailureKind::RateLimited { retry_after: wait };
    transient(wait, kind, attempt, policy)
}

/// A failure that may pass: wait as asked (parking a long wait) or back off, within bounds.
fn transient(
    wait: Option<Duration>,
    kind: FailureKind,
    attempt: &Attempt,
    policy: &RetryPolicy,
) -> Decision {
    if let (Some(wait), Some(threshold)) = (wait, policy.park_after)
        && wait > threshold
    {
        return Decision::Park {
            until: later(attempt.now, wait),
        };
    }
    let delay = match wait {
        Some(wait) => wait.min(policy.max_retry_after),
        None => backoff(attempt.number, attempt.random, policy),
    };
    let over_budget = attempt.elapsed.saturating_add(delay) > policy.max_total;
    if attempt.number >= policy.max_attempts || over_budget {
        return Decision::Fail(kind);
    }
    Decision::RetryAfter(delay)
}

/// A reset value as a time: epoch milliseconds, epoch seconds, or seconds from now.
fn reset_time(value: f64, now: SystemTime) -> SystemTime {
    let reset = if value >= 1e12 {
        UNIX_EPOCH.checked_add(Duration::from_millis(whole(value)))
    } else if value >= 1e9 {
        UNIX_EPOCH.checked_add(seconds(value))
    } else {
        now.checked_add(seconds(value))
    };
    let latest = later(now, MAX_WAIT);
    reset.map_or(latest, |reset| reset.min(latest))
}

/// `now + wait`, saturating at [`MAX_WAIT`] from now.
fn later(now: SystemTime, wait: Duration) -> SystemTime {
    now.checked_add(wait.min(MAX_WAIT)).unwrap_or(now)
}

/// `r` (remaining) and `t` (seconds to reset) of the structured `RateLimit` header, taking the
/// item with the fewest remaining requests.
fn structured_ratelimit(value: &str) -> Option<(Option<f64>, Option<f64>)> {
    value
        .split(',')
        .map(|item| {
            let mut r = None;
            let mut t = None;
            for param in item.split(';').skip(1) {
                if let Some((key, number)) = param.trim().split_once('=') {
                    let number = number.trim().parse::<f64>().ok().filter(|n| *n >= 0.0);
                    match key.trim() {
                        "r" => r = number,
                        "t" => t = number,
                        _ => {}
                    }
                }
            }
            (r, t)
        })
        .filter(|(r, t)| r.is_some() || t.is_some())
        .min_by(|a, b| a.0.unwrap_or(f64::MAX).total_cmp(&b.0.unwrap_or(f64::MAX)))
}

fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(Duration::MAX)
}

fn whole(value: f64) -> u64 {
    // Saturating float-to-int conversion; the values are non-negative.
    value as u64
}

/// A secret as it may appear in a body: raw, URL-encoded, JSON-escaped.
fn secret_forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_owned()];
    let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json
        .strip_prefix('"')
        .and_then(|j| j.strip_suffix('"'))
        .unwrap_or(secret);
    for form in [encoded, json.to_owned()] {
        if !forms.contains(&form) {
            forms.push(form);
        }
    }
    forms
}

/// Characters of a token (RFC 6750 `b64token`, plus `%` for encoded ones).
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '=' | '%')
}

/// Redacts the credential after `Bearer ` / `Basic ` (at least 8 token characters, so prose
/// such as "Bearer realm" survives).
fn scrub_schemes(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut ranges = Vec::new();
    for scheme in SECRET_SCHEMES {
        for (start, _) in lower.match_indices(scheme) {
            if !word_start(&lower, start) {
                continue;
            }
            let after = start + scheme.len();
            let rest = text.get(after..).unwrap_or_default();
            let gap = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            if gap == 0 {
                continue;
            }
            let token_start = after + gap;
            let token_len = text
                .get(token_start..)
                .unwrap_or_default()
                .find(|c: char| !is_token_char(c))
                .unwrap_or(text.len() - token_start);
            if token_len >= 8 {
                ranges.push((token_start, token_start + token_len));
            }
        }
    }
    redact(text, ranges)
}

/// Redacts the values of credential keys: `"access_token": "…"` and `access_token=…`.
fn scrub_keys(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    for key in SECRET_KEYS {
        for (start, _) in lower.match_indices(key) {
            let end = start + key.len();
            if !word_start(&lower, start)
                || lower.get(end..).unwrap_or_default().starts_with(is_word)
            {
                continue;
            }
            let mut at = end;
            if bytes.get(at) == Some(&b'"') {
                at += 1;
            }
            while bytes.get(at).is_some_and(|b| *b == b' ' || *b == b'\t') {
                at += 1;
            }
            if !matches!(bytes.get(at), Some(b':' | b'=')) {
                continue;
            }
            at += 1;
            while bytes.get(at).is_some_and(|b| *b == b' ' || *b == b'\t') {
                at += 1;
            }
            let value_end = if bytes.get(at) == Some(&b'"') {
                at += 1;
                let mut i = at;
                while let Some(b) = bytes.get(i) {
                    match b {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
                i.min(bytes.len())
            } else {
                let rest = text.get(at..).unwrap_or_default();
                at + rest
                    .find(|c: char| c.is_whitespace() || matches!(c, '&' | ',' | '"' | '}' | ']'))
                    .unwrap_or(rest.len())
            };
            // `Authorization: Bearer …` keeps its scheme; the token is scrubbed with the schemes.
            let value = text.get(at..value_end).unwrap_or_default();
            let scheme = SECRET_SCHEMES.iter().any(|s| value.eq_ignore_ascii_case(s));
            if value_end > at && value != REDACTED && !scheme {
                ranges.push((at, value_end));
            }
        }
    }
    redact(text, ranges)
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `at` starts a word (the character before is not a letter, digit or `_`).
fn word_start(text: &str, at: usize) -> bool {
    text.get(..at)
        .and_then(|before| before.chars().next_back())
        .is_none_or(|c| !is_word(c))
}

/// Replaces byte ranges (on character boundaries) with [`REDACTED`], merging overlaps.
fn redact(text: &str, mut ranges: Vec<(usize, usize)>) -> String {
    if ranges.is_empty() {
        return text.to_owned();
    }
    ranges.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end) in ranges {
        if end <= copied {
            continue;
        }
        let start = start.max(copied);
        out.push_str(text.get(copied..start).unwrap_or_default());
        out.push_str(REDACTED);
        copied = end;
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    out
}

/// Control characters as spaces, runs of whitespace as one space, trimmed.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Header pairs of a table row.
    type Pairs<'a> = Vec<(&'a str, &'a str)>;
    type PairSlice<'a> = &'a [(&'a str, &'a str)];

    /// 2024-05-01T12:00:00Z.
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_714_564_800)
    }

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn attempt(number: u32) -> Attempt {
        Attempt {
            number,
            elapsed: Duration::ZERO,
            refreshed: false,
            now: now(),
            random: u64::MAX,
        }
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// A policy without parking and with round numbers.
    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: secs(1),
            max_delay: secs(10),
            max_retry_after: secs(30),
            max_total: secs(60),
            park_after: None,
        }
    }

    #[test]
    fn each_status_class_gets_its_decision() {
        use Decision::*;
        let table: [(Outcome, PairSlice, Attempt, Decision); 22] = [
            (200.into(), &[], attempt(1), Done),
            (204.into(), &[], attempt(4), Done),
            (401.into(), &[], attempt(1), RefreshAndRetryOnce),
            (
                401.into(),
                &[],
                Attempt {
                    refreshed: true,
                    ..attempt(2)
                },
                Fail(FailureKind::Unauthorized),
            ),
            (403.into(), &[], attempt(1), Fail(FailureKind::Forbidden)),
            (404.into(), &[], attempt(1), Fail(FailureKind::NotFound)),
            (410.into(), &[], attempt(1), Fail(FailureKind::NotFound)),
            (
                400.into(),
                &[],
                attempt(1),
                Fail(FailureKind::Rejected(400)),
            ),
            (
                422.into(),
                &[("retry-after", "1")],
                attempt(1),
                Fail(FailureKind::Rejected(422)),
            ),
            // Backoff at full jitter's top (random = u64::MAX): 1 s, 2 s, 4 s …
            (500.into(), &[], attempt(1), RetryAfter(secs(1))),
            (502.into(), &[], attempt(2), RetryAfter(secs(2))),
            (503.into(), &[], attempt(3), RetryAfter(secs(4))),
            (
                504.into(),
                &[],
                attempt(4),
                Fail(FailureKind::Upstream(504)),
            ),
            (
                503.into(),
                &[("retry-after", "7")],
                attempt(1),
                RetryAfter(secs(7)),
            ),
            (
                501.into(),
                &[],
                attempt(1),
                Fail(FailureKind::Upstream(501)),
            ),
            (
                505.into(),
                &[],
                attempt(1),
                Fail(FailureKind::Upstream(505)),
            ),
            (408.into(), &[], attempt(1), RetryAfter(secs(1))),
            (Outcome::Timeout, &[], attempt(2), RetryAfter(secs(2))),
            (
                Outcome::Timeout,
                &[],
                attempt(4),
                Fail(FailureKind::Timeout),
            ),
            (Outcome::Connection, &[], attempt(1), RetryAfter(secs(1))),
            (
                Outcome::Connection,
                &[],
                attempt(4),
                Fail(FailureKind::Connection),
            ),
            (
                302.into(),
                &[],
                attempt(1),
                Fail(FailureKind::Unexpected(302)),
            ),
        ];
        for (outcome, pairs, attempt, expected) in table {
            let decision = classify(outcome, &headers(pairs), &attempt, &policy());
            assert_eq!(
                decision, expected,
                "{outcome:?} {pairs:?} attempt {}",
                attempt.number
            );
        }
    }

    #[test]
    fn rate_limits_wait_as_the_provider_says_capped() {
        use Decision::*;
        let date = |offset: u64| httpdate::fmt_http_date(now() + secs(offset));
        let (in_20, in_45, past) = (date(20), date(45), httpdate::fmt_http_date(now() - secs(5)));
        let reset_epoch = (1_714_564_800_u64 + 12).to_string();
        let reset_ms = ((1_714_564_800_u64 + 9) * 1000).to_string();
        let limited = |retry_after| Fail(FailureKind::RateLimited { retry_after });
        let table: Vec<(u16, Pairs, u32, Decision)> = vec![
            (429, vec![("retry-after", "5")], 1, RetryAfter(secs(5))),
            (429, vec![("retry-after", " 0 ")], 1, RetryAfter(secs(0))),
            (
                429,
                vec![("retry-after", in_20.as_str())],
                1,
                RetryAfter(secs(20)),
            ),
            (
                429,
                vec![("retry-after", past.as_str())],
                1,
                RetryAfter(secs(0)),
            ),
            // Capped at max_retry_after.
            (429, vec![("retry-after", "3600")], 1, RetryAfter(secs(30))),
            (
                429,
                vec![("retry-after", in_45.as_str())],
                1,
                RetryAfter(secs(30)),
            ),
            // No Retry-After: the reset of a spent quota, else backoff with jitter.
            (
                429,
                vec![
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", &reset_epoch),
                ],
                1,
                RetryAfter(secs(12)),
            ),
            (
                429,
                vec![("ratelimit-remaining", "0"), ("ratelimit-reset", "3")],
                1,
                RetryAfter(secs(3)),
            ),
            (
                429,
                vec![
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", &reset_ms),
                ],
                1,
                RetryAfter(secs(9)),
            ),
            (
                429,
                vec![("ratelimit", "\"default\";r=0;t=4")],
                1,
                RetryAfter(secs(4)),
            ),
            (429, vec![("retry-after", "soon")], 2, RetryAfter(secs(2))),
            (429, vec![], 3, RetryAfter(secs(4))),
            // Out of attempts.
            (429, vec![("retry-after", "5")], 4, limited(Some(secs(5)))),
            (429, vec![], 4, limited(None)),
            // GitHub's spent primary limit is a 403 with remaining 0.
            (
                403,
                vec![
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", &reset_epoch),
                ],
                1,
                RetryAfter(secs(12)),
            ),
            (
                403,
                vec![("x-ratelimit-remaining", "17")],
                1,
                Fail(FailureKind::Forbidden),
            ),
        ];
        for (status, pairs, number, expected) in table {
            let decision = classify(status.into(), &headers(&pairs), &attempt(number), &policy());
            assert_eq!(decision, expected, "{status} {pairs:?} attempt {number}");
        }
        assert_eq!(
            FailureKind::RateLimited { retry_after: None }.code(),
            "RATE_LIMITED"
        );
        assert_eq!(FailureKind::Upstream(502).code(), "UPSTREAM_ERROR");
    }

    #[test]
    fn a_long_wait_parks_the_sync_when_the_caller_can_park() {
        let parking = RetryPolicy {
            park_after: Some(secs(60)),
            ..policy()
        };
        let hour = (1_714_564_800_u64 + 3600).to_string();
        let table: Vec<(u16, Pairs, Decision)> = vec![
            (
                429,
                vec![("retry-after", "3600")],
                Decision::Park {
                    until: now() + secs(3600),
                },
            ),
            (
                429,
                vec![("retry-after", "61")],
                Decision::Park {
                    until: now() + secs(61),
                },
            ),
            (
                429,
                vec![("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &hour)],
                Decision::Park {
                    until: now() + secs(3600),
                },
            ),
            (
                503,
                vec![("retry-after", "7200")],
                Decision::Park {
                    until: now() + secs(7200),
                },
            ),
        ];
        for (status, pairs, expected) in table {
            // Parking does not depend on the attempts left.
            for number in [1, 4] {
                let decision =
                    classify(status.into(), &headers(&pairs), &attempt(number), &parking);
                assert_eq!(decision, expected, "{status} {pairs:?}");
            }
        }
        // A wait up to the threshold is honoured in place (capped), within the attempts.
        let pairs = headers(&[("retry-after", "60")]);
        assert_eq!(
            classify(429.into(), &pairs, &attempt(1), &parking),
            Decision::RetryAfter(secs(30))
        );
        assert_eq!(
            classify(429.into(), &pairs, &attempt(4), &parking),
            Decision::Fail(FailureKind::RateLimited {
                retry_after: Some(secs(60))
            })
        );
    }

    #[test]
    fn a_spent_quota_on_a_success_says_when_to_park() {
        let parking = RetryPolicy {
            park_after: Some(secs(60)),
            ..policy()
        };
        let hour = (1_714_564_800_u64 + 3600).to_string();
        let no_park = policy();
        let table: Vec<(Pairs, &RetryPolicy, Option<SystemTime>)> = vec![
            (
                vec![("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &hour)],
                &parking,
                Some(now() + secs(3600)),
            ),
            (
                vec![
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "86400"),
                ],
                &parking,
                Some(now() + secs(86_400)),
            ),
            (
                vec![("ratelimit-remaining", "0, 40"), ("ratelimit-reset", "600")],
                &parking,
                Some(now() + secs(600)),
            ),
            (
                vec![("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "30")],
                &parking,
                None,
            ),
            (
                vec![("x-ratelimit-remaining", "1"), ("x-ratelimit-reset", &hour)],
                &parking,
                None,
            ),
            (vec![("x-ratelimit-remaining", "0")], &parking, None),
            (
                vec![("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &hour)],
                &no_park,
                None,
            ),
            (vec![], &parking, None),
        ];
        for (pairs, policy, expected) in table {
            assert_eq!(
                park_until(&headers(&pairs), now(), policy),
                expected,
                "{pairs:?}"
            );
        }
        let quota = quota(
            &headers(&[
                ("x-ratelimit-limit", "5000"),
                ("x-ratelimit-remaining", "4999"),
                ("x-ratelimit-reset", "60"),
            ]),
            now(),
        );
        assert_eq!(
            quota,
            Some(Quota {
                limit: Some(5000),
                remaining: Some(4999),
                reset_at: Some(now() + secs(60))
            })
        );
        assert_eq!(super::quota(&headers(&[("x-other", "1")]), now()), None);
    }

    #[test]
    fn backoff_is_full_jitter_within_bounds() {
        let policy = policy();
        for number in 1..=8_u32 {
            let ceiling = secs(1).saturating_mul(1 << (number - 1)).min(secs(10));
            assert_eq!(backoff(number, 0, &policy), Duration::ZERO);
            assert_eq!(
                backoff(number, u64::MAX, &policy),
                ceiling,
                "attempt {number}"
            );
            let middle = backoff(number, u64::MAX / 2, &policy);
            let half = ceiling / 2;
            assert!(
                middle.abs_diff(half) <= Duration::from_nanos(1),
                "{middle:?} vs {half:?}"
            );
        }
        // A spread of random values stays within [0, ceiling] and is spread out.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let draws: Vec<Duration> = (0..1000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                backoff(3, state, &policy)
            })
            .collect();
        assert!(draws.iter().all(|d| *d <= secs(4)));
        assert!(draws.iter().any(|d| *d < secs(1)) && draws.iter().any(|d| *d > secs(3)));
        // Huge attempt numbers and delays saturate rather than overflow.
        assert_eq!(backoff(u32::MAX, u64::MAX, &policy), secs(10));
        let unbounded = RetryPolicy {
            max_delay: Duration::MAX,
            base_delay: Duration::MAX,
            ..policy
        };
        assert!(backoff(u32::MAX, u64::MAX, &unbounded) > secs(1 << 33));
    }

    #[test]
    fn absurd_provider_values_are_bounded() {
        let parking = RetryPolicy {
            park_after: Some(secs(60)),
            ..policy()
        };
        let year = now() + MAX_WAIT;
        let table: [PairSlice; 5] = [
            &[("retry-after", "18446744073709551615")],
            &[("retry-after", "99999999999999999999999")],
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "1e300"),
            ],
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "99999999999999"),
            ],
            &[("ratelimit", "x;r=0;t=1e300")],
        ];
        for pairs in table {
            let decision = classify(429.into(), &headers(pairs), &attempt(1), &parking);
            assert_eq!(decision, Decision::Park { until: year }, "{pairs:?}");
        }
        let negative = headers(&[("x-ratelimit-remaining", "-1"), ("retry-after", "-5")]);
        assert_eq!(quota(&negative, now()), None);
        assert_eq!(retry_after(&negative, now()), None);
    }

    #[test]
    fn retries_stop_at_the_attempt_and_time_budgets() {
        let policy = policy();
        let at = |number, elapsed| Attempt {
            elapsed: secs(elapsed),
            ..attempt(number)
        };
        let table = [
            (at(3, 0), Decision::RetryAfter(secs(4))),
            (at(4, 0), Decision::Fail(FailureKind::Upstream(503))),
            (at(1, 59), Decision::RetryAfter(secs(1))),
            (at(2, 59), Decision::Fail(FailureKind::Upstream(503))),
            (at(1, 61), Decision::Fail(FailureKind::Upstream(503))),
        ];
        for (attempt, expected) in table {
            let decision = classify(503.into(), &Headers::new(), &attempt, &policy);
            assert_eq!(decision, expected, "{attempt:?}");
        }
        // A Retry-After that would overrun the budget fails at once.
        let decision = classify(
            429.into(),
            &headers(&[("retry-after", "20")]),
            &at(1, 50),
            &policy,
        );
        assert_eq!(
            decision,
            Decision::Fail(FailureKind::RateLimited {
                retry_after: Some(secs(20))
            })
        );

        // Driving the policy like the HTTP layer: never more than the attempts, never past the budget.
        let mut elapsed = Duration::ZERO;
        let mut attempts = 1;
        loop {
            let attempt = Attempt {
                elapsed,
                random: u64::MAX / 3,
                ..attempt(attempts)
            };
            match classify(Outcome::Timeout, &Headers::new(), &attempt, &policy) {
                Decision::RetryAfter(delay) => {
                    elapsed += delay + secs(1);
                    attempts += 1;
                }
                Decision::Fail(FailureKind::Timeout) => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(attempts, policy.max_attempts);
        assert!(elapsed <= policy.max_total);
    }

    #[test]
    fn excerpts_scrub_credentials() {
        let table: [(&str, &[&str], &str); 12] = [
            ("plain error", &[], "plain error"),
            (
                r#"{"error":"invalid_grant","refresh_token":"rt-123456"}"#,
                &[],
                r#"{"error":"invalid_grant","refresh_token":"**REDACTED**"}"#,
            ),
            (
                r#"{"access_token" : "eyJabc.def", "token_type": "bearer"}"#,
                &[],
                r#"{"access_token" : "**REDACTED**", "token_type": "bearer"}"#,
            ),
            (
                "request had Authorization: Bearer sk_live_abcdefgh123 set",
                &[],
                "request had Authorization: Bearer **REDACTED** set",
            ),
            (
                "Bearer realm=\"api\" error",
                &[],
                "Bearer realm=\"api\" error",
            ),
            (
                "bad: basic dXNlcjpwYXNzd29yZA==",
                &[],
                "bad: basic **REDACTED**",
            ),
            (
                "grant_type=refresh_token&refresh_token=abc123&client_secret=s3cr3t!",
                &[],
                "grant_type=refresh_token&refresh_token=**REDACTED**&client_secret=**REDACTED**",
            ),
            (
                "key sk_test_4242 was rejected",
                &["sk_test_4242"],
                "key **REDACTED** was rejected",
            ),
            (
                "encoded a%2Fb%2Bc%3D%3D here",
                &["a/b+c=="],
                "encoded **REDACTED** here",
            ),
            (
                r#"{"msg":"key quo\"te is wrong"}"#,
                &["quo\"te"],
                r#"{"msg":"key **REDACTED** is wrong"}"#,
            ),
            (
                "short secrets like abc are ignored",
                &["abc", ""],
                "short secrets like abc are ignored",
            ),
            (
                "Invalid token provided; password too short",
                &[],
                "Invalid token provided; password too short",
            ),
        ];
        for (body, secrets, expected) in table {
            assert_eq!(excerpt(body.as_bytes(), 500, secrets), expected, "{body}");
        }
    }

    #[test]
    fn excerpts_are_bounded_single_line_and_utf8_safe() {
        assert_eq!(
            excerpt(b"line one\r\n\tline\x00two  ", 100, &[]),
            "line one line two"
        );
        assert_eq!(excerpt(b"abcdefghij", 10, &[]), "abcdefghij");
        assert_eq!(excerpt(b"abcdefghijk", 10, &[]), "abcdefg…");
        // "é" is two bytes: a cut never splits it.
        let text = "ééééé".as_bytes();
        for max in 0..=12 {
            let cut = excerpt(text, max, &[]);
            assert!(cut.len() <= max, "{max}: {cut}");
        }
        assert_eq!(excerpt(text, 6, &[]), "é…");
        assert_eq!(excerpt(text, 7, &[]), "éé…");
        assert_eq!(excerpt(text, 2, &[]), "");
        // Invalid UTF-8 is replaced, not an error.
        assert_eq!(excerpt(&[b'o', b'k', 0xff, b'!'], 100, &[]), "ok\u{fffd}!");
        // A secret straddling the cut is redacted, not half-shown.
        let body = format!("{}SECRET-VALUE-123 tail", "x".repeat(95));
        let cut = excerpt(body.as_bytes(), 100, &["SECRET-VALUE-123"]);
        assert!(!cut.contains("SECRET") && cut.len() <= 100, "{cut}");
        // A token cut by the scrubbing window is still redacted to its end.
        let body = format!("{} Bearer {}", "y".repeat(20), "t".repeat(2000));
        let cut = excerpt(body.as_bytes(), 60, &[]);
        assert!(!cut.contains("ttt"), "{cut}");
        // A large body is only read as far as needed.
        let big = "z".repeat(10_000_000);
        assert_eq!(excerpt(big.as_bytes(), 10, &[]).len(), 10);
    }
}
