//! Paths into JSON documents: `data`, `QueryResponse.Customer`, `items[0].id`,
//! `['@odata.nextLink']` (pure).
//!
//! Keys are separated by `.`; `[N]` indexes an array; `['key']` quotes a key that holds dots or
//! brackets (Microsoft Graph's `@odata.nextLink`).

use std::fmt;

use serde_json::Value;

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
}

/// A parsed path; `Display` writes it back in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsonPath(pub Vec<Segment>);

/// Why a path does not parse. Byte offsets count from the start of the path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path is the empty string.
    #[error("empty path")]
    Empty,
    /// A key between two dots (or at either end) is empty.
    #[error("empty key at byte {0}")]
    EmptyKey(usize),
    /// A `[` that does not hold an index or a quoted key.
    #[error("expected `[N]` or `['key']` at byte {0}")]
    BadBracket(usize),
    /// Something other than `.` or `[` after a bracket.
    #[error("expected `.` or `[` at byte {0}")]
    ExpectedSeparator(usize),
}

impl JsonPath {
    /// Parses a path such as `paging.next.after` or `value[0]['@odata.type']`.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        if text.is_empty() {
            return Err(PathError::Empty);
        }
        let bytes = text.as_bytes();
        let mut segments = Vec::new();
        let mut at = 0;
        // Whether the next segment may be a bare key (at the start, or right after a `.`).
        let mut expect_key = true;
        while at < bytes.len() {
            match bytes.get(at) {
                Some(b'[') => {
                    let (segment, next) = parse_bracket(text, at)?;
                    segments.push(segment);
                    at = next;
                    expect_key = false;
                }
                Some(b'.') if !expect_key => {
                    at += 1;
                    expect_key = true;
                    if at == bytes.len() {
                        return Err(PathError::EmptyKey(at));
                    }
                }
                Some(_) if expect_key => {
                    let end = text
                        .get(at..)
                        .unwrap_or_default()
                        .find(['.', '['])
                        .map_or(text.len(), |offset| at + offset);
                    if end == at {
                        return Err(PathError::EmptyKey(at));
                    }
                    let key = text.get(at..end).unwrap_or_default();
                    if key.contains([']', '\'']) {
                        return Err(PathError::BadBracket(at));
                    }
                    segments.push(Segment::Key(key.to_owned()));
                    at = end;
                    expect_key = false;
                }
                _ => return Err(PathError::ExpectedSeparator(at)),
            }
        }
        Ok(Self(segments))
    }

    /// The value at this path, if every step exists.
    pub fn lookup<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        self.0
            .iter()
            .try_fold(value, |current, segment| match segment {
                Segment::Key(key) => current.get(key),
                Segment::Index(index) => current.get(index),
            })
    }
}

/// Parses `[N]` or `['key']` starting at `at` (which holds `[`); returns the segment and the
/// offset just past the closing bracket.
fn parse_bracket(text: &str, at: usize) -> Result<(Segment, usize), PathError> {
    let rest = text.get(at + 1..).unwrap_or_default();
    if let Some(quoted) = rest.strip_prefix('\'') {
        let close = quoted.find("']").ok_or(PathError::BadBracket(at))?;
        let key = quoted.get(..close).unwrap_or_default();
        if key.is_empty() || key.contains('\'') {
            return Err(PathError::BadBracket(at));
        }
        // `[` + `'` + key + `'` + `]`
        return Ok((Segment::Key(key.to_owned()), at + close + 4));
    }
    let close = rest.find(']').ok_or(PathError::BadBracket(at))?;
    let digits = rest.get(..close).unwrap_or_default();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PathError::BadBracket(at));
    }
    let index = digits.parse().map_err(|_| PathError::BadBracket(at))?;
    Ok((Segment::Index(index), at + close + 2))
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) if key.contains(['.', '[', ']']) => write!(f, "['{key}']")?,
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(k: &str) -> Segment {
        Segment::Key(k.into())
    }

    #[test]
    fn parses_keys_indexes_and_quoted_keys() {
        let table = [
            ("data", vec![key("data")]),
            (
                "QueryResponse.Customer",
                vec![key("QueryResponse"), key("Customer")],
            ),
            (
                "items[0].id",
                vec![key("items"), Segment::Index(0), key("id")],
            ),
            ("['@odata.nextLink']", vec![key("@odata.nextLink")]),
            ("a['b.c'][2]", vec![key("a"), key("b.c"), Segment::Index(2)]),
            ("@odata", vec![key("@odata")]),
        ];
        for (text, expected) in table {
            let path = JsonPath::parse(text).unwrap();
            assert_eq!(path.0, expected, "{text}");
            assert_eq!(JsonPath::parse(&path.to_string()).unwrap(), path, "{text}");
        }
    }

    #[test]
    fn rejects_malformed_paths() {
        let table = [
            ("", PathError::Empty),
            ("a..b", PathError::EmptyKey(2)),
            (".a", PathError::EmptyKey(0)),
            ("a.", PathError::EmptyKey(2)),
            ("a[x]", PathError::BadBracket(1)),
            ("a[0", PathError::BadBracket(1)),
            ("a['x", PathError::BadBracket(1)),
            ("a[0]b", PathError::ExpectedSeparator(4)),
            ("a]", PathError::BadBracket(0)),
        ];
        for (text, expected) in table {
            assert_eq!(JsonPath::parse(text), Err(expected), "{text}");
        }
    }

    #[test]
    fn looks_values_up() {
        let doc = json!({"paging": {"next": {"after": "42"}}, "value": [{"@odata.id": 7}]});
        let at = |p: &str| JsonPath::parse(p).unwrap().lookup(&doc).cloned();
        assert_eq!(at("paging.next.after"), Some(json!("42")));
        assert_eq!(at("value[0]['@odata.id']"), Some(json!(7)));
        assert_eq!(at("value[1]"), None);
    }
}
