//! What a synced record is made of (pure): its external id from the stream's primary key, the
//! content hash that makes re-runs idempotent (SHA-256 of canonical JSON: object keys sorted,
//! no insignificant whitespace), and whether a tombstone field marks it deleted.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::connectors::{definition::Tombstone, path::JsonPath, template};

/// The record's external id: the values of the primary-key paths joined with `|`; `None` when
/// one is missing or empty.
pub fn external_id(record: &Value, primary_key: &[JsonPath]) -> Option<String> {
    let mut parts = Vec::with_capacity(primary_key.len());
    for path in primary_key {
        let text = template::value_text(path.lookup(record)?);
        if text.is_empty() {
            return None;
        }
        parts.push(text);
    }
    (!parts.is_empty()).then(|| parts.join("|"))
}

/// Hex SHA-256 of the record's canonical JSON: equal data, equal hash, whatever the key order.
///
/// The canonical text is streamed into the hasher as it is produced (no string or sorted copy
/// of the record is built); its bytes are those of `serde_json` writing the record with every
/// object's keys sorted, so stored hashes stay valid.
pub fn content_hash(record: &Value) -> String {
    let mut hasher = Sha256::new();
    write_canonical(&mut HashWriter(&mut hasher), record);
    hex::encode(hasher.finalize())
}

/// Feeds written bytes to the hasher (writing never fails).
struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn write_canonical(out: &mut HashWriter<'_>, value: &Value) {
    use std::io::Write as _;
    // Writing into the hasher cannot fail, and neither can serialising strings and numbers.
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            let _ = out.write_all(b"{");
            for (k, (key, item)) in entries.into_iter().enumerate() {
                if k > 0 {
                    let _ = out.write_all(b",");
                }
                let _ = serde_json::to_writer(&mut *out, key);
                let _ = out.write_all(b":");
                write_canonical(out, item);
            }
            let _ = out.write_all(b"}");
        }
        Value::Array(items) => {
            let _ = out.write_all(b"[");
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    let _ = out.write_all(b",");
                }
                write_canonical(out, item);
            }
            let _ = out.write_all(b"]");
        }
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

/// Whether a record is marked deleted by the stream's tombstone field: the field equals the
/// declared value, or, with no value declared, holds anything but null and `false` (Microsoft
/// Graph's `@removed` object, Salesforce's `IsDeleted: true`).
pub fn is_tombstone(record: &Value, tombstone: &Tombstone, field: &JsonPath) -> bool {
    let Some(found) = field.lookup(record) else {
        return false;
    };
    match &tombstone.value {
        Some(expected) => found == expected,
        None => !matches!(found, Value::Null | Value::Bool(false)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn paths(texts: &[&str]) -> Vec<JsonPath> {
        texts.iter().map(|t| JsonPath::parse(t).unwrap()).collect()
    }

    #[test]
    fn external_ids_come_from_the_primary_key() {
        let record = json!({"id": 42, "account": {"id": "acc_1"}, "empty": ""});
        assert_eq!(external_id(&record, &paths(&["id"])), Some("42".into()));
        assert_eq!(
            external_id(&record, &paths(&["account.id", "id"])),
            Some("acc_1|42".into())
        );
        assert_eq!(external_id(&record, &paths(&["missing"])), None);
        assert_eq!(external_id(&record, &paths(&["empty"])), None);
        assert_eq!(external_id(&record, &[]), None);
    }

    #[test]
    fn the_hash_ignores_key_order_but_not_values() {
        let a = json!({"id": 1, "name": "Ada", "tags": [{"b": 1, "a": 2}]});
        let b = json!({"tags": [{"a": 2, "b": 1}], "name": "Ada", "id": 1});
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_eq!(content_hash(&a).len(), 64);
        let c = json!({"id": 1, "name": "Ada ", "tags": [{"b": 1, "a": 2}]});
        assert_ne!(content_hash(&a), content_hash(&c));
        let reordered_array = json!({"id": 1, "name": "Ada", "tags": [{"a": 2}, {"b": 1}]});
        assert_ne!(content_hash(&a), content_hash(&reordered_array));
    }

    /// The streamed hash is the one of the canonical text built as a value (as stored hashes
    /// were computed), for nested objects, arrays, escapes and numbers.
    #[test]
    fn the_streamed_hash_equals_the_hash_of_the_sorted_text() {
        fn sorted(value: &Value) -> Value {
            match value {
                Value::Object(map) => {
                    let mut keys: Vec<&String> = map.keys().collect();
                    keys.sort();
                    let mut out = serde_json::Map::new();
                    for key in keys {
                        out.insert(key.clone(), sorted(&map[key]));
                    }
                    Value::Object(out)
                }
                Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
                other => other.clone(),
            }
        }
        let record = json!({"z": [1, 2.5, -3, {"y": null, "b": true}], "a\"\n\u{e9}": "x\\y",
                            "é": {"k": [], "j": {}}, "n": 1e300, "m": false});
        let text = serde_json::to_vec(&sorted(&record)).unwrap();
        assert_eq!(content_hash(&record), hex::encode(Sha256::digest(&text)));
    }

    #[test]
    fn tombstones_match_their_value_or_anything_set() {
        let archived: Tombstone =
            serde_json::from_value(json!({"field": "status", "value": "ARCHIVED"})).unwrap();
        let field = JsonPath::parse("status").unwrap();
        assert!(is_tombstone(
            &json!({"status": "ARCHIVED"}),
            &archived,
            &field
        ));
        assert!(!is_tombstone(
            &json!({"status": "ACTIVE"}),
            &archived,
            &field
        ));
        let flag: Tombstone = serde_json::from_value(json!({"field": "IsDeleted"})).unwrap();
        let field = JsonPath::parse("IsDeleted").unwrap();
        assert!(is_tombstone(&json!({"IsDeleted": true}), &flag, &field));
        assert!(!is_tombstone(&json!({"IsDeleted": false}), &flag, &field));
        assert!(!is_tombstone(&json!({}), &flag, &field));
        assert!(!is_tombstone(&json!({"IsDeleted": null}), &flag, &field));
        let removed: Tombstone = serde_json::from_value(json!({"field": "@removed"})).unwrap();
        let field = JsonPath::parse("['@removed']").unwrap();
        assert!(is_tombstone(
            &json!({"@removed": {"reason": "deleted"}}),
            &removed,
            &field
        ));
    }
}
