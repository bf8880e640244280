//! Reads a schema from what users have at hand: Patchbay's field list, a JSON Schema
//! document, sample JSON records, or CSV with a header row. The format is detected from the
//! content. Pure: text in, [`Schema`] out.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::suggest::{Field, Schema};

/// Most fields a schema may have; beyond it the input is refused rather than truncated.
pub const MAX_FIELDS: usize = 10_000;
/// Deepest nesting followed in JSON Schema documents and records.
const MAX_DEPTH: usize = 32;

/// The formats [`parse`] recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `{"name": …, "fields": [{"path", "type", "samples"}]}`.
    FieldList,
    /// A JSON Schema object (`properties`, nested objects, arrays of objects).
    JsonSchema,
    /// An array of sample records (or a single record).
    JsonRecords,
    /// CSV with a header row.
    Csv,
}

/// Why an input could not be read as a schema.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SchemaInputError {
    /// Nothing to read.
    #[error("the schema is empty")]
    Empty,
    /// Parsed, but no field was found.
    #[error("no fields found in the {0:?} input")]
    NoFields(Format),
    /// More fields than [`MAX_FIELDS`].
    #[error("the schema has more than {MAX_FIELDS} fields")]
    TooManyFields,
    /// A field list that does not follow the format.
    #[error("not a valid field list: {0}")]
    FieldList(String),
    /// Neither JSON nor CSV.
    #[error("not JSON (field list, JSON Schema or records) nor CSV with a header row: {0}")]
    Unreadable(String),
}

/// Detects the format of `text` and reads it; `name` names the schema when the input does not.
pub fn parse(
    name: &str,
    text: &str,
    max_samples: usize,
) -> Result<(Schema, Format), SchemaInputError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Err(SchemaInputError::Empty);
    }
    let (schema, format) = match serde_json::from_str::<Value>(trimmed) {
        Ok(value) => from_json(name, value, max_samples)?,
        Err(json_error) if trimmed.starts_with(['{', '[']) => {
            return Err(SchemaInputError::Unreadable(json_error.to_string()));
        }
        Err(_) => (from_csv(name, trimmed, max_samples)?, Format::Csv),
    };
    if schema.fields.is_empty() {
        return Err(SchemaInputError::NoFields(format));
    }
    if schema.fields.len() > MAX_FIELDS {
        return Err(SchemaInputError::TooManyFields);
    }
    Ok((schema, format))
}

/// Reads a JSON value in any of the JSON formats.
pub fn from_json(
    name: &str,
    value: Value,
    max_samples: usize,
) -> Result<(Schema, Format), SchemaInputError> {
    match value {
        Value::Object(object) if object.get("fields").is_some_and(Value::is_array) => {
            let mut schema: Schema = serde_json::from_value(Value::Object(object))
                .map_err(|e| SchemaInputError::FieldList(e.to_string()))?;
            if schema.name.is_empty() {
                schema.name = name.to_owned();
            }
            Ok((schema, Format::FieldList))
        }
        Value::Object(object) if is_json_schema(&object) => {
            let mut fields = Vec::new();
            walk_json_schema(&object, "", 0, &mut fields)?;
            let title = object.get("title").and_then(Value::as_str).unwrap_or(name);
            Ok((
                Schema {
                    name: title.to_owned(),
                    fields,
                },
                Format::JsonSchema,
            ))
        }
        Value::Array(records) => Ok((
            from_records(name, &records, max_samples)?,
            Format::JsonRecords,
        )),
        record @ Value::Object(_) => Ok((
            from_records(name, std::slice::from_ref(&record), max_samples)?,
            Format::JsonRecords,
        )),
        other => Err(SchemaInputError::Unreadable(format!(
            "expected an object or an array, found {}",
            json_type(&other)
        ))),
    }
}

fn is_json_schema(object: &Map<String, Value>) -> bool {
    object.contains_key("$schema")
        || (object.get("type").and_then(Value::as_str) == Some("object")
            && object.get("properties").is_some_and(Value::is_object))
}

fn walk_json_schema(
    node: &Map<String, Value>,
    prefix: &str,
    depth: usize,
    out: &mut Vec<Field>,
) -> Result<(), SchemaInputError> {
    let Some(properties) = node.get("properties").and_then(Value::as_object) else {
        return Ok(());
    };
    for (key, property) in properties {
        let Some(property) = property.as_object() else {
            continue;
        };
        let path = join(prefix, key);
        let declared = schema_type(property);
        if declared == "object" && depth < MAX_DEPTH && property.contains_key("properties") {
            walk_json_schema(property, &path, depth + 1, out)?;
        } else if declared == "array"
            && depth < MAX_DEPTH
            && let Some(items) = property.get("items").and_then(Value::as_object)
            && items.contains_key("properties")
        {
            walk_json_schema(items, &format!("{path}[]"), depth + 1, out)?;
        } else {
            let field_type = match (
                declared.as_str(),
                property.get("items").and_then(Value::as_object),
            ) {
                ("array", Some(items)) => format!("array<{}>", schema_type(items)),
                _ => declared,
            };
            let samples = property
                .get("examples")
                .or_else(|| property.get("enum"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            out.push(Field {
                path,
                field_type,
                samples,
            });
        }
        if out.len() > MAX_FIELDS {
            return Err(SchemaInputError::TooManyFields);
        }
    }
    Ok(())
}

/// A JSON Schema property's type, refined by `format` (`date`, `date-time`, `email`…).
fn schema_type(property: &Map<String, Value>) -> String {
    let declared = match property.get("type") {
        Some(Value::String(t)) => t.clone(),
        // `["string", "null"]`: the first non-null type.
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("any")
            .to_owned(),
        _ if property.contains_key("properties") => "object".to_owned(),
        _ if property.contains_key("enum") => "enum".to_owned(),
        _ => "any".to_owned(),
    };
    match property.get("format").and_then(Value::as_str) {
        Some(format @ ("date" | "date-time" | "email" | "uri" | "uuid"))
            if declared == "string" =>
        {
            format.to_owned()
        }
        _ if declared == "string" && property.contains_key("enum") => "enum".to_owned(),
        _ => declared,
    }
}

/// Fields of sample records: every leaf path, its type from the values seen, and samples.
fn from_records(
    name: &str,
    records: &[Value],
    max_samples: usize,
) -> Result<Schema, SchemaInputError> {
    let mut seen: BTreeMap<String, (Vec<&'static str>, Vec<Value>)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for record in records {
        let mut leaves = Vec::new();
        flatten(record, "", 0, &mut leaves);
        for (path, value) in leaves {
            let entry = seen.entry(path.clone()).or_insert_with(|| {
                order.push(path.clone());
                (Vec::new(), Vec::new())
            });
            if !value.is_null() {
                entry.0.push(json_type(value));
                if entry.1.len() < max_samples && !entry.1.contains(value) {
                    entry.1.push(value.clone());
                }
            }
            if order.len() > MAX_FIELDS {
                return Err(SchemaInputError::TooManyFields);
            }
        }
    }
    let fields = order
        .into_iter()
        .filter_map(|path| {
            let (types, samples) = seen.remove(&path)?;
            Some(Field {
                path,
                field_type: dominant(&types).to_owned(),
                samples,
            })
        })
        .collect();
    Ok(Schema {
        name: name.to_owned(),
        fields,
    })
}

fn flatten<'a>(value: &'a Value, prefix: &str, depth: usize, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(object) if depth < MAX_DEPTH && !object.is_empty() => {
            for (key, child) in object {
                flatten(child, &join(prefix, key), depth + 1, out);
            }
        }
        Value::Array(items) if depth < MAX_DEPTH && items.iter().any(Value::is_object) => {
            let prefix = format!("{prefix}[]");
            for item in items.iter().take(20) {
                flatten(item, &prefix, depth + 1, out);
            }
        }
        _ if !prefix.is_empty() => out.push((prefix.to_owned(), value)),
        _ => {}
    }
}

/// Fields of a CSV document: the header's columns, with types inferred from the rows.
fn from_csv(name: &str, text: &str, max_samples: usize) -> Result<Schema, SchemaInputError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| SchemaInputError::Unreadable(e.to_string()))?
        .clone();
    if headers.len() > MAX_FIELDS {
        return Err(SchemaInputError::TooManyFields);
    }
    let mut columns: Vec<(Vec<&'static str>, Vec<Value>)> =
        vec![(Vec::new(), Vec::new()); headers.len()];
    for row in reader.records().take(1_000) {
        let row = row.map_err(|e| SchemaInputError::Unreadable(e.to_string()))?;
        for (column, cell) in columns.iter_mut().zip(row.iter()) {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            column.0.push(cell_type(cell));
            let value = Value::String(cell.to_owned());
            if column.1.len() < max_samples && !column.1.contains(&value) {
                column.1.push(value);
            }
        }
    }
    let fields = headers
        .iter()
        .zip(columns)
        .filter(|(header, _)| !header.trim().is_empty())
        .map(|(header, (types, samples))| Field {
            path: header.trim().to_owned(),
            field_type: dominant(&types).to_owned(),
            samples,
        })
        .collect();
    Ok(Schema {
        name: name.to_owned(),
        fields,
    })
}

/// The type of a CSV cell read as text.
fn cell_type(cell: &str) -> &'static str {
    if cell.parse::<i64>().is_ok() {
        "integer"
    } else if cell.parse::<f64>().is_ok() {
        "number"
    } else if ["true", "false"].contains(&cell.to_ascii_lowercase().as_str()) {
        "boolean"
    } else if chrono::NaiveDate::parse_from_str(cell, "%Y-%m-%d").is_ok() {
        "date"
    } else if chrono::DateTime::parse_from_rfc3339(cell).is_ok() {
        "datetime"
    } else {
        "string"
    }
}

/// The one type all values agree on, widening integer to number, else `string` or `any`.
fn dominant(types: &[&'static str]) -> &'static str {
    let Some(&first) = types.first() else {
        return "any";
    };
    if types.iter().all(|t| *t == first) {
        first
    } else if types.iter().all(|t| matches!(*t, "integer" | "number")) {
        "number"
    } else if types.iter().all(|t| matches!(*t, "date" | "datetime")) {
        "datetime"
    } else {
        "string"
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Parses `text` and compares the detected format and `path:type` of every field.
    fn check(text: &str, format: Format, expected: &[&str]) {
        let (schema, detected) = parse("s", text, 5).unwrap();
        assert_eq!(detected, format, "{text}");
        let fields: Vec<String> = schema
            .fields
            .iter()
            .map(|f| format!("{}:{}", f.path, f.field_type))
            .collect();
        assert_eq!(fields, expected, "{text}");
    }

    #[test]
    fn each_format_is_detected_and_flattened_to_paths() {
        check(
            r#"{"name": "c", "fields": [{"path": "BillAddr.PostalCode", "type": "string"}]}"#,
            Format::FieldList,
            &["BillAddr.PostalCode:string"],
        );
        check(
            &json!({"type": "object", "properties": {
                "email": {"type": "string", "format": "email"},
                "address": {"type": "object", "properties": {"postal_code": {"type": ["string", "null"]}}},
                "lines": {"type": "array", "items": {"type": "object", "properties": {"amount": {"type": "number"}}}},
                "tags": {"type": "array", "items": {"type": "string"}},
                "stage": {"type": "string", "enum": ["lead", "customer"]}
            }}).to_string(),
            Format::JsonSchema,
            &["email:email", "address.postal_code:string", "lines[].amount:number", "tags:array<string>", "stage:enum"],
        );
        check(
            r#"[{"id": 1, "properties": {"firstname": "Ada"}, "amount": 1.5}, {"id": 2, "amount": 2, "properties": {"firstname": null}}]"#,
            Format::JsonRecords,
            &["id:integer", "properties.firstname:string", "amount:number"],
        );
        check(
            "id,email,signed_up,score\n1,a@x.io,2024-03-01,1.5\n2,b@x.io,2024-03-02,2\n",
            Format::Csv,
            &[
                "id:integer",
                "email:string",
                "signed_up:date",
                "score:number",
            ],
        );
    }

    #[test]
    fn records_keep_distinct_samples_up_to_the_limit() {
        let records: Vec<Value> = (0..10).map(|i| json!({"n": i % 7})).collect();
        let (schema, _) = parse("s", &Value::Array(records).to_string(), 5).unwrap();
        assert_eq!(
            schema.fields[0].samples,
            vec![json!(0), json!(1), json!(2), json!(3), json!(4)]
        );
    }

    #[test]
    fn bad_inputs_get_a_clear_error() {
        assert_eq!(parse("s", "  ", 5), Err(SchemaInputError::Empty));
        assert!(matches!(
            parse("s", "{not json", 5),
            Err(SchemaInputError::Unreadable(_))
        ));
        assert_eq!(
            parse("s", "[]", 5),
            Err(SchemaInputError::NoFields(Format::JsonRecords))
        );
        assert!(matches!(
            parse("s", r#"{"fields": [{"type": 1}]}"#, 5),
            Err(SchemaInputError::FieldList(_))
        ));
        let wide: Map<String, Value> = (0..MAX_FIELDS + 1)
            .map(|i| (format!("f{i}"), json!(1)))
            .collect();
        assert_eq!(
            parse("s", &Value::Object(wide).to_string(), 5),
            Err(SchemaInputError::TooManyFields)
        );
    }
}
