//! Webhook filters: a small JSON language that selects events by their content.
//!
//! A subscription may carry a filter; an event is delivered only when its filter matches. The
//! filter sees the whole event envelope, `{"type": …, "timestamp": …, "data": {…}}`.
//!
//! # The language
//!
//! A filter is a JSON object, a *node*, of one of two kinds.
//!
//! A **comparison** names a `field` and exactly one operator:
//!
//! | Node | Matches when the field… |
//! | --- | --- |
//! | `{"field": "data.model", "eq": "contacts"}` | exists and equals the value |
//! | `{"field": "data.model", "ne": "contacts"}` | is missing or differs from the value (`ne` is exactly "not `eq`") |
//! | `{"field": "data.model", "in": ["contacts", "deals"]}` | exists and equals one of the values (1 to 100 values) |
//! | `{"field": "data.deleted_at", "exists": true}` | is present, even when its value is `null` (`false`: is absent) |
//! | `{"field": "data.record.amount", "gt": 100}` | is greater than the bound |
//! | `gte`, `lt`, `lte` | is greater than or equal, less than, less than or equal |
//!
//! A **combinator** holds other nodes and nothing else:
//!
//! | Node | Matches when… |
//! | --- | --- |
//! | `{"all": [node, …]}` | every node matches (at least one node) |
//! | `{"any": [node, …]}` | at least one node matches (at least one node) |
//! | `{"not": node}` | the node does not match |
//!
//! Example: record changes of contacts whose tag list starts with `vip`, but not deletions.
//!
//! ```json
//! {"all": [
//!   {"field": "data.model", "eq": "contacts"},
//!   {"field": "data.record.tags[0]", "eq": "vip"},
//!   {"not": {"field": "type", "eq": "record.deleted"}}
//! ]}
//! ```
//!
//! ## Fields
//!
//! A field is a dotted path that starts at `type`, `timestamp` or `data`; `[n]` picks the n-th
//! element (from 0) of an array: `data.record.tags[0]`, `data.items[2].sku`. A key containing
//! `.`, `[` or `]` cannot be addressed. A path that leads nowhere (a missing key, an index past
//! the end, a key on something that is not an object) means the field is missing.
//!
//! ## Values and comparisons
//!
//! `eq`, `ne` and `in` take any JSON value and compare by JSON equality, where numbers compare
//! by value (`1` equals `1.0`). `gt`, `gte`, `lt` and `lte` take a number or a string: numbers
//! compare numerically with numbers, strings compare with strings by their bytes (so ISO 8601
//! UTC timestamps such as `"2025-01-31T00:00:00Z"` compare chronologically). A field of another
//! type, or a missing field, never matches an ordering operator.
//!
//! ## Limits and errors
//!
//! A filter is checked when the subscription is created or updated, and every error names the
//! offending part by its JSON path, for instance `filter.all[1].in: must be an array`. Refused:
//! a node that is not an object, an unknown key, two operators in one node, a `field` without an
//! operator or an operator without a `field`, an empty `all`/`any`/`in`, an invalid field path,
//! nesting deeper than 8 levels and more than 100 nodes in all.

use std::cmp::Ordering;
use std::fmt;

use serde_json::{Map, Number, Value};

/// The deepest a filter may nest, counting the outermost node as level 1.
pub const MAX_DEPTH: usize = 8;
/// The most nodes a filter may have in all.
pub const MAX_NODES: usize = 100;
/// The most values an `in` list may have.
pub const MAX_IN_VALUES: usize = 100;
/// The longest a field path may be, in bytes.
pub const MAX_FIELD_LEN: usize = 256;
/// The keys of the event envelope a field path may start with.
pub const ROOT_FIELDS: [&str; 3] = ["type", "timestamp", "data"];

/// The name under which errors report the outermost node.
const ROOT_PATH: &str = "filter";
/// The comparison operators, in the order error messages list them.
const COMPARISONS: [&str; 8] = ["eq", "ne", "in", "exists", "gt", "gte", "lt", "lte"];
/// The combinators.
const COMBINATORS: [&str; 3] = ["all", "any", "not"];

/// A validated filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Every filter matches.
    All(Vec<Filter>),
    /// At least one filter matches.
    Any(Vec<Filter>),
    /// The filter does not match.
    Not(Box<Filter>),
    /// A field compared with an operand.
    Compare {
        /// The field the comparison reads.
        field: FieldPath,
        /// The operator and its operand.
        op: Comparison,
    },
}

/// A comparison operator with its operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    /// The field exists and equals the value.
    Eq(Value),
    /// The field is missing or differs from the value.
    Ne(Value),
    /// The field exists and equals one of the values.
    In(Vec<Value>),
    /// The field is present (`true`) or absent (`false`).
    Exists(bool),
    /// The field is greater than the bound.
    Gt(Bound),
    /// The field is greater than or equal to the bound.
    Gte(Bound),
    /// The field is less than the bound.
    Lt(Bound),
    /// The field is less than or equal to the bound.
    Lte(Bound),
}

/// The operand of an ordering operator.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    /// Compared numerically with numbers.
    Number(Number),
    /// Compared bytewise with strings.
    Text(String),
}

/// A parsed field path such as `data.record.tags[0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    text: String,
    segments: Vec<Segment>,
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// An object key.
    Key(String),
    /// An array index, from 0.
    Index(usize),
}

/// A filter that does not validate: where (a JSON path such as `filter.all[1].in`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {kind}")]
pub struct FilterError {
    /// The JSON path of the offending part, starting at `filter`.
    pub path: String,
    /// What is wrong with it.
    pub kind: FilterErrorKind,
}

/// What is wrong with one part of a filter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterErrorKind {
    /// A node is not a JSON object.
    #[error("must be an object")]
    NotAnObject,
    /// A node has no keys at all.
    #[error("is empty; expected `field` with one operator, or one of `all`, `any`, `not`")]
    EmptyNode,
    /// A key that is neither `field`, an operator nor a combinator.
    #[error(
        "unknown operator; expected one of eq, ne, in, exists, gt, gte, lt, lte, all, any, not"
    )]
    UnknownOperator,
    /// A node with two operators or combinators.
    #[error("has both `{0}` and `{1}`; a node takes exactly one operator")]
    TwoOperators(String, String),
    /// A `field` without an operator.
    #[error("`field` needs one operator: eq, ne, in, exists, gt, gte, lt or lte")]
    MissingOperator,
    /// An operator without a `field`.
    #[error("`{0}` needs a `field`")]
    MissingField(String),
    /// A combinator next to a `field`.
    #[error("`{0}` cannot have a `field`")]
    FieldWithCombinator(String),
    /// A value that must be a string.
    #[error("must be a string")]
    NotAString,
    /// A value that must be an array.
    #[error("must be an array")]
    NotAnArray,
    /// A value that must be `true` or `false`.
    #[error("must be true or false")]
    NotABoolean,
    /// The operand of an ordering operator is neither a number nor a string.
    #[error("must be a number or a string")]
    NotNumberOrString,
    /// An empty `all`, `any` or `in` list.
    #[error("must not be empty")]
    EmptyList,
    /// An `in` list longer than [`MAX_IN_VALUES`].
    #[error("must have at most 100 values")]
    TooManyValues,
    /// A field path that does not parse.
    #[error("{0}")]
    InvalidField(FieldPathError),
    /// A node nested deeper than [`MAX_DEPTH`].
    #[error("nesting is deeper than 8 levels")]
    TooDeep,
    /// More than [`MAX_NODES`] nodes.
    #[error("has more than 100 nodes")]
    TooManyNodes,
}

/// Why a field path does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldPathError {
    /// The path is the empty string.
    #[error("the field path is empty")]
    Empty,
    /// The path is longer than [`MAX_FIELD_LEN`].
    #[error("the field path is longer than 256 bytes")]
    TooLong,
    /// The path does not start at a key of the envelope.
    #[error("`{0}`: a field path starts with `type`, `timestamp` or `data`")]
    BadRoot(String),
    /// Two dots in a row, or a dot at either end (the whole path is given).
    #[error("`{0}`: empty segment")]
    EmptySegment(String),
    /// A bracket that is not a well-formed `[n]` (the offending segment is given).
    #[error("`{0}`: an index is written `[n]` with n a whole number from 0")]
    BadIndex(String),
}

impl Filter {
    /// Parses and validates a filter; errors name the offending part by its JSON path.
    pub fn parse(value: &Value) -> Result<Self, FilterError> {
        let mut nodes = 0;
        parse_node(value, ROOT_PATH, 1, &mut nodes)
    }

    /// Whether the event (`{type, timestamp, data}`) passes the filter.
    pub fn matches(&self, event: &Value) -> bool {
        match self {
            Self::All(filters) => filters.iter().all(|filter| filter.matches(event)),
            Self::Any(filters) => filters.iter().any(|filter| filter.matches(event)),
            Self::Not(filter) => !filter.matches(event),
            Self::Compare { field, op } => op.holds(field.resolve(event)),
        }
    }

    /// The filter as JSON, in the form [`Filter::parse`] accepts.
    pub fn to_value(&self) -> Value {
        let mut node = Map::new();
        match self {
            Self::All(filters) => {
                node.insert("all".into(), filters.iter().map(Self::to_value).collect());
            }
            Self::Any(filters) => {
                node.insert("any".into(), filters.iter().map(Self::to_value).collect());
            }
            Self::Not(filter) => {
                node.insert("not".into(), filter.to_value());
            }
            Self::Compare { field, op } => {
                node.insert("field".into(), Value::String(field.text.clone()));
                let (name, operand) = op.to_parts();
                node.insert(name.into(), operand);
            }
        }
        Value::Object(node)
    }
}

impl Comparison {
    /// Whether the comparison holds for the field's value (`None`: the field is missing).
    fn holds(&self, actual: Option<&Value>) -> bool {
        match (self, actual) {
            (Self::Exists(wanted), _) => actual.is_some() == *wanted,
            (Self::Ne(expected), _) => !actual.is_some_and(|value| json_equal(value, expected)),
            (_, None) => false,
            (Self::Eq(expected), Some(value)) => json_equal(value, expected),
            (Self::In(options), Some(value)) => options.iter().any(|o| json_equal(value, o)),
            (Self::Gt(bound), Some(value)) => compare(value, bound) == Some(Ordering::Greater),
            (Self::Gte(bound), Some(value)) => {
                matches!(
                    compare(value, bound),
                    Some(Ordering::Greater | Ordering::Equal)
                )
            }
            (Self::Lt(bound), Some(value)) => compare(value, bound) == Some(Ordering::Less),
            (Self::Lte(bound), Some(value)) => {
                matches!(
                    compare(value, bound),
                    Some(Ordering::Less | Ordering::Equal)
                )
            }
        }
    }

    /// The operator's name and its operand as JSON.
    fn to_parts(&self) -> (&'static str, Value) {
        match self {
            Self::Eq(value) => ("eq", value.clone()),
            Self::Ne(value) => ("ne", value.clone()),
            Self::In(values) => ("in", Value::Array(values.clone())),
            Self::Exists(wanted) => ("exists", Value::Bool(*wanted)),
            Self::Gt(bound) => ("gt", bound.to_value()),
            Self::Gte(bound) => ("gte", bound.to_value()),
            Self::Lt(bound) => ("lt", bound.to_value()),
            Self::Lte(bound) => ("lte", bound.to_value()),
        }
    }
}

impl Bound {
    /// The bound as JSON.
    fn to_value(&self) -> Value {
        match self {
            Self::Number(number) => Value::Number(number.clone()),
            Self::Text(text) => Value::String(text.clone()),
        }
    }
}

impl FieldPath {
    /// Parses a dotted path with optional `[n]` indices, starting at a key of the envelope.
    pub fn parse(text: &str) -> Result<Self, FieldPathError> {
        if text.is_empty() {
            return Err(FieldPathError::Empty);
        }
        if text.len() > MAX_FIELD_LEN {
            return Err(FieldPathError::TooLong);
        }
        let mut segments = Vec::new();
        for part in text.split('.') {
            if part.is_empty() {
                return Err(FieldPathError::EmptySegment(text.to_owned()));
            }
            parse_part(part, &mut segments)?;
        }
        match segments.first() {
            Some(Segment::Key(root)) if ROOT_FIELDS.contains(&root.as_str()) => {}
            _ => return Err(FieldPathError::BadRoot(text.to_owned())),
        }
        Ok(Self {
            text: text.to_owned(),
            segments,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The steps of the path.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The value the path leads to in `value`, or `None` when it leads nowhere.
    pub fn resolve<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        self.segments
            .iter()
            .try_fold(value, |current, segment| match segment {
                Segment::Key(key) => current.as_object()?.get(key),
                Segment::Index(index) => current.as_array()?.get(*index),
            })
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Parses one node at `path`, `depth` levels down, counting it in `nodes`.
fn parse_node(
    value: &Value,
    path: &str,
    depth: usize,
    nodes: &mut usize,
) -> Result<Filter, FilterError> {
    *nodes += 1;
    if *nodes > MAX_NODES {
        return Err(error(ROOT_PATH, FilterErrorKind::TooManyNodes));
    }
    if depth > MAX_DEPTH {
        return Err(error(path, FilterErrorKind::TooDeep));
    }
    let object = value
        .as_object()
        .ok_or_else(|| error(path, FilterErrorKind::NotAnObject))?;
    let operator = single_operator(object, path)?;
    let has_field = object.contains_key("field");
    if COMBINATORS.contains(&operator) {
        if has_field {
            let kind = FilterErrorKind::FieldWithCombinator(operator.to_owned());
            return Err(error(path, kind));
        }
        return parse_combinator(operator, object, path, depth, nodes);
    }
    let field_value = object
        .get("field")
        .ok_or_else(|| error(path, FilterErrorKind::MissingField(operator.to_owned())))?;
    let field = parse_field(field_value, &format!("{path}.field"))?;
    let operand = object.get(operator).unwrap_or(&Value::Null);
    let op = parse_comparison(operator, operand, &format!("{path}.{operator}"))?;
    Ok(Filter::Compare { field, op })
}

/// The node's one operator or combinator; refuses unknown keys, none, and more than one.
fn single_operator<'o>(object: &'o Map<String, Value>, path: &str) -> Result<&'o str, FilterError> {
    let mut found: Option<&str> = None;
    for key in object.keys() {
        let key = key.as_str();
        if key == "field" {
            continue;
        }
        if !COMPARISONS.contains(&key) && !COMBINATORS.contains(&key) {
            return Err(error(&child(path, key), FilterErrorKind::UnknownOperator));
        }
        if let Some(first) = found {
            let kind = FilterErrorKind::TwoOperators(first.to_owned(), key.to_owned());
            return Err(error(path, kind));
        }
        found = Some(key);
    }
    match found {
        Some(operator) => Ok(operator),
        None if object.contains_key("field") => Err(error(path, FilterErrorKind::MissingOperator)),
        None => Err(error(path, FilterErrorKind::EmptyNode)),
    }
}

/// Parses `all`, `any` or `not` and the nodes it holds.
fn parse_combinator(
    operator: &str,
    object: &Map<String, Value>,
    path: &str,
    depth: usize,
    nodes: &mut usize,
) -> Result<Filter, FilterError> {
    let operand_path = child(path, operator);
    let operand = object.get(operator).unwrap_or(&Value::Null);
    if operator == "not" {
        let inner = parse_node(operand, &operand_path, depth + 1, nodes)?;
        return Ok(Filter::Not(Box::new(inner)));
    }
    let items = non_empty_array(operand, &operand_path)?;
    let children = items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_node(item, &format!("{operand_path}[{i}]"), depth + 1, nodes))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if operator == "all" {
        Filter::All(children)
    } else {
        Filter::Any(children)
    })
}

/// Parses the `field` of a comparison.
fn parse_field(value: &Value, path: &str) -> Result<FieldPath, FilterError> {
    let text = value
        .as_str()
        .ok_or_else(|| error(path, FilterErrorKind::NotAString))?;
    FieldPath::parse(text).map_err(|cause| error(path, FilterErrorKind::InvalidField(cause)))
}

/// Parses the operand of a comparison operator.
fn parse_comparison(
    operator: &str,
    operand: &Value,
    path: &str,
) -> Result<Comparison, FilterError> {
    Ok(match operator {
        "eq" => Comparison::Eq(operand.clone()),
        "ne" => Comparison::Ne(operand.clone()),
        "in" => {
            let values = non_empty_array(operand, path)?;
            if values.len() > MAX_IN_VALUES {
                return Err(error(path, FilterErrorKind::TooManyValues));
            }
            Comparison::In(values.clone())
        }
        "exists" => Comparison::Exists(
            operand
                .as_bool()
                .ok_or_else(|| error(path, FilterErrorKind::NotABoolean))?,
        ),
        "gt" => Comparison::Gt(parse_bound(operand, path)?),
        "gte" => Comparison::Gte(parse_bound(operand, path)?),
        "lt" => Comparison::Lt(parse_bound(operand, path)?),
        _ => Comparison::Lte(parse_bound(operand, path)?),
    })
}

/// Parses the operand of an ordering operator.
fn parse_bound(operand: &Value, path: &str) -> Result<Bound, FilterError> {
    match operand {
        Value::Number(number) => Ok(Bound::Number(number.clone())),
        Value::String(text) => Ok(Bound::Text(text.clone())),
        _ => Err(error(path, FilterErrorKind::NotNumberOrString)),
    }
}

/// The operand as a non-empty array.
fn non_empty_array<'v>(operand: &'v Value, path: &str) -> Result<&'v Vec<Value>, FilterError> {
    let items = operand
        .as_array()
        .ok_or_else(|| error(path, FilterErrorKind::NotAnArray))?;
    if items.is_empty() {
        return Err(error(path, FilterErrorKind::EmptyList));
    }
    Ok(items)
}

/// Parses one dot-separated part (`tags[0]`, `record`) into segments.
fn parse_part(part: &str, segments: &mut Vec<Segment>) -> Result<(), FieldPathError> {
    let (name, mut rest) = match part.find('[') {
        Some(at) => part.split_at(at),
        None => (part, ""),
    };
    if name.is_empty() || name.contains(']') {
        return Err(FieldPathError::BadIndex(part.to_owned()));
    }
    segments.push(Segment::Key(name.to_owned()));
    while !rest.is_empty() {
        let bad = || FieldPathError::BadIndex(part.to_owned());
        let inner = rest.strip_prefix('[').ok_or_else(bad)?;
        let close = inner.find(']').ok_or_else(bad)?;
        let digits = &inner[..close];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        segments.push(Segment::Index(digits.parse().map_err(|_| bad())?));
        rest = &inner[close + 1..];
    }
    Ok(())
}

/// JSON equality where numbers compare by value (`1` equals `1.0`).
fn json_equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => numbers_equal(a, b),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| json_equal(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, x)| b.get(key).is_some_and(|y| json_equal(x, y)))
        }
        _ => left == right,
    }
}

/// Numbers by value: exactly when both are integers, as floating point otherwise.
fn numbers_equal(a: &Number, b: &Number) -> bool {
    match (a.as_i128(), b.as_i128()) {
        (Some(x), Some(y)) => x == y,
        _ => a.as_f64() == b.as_f64(),
    }
}

/// How a field's value orders against a bound; `None` when their types differ.
fn compare(value: &Value, bound: &Bound) -> Option<Ordering> {
    match (value, bound) {
        (Value::Number(a), Bound::Number(b)) => match (a.as_i128(), b.as_i128()) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
        },
        (Value::String(a), Bound::Text(b)) => Some(a.as_str().cmp(b.as_str())),
        _ => None,
    }
}

/// The JSON path of `key` inside the node at `path`.
fn child(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

/// A filter error at `path`.
fn error(path: &str, kind: FilterErrorKind) -> FilterError {
    FilterError {
        path: path.to_owned(),
        kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Value {
        json!({
            "type": "record.updated",
            "timestamp": "2025-03-01T10:00:00Z",
            "data": {
                "model": "contacts",
                "connection": "hubspot-main",
                "record": {
                    "id": "c_1",
                    "amount": 250,
                    "score": 4.5,
                    "tags": ["vip", "eu"],
                    "owner": null,
                    "address": {"city": "Lyon", "zip": "69001"},
                    "items": [{"sku": "A-1"}, {"sku": "B-2"}]
                }
            }
        })
    }

    fn check_matches(filter: Value, expected: bool) {
        let parsed = Filter::parse(&filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
        assert_eq!(parsed.matches(&event()), expected, "{filter}");
    }

    #[test]
    fn comparisons_select_the_right_events() {
        let cases = [
            (json!({"field": "data.model", "eq": "contacts"}), true),
            (json!({"field": "data.model", "eq": "deals"}), false),
            (json!({"field": "type", "eq": "record.updated"}), true),
            (json!({"field": "data.record.amount", "eq": 250.0}), true),
            (json!({"field": "data.record.amount", "eq": "250"}), false),
            (json!({"field": "data.record.owner", "eq": null}), true),
            (json!({"field": "data.record.missing", "eq": null}), false),
            (
                json!({"field": "data.record.tags", "eq": ["vip", "eu"]}),
                true,
            ),
            (
                json!({"field": "data.record.tags", "eq": ["eu", "vip"]}),
                false,
            ),
            (
                json!({"field": "data.record.address", "eq": {"zip": "69001", "city": "Lyon"}}),
                true,
            ),
            (
                json!({"field": "data.record.address", "eq": {"city": "Lyon"}}),
                false,
            ),
            (json!({"field": "data.model", "ne": "deals"}), true),
            (json!({"field": "data.model", "ne": "contacts"}), false),
            (json!({"field": "data.record.missing", "ne": "x"}), true),
            (
                json!({"field": "data.model", "in": ["deals", "contacts"]}),
                true,
            ),
            (
                json!({"field": "data.model", "in": ["deals", "companies"]}),
                false,
            ),
            (json!({"field": "data.record.missing", "in": [null]}), false),
            (json!({"field": "data.record.owner", "exists": true}), true),
            (
                json!({"field": "data.record.owner", "exists": false}),
                false,
            ),
            (
                json!({"field": "data.record.missing", "exists": false}),
                true,
            ),
            (
                json!({"field": "data.record.missing", "exists": true}),
                false,
            ),
            (json!({"field": "data.record.tags[0]", "eq": "vip"}), true),
            (json!({"field": "data.record.tags[1]", "eq": "vip"}), false),
            (
                json!({"field": "data.record.tags[2]", "exists": true}),
                false,
            ),
            (
                json!({"field": "data.record.items[1].sku", "eq": "B-2"}),
                true,
            ),
            (
                json!({"field": "data.record.address.city", "eq": "Lyon"}),
                true,
            ),
            (json!({"field": "data.model[0]", "exists": true}), false),
            (
                json!({"field": "data.record.tags.first", "exists": true}),
                false,
            ),
        ];
        for (filter, expected) in cases {
            check_matches(filter, expected);
        }
    }

    #[test]
    fn ordering_operators_compare_numbers_and_strings_of_the_same_type() {
        let cases = [
            (json!({"field": "data.record.amount", "gt": 100}), true),
            (json!({"field": "data.record.amount", "gt": 250}), false),
            (json!({"field": "data.record.amount", "gte": 250}), true),
            (json!({"field": "data.record.amount", "gte": 250.5}), false),
            (json!({"field": "data.record.amount", "lt": 250.5}), true),
            (json!({"field": "data.record.amount", "lt": 250}), false),
            (json!({"field": "data.record.amount", "lte": 250}), true),
            (json!({"field": "data.record.amount", "lte": -1}), false),
            (json!({"field": "data.record.score", "gt": 4}), true),
            (json!({"field": "data.record.score", "lt": 4.5}), false),
            (json!({"field": "data.record.amount", "gt": "100"}), false),
            (json!({"field": "data.model", "gt": 1}), false),
            (json!({"field": "data.record.missing", "lt": 1}), false),
            (json!({"field": "data.record.owner", "lt": 1}), false),
            (
                json!({"field": "timestamp", "gte": "2025-03-01T00:00:00Z"}),
                true,
            ),
            (
                json!({"field": "timestamp", "lt": "2025-03-01T10:00:00Z"}),
                false,
            ),
            (
                json!({"field": "timestamp", "lte": "2025-03-01T10:00:00Z"}),
                true,
            ),
            (
                json!({"field": "data.record.address.zip", "gt": "69000"}),
                true,
            ),
        ];
        for (filter, expected) in cases {
            check_matches(filter, expected);
        }
    }

    #[test]
    fn combinators_compose() {
        let model = json!({"field": "data.model", "eq": "contacts"});
        let deals = json!({"field": "data.model", "eq": "deals"});
        let cases = [
            (
                json!({"all": [model, {"field": "data.record.amount", "gt": 100}]}),
                true,
            ),
            (json!({"all": [model, deals]}), false),
            (json!({"any": [deals, model]}), true),
            (
                json!({"any": [deals, {"field": "type", "eq": "sync.failed"}]}),
                false,
            ),
            (json!({"not": deals}), true),
            (json!({"not": model}), false),
            (json!({"not": {"not": model}}), true),
            (
                json!({"all": [{"any": [deals, model]}, {"not": {"field": "type", "eq": "record.deleted"}}]}),
                true,
            ),
            (
                json!({"any": [{"all": [model, deals]}, {"not": {"field": "data.record.tags[0]", "exists": true}}]}),
                false,
            ),
        ];
        for (filter, expected) in cases {
            check_matches(filter, expected);
        }
    }

    /// Nests `leaf` in `levels` `not` nodes.
    fn nested_nots(levels: usize) -> Value {
        (0..levels).fold(
            json!({"field": "type", "exists": true}),
            |inner, _| json!({"not": inner}),
        )
    }

    #[test]
    fn invalid_filters_are_refused_with_the_path_of_the_bad_part() {
        let leaf = json!({"field": "type", "eq": "x"});
        let many: Vec<Value> = (0..MAX_NODES).map(|_| leaf.clone()).collect();
        let long_in: Vec<Value> = (0..=MAX_IN_VALUES).map(|i| json!(i)).collect();
        let cases = [
            (json!([]), "filter: must be an object"),
            (
                json!({}),
                "filter: is empty; expected `field` with one operator, or one of `all`, `any`, `not`",
            ),
            (
                json!({"all": [leaf, {"field": "type", "in": "x"}]}),
                "filter.all[1].in: must be an array",
            ),
            (
                json!({"field": "type", "equals": "x"}),
                "filter.equals: unknown operator; expected one of eq, ne, in, exists, gt, gte, lt, lte, all, any, not",
            ),
            (
                json!({"field": "type", "eq": "x", "ne": "y"}),
                "filter: has both `eq` and `ne`; a node takes exactly one operator",
            ),
            (
                json!({"all": [leaf], "any": [leaf]}),
                "filter: has both `all` and `any`; a node takes exactly one operator",
            ),
            (
                json!({"field": "type"}),
                "filter: `field` needs one operator: eq, ne, in, exists, gt, gte, lt or lte",
            ),
            (json!({"eq": "x"}), "filter: `eq` needs a `field`"),
            (
                json!({"field": "type", "all": [leaf]}),
                "filter: `all` cannot have a `field`",
            ),
            (
                json!({"field": 3, "eq": "x"}),
                "filter.field: must be a string",
            ),
            (
                json!({"field": "model", "eq": "x"}),
                "filter.field: `model`: a field path starts with `type`, `timestamp` or `data`",
            ),
            (
                json!({"field": "", "eq": "x"}),
                "filter.field: the field path is empty",
            ),
            (
                json!({"field": "data..model", "eq": "x"}),
                "filter.field: `data..model`: empty segment",
            ),
            (
                json!({"field": "data.", "eq": "x"}),
                "filter.field: `data.`: empty segment",
            ),
            (
                json!({"field": ".data", "eq": "x"}),
                "filter.field: `.data`: empty segment",
            ),
            (
                json!({"field": "data.tags[x]", "eq": "x"}),
                "filter.field: `tags[x]`: an index is written `[n]` with n a whole number from 0",
            ),
            (
                json!({"field": "data.tags[0", "eq": "x"}),
                "filter.field: `tags[0`: an index is written `[n]` with n a whole number from 0",
            ),
            (
                json!({"field": "data.tags[-1]", "eq": "x"}),
                "filter.field: `tags[-1]`: an index is written `[n]` with n a whole number from 0",
            ),
            (
                json!({"field": "data.tags[0]x", "eq": "x"}),
                "filter.field: `tags[0]x`: an index is written `[n]` with n a whole number from 0",
            ),
            (
                json!({"field": "data.[0]", "eq": "x"}),
                "filter.field: `[0]`: an index is written `[n]` with n a whole number from 0",
            ),
            (
                json!({"field": "data.ta]gs", "eq": "x"}),
                "filter.field: `ta]gs`: an index is written `[n]` with n a whole number from 0",
            ),
            (
                json!({"field": format!("data.{}", "a".repeat(300)), "eq": "x"}),
                "filter.field: the field path is longer than 256 bytes",
            ),
            (
                json!({"field": "type", "in": []}),
                "filter.in: must not be empty",
            ),
            (
                json!({"field": "type", "in": long_in}),
                "filter.in: must have at most 100 values",
            ),
            (
                json!({"field": "type", "exists": "yes"}),
                "filter.exists: must be true or false",
            ),
            (
                json!({"field": "type", "gt": null}),
                "filter.gt: must be a number or a string",
            ),
            (
                json!({"field": "type", "lte": [1]}),
                "filter.lte: must be a number or a string",
            ),
            (json!({"all": []}), "filter.all: must not be empty"),
            (json!({"any": {}}), "filter.any: must be an array"),
            (json!({"not": []}), "filter.not: must be an object"),
            (
                json!({"any": [leaf, {"not": {"all": [leaf, 7]}}]}),
                "filter.any[1].not.all[1]: must be an object",
            ),
            (
                json!({"any": [leaf, {"not": {"all": [leaf, {"field": "data", "exists": 1}]}}]}),
                "filter.any[1].not.all[1].exists: must be true or false",
            ),
            (
                nested_nots(MAX_DEPTH),
                &format!(
                    "filter{}: nesting is deeper than 8 levels",
                    ".not".repeat(MAX_DEPTH)
                ),
            ),
            (json!({"all": many}), "filter: has more than 100 nodes"),
        ];
        for (filter, expected) in cases {
            let error = Filter::parse(&filter).expect_err(&filter.to_string());
            assert_eq!(error.to_string(), expected, "{filter}");
        }
    }

    #[test]
    fn limits_accept_filters_right_at_the_edge() {
        let leaf = json!({"field": "type", "eq": "x"});
        let ninety_nine: Vec<Value> = (0..MAX_NODES - 1).map(|_| leaf.clone()).collect();
        let hundred_values: Vec<Value> = (0..MAX_IN_VALUES).map(|i| json!(i)).collect();
        let cases = [
            nested_nots(MAX_DEPTH - 1),
            json!({"all": ninety_nine}),
            json!({"field": "type", "in": hundred_values}),
            json!({"field": format!("data.{}", "a".repeat(MAX_FIELD_LEN - 5)), "exists": true}),
        ];
        for filter in cases {
            assert!(Filter::parse(&filter).is_ok(), "{filter}");
        }
    }

    #[test]
    fn field_paths_parse_into_segments() {
        let key = |k: &str| Segment::Key(k.to_owned());
        let cases = [
            ("type", vec![key("type")]),
            ("data.model", vec![key("data"), key("model")]),
            (
                "data.record.tags[0]",
                vec![key("data"), key("record"), key("tags"), Segment::Index(0)],
            ),
            (
                "data.m[1][12].x-y",
                vec![
                    key("data"),
                    key("m"),
                    Segment::Index(1),
                    Segment::Index(12),
                    key("x-y"),
                ],
            ),
            ("data.first name", vec![key("data"), key("first name")]),
        ];
        for (text, expected) in cases {
            let path = FieldPath::parse(text).unwrap();
            assert_eq!(path.segments(), expected.as_slice(), "{text}");
            assert_eq!(path.as_str(), text);
            assert_eq!(path.to_string(), text);
        }
    }

    #[test]
    fn filters_round_trip_through_json() {
        let cases = [
            json!({"field": "data.model", "eq": "contacts"}),
            json!({"field": "data.record.amount", "gte": 10}),
            json!({"field": "data.record.score", "lt": 4.5}),
            json!({"field": "timestamp", "gt": "2025-01-01"}),
            json!({"all": [{"field": "type", "in": ["a.b", 1, null]}, {"not": {"field": "data.x", "exists": false}}]}),
            json!({"any": [{"field": "data.y", "ne": {"k": [1, 2]}}, {"field": "data.z", "lte": -3}]}),
        ];
        for filter in cases {
            let parsed = Filter::parse(&filter).unwrap();
            assert_eq!(parsed.to_value(), filter);
            assert_eq!(Filter::parse(&parsed.to_value()).unwrap(), parsed);
        }
    }

    #[test]
    fn large_integers_compare_exactly() {
        let big = json!({"data": {"n": 9_007_199_254_740_993_u64}});
        let cases = [
            (
                json!({"field": "data.n", "eq": 9_007_199_254_740_992_u64}),
                false,
            ),
            (
                json!({"field": "data.n", "eq": 9_007_199_254_740_993_u64}),
                true,
            ),
            (
                json!({"field": "data.n", "gt": 9_007_199_254_740_992_u64}),
                true,
            ),
        ];
        for (filter, expected) in cases {
            assert_eq!(
                Filter::parse(&filter).unwrap().matches(&big),
                expected,
                "{filter}"
            );
        }
    }
}
