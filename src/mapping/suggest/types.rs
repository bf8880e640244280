//! Declared field types: parsing the free-form type names of many sources, and how compatible two
//! types are.

/// A field's declared type, reduced to what matters for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    String,
    /// Whole numbers.
    Integer,
    /// Any number.
    Number,
    /// true / false.
    Boolean,
    /// A calendar date.
    Date,
    /// A date with a time.
    DateTime,
    /// A closed set of values.
    Enum,
    /// A nested object.
    Object,
    /// A list of the inner kind.
    Array(Box<Kind>),
    /// Unknown or unconstrained.
    Any,
}

/// Parses a type name as written by JSON Schema, SQL, OpenAPI or TypeScript
/// (`string`, `varchar(40)`, `int64`, `date-time`, `array<string>`, `string[]`).
pub fn parse(name: &str) -> Kind {
    let n = name.trim().to_ascii_lowercase();
    if let Some(inner) = n.strip_prefix("array<").and_then(|r| r.strip_suffix('>')) {
        return Kind::Array(Box::new(parse(inner)));
    }
    if let Some(inner) = n.strip_suffix("[]") {
        return Kind::Array(Box::new(parse(inner)));
    }
    let base = n.split(['(', ' ', '|']).next().unwrap_or("");
    match base {
        "array" | "list" => Kind::Array(Box::new(Kind::Any)),
        "string" | "text" | "varchar" | "char" | "nvarchar" | "character" | "str" | "uuid"
        | "email" | "url" | "uri" | "phone" | "id" | "clob" => Kind::String,
        "integer" | "int" | "int32" | "int64" | "bigint" | "smallint" | "tinyint" | "long"
        | "serial" => Kind::Integer,
        "number" | "float" | "double" | "decimal" | "numeric" | "real" | "money" | "currency"
        | "float64" => Kind::Number,
        "boolean" | "bool" | "bit" => Kind::Boolean,
        "date" => Kind::Date,
        "datetime" | "date-time" | "timestamp" | "timestamptz" | "time" | "instant" => {
            Kind::DateTime
        }
        "enum" | "picklist" | "select" => Kind::Enum,
        "object" | "map" | "record" | "struct" | "json" | "dict" => Kind::Object,
        _ => Kind::Any,
    }
}

/// How compatible values of two kinds are, from 0 (never) to 1 (same kind).
pub fn compatibility(a: &Kind, b: &Kind) -> f64 {
    use Kind::*;
    match (a, b) {
        (x, y) if x == y => 1.0,
        (Any, _) | (_, Any) => 0.85,
        (Array(x), Array(y)) => compatibility(x, y),
        // A list of scalars often feeds a single value (the first e-mail of `emails[]`).
        (Array(x), y) | (y, Array(x)) => 0.6 * compatibility(x, y).max(0.5),
        (Object, _) | (_, Object) => 0.3,
        (Integer, Number) | (Number, Integer) => 0.95,
        (String, Enum) | (Enum, String) => 0.95,
        (Date, DateTime) | (DateTime, Date) => 0.9,
        (String, Date | DateTime) | (Date | DateTime, String) => 0.85,
        (String, Integer | Number) | (Integer | Number, String) => 0.8,
        (Enum, Integer | Number) | (Integer | Number, Enum) => 0.6,
        (Boolean, String | Enum | Integer) | (String | Enum | Integer, Boolean) => 0.6,
        (Integer | Number, Date | DateTime) | (Date | DateTime, Integer | Number) => 0.6,
        (Enum, Date | DateTime) | (Date | DateTime, Enum) => 0.4,
        _ => 0.3,
    }
}

/// A short word for a kind, for reasons.
pub fn describe(k: &Kind) -> String {
    match k {
        Kind::String => "string".into(),
        Kind::Integer => "integer".into(),
        Kind::Number => "number".into(),
        Kind::Boolean => "boolean".into(),
        Kind::Date => "date".into(),
        Kind::DateTime => "date-time".into(),
        Kind::Enum => "enum".into(),
        Kind::Object => "object".into(),
        Kind::Array(inner) => format!("list of {}", describe(inner)),
        Kind::Any => "untyped".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(a: &str, b: &str, expected_min: f64, expected_max: f64) {
        let c = compatibility(&parse(a), &parse(b));
        assert!(
            (expected_min..=expected_max).contains(&c),
            "compatibility({a}, {b}) = {c}"
        );
    }

    #[test]
    fn parses_type_names_from_many_sources() {
        let table = [
            ("string", Kind::String),
            ("VARCHAR(40)", Kind::String),
            ("int64", Kind::Integer),
            ("date-time", Kind::DateTime),
            ("array<string>", Kind::Array(Box::new(Kind::String))),
            ("string[]", Kind::Array(Box::new(Kind::String))),
            ("array<any>", Kind::Array(Box::new(Kind::Any))),
            ("object", Kind::Object),
            ("whatever", Kind::Any),
        ];
        for (name, kind) in table {
            assert_eq!(parse(name), kind, "parse({name:?})");
        }
    }

    #[test]
    fn ranks_compatibility() {
        check("string", "string", 1.0, 1.0);
        check("integer", "number", 0.9, 0.99);
        check("string", "enum", 0.9, 0.99);
        check("string", "number", 0.7, 0.85);
        check("boolean", "date", 0.0, 0.35);
        check("object", "string", 0.0, 0.35);
        check("array<string>", "string", 0.5, 0.7);
    }
}
