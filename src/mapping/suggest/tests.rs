//! End-to-end tables for `suggest`: small schemas in, expected mappings out.

use serde_json::{Value, json};

use super::*;

fn schema(fields: &[(&str, &str, Vec<Value>)]) -> Schema {
    Schema {
        name: "s".into(),
        fields: fields
            .iter()
            .map(|(p, t, s)| Field {
                path: p.to_string(),
                field_type: t.to_string(),
                samples: s.clone(),
            })
            .collect(),
    }
}

fn plain(fields: &[(&str, &str)]) -> Schema {
    schema(
        &fields
            .iter()
            .map(|(p, t)| (*p, *t, vec![]))
            .collect::<Vec<_>>(),
    )
}

/// The confident (≥ 0.5) pairs of a run, sorted.
fn mapped(source: &Schema, target: &Schema, feedback: &Feedback) -> Vec<(String, String)> {
    let mut got: Vec<(String, String)> =
        suggest(source, target, &SuggestOptions::default(), feedback)
            .into_iter()
            .filter(|s| s.confidence >= 0.5)
            .map(|s| (s.source, s.target))
            .collect();
    got.sort();
    got
}

fn check(source: &Schema, target: &Schema, expected: &[(&str, &str)]) {
    let got = mapped(source, target, &Feedback::default());
    let mut want: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn maps_a_crm_contact_by_names() {
    check(
        &plain(&[
            ("properties.firstname", "string"),
            ("properties.lastname", "string"),
            ("properties.email", "string"),
            ("properties.zip", "string"),
            ("properties.hs_object_source", "string"),
            ("properties.createdate", "datetime"),
        ]),
        &plain(&[
            ("first_name", "string"),
            ("last_name", "string"),
            ("email_address", "string"),
            ("postal_code", "string"),
            ("created_at", "datetime"),
            ("favourite_colour", "string"),
        ]),
        &[
            ("properties.firstname", "first_name"),
            ("properties.lastname", "last_name"),
            ("properties.email", "email_address"),
            ("properties.zip", "postal_code"),
            ("properties.createdate", "created_at"),
        ],
    );
}

#[test]
fn parent_context_decides_between_addresses() {
    check(
        &plain(&[
            ("BillAddr.City", "string"),
            ("ShipAddr.City", "string"),
            ("BillAddr.PostalCode", "string"),
            ("ShipAddr.PostalCode", "string"),
        ]),
        &plain(&[
            ("shipping_address.city", "string"),
            ("billing_address.city", "string"),
            ("billing_address.postal_code", "string"),
            ("shipping_address.zip", "string"),
        ]),
        &[
            ("BillAddr.City", "billing_address.city"),
            ("BillAddr.PostalCode", "billing_address.postal_code"),
            ("ShipAddr.City", "shipping_address.city"),
            ("ShipAddr.PostalCode", "shipping_address.zip"),
        ],
    );
}

#[test]
fn sample_values_match_fields_with_meaningless_names() {
    let emails = vec![
        json!("ada@example.com"),
        json!("bob@example.org"),
        json!("eve@example.net"),
    ];
    let dates = vec![
        json!("2024-01-02"),
        json!("2023-05-06"),
        json!("2022-07-08"),
    ];
    let ids = vec![json!("0736"), json!("0877"), json!("1389")];
    check(
        &schema(&[
            ("col_a", "string", emails.clone()),
            ("col_b", "string", dates.clone()),
            ("col_c", "integer", ids),
        ]),
        &schema(&[
            ("xq1", "string", emails),
            ("xq2", "string", dates),
            ("xq3", "integer", vec![json!(736), json!(877), json!(1389)]),
        ]),
        &[("col_a", "xq1"), ("col_b", "xq2"), ("col_c", "xq3")],
    );
}

#[test]
fn leaves_unrelated_targets_unmapped() {
    check(
        &plain(&[("SyncToken", "string"), ("sparse", "boolean")]),
        &plain(&[("first_name", "string"), ("amount", "number")]),
        &[],
    );
}

#[test]
fn empty_schemas_give_no_suggestions() {
    assert!(
        suggest(
            &Schema::default(),
            &plain(&[("a", "string")]),
            &SuggestOptions::default(),
            &Feedback::default()
        )
        .is_empty()
    );
    assert!(
        suggest(
            &plain(&[("a", "string")]),
            &Schema::default(),
            &SuggestOptions::default(),
            &Feedback::default()
        )
        .is_empty()
    );
}

#[test]
fn a_rejection_changes_the_next_answer() {
    let source = plain(&[("phone", "string"), ("mobile", "string")]);
    let target = plain(&[("phone_number", "string")]);
    let before = mapped(&source, &target, &Feedback::default());
    assert_eq!(
        before,
        vec![("phone".to_string(), "phone_number".to_string())]
    );
    let mut fb = Feedback::default();
    fb.record("phone", "phone_number", false);
    let after = mapped(&source, &target, &fb);
    assert_eq!(
        after,
        vec![("mobile".to_string(), "phone_number".to_string())]
    );
}

#[test]
fn acceptances_boost_and_show_in_the_reason() {
    let source = plain(&[("cust_code", "string")]);
    let target = plain(&[("client_ref", "string")]);
    let mut fb = Feedback::default();
    for _ in 0..3 {
        fb.record("cust_code", "client_ref", true);
    }
    let out = suggest(&source, &target, &SuggestOptions::default(), &fb);
    let first = out.first().expect("a suggestion");
    assert!(first.confidence >= 0.9, "{first:?}");
    assert!(
        first.reason.contains("accepted 3 times before"),
        "{}",
        first.reason
    );
}

#[test]
fn accepted_word_pairs_generalise_to_new_fields() {
    let mut fb = Feedback::default();
    fb.record("klumf_zorp", "customer_zorp", true);
    let source = plain(&[("billing_klumf", "string"), ("other", "string")]);
    let target = plain(&[("billing_customer", "string")]);
    let without = suggest(
        &source,
        &target,
        &SuggestOptions::default(),
        &Feedback::default(),
    );
    let with = suggest(&source, &target, &SuggestOptions::default(), &fb);
    let conf = |v: &[Suggestion]| {
        v.iter()
            .find(|s| s.source == "billing_klumf")
            .map_or(0.0, |s| s.confidence)
    };
    assert!(
        conf(&with) > conf(&without) + 0.2,
        "{with:?} vs {without:?}"
    );
}

#[test]
fn reasons_and_transforms_come_from_the_evidence() {
    let zips = vec![
        json!("94107"),
        json!("SW1A 1AA"),
        json!("10001-1234"),
        json!("K1A 0B1"),
    ];
    let source = schema(&[
        ("zip", "integer", vec![json!(94107), json!(10001)]),
        ("full_name", "string", vec![json!("Ada Lovelace")]),
    ]);
    let target = schema(&[
        ("postal_code", "string", zips),
        ("first_name", "string", vec![]),
        ("last_name", "string", vec![]),
    ]);
    let out = suggest(
        &source,
        &target,
        &SuggestOptions::default(),
        &Feedback::default(),
    );
    let zip = out
        .iter()
        .find(|s| s.source == "zip" && s.target == "postal_code")
        .expect("zip suggestion");
    assert!(
        zip.reason.contains("'zip' and 'postal code' are synonyms"),
        "{}",
        zip.reason
    );
    assert_eq!(zip.transform, Some(TransformHint::ToString));
    let first = out
        .iter()
        .find(|s| s.source == "full_name" && s.target == "first_name")
        .expect("split");
    assert_eq!(
        first.transform,
        Some(TransformHint::SplitName {
            part: transform_hint::NamePart::First
        })
    );
    let last = out
        .iter()
        .find(|s| s.source == "full_name" && s.target == "last_name")
        .expect("split");
    assert_eq!(
        last.transform,
        Some(TransformHint::SplitName {
            part: transform_hint::NamePart::Last
        })
    );
}

#[test]
fn many_fields_give_a_bounded_answer() {
    let fields: Vec<(String, String)> = (0..10_000)
        .map(|i| (format!("field_{i}"), "string".to_string()))
        .collect();
    let big = Schema {
        name: "big".into(),
        fields: fields
            .iter()
            .map(|(p, t)| Field {
                path: p.clone(),
                field_type: t.clone(),
                samples: vec![],
            })
            .collect(),
    };
    let small = plain(&[("field_7", "string")]);
    let opts = SuggestOptions {
        max_fields: 2000,
        ..SuggestOptions::default()
    };
    let out = suggest(&big, &small, &opts, &Feedback::default());
    assert!(out.len() <= 1 + opts.alternatives);
    assert_eq!(out.first().map(|s| s.source.as_str()), Some("field_7"));
}

#[test]
fn schemas_round_trip_through_json() {
    let text = r#"{"name":"c","fields":[{"path":"a.b","type":"string","samples":["x"]},{"path":"n","type":"integer"}]}"#;
    let s: Schema = serde_json::from_str(text).expect("parse");
    assert_eq!(s.fields[1].samples, Vec::<Value>::new());
    let back = serde_json::to_value(&s).expect("serialise");
    assert_eq!(back["fields"][0]["type"], "string");
    let sug = Suggestion {
        source: "a".into(),
        target: "b".into(),
        confidence: 0.9,
        reason: "r".into(),
        transform: Some(TransformHint::ToString),
    };
    assert_eq!(
        serde_json::to_value(&sug).expect("serialise")["transform"]["kind"],
        "to_string"
    );
}

#[test]
fn nested_fields_rank_below_top_level_ones_with_the_same_name() {
    let src = plain(&[("title", "string"), ("translations.fr.title", "string")]);
    let tgt = plain(&[("title", "string"), ("translations.fr.title", "string")]);
    let out = suggest(&src, &tgt, &SuggestOptions::default(), &Feedback::default());
    let conf = |s: &str, t: &str| {
        out.iter()
            .find(|x| x.source == s && x.target == t)
            .map(|x| x.confidence)
            .unwrap_or(0.0)
    };
    assert!(conf("title", "title") > conf("translations.fr.title", "translations.fr.title"));
    assert!(conf("translations.fr.title", "translations.fr.title") > 0.3);
}

#[test]
fn reference_objects_give_their_value_to_id_fields() {
    check(
        &plain(&[
            ("CurrencyRef.value", "string"),
            ("CurrencyRef.name", "string"),
            ("CurrencyRef.type", "string"),
            ("TxnDate", "date"),
        ]),
        &plain(&[("currency", "string"), ("date", "date")]),
        &[("CurrencyRef.value", "currency"), ("TxnDate", "date")],
    );
}

fn named(name: &str, fields: &[(&str, &str)]) -> Schema {
    Schema {
        name: name.into(),
        ..plain(fields)
    }
}

/// Confidence of one pair in a run, 0 when not suggested.
fn confidence(out: &[Suggestion], source: &str, target: &str) -> f64 {
    out.iter()
        .find(|x| x.source == source && x.target == target)
        .map_or(0.0, |x| x.confidence)
}

#[test]
fn the_same_column_in_several_tables_feeds_one_target_column() {
    // Tables on both sides: every table's `year` feeds the one `years.year`.
    check(
        &plain(&[
            ("book.title", "string"),
            ("book.year", "integer"),
            ("article.year", "integer"),
            ("misc.year", "integer"),
        ]),
        &plain(&[("titles.title", "string"), ("years.year", "integer")]),
        &[
            ("book.title", "titles.title"),
            ("book.year", "years.year"),
            ("article.year", "years.year"),
            ("misc.year", "years.year"),
        ],
    );
    // Nested objects are not tables: one source per target.
    let got = mapped(
        &plain(&[
            ("legal.year", "integer"),
            ("preferred.year", "integer"),
            ("tags[]", "array<string>"),
        ]),
        &plain(&[("dates.year", "integer")]),
        &Feedback::default(),
    );
    assert_eq!(got.len(), 1, "{got:?}");
}

#[test]
fn the_schema_object_name_says_little_in_its_fields() {
    // In a company, `CompanyId` is the company's id, not `AddressId`.
    let source = named(
        "crm.CrmCompany",
        &[
            ("AddressId", "string"),
            ("AddressLine", "string"),
            ("CompanyId", "string"),
            ("Name", "string"),
        ],
    );
    let target = named("Company", &[("id", "string"), ("name", "string")]);
    let out = suggest(
        &source,
        &target,
        &SuggestOptions::default(),
        &Feedback::default(),
    );
    let table = [
        ("CompanyId", "id", true),
        ("AddressId", "id", false),
        ("Name", "name", true),
    ];
    for (s, t, expected) in table {
        assert_eq!(
            confidence(&out, s, t) >= 0.5,
            expected,
            "{s} -> {t}: {out:?}"
        );
    }
}

/// Source fields, target fields, a pair, and whether it is mapped with confidence ≥ 0.5.
type Row<'a> = (&'a [&'a str], &'a [&'a str], (&'a str, &'a str), bool);

#[test]
fn structure_sets_how_sure_a_pair_is() {
    let table: [Row; 9] = [
        // A whole list maps onto the same list.
        (
            &["tags[]", "name"],
            &["tags[]", "name"],
            ("tags[]", "tags[]"),
            true,
        ),
        (
            &["tags[]", "name"],
            &["tags[]", "name"],
            ("name", "name"),
            true,
        ),
        // A target nested far below its source can only be filled field by field.
        (
            &["id", "first_name", "last_name"],
            &[
                "id",
                "Worker.Personal.Name.First_Name",
                "Worker.Personal.Name.Last_Name",
            ],
            ("first_name", "Worker.Personal.Name.First_Name"),
            true,
        ),
        // Words split over segments still meet (`AccountRef.name` / `account_name`).
        (
            &["AccountRef.name", "AccountRef.value", "TxnDate"],
            &["account_name", "account_id", "date"],
            ("AccountRef.name", "account_name"),
            true,
        ),
        // A column meets its own name before a column whose words sit in its table's name.
        (
            &["film_category.film_id", "film_category.category_id"],
            &["film_category.film_id", "film_category.category_id"],
            ("film_category.film_id", "film_category.film_id"),
            true,
        ),
        (
            &["film_category.film_id", "film_category.category_id"],
            &["film_category.film_id", "film_category.category_id"],
            ("film_category.film_id", "film_category.category_id"),
            false,
        ),
        // The same leaf in objects that have nothing in common describes different things.
        (
            &["id", "opportunity.status", "opportunity.stage[].city"],
            &["id", "agency.status", "agency.city"],
            ("opportunity.stage[].city", "agency.city"),
            false,
        ),
        (
            &["id", "agency.status", "agency.city"],
            &["id", "agency_info.status", "agency_info.city"],
            ("agency.city", "agency_info.city"),
            true,
        ),
        // A full name split into a first name is a hint, not a mapping.
        (
            &["full_name"],
            &["display_name", "first_name", "last_name"],
            ("full_name", "last_name"),
            false,
        ),
    ];
    for (src, tgt, (s, t), expected) in table {
        let fields = |names: &[&str]| -> Vec<(String, String)> {
            names
                .iter()
                .map(|n| {
                    let ty = if n.ends_with("[]") {
                        "array<string>"
                    } else {
                        "string"
                    };
                    (n.to_string(), ty.to_string())
                })
                .collect()
        };
        let (a, b) = (fields(src), fields(tgt));
        let as_refs = |v: &[(String, String)]| -> Schema {
            plain(
                &v.iter()
                    .map(|(p, t)| (p.as_str(), t.as_str()))
                    .collect::<Vec<_>>(),
            )
        };
        let out = suggest(
            &as_refs(&a),
            &as_refs(&b),
            &SuggestOptions::default(),
            &Feedback::default(),
        );
        let c = confidence(&out, s, t);
        assert_eq!(c >= 0.5, expected, "{s} -> {t}: {c} in {out:?}");
        assert!(c > 0.0, "{s} -> {t} should at least be a hint: {out:?}");
    }
}

#[test]
fn shared_specific_values_outweigh_differing_names() {
    let titles = || {
        vec![
            json!("The Great Gatsby"),
            json!("To Kill a Mockingbird"),
            json!("The Catcher in the Rye"),
            json!("Moby Dick"),
        ]
    };
    let people = || vec![json!("John Doe"), json!("Jane Smith"), json!("Bob Johnson")];
    let source = schema(&[
        ("Title", "string", titles()),
        ("BorrowerName", "string", people()),
    ]);
    let target = schema(&[
        ("Name", "string", titles()),
        (
            "PName",
            "string",
            vec![json!("JD"), json!("JS"), json!("BJ")],
        ),
    ]);
    let got = mapped(&source, &target, &Feedback::default());
    assert!(
        got.contains(&("Title".to_string(), "Name".to_string())),
        "{got:?}"
    );
}
