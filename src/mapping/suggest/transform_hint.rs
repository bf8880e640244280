//! Which transform the values need on their way from the source field to the target field.

use serde::{Deserialize, Serialize};

use super::types::Kind;
use super::values::{DateShape, Profile, ValueClass};

/// A transform proposed with a suggestion; the names match Patchbay's mapping transforms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransformHint {
    /// Write the value as text.
    ToString,
    /// Parse text as a number (locale-aware decimal separators).
    ToNumber,
    /// Parse or round to a whole number.
    ToInteger,
    /// yes/no/1/0/true/false to a boolean.
    ToBoolean,
    /// Lower-case the text (e-mail addresses).
    Lowercase,
    /// Convert between date spellings.
    Date {
        /// How the source writes dates.
        from: DateFormat,
        /// How the target wants them.
        to: DateFormat,
    },
    /// Take one part of a full name ("Ada Lovelace", also "Lovelace, Ada").
    SplitName {
        /// Which part.
        part: NamePart,
    },
    /// Integer cents to a decimal amount.
    CentsToDecimal,
    /// A decimal amount to integer cents.
    DecimalToCents,
    /// Map each source value to a target value.
    ValueMap {
        /// `(source value, target value)` pairs.
        pairs: Vec<(String, String)>,
    },
}

/// A date spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateFormat {
    /// `2024-03-01`.
    IsoDate,
    /// `2024-03-01T10:00:00Z`.
    IsoDateTime,
    /// `03/01/2024` (day or month first: check a sample).
    Slashed,
    /// Seconds since 1970.
    UnixSeconds,
    /// Milliseconds since 1970.
    UnixMillis,
}

/// A part of a person's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamePart {
    /// Given name.
    First,
    /// Family name.
    Last,
}

/// What the hint needs to know about one side of a pair.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// Declared kind.
    pub kind: &'a Kind,
    /// Sample profile (empty when there are no samples).
    pub profile: &'a Profile,
    /// Words of the leaf segment.
    pub leaf_words: &'a [String],
    /// Which person-name concept the name is, if any.
    pub name_role: Option<NameRole>,
}

/// Person-name concepts, for splitting full names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRole {
    /// A full or display name.
    Full,
    /// A first name.
    First,
    /// A last name.
    Last,
}

fn from_shape(s: DateShape) -> DateFormat {
    match s {
        DateShape::IsoDate => DateFormat::IsoDate,
        DateShape::IsoDateTime => DateFormat::IsoDateTime,
        DateShape::Slashed => DateFormat::Slashed,
        DateShape::UnixSeconds => DateFormat::UnixSeconds,
        DateShape::UnixMillis => DateFormat::UnixMillis,
    }
}

fn has_word(words: &[String], w: &str) -> bool {
    words.iter().any(|x| x == w)
}

/// Proposes the transform a pair needs, or `None` when values can be copied as they are.
pub fn infer(source: Side<'_>, target: Side<'_>) -> Option<TransformHint> {
    let numeric = |k: &Kind| matches!(k, Kind::Integer | Kind::Number | Kind::Any);
    let (s_cents, t_cents) = (
        has_word(source.leaf_words, "cents"),
        has_word(target.leaf_words, "cents"),
    );
    if t_cents && !s_cents && numeric(source.kind) {
        return Some(TransformHint::DecimalToCents);
    }
    if s_cents && !t_cents && numeric(target.kind) {
        return Some(TransformHint::CentsToDecimal);
    }
    match (source.name_role, target.name_role) {
        (Some(NameRole::Full), Some(NameRole::First)) => {
            return Some(TransformHint::SplitName {
                part: NamePart::First,
            });
        }
        (Some(NameRole::Full), Some(NameRole::Last)) => {
            return Some(TransformHint::SplitName {
                part: NamePart::Last,
            });
        }
        _ => {}
    }
    if let Some(hint) = date_hint(source, target) {
        return Some(hint);
    }
    if source.profile.share(ValueClass::Email) > 0.5 && source.profile.has_upper {
        return Some(TransformHint::Lowercase);
    }
    if let Some(hint) = value_map(source.profile, target.profile) {
        return Some(hint);
    }
    let text_numbers = source.profile.numbers_as_text || source.profile.n == 0;
    match (source.kind, target.kind) {
        (Kind::Boolean, Kind::Boolean) => None,
        (_, Kind::Boolean) if !matches!(source.kind, Kind::Any) => Some(TransformHint::ToBoolean),
        (Kind::Number, Kind::Integer) => Some(TransformHint::ToInteger),
        (Kind::String | Kind::Enum, Kind::Integer) if text_numbers => {
            Some(TransformHint::ToInteger)
        }
        (Kind::String | Kind::Enum, Kind::Number) if text_numbers => Some(TransformHint::ToNumber),
        (Kind::Integer | Kind::Number | Kind::Boolean, Kind::String | Kind::Enum) => {
            Some(TransformHint::ToString)
        }
        _ => None,
    }
}

fn date_hint(source: Side<'_>, target: Side<'_>) -> Option<TransformHint> {
    let from = source.profile.date_shape.map(from_shape);
    let to = target
        .profile
        .date_shape
        .map(from_shape)
        .or(match target.kind {
            Kind::Date => Some(DateFormat::IsoDate),
            Kind::DateTime => Some(DateFormat::IsoDateTime),
            _ => None,
        });
    let from = from.or(match source.kind {
        Kind::Date if to.is_some() => Some(DateFormat::IsoDate),
        Kind::DateTime if to.is_some() => Some(DateFormat::IsoDateTime),
        _ => None,
    })?;
    let to = to.or(match (target.kind, from) {
        // A plain number target for a date source: seconds since 1970 is the common choice.
        (
            Kind::Integer | Kind::Number,
            DateFormat::IsoDate | DateFormat::IsoDateTime | DateFormat::Slashed,
        ) => Some(DateFormat::UnixSeconds),
        (Kind::String, DateFormat::UnixSeconds | DateFormat::UnixMillis | DateFormat::Slashed) => {
            Some(DateFormat::IsoDateTime)
        }
        _ => None,
    })?;
    (from != to).then_some(TransformHint::Date { from, to })
}

/// Enum-like fields whose values differ: pair each source value with the most alike target value.
fn value_map(source: &Profile, target: &Profile) -> Option<TransformHint> {
    if !source.is_enum_like() || !target.is_enum_like() {
        return None;
    }
    let common = source.values.intersection(&target.values).count();
    if common * 5 >= source.values.len() * 4 {
        return None;
    }
    let mut s_vals: Vec<&String> = source.values.iter().collect();
    s_vals.sort();
    let mut t_vals: Vec<&String> = target.values.iter().collect();
    t_vals.sort();
    let pairs: Vec<(String, String)> = s_vals
        .iter()
        .filter_map(|s| {
            t_vals
                .iter()
                .map(|t| (strsim::jaro_winkler(s, t), *t))
                .filter(|(sim, _)| *sim >= 0.75)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, t)| ((*s).clone(), t.clone()))
        })
        .collect();
    (!pairs.is_empty()).then_some(TransformHint::ValueMap { pairs })
}

/// Plain words for a hint, for reasons.
pub fn describe(h: &TransformHint) -> String {
    match h {
        TransformHint::ToString => "convert to text".into(),
        TransformHint::ToNumber => "parse as a number".into(),
        TransformHint::ToInteger => "convert to a whole number".into(),
        TransformHint::ToBoolean => "convert to true/false".into(),
        TransformHint::Lowercase => "lower-case the e-mail addresses".into(),
        TransformHint::Date { from, to } => format!(
            "convert dates from {} to {}",
            date_words(*from),
            date_words(*to)
        ),
        TransformHint::SplitName {
            part: NamePart::First,
        } => "take the first name from the full name".into(),
        TransformHint::SplitName {
            part: NamePart::Last,
        } => "take the last name from the full name".into(),
        TransformHint::CentsToDecimal => "divide cents by 100".into(),
        TransformHint::DecimalToCents => "multiply by 100 to get cents".into(),
        TransformHint::ValueMap { pairs } => format!("map {} values", pairs.len()),
    }
}

fn date_words(f: DateFormat) -> &'static str {
    match f {
        DateFormat::IsoDate => "ISO dates",
        DateFormat::IsoDateTime => "ISO date-times",
        DateFormat::Slashed => "dd/mm/yyyy or mm/dd/yyyy",
        DateFormat::UnixSeconds => "Unix seconds",
        DateFormat::UnixMillis => "Unix milliseconds",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    struct Case {
        s_kind: &'static str,
        s_samples: Vec<Value>,
        s_name: &'static str,
        t_kind: &'static str,
        t_samples: Vec<Value>,
        t_name: &'static str,
    }

    fn role(name: &str) -> Option<NameRole> {
        match name {
            "full_name" => Some(NameRole::Full),
            "first_name" => Some(NameRole::First),
            "last_name" => Some(NameRole::Last),
            _ => None,
        }
    }

    fn check(c: Case, expected: Option<TransformHint>) {
        let (sk, tk) = (
            super::super::types::parse(c.s_kind),
            super::super::types::parse(c.t_kind),
        );
        let (sp, tp) = (
            Profile::build(&c.s_samples, 20),
            Profile::build(&c.t_samples, 20),
        );
        let (sw, tw) = (
            super::super::tokenize::words(c.s_name),
            super::super::tokenize::words(c.t_name),
        );
        let got = infer(
            Side {
                kind: &sk,
                profile: &sp,
                leaf_words: &sw,
                name_role: role(c.s_name),
            },
            Side {
                kind: &tk,
                profile: &tp,
                leaf_words: &tw,
                name_role: role(c.t_name),
            },
        );
        assert_eq!(got, expected, "{} -> {}", c.s_name, c.t_name);
    }

    fn case(
        s_kind: &'static str,
        s_samples: Vec<Value>,
        s_name: &'static str,
        t_kind: &'static str,
        t_name: &'static str,
    ) -> Case {
        Case {
            s_kind,
            s_samples,
            s_name,
            t_kind,
            t_samples: vec![],
            t_name,
        }
    }

    #[test]
    fn proposes_transforms() {
        use TransformHint::*;
        check(
            case("integer", vec![json!(42)], "zip", "string", "postal_code"),
            Some(ToString),
        );
        check(
            case("string", vec![json!("42.5")], "amount", "number", "total"),
            Some(ToNumber),
        );
        check(
            case("string", vec![json!("Ada")], "name", "string", "title"),
            None,
        );
        check(
            case(
                "number",
                vec![json!(12.5)],
                "balance",
                "integer",
                "balance_cents",
            ),
            Some(DecimalToCents),
        );
        check(
            case(
                "integer",
                vec![json!(1250)],
                "amount_cents",
                "number",
                "amount",
            ),
            Some(CentsToDecimal),
        );
        check(
            case(
                "string",
                vec![json!("Ada@Example.com")],
                "email",
                "string",
                "email",
            ),
            Some(Lowercase),
        );
        check(
            case(
                "string",
                vec![json!("ada@example.com")],
                "email",
                "string",
                "email",
            ),
            None,
        );
        check(
            case(
                "string",
                vec![json!("Ada Lovelace")],
                "full_name",
                "string",
                "first_name",
            ),
            Some(SplitName {
                part: NamePart::First,
            }),
        );
        check(
            case("string", vec![], "full_name", "string", "last_name"),
            Some(SplitName {
                part: NamePart::Last,
            }),
        );
        check(
            case(
                "integer",
                vec![json!(1700000000), json!(1700000100)],
                "created",
                "datetime",
                "created_at",
            ),
            Some(Date {
                from: DateFormat::UnixSeconds,
                to: DateFormat::IsoDateTime,
            }),
        );
        check(
            case(
                "string",
                vec![json!("2024-03-01T10:00:00Z")],
                "created",
                "date",
                "created_on",
            ),
            Some(Date {
                from: DateFormat::IsoDateTime,
                to: DateFormat::IsoDate,
            }),
        );
        check(
            case(
                "string",
                vec![json!("yes")],
                "active",
                "boolean",
                "is_active",
            ),
            Some(ToBoolean),
        );
        check(
            case(
                "boolean",
                vec![json!(true)],
                "active",
                "boolean",
                "is_active",
            ),
            None,
        );
        let statuses = |v: &[&str]| {
            v.iter()
                .cycle()
                .take(8)
                .map(|s| json!(s))
                .collect::<Vec<_>>()
        };
        check(
            Case {
                s_kind: "string",
                s_samples: statuses(&["Open", "Closed Won"]),
                s_name: "stage",
                t_kind: "enum",
                t_samples: statuses(&["OPEN", "CLOSED_WON", "LOST"]),
                t_name: "status",
            },
            Some(ValueMap {
                pairs: vec![
                    ("closed won".into(), "closed_won".into()),
                    ("open".into(), "open".into()),
                ],
            }),
        );
    }
}
