//! Turns the suggester's transform hints into the transforms a mapping template runs.

use serde_json::Value;

use super::{
    suggest::{
        Schema, Suggestion, TransformHint,
        transform_hint::{DateFormat as HintDate, NamePart as HintPart},
    },
    transform::{DateFormat, Fallback, FieldRule, NamePart, Rounding, Transform},
};

/// The transform for a hint; `samples` are the source field's sample values, used to tell
/// day-first from month-first slashed dates.
pub fn transform_for(hint: &TransformHint, samples: &[Value]) -> Transform {
    match hint {
        TransformHint::ToString => Transform::ToString,
        TransformHint::ToNumber => Transform::ToNumber {
            decimal_separator: None,
        },
        TransformHint::ToInteger => Transform::ToInteger {
            rounding: Rounding::Refuse,
        },
        TransformHint::ToBoolean => Transform::ToBoolean,
        TransformHint::Lowercase => Transform::Lowercase,
        TransformHint::Date { from, to } => Transform::Date {
            from: date_format(*from, samples),
            to: date_format(*to, &[]),
        },
        TransformHint::SplitName { part } => Transform::SplitName {
            part: match part {
                HintPart::First => NamePart::First,
                HintPart::Last => NamePart::Last,
            },
        },
        TransformHint::CentsToDecimal => Transform::CentsToDecimal {
            output: Default::default(),
        },
        TransformHint::DecimalToCents => Transform::DecimalToCents {
            rounding: Rounding::Refuse,
        },
        TransformHint::ValueMap { pairs } => Transform::ValueMap {
            map: pairs
                .iter()
                .map(|(from, to)| (from.clone(), Value::String(to.clone())))
                .collect(),
            // The suggester compares values lower-cased; unknown values keep theirs.
            fallback: Fallback::Keep,
            ignore_case: true,
        },
    }
}

fn date_format(format: HintDate, samples: &[Value]) -> DateFormat {
    match format {
        HintDate::IsoDate => DateFormat::IsoDate,
        HintDate::IsoDateTime => DateFormat::IsoDateTime,
        HintDate::UnixSeconds => DateFormat::UnixSeconds,
        HintDate::UnixMillis => DateFormat::UnixMillis,
        HintDate::Slashed if day_first(samples) => DateFormat::Strftime("%d/%m/%Y".into()),
        HintDate::Slashed => DateFormat::Strftime("%m/%d/%Y".into()),
    }
}

/// Whether slashed sample dates put the day first: some first number is above 12.
fn day_first(samples: &[Value]) -> bool {
    samples.iter().filter_map(Value::as_str).any(|s| {
        s.split('/')
            .next()
            .and_then(|n| n.trim().parse::<u32>().ok())
            .is_some_and(|n| n > 12)
    })
}

/// Field rules for the suggestions at or above `min_confidence`: one rule per target (the
/// most confident source), with the hinted transform.
pub fn rules_from_suggestions(
    suggestions: &[Suggestion],
    source: &Schema,
    min_confidence: f64,
) -> Vec<FieldRule> {
    let mut sorted: Vec<&Suggestion> = suggestions
        .iter()
        .filter(|s| s.confidence >= min_confidence)
        .collect();
    sorted.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    let mut rules: Vec<FieldRule> = Vec::new();
    for suggestion in sorted {
        if rules.iter().any(|r| r.target == suggestion.target) {
            continue;
        }
        let samples = source
            .fields
            .iter()
            .find(|f| f.path == suggestion.source)
            .map(|f| f.samples.as_slice())
            .unwrap_or_default();
        rules.push(FieldRule {
            source: vec![suggestion.source.clone()],
            target: suggestion.target.clone(),
            transforms: suggestion
                .transform
                .as_ref()
                .map(|hint| vec![transform_for(hint, samples)])
                .unwrap_or_default(),
            default: None,
            required: false,
        });
    }
    rules
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn slashed_dates_are_read_day_first_only_when_a_sample_says_so() {
        let hint = TransformHint::Date {
            from: HintDate::Slashed,
            to: HintDate::IsoDate,
        };
        let month_first = transform_for(&hint, &[json!("03/01/2024")]);
        let day_first = transform_for(&hint, &[json!("03/01/2024"), json!("25/12/2024")]);
        assert_eq!(
            month_first.apply(json!("03/01/2024")).unwrap(),
            json!("2024-03-01")
        );
        assert_eq!(
            day_first.apply(json!("25/12/2024")).unwrap(),
            json!("2024-12-25")
        );
    }

    #[test]
    fn every_hint_becomes_a_transform_that_runs() {
        let cases = [
            (TransformHint::ToNumber, json!("1,234.50"), json!(1234.5)),
            (TransformHint::ToString, json!(42), json!("42")),
            (TransformHint::ToBoolean, json!("yes"), json!(true)),
            (
                TransformHint::Lowercase,
                json!("ADA@X.IO"),
                json!("ada@x.io"),
            ),
            (
                TransformHint::SplitName {
                    part: HintPart::Last,
                },
                json!("Ada Lovelace"),
                json!("Lovelace"),
            ),
            (TransformHint::CentsToDecimal, json!(1999), json!(19.99)),
            (TransformHint::DecimalToCents, json!("19.99"), json!(1999)),
            (
                TransformHint::ValueMap {
                    pairs: vec![("closedwon".into(), "Won".into())],
                },
                json!("CLOSEDWON"),
                json!("Won"),
            ),
        ];
        for (hint, input, expected) in cases {
            let transform = transform_for(&hint, &[]);
            assert_eq!(transform.apply(input).unwrap(), expected, "{hint:?}");
        }
    }
}
