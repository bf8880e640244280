//! Field rules: read dotted source paths from a record, run the transforms, write the target.
//!
//! Paths are dotted keys with brackets for arrays: `properties.firstname`, `lines[0].amount`,
//! `lines[].amount`. Each `[]` in the target pairs with a `[]` in the sources, in order, so
//! `lines[].amount` → `items[].total` maps element by element; `[]` levels of a source beyond
//! the target's reach the transforms as an array (`tags[]` → `labels` with `join`). A source
//! without `[]` is repeated for every element: beside an array source it follows that array
//! (`["currency", "lines[].amount"]`); alone it fills the elements earlier rules created
//! (`currency` → `items[].currency`), so such a rule comes after the rules that build `items[]`.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::{JsonType, Transform, TransformError, apply_all};

/// One line of a field mapping: where a value comes from, how it changes, where it goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldRule {
    /// Dotted source path, or several; several reach the transforms as one array, in order
    /// (missing ones as null), for `join` or `concat`.
    #[serde(deserialize_with = "one_or_many")]
    pub source: Vec<String>,
    /// Dotted target path; objects and arrays on the way are created.
    pub target: String,
    /// Applied in order (`transform` is accepted too, with one transform or a list).
    #[serde(default, alias = "transform", deserialize_with = "one_or_many")]
    pub transforms: Vec<Transform>,
    /// Written, without transforms, when the source is missing or null, and when the
    /// transforms produce null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// A target that ends up missing or null is an error.
    #[serde(default)]
    pub required: bool,
}

/// Why a rule could not produce its target; `field` names the path the problem is at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {kind}")]
pub struct RuleError {
    /// The source path (with element indices, `lines[2].amount`) for a value that failed,
    /// the target path for a write or `required` problem.
    pub field: String,
    /// The rule's target path, with element indices.
    pub target: String,
    /// What went wrong.
    pub kind: RuleErrorKind,
}

/// What went wrong in a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleErrorKind {
    /// A transform refused the value.
    #[error(transparent)]
    Transform(#[from] TransformError),
    /// The target is required but got no value.
    #[error("required, but the source is missing or null and there is no default")]
    Required,
    /// A step of a source path met the wrong type (`properties` is a string).
    #[error("cannot read {path}: expected {expected}, found {found}")]
    Read {
        /// The whole source path.
        path: String,
        /// What the step needs.
        expected: &'static str,
        /// What the record holds there.
        found: JsonType,
    },
    /// Another rule already wrote something else at this place of the target path.
    #[error("cannot write {path}: expected {expected}, found {found} written by another rule")]
    Write {
        /// The whole target path.
        path: String,
        /// What the step needs.
        expected: &'static str,
        /// What is already there.
        found: JsonType,
    },
    /// The sources' arrays paired by `[]` have different lengths.
    #[error("the sources' arrays have different lengths ({0})")]
    Lengths(String),
    /// The rule itself is wrong: a malformed path, or `[]` that cannot pair up.
    #[error("invalid rule: {0}")]
    Invalid(String),
}

impl FieldRule {
    /// Checks the paths without a record, for saving a mapping.
    pub fn check(&self) -> Result<(), RuleError> {
        plan(self).map(|_| ())
    }
}

/// Applies every rule to `record` and returns the new record, or every error of every rule
/// (the output is then discarded whole, so a record is never half-written).
pub fn apply_rules(rules: &[FieldRule], record: &Value) -> Result<Value, Vec<RuleError>> {
    let mut output = Value::Object(Map::new());
    let mut errors = Vec::new();
    for rule in rules {
        let before = errors.len();
        let Some((plan, tree)) = evaluate(rule, record, &mut errors) else {
            continue;
        };
        if errors.len() == before
            && let Err(e) = write(&mut output, &plan.target, tree, &mut String::new(), &plan)
        {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(output)
    } else {
        Err(errors)
    }
}

/// The largest fixed index a target path may write (`items[1000]`).
const MAX_TARGET_INDEX: usize = 1000;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
    Each,
}

/// A rule's parsed paths.
struct Plan<'r> {
    rule: &'r FieldRule,
    sources: Vec<Vec<Step>>,
    target: Vec<Step>,
    /// How many `[]` levels are paired element by element: the target's, or 0 when no source
    /// has any and the value fills existing elements instead.
    depth: usize,
}

/// What a source path holds in the record; `List` comes from `[]` only.
#[derive(Debug, Clone)]
enum Found {
    Missing,
    Value(Value),
    List(Vec<Found>),
}

/// What a rule writes; `List` levels pair with the target's `[]`.
#[derive(Debug)]
enum Out {
    Skip,
    Value(Value),
    List(Vec<Out>),
}

fn plan(rule: &FieldRule) -> Result<Plan<'_>, RuleError> {
    let invalid = |msg: String| RuleError {
        field: rule.target.clone(),
        target: rule.target.clone(),
        kind: RuleErrorKind::Invalid(msg),
    };
    let sources = rule
        .source
        .iter()
        .map(|s| parse_path(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let target = parse_path(&rule.target).map_err(invalid)?;
    // Writing `items[5000000]` would grow the array to that length.
    if let Some(Step::Index(i)) = target
        .iter()
        .find(|s| matches!(s, Step::Index(i) if *i > MAX_TARGET_INDEX))
    {
        return Err(invalid(format!(
            "target index [{i}] is above {MAX_TARGET_INDEX}"
        )));
    }
    let eaches = |steps: &[Step]| steps.iter().filter(|s| **s == Step::Each).count();
    let depth = eaches(&target);
    let fits = |s: &Vec<Step>| eaches(s) == 0 || eaches(s) >= depth;
    if !sources.iter().all(fits) {
        return Err(invalid(format!(
            "the target has {depth} `[]`; each source needs as many, or none"
        )));
    }
    let depth = if sources.iter().any(|s| eaches(s) > 0) {
        depth
    } else {
        0
    };
    Ok(Plan {
        rule,
        sources,
        target,
        depth,
    })
}

/// Reads the sources and runs the transforms; `None` when the rule is invalid.
fn evaluate<'r>(
    rule: &'r FieldRule,
    record: &Value,
    errors: &mut Vec<RuleError>,
) -> Option<(Plan<'r>, Out)> {
    let plan = match plan(rule) {
        Ok(plan) => plan,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    let mut found = Vec::with_capacity(plan.sources.len());
    for (steps, path) in plan.sources.iter().zip(&rule.source) {
        match read(record, steps, path, &mut String::new()) {
            Ok(f) => found.push(f),
            Err(mut e) => {
                e.target.clone_from(&rule.target);
                errors.push(e);
            }
        }
    }
    if found.len() < plan.sources.len() {
        return None;
    }
    let tree = pair(&plan, found, plan.depth, &mut Vec::new(), errors);
    Some((plan, tree))
}

fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut brackets) = part.split_at(part.find('[').unwrap_or(part.len()));
        if key.is_empty() && brackets.is_empty() {
            return Err(format!("empty segment in path {path:?}"));
        }
        if !key.is_empty() {
            steps.push(Step::Key(key.to_owned()));
        }
        while !brackets.is_empty() {
            let close = brackets
                .find(']')
                .filter(|_| brackets.starts_with('['))
                .ok_or_else(|| format!("unbalanced brackets in path {path:?}"))?;
            let inside = brackets.get(1..close).unwrap_or_default();
            steps.push(if inside.is_empty() {
                Step::Each
            } else {
                Step::Index(
                    inside
                        .parse()
                        .map_err(|_| format!("bad index [{inside}] in path {path:?}"))?,
                )
            });
            brackets = brackets.get(close + 1..).unwrap_or_default();
        }
    }
    Ok(steps)
}

/// The path with its first `[]` filled by `indices` (`lines[2].amount`).
fn render(steps: &[Step], indices: &[usize]) -> String {
    let mut out = String::new();
    let mut next = indices.iter();
    for step in steps {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
            Step::Each => match next.next() {
                Some(i) => out.push_str(&format!("[{i}]")),
                None => out.push_str("[]"),
            },
        }
    }
    out
}

fn push_step(walked: &mut String, step: &Step) {
    match step {
        Step::Key(k) if walked.is_empty() => walked.push_str(k),
        Step::Key(k) => {
            walked.push('.');
            walked.push_str(k);
        }
        Step::Index(i) => walked.push_str(&format!("[{i}]")),
        Step::Each => walked.push_str("[]"),
    }
}

/// Follows `steps` into `value`; null and absent both read as missing.
fn read(
    value: &Value,
    steps: &[Step],
    path: &str,
    walked: &mut String,
) -> Result<Found, RuleError> {
    let Some((step, rest)) = steps.split_first() else {
        return Ok(Found::Value(value.clone()));
    };
    let mismatch = |expected: &'static str, walked: &str| RuleError {
        field: if walked.is_empty() {
            path.to_owned()
        } else {
            walked.to_owned()
        },
        target: String::new(),
        kind: RuleErrorKind::Read {
            path: path.to_owned(),
            expected,
            found: JsonType::of(value),
        },
    };
    let child = match (step, value) {
        (_, Value::Null) => return Ok(Found::Missing),
        (Step::Key(k), Value::Object(map)) => map.get(k),
        (Step::Index(i), Value::Array(items)) => items.get(*i),
        (Step::Each, Value::Array(items)) => {
            let mut list = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let mut here = format!("{walked}[{i}]");
                list.push(read(item, rest, path, &mut here)?);
            }
            return Ok(Found::List(list));
        }
        (Step::Key(_), _) => return Err(mismatch("an object", walked)),
        (Step::Index(_) | Step::Each, _) => return Err(mismatch("an array", walked)),
    };
    push_step(walked, step);
    match child {
        None => Ok(Found::Missing),
        Some(Value::Null) if !rest.is_empty() => Ok(Found::Missing),
        Some(child) => read(child, rest, path, walked),
    }
}

/// Pairs the sources' `[]` levels (`depth` of them left) and runs the rule on each element.
fn pair(
    plan: &Plan<'_>,
    found: Vec<Found>,
    depth: usize,
    indices: &mut Vec<usize>,
    errors: &mut Vec<RuleError>,
) -> Out {
    if depth == 0 {
        return leaf(plan, found, indices, errors);
    }
    let lengths: Vec<usize> = found
        .iter()
        .filter_map(|f| match f {
            Found::List(items) => Some(items.len()),
            _ => None,
        })
        .collect();
    let Some(&len) = lengths.first() else {
        // No source array here: nothing to map, which only matters to `required`.
        return leaf_missing(plan, indices, errors);
    };
    if lengths.iter().any(|l| *l != len) {
        errors.push(RuleError {
            field: sources_label(plan, indices),
            target: render(&plan.target, indices),
            kind: RuleErrorKind::Lengths(
                lengths
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(" vs "),
            ),
        });
        return Out::Skip;
    }
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        let element: Vec<Found> = found
            .iter()
            .map(|f| match f {
                Found::List(items) => items.get(i).cloned().unwrap_or(Found::Missing),
                other => other.clone(),
            })
            .collect();
        indices.push(i);
        out.push(pair(plan, element, depth - 1, indices, errors));
        indices.pop();
    }
    Out::List(out)
}

fn leaf_missing(plan: &Plan<'_>, indices: &[usize], errors: &mut Vec<RuleError>) -> Out {
    if plan.rule.required {
        errors.push(RuleError {
            field: render(&plan.target, indices),
            target: render(&plan.target, indices),
            kind: RuleErrorKind::Required,
        });
    }
    Out::Skip
}

/// Runs the transforms on one element's source values.
fn leaf(plan: &Plan<'_>, found: Vec<Found>, indices: &[usize], errors: &mut Vec<RuleError>) -> Out {
    let rule = plan.rule;
    let mut values: Vec<Option<Value>> = found.into_iter().map(collapse).collect();
    let all_empty = values.iter().all(|v| v.as_ref().is_none_or(Value::is_null));
    let input = match values.len() {
        0 => None,
        1 => values.pop().flatten(),
        _ if values.iter().all(Option::is_none) => None,
        _ => Some(Value::Array(
            values
                .into_iter()
                .map(|v| v.unwrap_or(Value::Null))
                .collect(),
        )),
    };
    if all_empty && let Some(default) = &rule.default {
        return Out::Value(default.clone());
    }
    let was_missing = input.is_none();
    let result = match apply_all(&rule.transforms, input.unwrap_or(Value::Null)) {
        Ok(v) => v,
        Err(e) => {
            errors.push(RuleError {
                field: sources_label(plan, indices),
                target: render(&plan.target, indices),
                kind: e.into(),
            });
            return Out::Skip;
        }
    };
    match (result, &rule.default) {
        (Value::Null, Some(default)) => Out::Value(default.clone()),
        (Value::Null, None) if rule.required => leaf_missing(plan, indices, errors),
        (Value::Null, None) if was_missing => Out::Skip,
        (value, _) => Out::Value(value),
    }
}

fn collapse(found: Found) -> Option<Value> {
    match found {
        Found::Missing => None,
        Found::Value(v) => Some(v),
        Found::List(items) => Some(Value::Array(
            items
                .into_iter()
                .map(|f| collapse(f).unwrap_or(Value::Null))
                .collect(),
        )),
    }
}

fn sources_label(plan: &Plan<'_>, indices: &[usize]) -> String {
    if plan.sources.is_empty() {
        return render(&plan.target, indices);
    }
    plan.sources
        .iter()
        .map(|s| render(s, indices))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Writes `out` at `steps` below `slot`, creating objects and arrays on the way.
fn write(
    slot: &mut Value,
    steps: &[Step],
    out: Out,
    walked: &mut String,
    plan: &Plan<'_>,
) -> Result<(), RuleError> {
    if matches!(out, Out::Skip) {
        return Ok(());
    }
    let conflict = |expected: &'static str, found: &Value, walked: &str| RuleError {
        field: if walked.is_empty() {
            plan.rule.target.clone()
        } else {
            walked.to_owned()
        },
        target: plan.rule.target.clone(),
        kind: RuleErrorKind::Write {
            path: plan.rule.target.clone(),
            expected,
            found: JsonType::of(found),
        },
    };
    let Some((step, rest)) = steps.split_first() else {
        return match out {
            Out::Value(v) if slot.is_null() => {
                *slot = v;
                Ok(())
            }
            _ => Err(conflict("an empty place", slot, walked)),
        };
    };
    match step {
        Step::Key(key) => {
            if slot.is_null() {
                *slot = Value::Object(Map::new());
            }
            let Value::Object(map) = slot else {
                return Err(conflict("an object", slot, walked));
            };
            push_step(walked, step);
            let child = map.entry(key.clone()).or_insert(Value::Null);
            write(child, rest, out, walked, plan)
        }
        Step::Index(i) => {
            let Some(child) = element(slot, *i, rest) else {
                return Err(conflict("an array", slot, walked));
            };
            push_step(walked, step);
            write(child, rest, out, walked, plan)
        }
        Step::Each => {
            if slot.is_null() {
                *slot = Value::Array(Vec::new());
            }
            let items = match out {
                Out::List(items) => items,
                // One value for every element already there (a source without `[]`).
                Out::Value(v) => {
                    let Value::Array(existing) = slot else {
                        return Err(conflict("an array", slot, walked));
                    };
                    let mut copies = Vec::with_capacity(existing.len());
                    copies.resize_with(existing.len(), || Out::Value(v.clone()));
                    copies
                }
                Out::Skip => return Ok(()),
            };
            for (i, item) in items.into_iter().enumerate() {
                let mut here = format!("{walked}[{i}]");
                let Some(child) = element(slot, i, rest) else {
                    return Err(conflict("an array", slot, walked));
                };
                write(child, rest, item, &mut here, plan)?;
            }
            Ok(())
        }
    }
}

/// Element `i` of the array at `slot`, growing it with empty containers shaped for `rest`.
fn element<'v>(slot: &'v mut Value, i: usize, rest: &[Step]) -> Option<&'v mut Value> {
    if slot.is_null() {
        *slot = Value::Array(Vec::new());
    }
    let Value::Array(items) = slot else {
        return None;
    };
    while items.len() <= i {
        items.push(match rest.first() {
            Some(Step::Key(_)) => Value::Object(Map::new()),
            Some(Step::Index(_) | Step::Each) => Value::Array(Vec::new()),
            None => Value::Null,
        });
    }
    items.get_mut(i)
}

/// Accepts one `T` or a list of them.
fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error as _;
    match Value::deserialize(deserializer)? {
        Value::Array(items) => items
            .into_iter()
            .map(serde_json::from_value)
            .collect::<Result<_, _>>()
            .map_err(D::Error::custom),
        one => serde_json::from_value(one)
            .map(|t| vec![t])
            .map_err(D::Error::custom),
    }
}
