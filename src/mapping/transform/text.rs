//! Transforms on text: conversions to text and booleans, case, names, joining and value maps.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Fallback, NamePart, TransformError, convert_error};

/// `to_string`: scalars as text.
pub(super) fn to_string(value: Value) -> Result<Value, TransformError> {
    match value {
        Value::String(_) => Ok(value),
        Value::Number(n) => Ok(Value::String(n.to_string())),
        Value::Bool(b) => Ok(Value::String(b.to_string())),
        _ => Err(convert_error(&value, "a string", None)),
    }
}

/// `to_boolean`: the usual spellings of yes and no.
pub(super) fn to_boolean(value: Value) -> Result<Value, TransformError> {
    let word = match &value {
        Value::Bool(_) => return Ok(value),
        Value::String(s) if s.trim().is_empty() => return Ok(Value::Null),
        Value::String(s) => s.trim().to_lowercase(),
        Value::Number(n) => n.to_string(),
        _ => return Err(convert_error(&value, "a boolean", None)),
    };
    match word.as_str() {
        "true" | "yes" | "y" | "on" | "1" => Ok(Value::Bool(true)),
        "false" | "no" | "n" | "off" | "0" => Ok(Value::Bool(false)),
        _ => Err(convert_error(
            &value,
            "a boolean",
            Some("expected yes/no, y/n, true/false, on/off or 1/0".into()),
        )),
    }
}

/// `lowercase`, `uppercase`, `trim`: `f` over text; other types are refused.
pub(super) fn map_text(
    value: Value,
    expected: &'static str,
    f: impl Fn(&str) -> String,
) -> Result<Value, TransformError> {
    match &value {
        Value::String(s) => Ok(Value::String(f(s))),
        _ => Err(convert_error(&value, expected, None)),
    }
}

/// `split_name`: the first or last part of a person's full name.
pub(super) fn split_name(value: Value, part: NamePart) -> Result<Value, TransformError> {
    let Value::String(full) = &value else {
        let expected = match part {
            NamePart::First => "a first name",
            NamePart::Last => "a last name",
        };
        return Err(convert_error(&value, expected, None));
    };
    let (first, last) = name_parts(full);
    let chosen = match part {
        NamePart::First => first,
        NamePart::Last => last,
    };
    Ok(chosen.map_or(Value::Null, Value::String))
}

/// Titles dropped before a name.
const TITLES: &[&str] = &["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame"];
/// Suffixes dropped after a name.
const SUFFIXES: &[&str] = &[
    "jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "mba", "dds",
];
/// Lower-case words that belong to the family name that follows them.
const PARTICLES: &[&str] = &[
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "du", "la", "le",
    "ter", "ten", "bin", "al",
];

fn is_in(list: &[&str], word: &str) -> bool {
    let bare = word.trim_end_matches('.').to_lowercase();
    list.contains(&bare.as_str())
}

/// Splits `full` into (first, last): "Last, First Middle" or "Title First Middle Last Suffix".
fn name_parts(full: &str) -> (Option<String>, Option<String>) {
    let words_of = |s: &str| -> Vec<String> {
        s.split_whitespace()
            .map(|w| w.trim_matches(',').to_owned())
            .filter(|w| !w.is_empty())
            .collect()
    };
    if let Some((before, after)) = full.split_once(',') {
        // "King, Jr." is not "Last, First": the part after the comma is only a suffix.
        let after_words = words_of(after);
        if !after_words.is_empty() && !after_words.iter().all(|w| is_in(SUFFIXES, w)) {
            let given: Vec<&String> = after_words.iter().filter(|w| !is_in(TITLES, w)).collect();
            let family = words_of(before).join(" ");
            return (
                given.first().map(|w| (*w).clone()),
                (!family.is_empty()).then_some(family),
            );
        }
    }
    let mut words = words_of(full);
    while words.len() > 1 && words.first().is_some_and(|w| is_in(TITLES, w)) {
        words.remove(0);
    }
    while words.len() > 1 && words.last().is_some_and(|w| is_in(SUFFIXES, w)) {
        words.pop();
    }
    let first = words.first().cloned();
    if words.len() < 2 {
        return (first, None);
    }
    // The family name is the last word plus the particles right before it ("van der Berg").
    let mut start = words.len() - 1;
    while start > 1
        && words.get(start - 1).is_some_and(|w| {
            is_in(PARTICLES, w) && w.chars().next().is_some_and(char::is_lowercase)
        })
    {
        start -= 1;
    }
    let last = words.get(start..).map(|w| w.join(" "));
    (first, last)
}

/// `join` / `concat`: the texts of the values (or of the one value) with `separator` between.
pub(super) fn join(value: Value, separator: &str) -> Result<Value, TransformError> {
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    let mut parts = Vec::with_capacity(items.len());
    for item in &items {
        match item {
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            Value::String(s) => parts.push(s.clone()),
            Value::Number(n) => parts.push(n.to_string()),
            Value::Bool(b) => parts.push(b.to_string()),
            Value::Array(_) | Value::Object(_) => {
                return Err(convert_error(item, "joined text", None));
            }
        }
    }
    Ok(if parts.is_empty() {
        Value::Null
    } else {
        Value::String(parts.join(separator))
    })
}

/// `value_map`: look the value's text up in `map`.
pub(super) fn value_map(
    value: Value,
    map: &BTreeMap<String, Value>,
    fallback: &Fallback,
    ignore_case: bool,
) -> Result<Value, TransformError> {
    let key = match &value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return Err(convert_error(&value, "a mapped value", None)),
    };
    let found = if ignore_case {
        map.iter()
            .find(|(k, _)| k.to_lowercase() == key.to_lowercase())
            .map(|(_, v)| v)
    } else {
        map.get(&key)
    };
    match (found, fallback) {
        (Some(mapped), _) => Ok(mapped.clone()),
        (None, Fallback::Keep) => Ok(value),
        (None, Fallback::Null) => Ok(Value::Null),
        (None, Fallback::Value(v)) => Ok(v.clone()),
        (None, Fallback::Error) => Err(convert_error(
            &value,
            "a mapped value",
            Some("not in the value map".into()),
        )),
    }
}
