//! Event-type patterns: which event types a webhook subscription receives.
//!
//! An event type is a dotted lower-case name, `family.name` (`record.updated`,
//! `sync.failure_spike`). A subscription lists patterns, each one of:
//!
//! - an exact type, `record.updated`;
//! - a family wildcard, `sync.*`: every type whose name starts with `sync.`;
//! - `*`: every type.
//!
//! Patterns are validated against the list of known types when a subscription is created or
//! updated, so a typo (`record.update`) is refused instead of silently never matching. Types
//! added later are picked up by the wildcards that cover them.

use std::fmt;

/// The event types Patchbay emits today; the list passed to [`parse_patterns`].
pub const KNOWN_EVENT_TYPES: &[&str] = &[
    "record.created",
    "record.updated",
    "record.deleted",
    "sync.succeeded",
    "sync.failed",
    "sync.failure_spike",
    "webhook.disabled",
    "webhook.disabling_soon",
];

/// The most patterns one subscription may list.
pub const MAX_PATTERNS: usize = 50;

/// One validated event-type pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventTypePattern {
    /// `*`: every event type.
    All,
    /// `family.*`: every type of the family (the string holds the family, without `.*`).
    Family(String),
    /// One exact event type.
    Exact(String),
}

/// Why a list of patterns is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventTypeError {
    /// The list is empty.
    #[error("list at least one event type (or `*` for all)")]
    NoPatterns,
    /// The list is longer than [`MAX_PATTERNS`].
    #[error("at most 50 event types may be listed")]
    TooManyPatterns,
    /// A pattern is not of the form `family.name`, `family.*` or `*`.
    #[error(
        "eventTypes[{index}]: `{pattern}` is not an event type; write `family.name` in lower case \
         (letters, digits, `_`), `family.*` or `*`"
    )]
    Malformed {
        /// The pattern's position in the list, from 0.
        index: usize,
        /// The pattern as given.
        pattern: String,
    },
    /// An exact type that is not known.
    #[error(
        "eventTypes[{index}]: unknown event type `{pattern}`{suggestion}; known types: {known}"
    )]
    UnknownType {
        /// The pattern's position in the list, from 0.
        index: usize,
        /// The pattern as given.
        pattern: String,
        /// ` (did you mean `…`?)` when a known type is close, otherwise empty.
        suggestion: Suggestion,
        /// The known types, comma-separated.
        known: String,
    },
    /// A family wildcard that covers no known type.
    #[error(
        "eventTypes[{index}]: no known event type matches `{pattern}`; known families: {known}"
    )]
    UnknownFamily {
        /// The pattern's position in the list, from 0.
        index: usize,
        /// The pattern as given.
        pattern: String,
        /// The known families, comma-separated.
        known: String,
    },
}

/// A "did you mean" hint in an error message; prints nothing when there is no close match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Suggestion(pub Option<String>);

impl fmt::Display for Suggestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(close) => write!(f, " (did you mean `{close}`?)"),
            None => Ok(()),
        }
    }
}

impl EventTypePattern {
    /// Parses one pattern and checks it against the known types; `index` is its position in
    /// the subscription's list, for the error message.
    pub fn parse(pattern: &str, index: usize, known: &[&str]) -> Result<Self, EventTypeError> {
        let parsed = Self::parse_syntax(pattern).ok_or_else(|| EventTypeError::Malformed {
            index,
            pattern: pattern.to_owned(),
        })?;
        match &parsed {
            Self::All => {}
            Self::Exact(name) if !known.contains(&name.as_str()) => {
                return Err(EventTypeError::UnknownType {
                    index,
                    pattern: pattern.to_owned(),
                    suggestion: Suggestion(closest(name, known)),
                    known: known.join(", "),
                });
            }
            Self::Family(_) if !known.iter().any(|t| parsed.matches(t)) => {
                return Err(EventTypeError::UnknownFamily {
                    index,
                    pattern: pattern.to_owned(),
                    known: families(known).join(", "),
                });
            }
            Self::Exact(_) | Self::Family(_) => {}
        }
        Ok(parsed)
    }

    /// Whether an event of type `event_type` matches the pattern.
    pub fn matches(&self, event_type: &str) -> bool {
        match self {
            Self::All => true,
            Self::Exact(name) => name == event_type,
            Self::Family(family) => event_type
                .strip_prefix(family.as_str())
                .is_some_and(|rest| rest.starts_with('.') && rest.len() > 1),
        }
    }

    /// The pattern's syntax alone, without the known-types check.
    fn parse_syntax(pattern: &str) -> Option<Self> {
        if pattern == "*" {
            return Some(Self::All);
        }
        if let Some(family) = pattern.strip_suffix(".*") {
            return family
                .split('.')
                .all(is_name_part)
                .then(|| Self::Family(family.to_owned()));
        }
        let parts: Vec<&str> = pattern.split('.').collect();
        (parts.len() >= 2 && parts.iter().all(|part| is_name_part(part)))
            .then(|| Self::Exact(pattern.to_owned()))
    }
}

impl fmt::Display for EventTypePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("*"),
            Self::Family(family) => write!(f, "{family}.*"),
            Self::Exact(name) => f.write_str(name),
        }
    }
}

/// Validates a subscription's list of patterns against the known types. Duplicates are
/// dropped (the first occurrence is kept), since listing a type twice changes nothing.
pub fn parse_patterns<S: AsRef<str>>(
    patterns: &[S],
    known: &[&str],
) -> Result<Vec<EventTypePattern>, EventTypeError> {
    if patterns.is_empty() {
        return Err(EventTypeError::NoPatterns);
    }
    if patterns.len() > MAX_PATTERNS {
        return Err(EventTypeError::TooManyPatterns);
    }
    let mut parsed: Vec<EventTypePattern> = Vec::with_capacity(patterns.len());
    for (index, pattern) in patterns.iter().enumerate() {
        let pattern = EventTypePattern::parse(pattern.as_ref(), index, known)?;
        if !parsed.contains(&pattern) {
            parsed.push(pattern);
        }
    }
    Ok(parsed)
}

/// Whether `event_type` matches the textual pattern `pattern` (no validation: a malformed
/// pattern matches nothing).
pub fn matches(pattern: &str, event_type: &str) -> bool {
    EventTypePattern::parse_syntax(pattern).is_some_and(|parsed| parsed.matches(event_type))
}

/// Whether `event_type` matches any of the subscription's patterns.
pub fn matches_any(patterns: &[EventTypePattern], event_type: &str) -> bool {
    patterns.iter().any(|pattern| pattern.matches(event_type))
}

/// A part of a dotted name: lower-case ASCII letters, digits and `_`, starting with a letter.
fn is_name_part(part: &str) -> bool {
    let mut bytes = part.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The distinct families of the known types, in order of first appearance.
fn families<'a>(known: &[&'a str]) -> Vec<&'a str> {
    let mut found: Vec<&str> = Vec::new();
    for family in known.iter().filter_map(|name| name.split('.').next()) {
        if !found.contains(&family) {
            found.push(family);
        }
    }
    found
}

/// The known type closest to `name` by edit distance, when it is close enough to be a typo.
fn closest(name: &str, known: &[&str]) -> Option<String> {
    known
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 3)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.to_owned())
}

/// The Levenshtein distance between two strings, counted in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            let insertion = current[j] + 1;
            let deletion = previous[j + 1] + 1;
            current.push(substitution.min(insertion).min(deletion));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_the_right_types() {
        let cases = [
            ("record.updated", "record.updated", true),
            ("record.updated", "record.created", false),
            ("record.updated", "record.updated.extra", false),
            ("sync.*", "sync.failed", true),
            ("sync.*", "sync.failure_spike", true),
            ("sync.*", "record.updated", false),
            ("sync.*", "syncs.failed", false),
            ("sync.*", "sync", false),
            ("sync.*", "sync.", false),
            ("record.*", "record.updated", true),
            ("webhook.*", "webhook.disabling_soon", true),
            ("*", "webhook.disabled", true),
            ("*", "anything.at_all", true),
            ("Sync.*", "sync.failed", false),
            ("sync*", "sync.failed", false),
            ("", "sync.failed", false),
        ];
        for (pattern, event_type, expected) in cases {
            assert_eq!(
                matches(pattern, event_type),
                expected,
                "{pattern} vs {event_type}"
            );
        }
    }

    #[test]
    fn valid_patterns_parse() {
        let cases = [
            (
                "record.updated",
                EventTypePattern::Exact("record.updated".into()),
            ),
            (
                "sync.failure_spike",
                EventTypePattern::Exact("sync.failure_spike".into()),
            ),
            ("sync.*", EventTypePattern::Family("sync".into())),
            ("webhook.*", EventTypePattern::Family("webhook".into())),
            ("*", EventTypePattern::All),
        ];
        for (pattern, expected) in cases {
            let parsed = EventTypePattern::parse(pattern, 0, KNOWN_EVENT_TYPES).unwrap();
            assert_eq!(parsed, expected, "{pattern}");
            assert_eq!(parsed.to_string(), pattern);
        }
    }

    #[test]
    fn invalid_patterns_are_refused_with_a_clear_message() {
        let known = "record.created, record.updated, record.deleted, sync.succeeded, sync.failed, \
                     sync.failure_spike, webhook.disabled, webhook.disabling_soon";
        let cases: Vec<(Vec<&str>, String)> = vec![
            (
                vec![],
                "list at least one event type (or `*` for all)".into(),
            ),
            (
                vec!["record.updated", "record.update"],
                format!(
                    "eventTypes[1]: unknown event type `record.update` (did you mean \
                     `record.updated`?); known types: {known}"
                ),
            ),
            (
                vec!["contact.created"],
                format!(
                    "eventTypes[0]: unknown event type `contact.created`; known types: {known}"
                ),
            ),
            (
                vec!["sync.failed", "billing.*"],
                "eventTypes[1]: no known event type matches `billing.*`; known families: record, \
                 sync, webhook"
                    .into(),
            ),
            (vec!["Record.Updated"], malformed(0, "Record.Updated")),
            (vec!["record"], malformed(0, "record")),
            (vec!["record."], malformed(0, "record.")),
            (vec!["*.updated"], malformed(0, "*.updated")),
            (vec!["sync.*.x"], malformed(0, "sync.*.x")),
            (vec!["sy*nc"], malformed(0, "sy*nc")),
            (vec!["**"], malformed(0, "**")),
            (vec![".*"], malformed(0, ".*")),
            (vec!["record.updated "], malformed(0, "record.updated ")),
            (vec!["sync.failed", ""], malformed(1, "")),
            (vec!["1sync.failed"], malformed(0, "1sync.failed")),
        ];
        for (patterns, expected) in cases {
            let error = parse_patterns(&patterns, KNOWN_EVENT_TYPES).unwrap_err();
            assert_eq!(error.to_string(), expected, "{patterns:?}");
        }
        let too_many = vec!["*"; MAX_PATTERNS + 1];
        assert_eq!(
            parse_patterns(&too_many, KNOWN_EVENT_TYPES),
            Err(EventTypeError::TooManyPatterns)
        );
    }

    fn malformed(index: usize, pattern: &str) -> String {
        format!(
            "eventTypes[{index}]: `{pattern}` is not an event type; write `family.name` in lower \
             case (letters, digits, `_`), `family.*` or `*`"
        )
    }

    #[test]
    fn lists_are_deduplicated_and_matched_as_a_whole() {
        let patterns = parse_patterns(
            &["record.updated", "sync.*", "record.updated"],
            KNOWN_EVENT_TYPES,
        )
        .unwrap();
        assert_eq!(patterns.len(), 2);
        let cases = [
            ("record.updated", true),
            ("record.deleted", false),
            ("sync.succeeded", true),
            ("webhook.disabled", false),
        ];
        for (event_type, expected) in cases {
            assert_eq!(matches_any(&patterns, event_type), expected, "{event_type}");
        }
    }

    #[test]
    fn a_new_known_type_is_accepted_when_it_is_passed_in() {
        let known = ["record.updated", "invoice.paid"];
        assert!(parse_patterns(&["invoice.paid"], &known).is_ok());
        assert!(parse_patterns(&["invoice.*"], &known).is_ok());
        assert!(parse_patterns(&["sync.failed"], &known).is_err());
    }

    #[test]
    fn edit_distance_counts_single_character_edits() {
        let cases = [
            ("", "", 0),
            ("abc", "", 3),
            ("record.update", "record.updated", 1),
            ("sync.faild", "sync.failed", 1),
            ("kitten", "sitting", 3),
        ];
        for (a, b, expected) in cases {
            assert_eq!(edit_distance(a, b), expected, "{a} / {b}");
        }
    }
}
