//! Likely cause and what to change for a failure pattern: a small, documented rule set.
//!
//! The rules read a pattern's template (and an example's parameters), the HTTP status and the
//! provider's error code, and are tried in order; the first that applies wins:
//!
//! | rule | when | cause → what to change |
//! |---|---|---|
//! | [`Cause::ExpiredGrant`] | `invalid_grant`, or 401 after a token refresh | refresh token expired or revoked → reconnect |
//! | [`Cause::RateLimited`] | 429, `rate limit`, `ratelimited`, `throttle` | rate limited → lower the schedule frequency or the connection's rate limit |
//! | [`Cause::MissingRequiredField`] | `REQUIRED_FIELD_MISSING`, `… is required`, `required field` | mapping lacks a required field → add a mapping rule or a default for it |
//! | [`Cause::Permission`] | 403, `insufficient scope`, `missing_scope` | permission missing → re-authorise with the scope named |
//! | [`Cause::NotFound`] | 404, `not found`, `resource_missing` | record deleted at the provider |
//! | [`Cause::Duplicate`] | 409, `DUPLICATE_VALUE`, `already exists` | duplicate → match on a natural key |
//! | [`Cause::WrongBaseUrl`] | DNS failure, TLS/certificate error, connection refused | wrong base URL |
//! | [`Cause::ProviderOutage`] | 5xx, timeouts | provider outage; retries already apply |
//! | [`Cause::InvalidCredentials`] | 401 otherwise | credentials rejected → reconnect |

use serde::{Deserialize, Serialize};

/// What a failure most likely means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Cause {
    /// The OAuth refresh token expired or was revoked.
    ExpiredGrant,
    /// The provider rate-limited us.
    RateLimited,
    /// The mapping leaves a field the provider requires empty.
    MissingRequiredField,
    /// The credentials lack a permission or scope.
    Permission,
    /// The record no longer exists at the provider.
    NotFound,
    /// The record already exists at the provider.
    Duplicate,
    /// The connection cannot reach the provider at its configured address.
    WrongBaseUrl,
    /// The provider is failing or slow.
    ProviderOutage,
    /// The provider rejected the credentials.
    InvalidCredentials,
}

/// A failure pattern to explain.
#[derive(Debug, Clone, Copy, Default)]
pub struct Failure<'a> {
    /// The pattern's template (or one message).
    pub template: &'a str,
    /// The HTTP status, if known; otherwise read from the template.
    pub http_status: Option<u16>,
    /// The provider's error code, if known (`invalid_grant`, `DUPLICATE_VALUE`).
    pub provider_code: Option<&'a str>,
    /// The parameters of an example message, used to name a field or a scope.
    pub parameters: &'a [String],
}

/// The likely cause of a pattern and what to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// The rule that applied.
    pub cause: Cause,
    /// What the failure most likely means, in a sentence.
    pub likely_cause: String,
    /// What to change, in a sentence.
    pub what_to_change: String,
}

/// Explains a failure pattern, or `None` when no rule applies.
pub fn explain(f: &Failure<'_>) -> Option<Explanation> {
    let text = format!("{} {}", f.template, f.provider_code.unwrap_or("")).to_lowercase();
    let status = f.http_status.or_else(|| status_in(f.template));
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    let cause = if has(&["invalid_grant"]) || (status == Some(401) && has(&["refresh"])) {
        Cause::ExpiredGrant
    } else if status == Some(429)
        || has(&[
            "rate limit",
            "ratelimit",
            "rate_limit",
            "throttle",
            "too many requests",
        ])
    {
        Cause::RateLimited
    } else if has(&[
        "required_field_missing",
        "is required",
        "required field",
        "fields are missing",
    ]) {
        Cause::MissingRequiredField
    } else if status == Some(403)
        || has(&[
            "insufficient scope",
            "insufficient_scope",
            "missing_scope",
            "permission denied",
        ])
    {
        Cause::Permission
    } else if status == Some(404) || has(&["not found", "not_found", "resource_missing", "no such"])
    {
        Cause::NotFound
    } else if status == Some(409)
        || has(&[
            "duplicate_value",
            "duplicate",
            "already exists",
            "already uses",
        ])
    {
        Cause::Duplicate
    } else if has(&[
        "dns",
        "failed to lookup",
        "name or service not known",
        "certificate",
        "tls",
        "ssl",
        "connection refused",
    ]) {
        Cause::WrongBaseUrl
    } else if status.is_some_and(|s| (500..600).contains(&s))
        || has(&["timeout", "timed out", "service unavailable"])
    {
        Cause::ProviderOutage
    } else if status == Some(401) {
        Cause::InvalidCredentials
    } else {
        return None;
    };
    Some(describe(cause, f))
}

/// The sentences of a cause, naming the field or scope when the parameters show one.
fn describe(cause: Cause, f: &Failure<'_>) -> Explanation {
    let named = |what: &str| {
        let value = f
            .parameters
            .iter()
            .find(|p| !p.is_empty() && p.chars().any(char::is_alphabetic));
        value.map_or_else(
            || format!("the {what} named in the message"),
            |v| format!("{what} `{}`", v.trim_matches(['"', '\''])),
        )
    };
    let (likely, change) = match cause {
        Cause::ExpiredGrant => (
            "The connection's refresh token expired or was revoked at the provider.".to_owned(),
            "Reconnect the connection (authorise again).".to_owned(),
        ),
        Cause::RateLimited => (
            "The provider is rate-limiting these requests.".to_owned(),
            "Lower the sync's schedule frequency or the connection's rate limit.".to_owned(),
        ),
        Cause::MissingRequiredField => (
            format!("The provider requires {} and the mapping leaves it empty.", named("field")),
            format!("Add a mapping rule or a default value for {}.", named("field")),
        ),
        Cause::Permission => (
            "The connection's credentials lack a permission or scope.".to_owned(),
            format!("Re-authorise the connection with {}.", named("scope")),
        ),
        Cause::NotFound => (
            "The record was deleted at the provider (or never existed there).".to_owned(),
            "Nothing to fix if it was deleted on purpose; otherwise check the record's id mapping.".to_owned(),
        ),
        Cause::Duplicate => (
            "A record with the same unique value already exists at the provider.".to_owned(),
            "Match records on a natural key (e.g. e-mail) so existing ones are updated, not created.".to_owned(),
        ),
        Cause::WrongBaseUrl => (
            "The provider cannot be reached at the configured address (DNS, TLS or refused connection).".to_owned(),
            "Check the connection's base URL override and the provider's host name.".to_owned(),
        ),
        Cause::ProviderOutage => (
            "The provider is failing or slow (server error or timeout).".to_owned(),
            "Nothing to change: retries already apply; check the provider's status page if it persists.".to_owned(),
        ),
        Cause::InvalidCredentials => (
            "The provider rejected the connection's credentials.".to_owned(),
            "Reconnect the connection or update its API key.".to_owned(),
        ),
    };
    Explanation {
        cause,
        likely_cause: likely,
        what_to_change: change,
    }
}

/// The first HTTP status written in a message: after `HTTP`, `->`, `status` or `: `, or a
/// lone 4xx/5xx number.
pub fn status_in(text: &str) -> Option<u16> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    for (i, tok) in tokens.iter().enumerate() {
        let t = tok.trim_matches(|c: char| !c.is_ascii_digit());
        if t.len() != 3 || tok.len() > 5 {
            continue;
        }
        let Ok(n) = t.parse::<u16>() else { continue };
        let prev = if i > 0 {
            tokens[i - 1].to_ascii_lowercase()
        } else {
            String::new()
        };
        let labelled =
            prev == "http" || prev == "->" || prev.starts_with("status") || prev.ends_with(':');
        if (100..600).contains(&n) && (labelled || n >= 400) {
            return Some(n);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(template: &str, status: Option<u16>, code: Option<&str>, expected: Option<Cause>) {
        let f = Failure {
            template,
            http_status: status,
            provider_code: code,
            parameters: &[],
        };
        assert_eq!(
            explain(&f).map(|e| e.cause),
            expected,
            "explaining {template:?}"
        );
    }

    #[test]
    fn each_rule_applies() {
        let table = [
            (
                "token refresh failed: HTTP 400 {\"error\":\"invalid_grant\"}",
                None,
                None,
                Some(Cause::ExpiredGrant),
            ),
            (
                "401 Unauthorized after token refresh",
                None,
                None,
                Some(Cause::ExpiredGrant),
            ),
            (
                "slack: <*> -> 429 {\"ok\":false,\"error\":\"ratelimited\"}",
                None,
                None,
                Some(Cause::RateLimited),
            ),
            (
                "Required fields are missing: [<*>]",
                Some(400),
                Some("REQUIRED_FIELD_MISSING"),
                Some(Cause::MissingRequiredField),
            ),
            (
                "property <*> is required",
                None,
                None,
                Some(Cause::MissingRequiredField),
            ),
            (
                "{\"error\":\"missing_scope\",\"needed\":\"<*>\"}",
                None,
                None,
                Some(Cause::Permission),
            ),
            ("forbidden", Some(403), None, Some(Cause::Permission)),
            (
                "GET /crm/v3/objects/<*> -> 404 resource not found",
                None,
                None,
                Some(Cause::NotFound),
            ),
            (
                "Contact already exists. Existing ID: <*>",
                Some(409),
                None,
                Some(Cause::Duplicate),
            ),
            (
                "insert failed",
                None,
                Some("DUPLICATE_VALUE"),
                Some(Cause::Duplicate),
            ),
            (
                "tcp connect error: Connection refused (os error 111)",
                None,
                None,
                Some(Cause::WrongBaseUrl),
            ),
            (
                "invalid peer certificate: Expired",
                None,
                None,
                Some(Cause::WrongBaseUrl),
            ),
            (
                "upstream returned 503 Service Unavailable",
                None,
                None,
                Some(Cause::ProviderOutage),
            ),
            (
                "operation timed out",
                None,
                None,
                Some(Cause::ProviderOutage),
            ),
            (
                "github: 401 Bad credentials",
                None,
                None,
                Some(Cause::InvalidCredentials),
            ),
            ("something odd happened", None, None, None),
        ];
        for (template, status, code, expected) in table {
            check(template, status, code, expected);
        }
    }

    #[test]
    fn names_the_missing_field() {
        let params = vec!["StageName".to_owned()];
        let f = Failure {
            template: "Required fields are missing: [<*>]",
            parameters: &params,
            ..Failure::default()
        };
        let e = explain(&f);
        assert!(e.is_some_and(|e| e.what_to_change.contains("`StageName`")));
    }

    #[test]
    fn reads_statuses() {
        let table = [
            ("HTTP 400 x", Some(400)),
            ("a -> 429 b", Some(429)),
            ("took 200 ms", None),
            ("github: 404 {", Some(404)),
        ];
        for (text, expected) in table {
            assert_eq!(status_in(text), expected, "{text}");
        }
    }
}
