//! Value transforms for field-mapping templates, and the rules that apply them to a record.
//! Pure: data in, data out; no I/O, no panics.
//!
//! A `Transform` turns one JSON value into another (`"1.234,56"` → `1234.56`) or says why it
//! cannot. A `FieldRule` reads one or more dotted source paths, runs its transforms in order
//! and writes a dotted target path; `apply_rules` runs a whole mapping over one record and
//! returns either the complete output or every error, never a half-written record.
//!
//! Null passes through every transform unchanged, except `default` (which fills it) and the
//! `join`/`concat` pair (which skip nulls). Empty or blank strings become null in the parsing
//! transforms (`to_number`, `to_integer`, `to_boolean`), as CSV exports write them for "no value".
//!
//! # From the suggester's `TransformHint`
//!
//! Every hint has a transform of the same name (`kind` tags are identical):
//!
//! | hint | transform |
//! |---|---|
//! | `to_string`, `to_number`, `to_integer`, `to_boolean`, `lowercase` | same name, default options |
//! | `date { from, to }` | `date { from, to }`; `iso_date`, `iso_date_time`, `unix_seconds`, `unix_millis` keep their names; `slashed` becomes `DateFormat::Strftime("%d/%m/%Y")` or `"%m/%d/%Y"` (the hint does not know which: check a sample whose first number is above 12) |
//! | `split_name { part }` | `split_name { part }` (`first` / `last`) |
//! | `cents_to_decimal` | `cents_to_decimal` (output a JSON number) |
//! | `decimal_to_cents` | `decimal_to_cents` (rounding `refuse`) |
//! | `value_map { pairs }` | `value_map { map: pairs collected into the map, ignore_case: true, fallback: error }`; the suggester lower-cases sample values, so `ignore_case` is needed |

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod date;
mod number;
mod rules;
#[cfg(test)]
mod tests;
mod text;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use date::DateFormat;
pub use rules::{FieldRule, RuleError, RuleErrorKind, apply_rules};

/// One step of a field rule: how a value changes on its way to the target.
///
/// Unknown fields are refused on the variants that have fields; serde cannot refuse them on
/// the field-less ones (`{"kind": "trim", "side": "left"}` reads as `trim`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Transform {
    /// Copy the value as it is.
    None,
    /// Write numbers and booleans as text; strings stay; arrays and objects are refused.
    ToString,
    /// Parse text as a number, with the decimal separators people write: `1234.56`,
    /// `1,234.56`, `1.234,56`, `1 234,56`, `1'234.56`. Without `decimal_separator` the last of
    /// `.` and `,` is the decimal one; a lone `.` is always decimal; a lone `,` followed by
    /// exactly three digits (`1,234`) is ambiguous and refused. Integral results are written as
    /// integers (`"42"` → `42`).
    ToNumber {
        /// Which character separates the decimals; the other one and spaces group thousands.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decimal_separator: Option<DecimalSeparator>,
    },
    /// Convert to a whole number (numbers and numeric text). A fraction is refused unless a
    /// rounding rule says how to drop it; rounding is exact (decimal, not floating point).
    ToInteger {
        /// What to do with a fraction; `refuse` by default.
        #[serde(default)]
        rounding: Rounding,
    },
    /// `yes`/`no`, `y`/`n`, `true`/`false`, `on`/`off`, `1`/`0` (any case, text or number) to a
    /// boolean.
    ToBoolean,
    /// Lower-case text.
    Lowercase,
    /// Upper-case text.
    Uppercase,
    /// Remove leading and trailing whitespace.
    Trim,
    /// Convert between date spellings: ISO 8601 dates or date-times, Unix seconds or
    /// milliseconds, or a `strftime` pattern such as `%d/%m/%Y`.
    Date {
        /// How the source writes the date.
        from: DateFormat,
        /// How the target wants it.
        to: DateFormat,
    },
    /// Take one part of a person's full name: `Ada Lovelace`, `Lovelace, Ada`,
    /// `Dr. Ada Augusta King-Lovelace Jr.`, `Ludwig van Beethoven`. Middle names, titles and
    /// suffixes are dropped; a single word is a first name (its last name is null).
    SplitName {
        /// Which part to keep.
        part: NamePart,
    },
    /// Join several values (a rule with several sources, or an array) into one text.
    /// Nulls and empty strings are skipped; when nothing is left the result is null.
    Join {
        /// Put between two values.
        separator: String,
    },
    /// `join` with an empty separator.
    Concat,
    /// Map each value to another one (enum mapping, such as lifecycle stage → lead status).
    /// Numbers and booleans are looked up by their text (`1`, `true`).
    ValueMap {
        /// Source value → target value.
        map: BTreeMap<String, Value>,
        /// What to do with a value that is not in the map; `error` by default.
        #[serde(default)]
        fallback: Fallback,
        /// Compare keys without regard to case.
        #[serde(default)]
        ignore_case: bool,
    },
    /// Integer cents (`-1250`, `"1250"`) to a decimal amount (`-12.5` or `"-12.50"`), exactly.
    CentsToDecimal {
        /// Write a JSON number (default) or a text with two decimals.
        #[serde(default)]
        output: AmountOutput,
    },
    /// A decimal amount (`12.34`, `"1.234,56"`) to integer cents, exactly. Sub-cent amounts are
    /// refused unless a rounding rule is given.
    DecimalToCents {
        /// What to do with fractions of a cent; `refuse` by default.
        #[serde(default)]
        rounding: Rounding,
    },
    /// Fill a null or missing value.
    Default {
        /// The value to use.
        value: Value,
    },
}

/// The character that separates the decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecimalSeparator {
    /// `1,234.56`.
    #[serde(rename = ".")]
    Dot,
    /// `1.234,56`.
    #[serde(rename = ",")]
    Comma,
}

/// How a fraction is dropped. All rules are exact on the decimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// A fraction is an error: nothing is silently lost.
    #[default]
    Refuse,
    /// Halves go away from zero (`2.5` → `3`, `-2.5` → `-3`): commercial rounding.
    #[serde(alias = "half_up")]
    HalfAwayFromZero,
    /// Halves go to the even neighbour (`2.5` → `2`, `3.5` → `4`): banker's rounding.
    HalfEven,
    /// Drop the fraction (`-2.7` → `-2`).
    #[serde(alias = "truncate")]
    TowardZero,
    /// Round down (`-2.1` → `-3`).
    Floor,
    /// Round up (`2.1` → `3`).
    Ceil,
}

/// How an amount is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountOutput {
    /// A JSON number (`12.5`); amounts beyond 2^53 cents are refused rather than rounded.
    #[default]
    Number,
    /// Text with exactly two decimals (`"12.50"`).
    String,
}

/// A part of a person's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamePart {
    /// Given name.
    First,
    /// Family name, with its particles (`van Beethoven`).
    Last,
}

/// What `value_map` does with a value missing from its map.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// Refuse the value.
    #[default]
    Error,
    /// Pass the value through unchanged.
    Keep,
    /// Write null.
    Null,
    /// Write this value instead (`{"value": "other"}`).
    Value(Value),
}

/// Why a transform could not apply to a value. The field is added by the rule that ran it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    /// The value has the wrong type or cannot be read as what the transform needs.
    #[error("cannot convert {found}{} to {expected}{}", preview_part(.value), reason_part(.reason))]
    Convert {
        /// The JSON type of the value.
        found: JsonType,
        /// A short rendering of the value (empty for arrays and objects).
        value: String,
        /// What the transform needed, in words (`a number`).
        expected: &'static str,
        /// Why, when the type alone does not say it.
        reason: Option<String>,
    },
    /// The transform itself is wrong (an invalid `strftime` pattern).
    #[error("invalid transform: {0}")]
    Invalid(String),
}

/// The type of a JSON value, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    /// `null`.
    Null,
    /// `true` or `false`.
    Boolean,
    /// A number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl JsonType {
    /// The type of `value`.
    pub fn of(value: &Value) -> Self {
        match value {
            Value::Null => Self::Null,
            Value::Bool(_) => Self::Boolean,
            Value::Number(_) => Self::Number,
            Value::String(_) => Self::String,
            Value::Array(_) => Self::Array,
            Value::Object(_) => Self::Object,
        }
    }
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Null => "null",
            Self::Boolean => "boolean",
            Self::Number => "number",
            Self::String => "string",
            Self::Array => "array",
            Self::Object => "object",
        })
    }
}

impl Transform {
    /// Applies this transform to one value.
    pub fn apply(&self, value: Value) -> Result<Value, TransformError> {
        if value.is_null() {
            return Ok(match self {
                Self::Default { value } => value.clone(),
                _ => Value::Null,
            });
        }
        match self {
            Self::None | Self::Default { .. } => Ok(value),
            Self::ToString => text::to_string(value),
            Self::ToNumber { decimal_separator } => number::to_number(value, *decimal_separator),
            Self::ToInteger { rounding } => number::to_integer(value, *rounding),
            Self::ToBoolean => text::to_boolean(value),
            Self::Lowercase => text::map_text(value, "lowercase text", |s| s.to_lowercase()),
            Self::Uppercase => text::map_text(value, "uppercase text", |s| s.to_uppercase()),
            Self::Trim => text::map_text(value, "trimmed text", |s| s.trim().to_owned()),
            Self::Date { from, to } => date::convert(value, from, to),
            Self::SplitName { part } => text::split_name(value, *part),
            Self::Join { separator } => text::join(value, separator),
            Self::Concat => text::join(value, ""),
            Self::ValueMap {
                map,
                fallback,
                ignore_case,
            } => text::value_map(value, map, fallback, *ignore_case),
            Self::CentsToDecimal { output } => number::cents_to_decimal(value, *output),
            Self::DecimalToCents { rounding } => number::decimal_to_cents(value, *rounding),
        }
    }
}

/// Applies `transforms` in order, each to the result of the one before.
pub fn apply_all(transforms: &[Transform], value: Value) -> Result<Value, TransformError> {
    transforms.iter().try_fold(value, |v, t| t.apply(v))
}

/// The error for `value` when it cannot become `expected`.
fn convert_error(value: &Value, expected: &'static str, reason: Option<String>) -> TransformError {
    TransformError::Convert {
        found: JsonType::of(value),
        value: preview(value),
        expected,
        reason,
    }
}

/// A short rendering of a scalar for error messages; strings are quoted and cut at 40 chars.
fn preview(value: &Value) -> String {
    const MAX: usize = 40;
    match value {
        Value::String(s) if s.chars().count() > MAX => {
            let cut: String = s.chars().take(MAX).collect();
            format!("{}…", Value::String(cut))
        }
        Value::String(_) | Value::Number(_) | Value::Bool(_) => value.to_string(),
        Value::Null | Value::Array(_) | Value::Object(_) => String::new(),
    }
}

fn preview_part(value: &str) -> String {
    if value.is_empty() {
        String::new()
    } else {
        format!(" {value}")
    }
}

fn reason_part(reason: &Option<String>) -> String {
    reason
        .as_ref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default()
}
