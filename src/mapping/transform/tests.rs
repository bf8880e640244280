//! Table-driven tests: every transform (successes and failures), composition, serde forms,
//! and rules over dotted and array paths with defaults, `required` and all-or-nothing output.

use serde_json::{Value, json};

use super::*;

type Want = Result<Value, &'static str>;

/// Runs `transform` (as JSON) on `input` directly and through a rule reading `amount`.
/// A failure must read `amount: <message>` and name the value's type.
fn check(transform: Value, input: Value, expected: Want) {
    let parsed: Transform = serde_json::from_value(transform.clone())
        .unwrap_or_else(|e| panic!("{transform}: does not parse: {e}"));
    let rule = FieldRule {
        source: vec!["amount".into()],
        target: "out".into(),
        transforms: vec![parsed.clone()],
        default: None,
        required: false,
    };
    let via_rule = apply_rules(&[rule], &json!({ "amount": input.clone() }));
    match expected {
        Ok(want) => {
            assert_eq!(
                parsed.apply(input.clone()),
                Ok(want.clone()),
                "{transform} on {input}"
            );
            assert_eq!(
                via_rule,
                Ok(json!({ "out": want })),
                "{transform} on {input} (rule)"
            );
        }
        Err(message) => {
            assert!(
                parsed.apply(input.clone()).is_err(),
                "{transform} on {input} should fail"
            );
            let errors = via_rule.expect_err("the rule should fail");
            let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
            assert_eq!(
                texts,
                vec![format!("amount: {message}")],
                "{transform} on {input}"
            );
            let types = ["null", "boolean", "number", "string", "array", "object"];
            assert!(
                types
                    .iter()
                    .any(|t| message.starts_with(&format!("cannot convert {t}"))),
                "the message names the value's type: {message}"
            );
        }
    }
}

fn table(transform: Value, rows: Vec<(Value, Want)>) {
    for (input, expected) in rows {
        check(transform.clone(), input, expected);
    }
}

#[test]
fn none_and_default_pass_values_or_fill_null() {
    table(
        json!({"kind": "none"}),
        vec![
            (json!("x"), Ok(json!("x"))),
            (json!({"a": 1}), Ok(json!({"a": 1}))),
        ],
    );
    table(
        json!({"kind": "default", "value": "n/a"}),
        vec![
            (json!(null), Ok(json!("n/a"))),
            (json!("x"), Ok(json!("x"))),
            (json!(0), Ok(json!(0))),
        ],
    );
}

#[test]
fn to_string_writes_scalars_as_text() {
    table(
        json!({"kind": "to_string"}),
        vec![
            (json!(42), Ok(json!("42"))),
            (json!(-1.5), Ok(json!("-1.5"))),
            (json!(true), Ok(json!("true"))),
            (json!("as is"), Ok(json!("as is"))),
            (json!(null), Ok(json!(null))),
            (json!({"a": 1}), Err("cannot convert object to a string")),
            (json!([1]), Err("cannot convert array to a string")),
        ],
    );
}

#[test]
fn to_number_reads_locale_separators() {
    table(
        json!({"kind": "to_number"}),
        vec![
            (json!("1234.56"), Ok(json!(1234.56))),
            (json!("1,234.56"), Ok(json!(1234.56))),
            (json!("1.234,56"), Ok(json!(1234.56))),
            (json!("1 234,56"), Ok(json!(1234.56))),
            (json!("1\u{a0}234,56"), Ok(json!(1234.56))),
            (json!("1'234.56"), Ok(json!(1234.56))),
            (json!("-1.234,56"), Ok(json!(-1234.56))),
            (json!("12,34,567.89"), Ok(json!(1234567.89))),
            (json!("1.234.567"), Ok(json!(1234567))),
            (json!("1,234,567"), Ok(json!(1234567))),
            (json!("1 234"), Ok(json!(1234))),
            (json!("1.234"), Ok(json!(1.234))),
            (json!("12,5"), Ok(json!(12.5))),
            (
                json!("0,125"),
                Err(
                    "cannot convert string \"0,125\" to a number: the comma could group thousands or separate decimals (set decimal_separator)",
                ),
            ),
            (json!(" +42 "), Ok(json!(42))),
            (json!("12.50"), Ok(json!(12.5))),
            (json!("1e3"), Ok(json!(1000))),
            (json!(7.25), Ok(json!(7.25))),
            (json!(""), Ok(json!(null))),
            (
                json!("abc"),
                Err("cannot convert string \"abc\" to a number: unexpected character 'a'"),
            ),
            (
                json!("1,234"),
                Err(
                    "cannot convert string \"1,234\" to a number: the comma could group thousands or separate decimals (set decimal_separator)",
                ),
            ),
            (
                json!("1,2.5"),
                Err(
                    "cannot convert string \"1,2.5\" to a number: digit groups must end with three digits",
                ),
            ),
            (
                json!("1.5.5"),
                Err(
                    "cannot convert string \"1.5.5\" to a number: digit groups must end with three digits",
                ),
            ),
            (
                json!("1,234.5,6"),
                Err("cannot convert string \"1,234.5,6\" to a number: misplaced separator '.'"),
            ),
            (
                json!("--5"),
                Err("cannot convert string \"--5\" to a number: not a number"),
            ),
            (
                json!("NaN"),
                Err("cannot convert string \"NaN\" to a number: unexpected character 'N'"),
            ),
            (json!(true), Err("cannot convert boolean true to a number")),
            (json!([1]), Err("cannot convert array to a number")),
        ],
    );
    table(
        json!({"kind": "to_number", "decimal_separator": ","}),
        vec![
            (json!("1.234"), Ok(json!(1234))),
            (json!("1,234"), Ok(json!(1.234))),
            (json!("1 234,5"), Ok(json!(1234.5))),
        ],
    );
    table(
        json!({"kind": "to_number", "decimal_separator": "."}),
        vec![
            (json!("1,234"), Ok(json!(1234))),
            (json!("1.234"), Ok(json!(1.234))),
        ],
    );
}

#[test]
fn to_integer_refuses_fractions_unless_told_how_to_round() {
    table(
        json!({"kind": "to_integer"}),
        vec![
            (json!(42), Ok(json!(42))),
            (json!("42"), Ok(json!(42))),
            (json!(2.0), Ok(json!(2))),
            (json!("1.234,00"), Ok(json!(1234))),
            (json!(""), Ok(json!(null))),
            (
                json!("2.5"),
                Err(
                    "cannot convert string \"2.5\" to an integer: it has a fraction (set rounding)",
                ),
            ),
            (
                json!(1e30),
                Err("cannot convert number 1e+30 to an integer: out of range"),
            ),
            (
                json!(true),
                Err("cannot convert boolean true to an integer"),
            ),
            (
                json!("ten"),
                Err("cannot convert string \"ten\" to an integer: unexpected character 't'"),
            ),
        ],
    );
    let rows = [
        ("half_away_from_zero", [3, -3, 3, 2, -2]),
        ("half_up", [3, -3, 3, 2, -2]),
        ("half_even", [2, -2, 3, 2, -2]),
        ("toward_zero", [2, -2, 2, 2, -2]),
        ("truncate", [2, -2, 2, 2, -2]),
        ("floor", [2, -3, 2, 2, -3]),
        ("ceil", [3, -2, 3, 3, -2]),
    ];
    for (rounding, want) in rows {
        let inputs = [
            json!(2.5),
            json!("-2.5"),
            json!(2.51),
            json!(2.1),
            json!(-2.1),
        ];
        for (input, expected) in inputs.into_iter().zip(want) {
            check(
                json!({"kind": "to_integer", "rounding": rounding}),
                input,
                Ok(json!(expected)),
            );
        }
    }
}

#[test]
fn to_boolean_reads_yes_and_no() {
    let mut rows: Vec<(Value, Want)> = ["yes", "Y", "TRUE", "on", "1", " Yes "]
        .iter()
        .map(|s| (json!(s), Ok(json!(true))))
        .collect();
    rows.extend(
        ["no", "n", "False", "OFF", "0"]
            .iter()
            .map(|s| (json!(s), Ok(json!(false)))),
    );
    rows.extend([
        (json!(1), Ok(json!(true))),
        (json!(0), Ok(json!(false))),
        (json!(false), Ok(json!(false))),
        (json!(""), Ok(json!(null))),
        (json!("maybe"), Err("cannot convert string \"maybe\" to a boolean: expected yes/no, y/n, true/false, on/off or 1/0")),
        (json!(2), Err("cannot convert number 2 to a boolean: expected yes/no, y/n, true/false, on/off or 1/0")),
        (json!({}), Err("cannot convert object to a boolean")),
    ]);
    table(json!({"kind": "to_boolean"}), rows);
}

#[test]
fn case_and_trim_change_text_only() {
    table(
        json!({"kind": "lowercase"}),
        vec![
            (json!("Ada@Example.COM"), Ok(json!("ada@example.com"))),
            (json!("ÉCOLE"), Ok(json!("école"))),
            (json!(5), Err("cannot convert number 5 to lowercase text")),
        ],
    );
    table(
        json!({"kind": "uppercase"}),
        vec![
            (json!("de"), Ok(json!("DE"))),
            (
                json!(true),
                Err("cannot convert boolean true to uppercase text"),
            ),
        ],
    );
    table(
        json!({"kind": "trim"}),
        vec![
            (json!("  Ada \n"), Ok(json!("Ada"))),
            (json!(""), Ok(json!(""))),
            (json!(["a"]), Err("cannot convert array to trimmed text")),
        ],
    );
}

#[test]
fn date_converts_between_spellings() {
    let date = |from: &str, to: &str| json!({"kind": "date", "from": from, "to": to});
    let rows: Vec<(Value, Value, Want)> = vec![
        (
            date("iso_date", "unix_seconds"),
            json!("2024-03-01"),
            Ok(json!(1709251200)),
        ),
        (
            date("iso_date", "iso_date_time"),
            json!("2024-03-01"),
            Ok(json!("2024-03-01T00:00:00Z")),
        ),
        (
            date("iso_date", "%d/%m/%Y"),
            json!("2024-03-01"),
            Ok(json!("01/03/2024")),
        ),
        (
            date("iso_date", "iso_date"),
            json!("2024-03-01T23:30:00-05:00"),
            Ok(json!("2024-03-01")),
        ),
        (
            date("iso_date_time", "iso_date"),
            json!("2024-03-01T10:00:00+02:00"),
            Ok(json!("2024-03-01")),
        ),
        (
            date("iso_date_time", "unix_millis"),
            json!("2024-03-01T10:00:00.250Z"),
            Ok(json!(1709287200250_i64)),
        ),
        (
            date("iso_date_time", "iso_date_time"),
            json!("2024-03-01T10:00:00"),
            Ok(json!("2024-03-01T10:00:00Z")),
        ),
        (
            date("iso_datetime", "%d.%m.%Y %H:%M"),
            json!("2024-03-01T10:05:00+01:00"),
            Ok(json!("01.03.2024 10:05")),
        ),
        (
            date("unix_seconds", "iso_date_time"),
            json!(1700000000),
            Ok(json!("2023-11-14T22:13:20Z")),
        ),
        (
            date("unix_seconds", "iso_date_time"),
            json!("-1"),
            Ok(json!("1969-12-31T23:59:59Z")),
        ),
        (
            date("unix_seconds", "unix_millis"),
            json!(1700000000.5),
            Ok(json!(1700000000500_i64)),
        ),
        (
            date("unix_millis", "iso_date_time"),
            json!(1700000000123_i64),
            Ok(json!("2023-11-14T22:13:20.123Z")),
        ),
        (date("unix_ms", "unix_seconds"), json!(1999), Ok(json!(1))),
        (
            date("%d/%m/%Y", "iso_date"),
            json!("01/03/2024"),
            Ok(json!("2024-03-01")),
        ),
        (
            date("%m/%d/%Y %H:%M", "iso_date_time"),
            json!("03/01/2024 09:30"),
            Ok(json!("2024-03-01T09:30:00Z")),
        ),
        (
            date("%Y-%m-%d %H:%M:%S %z", "iso_date_time"),
            json!("2024-03-01 09:30:00 +0200"),
            Ok(json!("2024-03-01T09:30:00+02:00")),
        ),
        (
            date("%d/%m/%Y", "iso_date"),
            json!("31/02/2024"),
            Err(
                "cannot convert string \"31/02/2024\" to a date: does not match \"%d/%m/%Y\" (input is out of range)",
            ),
        ),
        (
            date("%d/%m/%Y", "iso_date"),
            json!("2024-03-01"),
            Err(
                "cannot convert string \"2024-03-01\" to a date: does not match \"%d/%m/%Y\" (input contains invalid characters)",
            ),
        ),
        (
            date("iso_date", "unix_seconds"),
            json!("March 1st"),
            Err("cannot convert string \"March 1st\" to an ISO 8601 date"),
        ),
        (
            date("iso_date", "unix_seconds"),
            json!(20240301),
            Err("cannot convert number 20240301 to an ISO 8601 date"),
        ),
        (
            date("unix_seconds", "iso_date"),
            json!("soon"),
            Err("cannot convert string \"soon\" to Unix seconds: unexpected character 's'"),
        ),
        (
            date("unix_seconds", "iso_date"),
            json!(1e20),
            Err("cannot convert number 1e+20 to Unix seconds: out of range"),
        ),
        (
            date("unix_millis", "iso_date"),
            json!(true),
            Err("cannot convert boolean true to Unix milliseconds"),
        ),
    ];
    for (transform, input, expected) in rows {
        check(transform, input, expected);
    }
}

#[test]
fn date_formats_are_checked_when_a_mapping_is_read() {
    let parse = |v: Value| serde_json::from_value::<Transform>(v).map_err(|e| e.to_string());
    let err = parse(json!({"kind": "date", "from": "european", "to": "iso_date"})).unwrap_err();
    assert!(err.contains("unknown date format \"european\""), "{err}");
    let err = parse(json!({"kind": "date", "from": "%Q", "to": "iso_date"})).unwrap_err();
    assert!(err.contains("invalid strftime pattern \"%Q\""), "{err}");
    let ok = parse(json!({"kind": "date", "from": "%d/%m/%Y", "to": "iso_date_time"}));
    assert_eq!(
        ok,
        Ok(Transform::Date {
            from: DateFormat::Strftime("%d/%m/%Y".into()),
            to: DateFormat::IsoDateTime,
        })
    );
}

#[test]
fn split_name_takes_first_or_last() {
    let rows: Vec<(&str, Value, Value)> = vec![
        ("Ada Lovelace", json!("Ada"), json!("Lovelace")),
        ("  Ada   Lovelace ", json!("Ada"), json!("Lovelace")),
        ("Lovelace, Ada", json!("Ada"), json!("Lovelace")),
        ("Lovelace, Ada Augusta", json!("Ada"), json!("Lovelace")),
        ("Ada Augusta Lovelace", json!("Ada"), json!("Lovelace")),
        ("Cher", json!("Cher"), json!(null)),
        (
            "Ludwig van Beethoven",
            json!("Ludwig"),
            json!("van Beethoven"),
        ),
        ("Jan van der Berg", json!("Jan"), json!("van der Berg")),
        ("Dr. Martin Luther King Jr.", json!("Martin"), json!("King")),
        ("Martin Luther King, Jr.", json!("Martin"), json!("King")),
        (
            "García Márquez, Gabriel",
            json!("Gabriel"),
            json!("García Márquez"),
        ),
        ("Mary-Jane O'Neil", json!("Mary-Jane"), json!("O'Neil")),
        ("", json!(null), json!(null)),
    ];
    for (full, first, last) in rows {
        check(
            json!({"kind": "split_name", "part": "first"}),
            json!(full),
            Ok(first),
        );
        check(
            json!({"kind": "split_name", "part": "last"}),
            json!(full),
            Ok(last),
        );
    }
    check(
        json!({"kind": "split_name", "part": "first"}),
        json!(42),
        Err("cannot convert number 42 to a first name"),
    );
    check(
        json!({"kind": "split_name", "part": "last"}),
        json!({"first": "Ada"}),
        Err("cannot convert object to a last name"),
    );
}

#[test]
fn join_and_concat_skip_empty_values() {
    table(
        json!({"kind": "join", "separator": " "}),
        vec![
            (
                json!(["Ada", null, "", "Lovelace"]),
                Ok(json!("Ada Lovelace")),
            ),
            (json!(["Suite", 4, true]), Ok(json!("Suite 4 true"))),
            (json!("alone"), Ok(json!("alone"))),
            (json!([null, ""]), Ok(json!(null))),
            (json!([]), Ok(json!(null))),
            (
                json!(["a", {"b": 1}]),
                Err("cannot convert object to joined text"),
            ),
            (json!([["a"]]), Err("cannot convert array to joined text")),
        ],
    );
    table(
        json!({"kind": "concat"}),
        vec![(json!(["INV-", 42]), Ok(json!("INV-42")))],
    );
}

#[test]
fn value_map_maps_values_with_a_fallback() {
    let map = json!({"lead": "New", "opportunity": "Working", "customer": "Converted", "1": true});
    let with = |fallback: Value, ignore_case: bool| json!({"kind": "value_map", "map": map, "fallback": fallback, "ignore_case": ignore_case});
    table(
        json!({"kind": "value_map", "map": map}),
        vec![
            (json!("lead"), Ok(json!("New"))),
            (json!(1), Ok(json!(true))),
            (
                json!("Lead"),
                Err("cannot convert string \"Lead\" to a mapped value: not in the value map"),
            ),
            (
                json!(["lead"]),
                Err("cannot convert array to a mapped value"),
            ),
        ],
    );
    table(
        with(json!("error"), true),
        vec![(json!("CUSTOMER"), Ok(json!("Converted")))],
    );
    table(
        with(json!("keep"), false),
        vec![
            (json!("subscriber"), Ok(json!("subscriber"))),
            (json!(false), Ok(json!(false))),
        ],
    );
    table(
        with(json!("null"), false),
        vec![(json!("subscriber"), Ok(json!(null)))],
    );
    table(
        with(json!({"value": "Other"}), false),
        vec![(json!("subscriber"), Ok(json!("Other")))],
    );
}

#[test]
fn cents_to_decimal_moves_the_point_exactly() {
    table(
        json!({"kind": "cents_to_decimal"}),
        vec![
            (json!(1250), Ok(json!(12.5))),
            (json!(-5), Ok(json!(-0.05))),
            (json!(1999), Ok(json!(19.99))),
            (json!("100"), Ok(json!(1))),
            (json!(0), Ok(json!(0))),
            (
                json!(12.5),
                Err("cannot convert number 12.5 to a decimal amount: cents must be a whole number"),
            ),
            (
                json!(9007199254740993_i64),
                Err(
                    "cannot convert number 9007199254740993 to a decimal amount: too large for an exact JSON number; use output \"string\"",
                ),
            ),
            (
                json!("ten"),
                Err("cannot convert string \"ten\" to a decimal amount: unexpected character 't'"),
            ),
            (
                json!(true),
                Err("cannot convert boolean true to a decimal amount"),
            ),
        ],
    );
    table(
        json!({"kind": "cents_to_decimal", "output": "string"}),
        vec![
            (json!(1250), Ok(json!("12.50"))),
            (json!(-5), Ok(json!("-0.05"))),
            (json!(0), Ok(json!("0.00"))),
            (json!(9007199254740993_i64), Ok(json!("90071992547409.93"))),
        ],
    );
}

#[test]
fn decimal_to_cents_has_no_float_drift() {
    table(
        json!({"kind": "decimal_to_cents"}),
        vec![
            (json!(19.99), Ok(json!(1999))),
            (json!(0.1), Ok(json!(10))),
            (json!("12.34"), Ok(json!(1234))),
            (json!("-0.05"), Ok(json!(-5))),
            (json!("1.234,56"), Ok(json!(123456))),
            (json!(12), Ok(json!(1200))),
            (json!(12.3400), Ok(json!(1234))),
            (
                json!(1.005),
                Err(
                    "cannot convert number 1.005 to whole cents: it has fractions of a cent (set rounding)",
                ),
            ),
            (
                json!("12,345"),
                Err(
                    "cannot convert string \"12,345\" to whole cents: the comma could group thousands or separate decimals (set decimal_separator)",
                ),
            ),
            (
                json!(1e20),
                Err("cannot convert number 1e+20 to whole cents: out of range"),
            ),
            (
                json!({"amount": 1}),
                Err("cannot convert object to whole cents"),
            ),
        ],
    );
    let rows: Vec<(&str, Value, i64)> = vec![
        ("half_away_from_zero", json!(1.005), 101),
        ("half_away_from_zero", json!(-1.005), -101),
        ("half_even", json!(1.005), 100),
        ("half_even", json!(1.015), 102),
        ("toward_zero", json!("-12.349"), -1234),
        ("floor", json!("-12.341"), -1235),
        ("ceil", json!("12.341"), 1235),
    ];
    for (rounding, input, cents) in rows {
        check(
            json!({"kind": "decimal_to_cents", "rounding": rounding}),
            input,
            Ok(json!(cents)),
        );
    }
}

#[test]
fn transforms_compose_in_order() {
    let chain = |v: Value| serde_json::from_value::<Vec<Transform>>(v).expect("valid transforms");
    let rows: Vec<(Value, Value, Result<Value, &str>)> = vec![
        (
            json!([{"kind": "trim"}, {"kind": "lowercase"}]),
            json!("  Ada@Example.COM "),
            Ok(json!("ada@example.com")),
        ),
        (
            json!([{"kind": "to_number"}, {"kind": "decimal_to_cents"}]),
            json!("1.234,56"),
            Ok(json!(123456)),
        ),
        (
            json!([{"kind": "split_name", "part": "last"}, {"kind": "uppercase"}]),
            json!("Lovelace, Ada"),
            Ok(json!("LOVELACE")),
        ),
        (
            json!([{"kind": "value_map", "map": {"lead": "New"}, "fallback": "null"},
                   {"kind": "default", "value": "Open"}]),
            json!("subscriber"),
            Ok(json!("Open")),
        ),
        (
            json!([{"kind": "cents_to_decimal", "output": "string"}, {"kind": "to_number"}]),
            json!(-1250),
            Ok(json!(-12.5)),
        ),
        (json!([]), json!("same"), Ok(json!("same"))),
        (
            json!([{"kind": "trim"}, {"kind": "to_integer"}]),
            json!(" 4.5 "),
            Err("cannot convert string \"4.5\" to an integer: it has a fraction (set rounding)"),
        ),
    ];
    for (transforms, input, expected) in rows {
        let got = apply_all(&chain(transforms.clone()), input.clone());
        assert_eq!(
            got.map_err(|e| e.to_string()),
            expected.map_err(str::to_owned),
            "{transforms} on {input}"
        );
    }
}

#[test]
fn transforms_round_trip_through_json_and_reject_unknown_fields() {
    let forms = [
        json!({"kind": "none"}),
        json!({"kind": "to_string"}),
        json!({"kind": "to_number", "decimal_separator": ","}),
        json!({"kind": "to_number"}),
        json!({"kind": "to_integer", "rounding": "half_even"}),
        json!({"kind": "to_boolean"}),
        json!({"kind": "lowercase"}),
        json!({"kind": "uppercase"}),
        json!({"kind": "trim"}),
        json!({"kind": "date", "from": "unix_millis", "to": "%Y"}),
        json!({"kind": "split_name", "part": "last"}),
        json!({"kind": "join", "separator": ", "}),
        json!({"kind": "concat"}),
        json!({"kind": "value_map", "map": {"a": 1}, "fallback": {"value": 0}, "ignore_case": true}),
        json!({"kind": "cents_to_decimal", "output": "string"}),
        json!({"kind": "decimal_to_cents", "rounding": "ceil"}),
        json!({"kind": "default", "value": [1]}),
    ];
    for form in forms {
        let t: Transform = serde_json::from_value(form.clone()).expect("parses");
        assert_eq!(serde_json::to_value(&t).ok(), Some(form));
    }
    let bad = [
        json!({"kind": "to_number", "separator": ","}),
        json!({"kind": "to_number", "decimal_separator": ";"}),
        json!({"kind": "join", "separator": " ", "sources": ["a"]}),
        json!({"kind": "to_integer", "rounding": "bankers"}),
        json!({"kind": "split_name"}),
        json!({"kind": "reverse"}),
    ];
    for form in bad {
        assert!(
            serde_json::from_value::<Transform>(form.clone()).is_err(),
            "{form}"
        );
    }
}

// ---- rules ----

fn rules(v: Value) -> Vec<FieldRule> {
    serde_json::from_value(v).expect("valid rules")
}

/// Applies `rules` to `record`; errors are compared as their display texts.
fn check_rules(rules_json: Value, record: Value, expected: Result<Value, Vec<&str>>) {
    let got = apply_rules(&rules(rules_json.clone()), &record)
        .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>());
    let expected = expected.map_err(|e| e.into_iter().map(str::to_owned).collect::<Vec<_>>());
    assert_eq!(got, expected, "rules {rules_json} on {record}");
}

#[test]
fn rules_read_and_write_dotted_paths() {
    check_rules(
        json!([
            {"source": "properties.firstname", "target": "contact.first_name"},
            {"source": "properties.lastname", "target": "contact.last_name", "transform": {"kind": "uppercase"}},
            {"source": "BillAddr.PostalCode", "target": "address.postal_code", "transforms": [{"kind": "to_string"}]},
            {"source": "BillAddr.Missing", "target": "address.line2"},
            {"source": "nowhere.at.all", "target": "deep.nested.value"},
        ]),
        json!({"properties": {"firstname": "Ada", "lastname": "Lovelace"}, "BillAddr": {"PostalCode": 10115}}),
        Ok(json!({
            "contact": {"first_name": "Ada", "last_name": "LOVELACE"},
            "address": {"postal_code": "10115"},
        })),
    );
}

#[test]
fn rules_map_arrays_element_by_element() {
    let record = json!({
        "currency": "EUR",
        "tags": ["VIP", "", "Churn risk"],
        "lines": [
            {"amount": "12.50", "description": "Widget", "qty": 2},
            {"amount": "0.99", "description": "Bolt"},
        ],
    });
    check_rules(
        json!([
            {"source": "lines[].amount", "target": "items[].total_cents", "transform": {"kind": "decimal_to_cents"}},
            {"source": "lines[].description", "target": "items[].name"},
            {"source": "lines[].qty", "target": "items[].quantity", "default": 1},
            {"source": "currency", "target": "items[].currency"},
            {"source": ["currency", "lines[].amount"], "target": "items[].price",
             "transform": {"kind": "join", "separator": " "}},
            {"source": "lines[0].amount", "target": "first_amount", "transform": {"kind": "to_number"}},
            {"source": "lines[5].amount", "target": "sixth_amount"},
            {"source": "tags[]", "target": "labels", "transform": {"kind": "join", "separator": ", "}},
            {"source": "tags[]", "target": "tag_list[]", "transform": {"kind": "lowercase"}},
            {"source": "lines[].description", "target": "summary.names[1]"},
            {"source": ["lines[].description", "lines[].qty"], "target": "items[].label",
             "transform": {"kind": "join", "separator": " x"}},
        ]),
        record,
        Ok(json!({
            "items": [
                {"total_cents": 1250, "name": "Widget", "quantity": 2, "currency": "EUR", "label": "Widget x2", "price": "EUR 12.50"},
                {"total_cents": 99, "name": "Bolt", "quantity": 1, "currency": "EUR", "label": "Bolt", "price": "EUR 0.99"},
            ],
            "first_amount": 12.5,
            "labels": "VIP, Churn risk",
            "tag_list": ["vip", "", "churn risk"],
            "summary": {"names": [null, ["Widget", "Bolt"]]},
        })),
    );
}

#[test]
fn rules_join_several_sources() {
    check_rules(
        json!([
            {"source": ["properties.firstname", "properties.lastname"], "target": "name",
             "transforms": [{"kind": "join", "separator": " "}]},
            {"source": ["properties.zip", "properties.city"], "target": "place",
             "transforms": [{"kind": "join", "separator": " "}]},
            {"source": ["a", "b"], "target": "pair"},
            {"source": ["x", "y"], "target": "nothing", "transform": {"kind": "concat"}},
        ]),
        json!({"properties": {"firstname": "Ada", "lastname": "Lovelace", "city": "London"}, "a": 1}),
        Ok(json!({"name": "Ada Lovelace", "place": "London", "pair": [1, null]})),
    );
}

#[test]
fn rules_fill_defaults() {
    let rules_json = json!([
        {"source": "stage", "target": "status", "default": "Open",
         "transform": {"kind": "value_map", "map": {"lead": "New"}, "fallback": "null"}},
        {"source": "country", "target": "country", "default": "DE", "transform": {"kind": "lowercase"}},
        {"source": [], "target": "origin", "default": "hubspot"},
    ]);
    let rows = [
        (
            json!({}),
            json!({"status": "Open", "country": "DE", "origin": "hubspot"}),
        ),
        (
            json!({"stage": null, "country": null}),
            json!({"status": "Open", "country": "DE", "origin": "hubspot"}),
        ),
        (
            json!({"stage": "lead", "country": "FR"}),
            json!({"status": "New", "country": "fr", "origin": "hubspot"}),
        ),
        (
            json!({"stage": "other"}),
            json!({"status": "Open", "country": "DE", "origin": "hubspot"}),
        ),
    ];
    for (record, want) in rows {
        check_rules(rules_json.clone(), record, Ok(want));
    }
}

#[test]
fn rules_report_required_targets_that_end_up_missing() {
    let rules_json = json!([
        {"source": "email", "target": "contact.email", "required": true},
        {"source": "lines[].sku", "target": "items[].sku", "required": true},
    ]);
    check_rules(
        rules_json.clone(),
        json!({"email": "a@b.c", "lines": [{"sku": "A"}]}),
        Ok(json!({"contact": {"email": "a@b.c"}, "items": [{"sku": "A"}]})),
    );
    check_rules(
        rules_json.clone(),
        json!({"email": null, "lines": [{"sku": "A"}, {}]}),
        Err(vec![
            "contact.email: required, but the source is missing or null and there is no default",
            "items[1].sku: required, but the source is missing or null and there is no default",
        ]),
    );
    check_rules(
        rules_json,
        json!({"email": "a@b.c", "lines": []}),
        Ok(json!({"contact": {"email": "a@b.c"}, "items": []})),
    );
    check_rules(
        json!([{"source": "lines[].sku", "target": "items[].sku", "required": true}]),
        json!({}),
        Err(vec![
            "items[].sku: required, but the source is missing or null and there is no default",
        ]),
    );
}

#[test]
fn rules_never_half_write_a_record() {
    check_rules(
        json!([
            {"source": "name", "target": "name"},
            {"source": "amount", "target": "amount", "transform": {"kind": "to_number"}},
            {"source": "lines[].amount", "target": "items[].cents", "transform": {"kind": "decimal_to_cents"}},
            {"source": "active", "target": "active", "transform": {"kind": "to_boolean"}},
        ]),
        json!({"name": "Ada", "amount": "abc", "active": "yes",
               "lines": [{"amount": "1.00"}, {"amount": "x"}, {"amount": 0.001}]}),
        Err(vec![
            "amount: cannot convert string \"abc\" to a number: unexpected character 'a'",
            "lines[1].amount: cannot convert string \"x\" to whole cents: unexpected character 'x'",
            "lines[2].amount: cannot convert number 0.001 to whole cents: it has fractions of a cent (set rounding)",
        ]),
    );
}

#[test]
fn rules_name_the_field_when_a_path_meets_the_wrong_type() {
    check_rules(
        json!([
            {"source": "properties.firstname", "target": "first"},
            {"source": "lines[].amount", "target": "amounts[]"},
            {"source": "lines[0].amount", "target": "amount"},
            {"source": "items[].sku", "target": "skus[]"},
        ]),
        json!({"properties": "Ada", "lines": {"amount": 1}, "items": [{"sku": "A"}, "B"]}),
        Err(vec![
            "properties: cannot read properties.firstname: expected an object, found string",
            "lines: cannot read lines[].amount: expected an array, found object",
            "lines: cannot read lines[0].amount: expected an array, found object",
            "items[1]: cannot read items[].sku: expected an object, found string",
        ]),
    );
}

#[test]
fn rules_refuse_conflicting_targets_and_bad_paths() {
    check_rules(
        json!([
            {"source": "a", "target": "out"},
            {"source": "b", "target": "out.inner"},
            {"source": "a", "target": "copy"},
            {"source": "b", "target": "copy"},
        ]),
        json!({"a": "x", "b": "y"}),
        Err(vec![
            "out: cannot write out.inner: expected an object, found string written by another rule",
            "copy: cannot write copy: expected an empty place, found string written by another rule",
        ]),
    );
    let invalid = [
        (
            json!({"source": "lines[x].a", "target": "b"}),
            "b: invalid rule: bad index [x] in path \"lines[x].a\"",
        ),
        (
            json!({"source": "a..b", "target": "b"}),
            "b: invalid rule: empty segment in path \"a..b\"",
        ),
        (
            json!({"source": "a", "target": "b[1001]"}),
            "b[1001]: invalid rule: target index [1001] is above 1000",
        ),
        (
            json!({"source": "a[0", "target": "b"}),
            "b: invalid rule: unbalanced brackets in path \"a[0\"",
        ),
        (
            json!({"source": ["a[].b", "c"], "target": "x[].y[]"}),
            "x[].y[]: invalid rule: the target has 2 `[]`; each source needs as many, or none",
        ),
        (
            json!({"source": "a[].b[].c", "target": "x[].y[].z[]"}),
            "x[].y[].z[]: invalid rule: the target has 3 `[]`; each source needs as many, or none",
        ),
    ];
    for (rule, message) in invalid {
        let rule: FieldRule = serde_json::from_value(rule).expect("parses");
        assert_eq!(
            rule.check().map_err(|e| e.to_string()),
            Err(message.to_owned())
        );
        check_rules(json!([rule]), json!({}), Err(vec![message]));
    }
    check_rules(
        json!([{"source": ["a[]", "b[]"], "target": "c[]", "transform": {"kind": "concat"}}]),
        json!({"a": [1, 2], "b": [3]}),
        Err(vec![
            "a[] + b[]: the sources' arrays have different lengths (2 vs 1)",
        ]),
    );
}

#[test]
fn rules_deserialize_from_the_mapping_format() {
    let rule: FieldRule = serde_json::from_value(json!({
        "source": "amount", "target": "total",
        "transform": [{"kind": "to_number"}, {"kind": "decimal_to_cents"}],
        "default": 0, "required": true,
    }))
    .expect("parses");
    assert_eq!(rule.source, vec!["amount".to_owned()]);
    assert_eq!(rule.transforms.len(), 2);
    assert_eq!(rule.default, Some(json!(0)));
    let err =
        serde_json::from_value::<FieldRule>(json!({"source": "a", "target": "b", "extra": 1}))
            .expect_err("unknown field");
    assert!(err.to_string().contains("unknown field `extra`"), "{err}");
    let err = serde_json::from_value::<FieldRule>(json!({
        "source": "a", "target": "b", "transform": {"kind": "to_numbr"}
    }))
    .expect_err("unknown transform");
    assert!(
        err.to_string().contains("unknown variant `to_numbr`"),
        "{err}"
    );
}
