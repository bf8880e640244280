//! Tests of the definition model, its schema and its validation, driven by two fixtures: a
//! Stripe-like cursor API and a GitHub-like `Link` header API.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::definition::{Definition, Pagination, json_schema};
use super::validate::{from_value, load, load_json, parse_json, parse_yaml, validate};

const STRIPE: &str = include_str!("fixtures/stripe_like.json");
const GITHUB: &str = include_str!("fixtures/github_like.json");

fn stripe() -> Value {
    serde_json::from_str(STRIPE).unwrap()
}

/// Edits to apply to a fixture (JSON pointer, new value or `None` to remove) and the errors
/// expected afterwards (path, message).
type Case = (
    Vec<(&'static str, Option<Value>)>,
    Vec<(&'static str, &'static str)>,
);

/// Sets (`Some`) or removes (`None`) the member or element at a JSON pointer.
fn edit(doc: &mut Value, pointer: &str, value: Option<Value>) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = doc
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("fixture has no {parent}"));
    match (parent, value) {
        (Value::Object(map), Some(value)) => {
            map.insert(key.to_owned(), value);
        }
        (Value::Object(map), None) => {
            map.remove(key)
                .unwrap_or_else(|| panic!("fixture has no {pointer}"));
        }
        (Value::Array(items), Some(value)) => items[key.parse::<usize>().unwrap()] = value,
        (Value::Array(items), None) => {
            items.remove(key.parse::<usize>().unwrap());
        }
        _ => panic!("{pointer} is not inside an object or array"),
    }
}

/// The errors `load` reports for the Stripe fixture after `edits`, as (path, message) pairs.
fn errors_after(edits: &[(&str, Option<Value>)]) -> Vec<(String, String)> {
    let mut doc = stripe();
    for (pointer, value) in edits {
        edit(&mut doc, pointer, value.clone());
    }
    match load(doc) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| (e.path, e.message)).collect(),
    }
}

fn check(edits: &[(&str, Option<Value>)], expected: &[(&str, &str)]) {
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(p, m)| ((*p).to_owned(), (*m).to_owned()))
        .collect();
    assert_eq!(errors_after(edits), expected, "after {edits:?}");
}

#[test]
fn the_fixtures_are_valid() {
    for (name, text) in [("stripe_like", STRIPE), ("github_like", GITHUB)] {
        let definition = load_json(text).unwrap_or_else(|errors| panic!("{name}: {errors:#?}"));
        assert_eq!(definition.name, name);
    }
    let github = load_json(GITHUB).unwrap();
    assert!(matches!(
        github.streams[0].pagination,
        Pagination::LinkHeader(_)
    ));
}

#[test]
fn a_definition_survives_serialization() {
    for text in [STRIPE, GITHUB] {
        let definition = parse_json(text).unwrap();
        let written = serde_json::to_value(&definition).unwrap();
        assert_eq!(from_value(written).unwrap(), definition);
    }
}

#[test]
fn yaml_reads_like_json() {
    let yaml = serde_norway::to_string(&stripe()).unwrap();
    assert_eq!(parse_yaml(&yaml).unwrap(), parse_json(STRIPE).unwrap());
    let errors = parse_yaml("name: [").unwrap_err();
    assert_eq!(errors[0].path, "");
    assert!(errors[0].message.starts_with("invalid YAML"), "{errors:?}");
}

#[test]
fn the_generated_schema_accepts_the_fixtures_and_rejects_unknown_fields() {
    let schema = json_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for text in [STRIPE, GITHUB] {
        let doc: Value = serde_json::from_str(text).unwrap();
        let problems: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(problems.is_empty(), "{problems:#?}");
    }
    let mut doc = stripe();
    edit(&mut doc, "/streams/0/pagination/bogus", Some(json!(1)));
    assert!(!validator.is_valid(&doc));
    let mut doc = stripe();
    edit(&mut doc, "/streams/0/pagination/cursor_param", None);
    assert!(!validator.is_valid(&doc));
}

/// Every field of every type carries a description: they are the user's documentation.
#[test]
fn every_field_in_the_schema_is_documented() {
    fn walk(schema: &Value, at: &str, missing: &mut Vec<String>) {
        match schema {
            Value::Object(map) => {
                if let Some(Value::Object(properties)) = map.get("properties") {
                    for (name, property) in properties {
                        let is_tag = property.get("const").is_some();
                        if !is_tag && property.get("description").is_none() {
                            missing.push(format!("{at}.{name}"));
                        }
                    }
                }
                for (key, value) in map {
                    walk(value, &format!("{at}/{key}"), missing);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{at}[{i}]"), missing);
                }
            }
            _ => {}
        }
    }
    let mut missing = Vec::new();
    walk(&json_schema(), "", &mut missing);
    assert!(missing.is_empty(), "undocumented: {missing:#?}");
}

#[test]
fn structural_errors_name_the_field() {
    let unknown_stream_field = "unknown field; expected one of `name`, `display_name`, `description`, `request`, `pagination`, `record_path`, `primary_key`, `incremental`, `deletes`, `fields`, `rate_limit`";
    let cases: Vec<Case> = vec![
        (
            vec![("/streams/0/pagination/cursor_path", None)],
            vec![(
                "streams[0].pagination.cursor_path",
                "required when type is \"cursor\"",
            )],
        ),
        (vec![("/name", None)], vec![("name", "required")]),
        (
            vec![("/streams/0/bogus", Some(json!(1)))],
            vec![("streams[0].bogus", unknown_stream_field)],
        ),
        (
            vec![("/streams/0/pagination/bogus", Some(json!(1)))],
            vec![(
                "streams[0].pagination.bogus",
                "unknown field; expected one of `cursor_path`, `cursor_source`, `cursor_param`, `cursor_in`, `has_more_path`",
            )],
        ),
        (
            vec![("/streams/0/pagination/type", Some(json!("pages")))],
            vec![(
                "streams[0].pagination.type",
                "unknown variant `pages`, expected one of `none`, `cursor`, `next_url`, `link_header`, `offset`, `page_number`",
            )],
        ),
        (
            vec![("/streams/0/pagination/type", None)],
            vec![("streams[0].pagination.type", "required")],
        ),
        (
            vec![("/streams/0/pagination/cursor_path", Some(json!(5)))],
            vec![(
                "streams[0].pagination.cursor_path",
                "invalid type: integer `5`, expected a string",
            )],
        ),
        (
            vec![("/auth", Some(json!({"type": "api_key", "in": "header"})))],
            vec![("auth.name", "required when type is \"api_key\"")],
        ),
        (
            vec![("/auth", Some(json!({"type": "bearer", "token": "sk_live"})))],
            vec![("auth.token", "unknown field; this object takes no fields")],
        ),
        (
            vec![(
                "/auth",
                Some(json!({"type": "api_key", "in": "cookie", "name": "k"})),
            )],
            vec![(
                "auth.in",
                "unknown variant `cookie`, expected `header` or `query`",
            )],
        ),
        (
            vec![("/category", Some(json!("banking")))],
            vec![(
                "category",
                "unknown variant `banking`, expected one of `payments`, `accounting`, `crm`, `e_signature`, `messaging`, `email`, `social`, `commerce`, `dev_tools`, `other`",
            )],
        ),
        (
            vec![("/webhooks/event_type", Some(json!({"type": "header"})))],
            vec![(
                "webhooks.event_type.name",
                "required when type is \"header\"",
            )],
        ),
        (
            vec![(
                "/streams/0/incremental/since",
                Some(json!({"type": "filter", "param": "q"})),
            )],
            vec![(
                "streams[0].incremental.since.template",
                "required when type is \"filter\"",
            )],
        ),
        // A tagged enum inside a tagged enum: the path goes through both.
        (
            vec![(
                "/streams/0/deletes",
                Some(json!({
                    "type": "endpoint",
                    "request": {"path": "/v1/deleted"},
                    "primary_key": ["id"],
                    "pagination": {"type": "offset", "limit": "many"}
                })),
            )],
            vec![(
                "streams[0].deletes.pagination.limit",
                "invalid type: string \"many\", expected u32",
            )],
        ),
        (
            vec![("/streams/1/fields/2/type", Some(json!("money")))],
            vec![(
                "streams[1].fields[2].type",
                "unknown variant `money`, expected one of `string`, `integer`, `number`, `boolean`, `date`, `datetime`, `object`, `array`",
            )],
        ),
        (
            vec![("/check/method", Some(json!("get")))],
            vec![(
                "check.method",
                "unknown variant `get`, expected one of `GET`, `POST`, `PUT`, `PATCH`, `DELETE`",
            )],
        ),
    ];
    for (edits, expected) in cases {
        check(&edits, &expected);
    }
}

#[test]
fn documents_that_are_not_definitions_are_refused_at_the_root() {
    let errors = parse_json("{").unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].path, "");
    assert_eq!(
        errors[0].message,
        "invalid JSON: EOF while parsing an object at line 1 column 1"
    );
    let errors = from_value(json!(5)).unwrap_err();
    assert_eq!(
        (errors[0].path.as_str(), errors[0].message.as_str()),
        ("", "invalid type: integer `5`, expected struct Definition")
    );
    assert_eq!(
        errors[0].to_string(),
        "invalid type: integer `5`, expected struct Definition"
    );
}

/// An unknown field inside each variant of each tagged enum is reported at its own path.
#[test]
fn every_tagged_variant_reports_inner_paths() {
    let variants: Vec<(&str, &str, Value)> = vec![
        (
            "/auth",
            "auth",
            json!({"type": "oauth2_authorization_code", "authorize_url": "https://a.example/a", "token_url": "https://a.example/t"}),
        ),
        (
            "/auth",
            "auth",
            json!({"type": "oauth2_client_credentials", "token_url": "https://a.example/t"}),
        ),
        (
            "/auth",
            "auth",
            json!({"type": "api_key", "in": "query", "name": "key"}),
        ),
        ("/auth", "auth", json!({"type": "basic"})),
        ("/auth", "auth", json!({"type": "bearer"})),
        ("/auth", "auth", json!({"type": "none"})),
        (
            "/streams/0/pagination",
            "streams[0].pagination",
            json!({"type": "none"}),
        ),
        (
            "/streams/0/pagination",
            "streams[0].pagination",
            json!({"type": "cursor", "cursor_path": "a", "cursor_param": "b"}),
        ),
        (
            "/streams/0/pagination",
            "streams[0].pagination",
            json!({"type": "next_url", "next_url_path": "next"}),
        ),
        (
            "/streams/0/pagination",
            "streams[0].pagination",
            json!({"type": "link_header"}),
        ),
        (
            "/streams/0/pagination",
            "streams[0].pagination",
            json!({"type": "offset", "limit": 10}),
        ),
        (
            "/streams/0/pagination",
            "streams[0].pagination",
            json!({"type": "page_number"}),
        ),
        (
            "/streams/0/incremental/since",
            "streams[0].incremental.since",
            json!({"type": "query_param", "name": "since"}),
        ),
        (
            "/streams/0/incremental/since",
            "streams[0].incremental.since",
            json!({"type": "filter", "param": "q", "template": "{since}"}),
        ),
        (
            "/streams/0/incremental/since",
            "streams[0].incremental.since",
            json!({"type": "body_field", "path": "a"}),
        ),
        (
            "/streams/0/incremental/since",
            "streams[0].incremental.since",
            json!({"type": "header", "name": "If-Modified-Since"}),
        ),
        (
            "/streams/0/incremental/since",
            "streams[0].incremental.since",
            json!({"type": "delta_url", "path": "['@odata.deltaLink']"}),
        ),
        (
            "/streams/0/deletes",
            "streams[0].deletes",
            json!({"type": "endpoint", "request": {"path": "/d"}, "primary_key": ["id"]}),
        ),
        (
            "/streams/0/deletes",
            "streams[0].deletes",
            json!({"type": "tombstone", "field": "deleted"}),
        ),
        (
            "/streams/0/deletes",
            "streams[0].deletes",
            json!({"type": "full_scan"}),
        ),
        (
            "/webhooks/event_type",
            "webhooks.event_type",
            json!({"type": "body", "path": "type"}),
        ),
        (
            "/webhooks/event_id",
            "webhooks.event_id",
            json!({"type": "header", "name": "X-Id"}),
        ),
    ];
    for (pointer, path, mut value) in variants {
        value["bogus"] = json!(true);
        let mut doc = stripe();
        edit(&mut doc, pointer, Some(value.clone()));
        let errors = from_value(doc).unwrap_err();
        assert_eq!(errors[0].path, format!("{path}.bogus"), "{value}");
        assert!(errors[0].message.starts_with("unknown field"), "{errors:?}");
    }
}

#[test]
fn semantic_errors_name_the_field() {
    let slug =
        "must be lowercase letters, digits and `_`, starting with a letter (at most 64 characters)";
    let cases: Vec<Case> = vec![
        // identity
        (vec![("/name", Some(json!("Stripe")))], vec![("name", slug)]),
        (
            vec![("/version", Some(json!("1.0")))],
            vec![("version", "must be `major.minor.patch`, e.g. `1.0.0`")],
        ),
        (
            vec![("/display_name", Some(json!(" ")))],
            vec![("display_name", "must not be empty")],
        ),
        (
            vec![("/docs_url", Some(json!("docs.stripe.com")))],
            vec![(
                "docs_url",
                "not a valid absolute URL (relative URL without a base)",
            )],
        ),
        // URLs and placeholders
        (
            vec![("/base_url", Some(json!("https://{shop}.myshopify.com")))],
            vec![("base_url", "placeholder `{shop}` is not a declared setting")],
        ),
        (
            vec![
                (
                    "/settings",
                    Some(json!([{"name": "shop", "required": false}])),
                ),
                ("/base_url", Some(json!("https://{shop}.myshopify.com"))),
            ],
            vec![(
                "base_url",
                "placeholder `{shop}` uses an optional setting without a default",
            )],
        ),
        (
            vec![
                (
                    "/settings",
                    Some(json!([{"name": "instance_url", "format": "url"}])),
                ),
                (
                    "/base_url",
                    Some(json!("{instance_url}/services/data/v61.0")),
                ),
            ],
            vec![],
        ),
        (
            vec![("/base_url", Some(json!("ftp://api.stripe.com")))],
            vec![("base_url", "must be an http or https URL")],
        ),
        (
            vec![("/base_url", Some(json!("https://api.stripe.com/?v=1")))],
            vec![("base_url", "must not have a query string or a fragment")],
        ),
        (
            vec![(
                "/sandbox_base_url",
                Some(json!("https://{region}.stripe.test")),
            )],
            vec![(
                "sandbox_base_url",
                "placeholder `{region}` is not a declared setting",
            )],
        ),
        (
            vec![(
                "/settings",
                Some(json!([{"name": "page"}, {"name": "page"}])),
            )],
            vec![
                (
                    "settings[0].name",
                    "`page` is reserved for a value Patchbay fills",
                ),
                (
                    "settings[1].name",
                    "`page` is reserved for a value Patchbay fills",
                ),
                ("settings[1].name", "duplicate setting `page`"),
            ],
        ),
        (
            vec![("/headers/Bad Header", Some(json!("{version}")))],
            vec![
                ("headers.Bad Header", "not a valid header name"),
                (
                    "headers.Bad Header",
                    "placeholder `{version}` is not a declared setting",
                ),
            ],
        ),
        (
            vec![(
                "/streams/0/request/path",
                Some(json!("/v1/{account}/customers")),
            )],
            vec![(
                "streams[0].request.path",
                "placeholder `{account}` is not a declared setting",
            )],
        ),
        (
            vec![(
                "/streams/0/request/path",
                Some(json!("/v1/customers?limit=3")),
            )],
            vec![(
                "streams[0].request.path",
                "must not hold a query string or fragment (use `query`)",
            )],
        ),
        (
            vec![("/streams/0/request/path", Some(json!("v1/customers")))],
            vec![("streams[0].request.path", "must start with `/`")],
        ),
        (
            vec![("/streams/0/request/query/limit", Some(json!("{limit")))],
            vec![(
                "streams[0].request.query.limit",
                "invalid template: unclosed `{` at byte 0",
            )],
        ),
        (
            vec![(
                "/streams/0/request/path",
                Some(json!("/v1/customers/{record.id}")),
            )],
            vec![(
                "streams[0].request.path",
                "placeholder `{record.id}` is only filled in actions",
            )],
        ),
        (
            vec![("/streams/0/request/query/q", Some(json!("{since}")))],
            vec![(
                "streams[0].request.query.q",
                "placeholder `{since}` is only filled in an incremental `filter` template",
            )],
        ),
        (
            vec![("/check/query", Some(json!({"expand[]": "{offset}"})))],
            vec![(
                "check.query.expand[]",
                "placeholder `{offset}` is only filled by offset pagination",
            )],
        ),
        // requests
        (
            vec![("/streams/0/request/body", Some(json!({"a": 1})))],
            vec![(
                "streams[0].request.body",
                "a GET request cannot have a body",
            )],
        ),
        (
            vec![("/actions/0/request/body", Some(json!(["{record.email}"])))],
            vec![(
                "actions[0].request.body",
                "a form body must be a JSON object",
            )],
        ),
        // streams
        (
            vec![("/streams/1/name", Some(json!("customers")))],
            vec![
                ("streams[1].name", "duplicate stream name `customers`"),
                ("webhooks.events[3].stream", "unknown stream `invoices`"),
                ("webhooks.events[4].stream", "unknown stream `invoices`"),
            ],
        ),
        (
            vec![("/streams/0/primary_key", Some(json!(["uid"])))],
            vec![("streams[0].primary_key[0]", "`uid` is not a declared field")],
        ),
        (
            vec![("/streams/0/primary_key", Some(json!([])))],
            vec![("streams[0].primary_key", "declare at least one field")],
        ),
        (
            vec![(
                "/streams/0/incremental/cursor_field",
                Some(json!("updated")),
            )],
            vec![(
                "streams[0].incremental.cursor_field",
                "`updated` is not a declared field",
            )],
        ),
        (
            vec![("/streams/0/incremental/format", Some(json!("iso8601")))],
            vec![(
                "streams[0].incremental.format",
                "differs from the time_format of field `created` (unix_seconds)",
            )],
        ),
        (
            vec![("/streams/0/fields/3/path", Some(json!("id")))],
            vec![("streams[0].fields[3].path", "duplicate field `id`")],
        ),
        (
            vec![("/streams/0/fields/1/time_format", Some(json!("iso8601")))],
            vec![(
                "streams[0].fields[1].time_format",
                "only applies to `datetime` fields",
            )],
        ),
        (
            vec![("/streams/0/record_path", Some(json!("data..items")))],
            vec![(
                "streams[0].record_path",
                "invalid path: empty key at byte 5",
            )],
        ),
        // pagination kinds
        (
            vec![(
                "/streams/0/pagination",
                Some(json!({"type": "offset", "limit": 100})),
            )],
            vec![
                (
                    "streams[0].pagination.offset_param",
                    "required unless the request uses {offset}",
                ),
                (
                    "streams[0].pagination.limit_param",
                    "required unless the request uses {limit}",
                ),
            ],
        ),
        (
            vec![
                (
                    "/streams/0/pagination",
                    Some(json!({"type": "offset", "limit": 0, "limit_param": "limit"})),
                ),
                ("/streams/0/request/query/offset", Some(json!("{offset}"))),
            ],
            vec![("streams[0].pagination.limit", "must be at least 1")],
        ),
        (
            vec![(
                "/streams/0/pagination",
                Some(
                    json!({"type": "page_number", "page_param": "page", "page_size_param": "per_page", "start_page": 2}),
                ),
            )],
            vec![
                (
                    "streams[0].pagination.page_size",
                    "required when page_size_param is set",
                ),
                ("streams[0].pagination.start_page", "must be 0 or 1"),
            ],
        ),
        (
            vec![
                (
                    "/streams/0/pagination",
                    Some(json!({"type": "page_number"})),
                ),
                (
                    "/streams/0/request/query/page_size",
                    Some(json!("{page_size}")),
                ),
            ],
            vec![
                (
                    "streams[0].request.query.page_size",
                    "placeholder `{page_size}` needs `pagination.page_size`",
                ),
                (
                    "streams[0].pagination.page_param",
                    "required unless the request uses {page}",
                ),
            ],
        ),
        (
            vec![("/streams/0/pagination/cursor_in", Some(json!("body")))],
            vec![(
                "streams[0].pagination.cursor_in",
                "the request has no JSON object body to send the cursor in",
            )],
        ),
        (
            vec![(
                "/streams/0/pagination",
                Some(json!({"type": "next_url", "next_url_path": "links..next"})),
            )],
            vec![(
                "streams[0].pagination.next_url_path",
                "invalid path: empty key at byte 6",
            )],
        ),
        // incremental "since" kinds
        (
            vec![(
                "/streams/0/incremental/since",
                Some(json!({"type": "filter", "param": "q", "template": "created>0"})),
            )],
            vec![("streams[0].incremental.since.template", "must use {since}")],
        ),
        (
            vec![
                (
                    "/streams/0/pagination",
                    Some(json!({"type": "offset", "limit": 100, "limit_param": "limit"})),
                ),
                (
                    "/streams/0/request/query/q",
                    Some(json!("select * STARTPOSITION {offset}")),
                ),
                (
                    "/streams/0/incremental/since",
                    Some(
                        json!({"type": "filter", "param": "q", "template": "select * where t > '{since}'"}),
                    ),
                ),
            ],
            vec![(
                "streams[0].incremental.since.template",
                "must use {offset} like the request's `q` it replaces",
            )],
        ),
        (
            vec![(
                "/streams/0/incremental/since",
                Some(json!({"type": "body_field", "path": "filters[0].value"})),
            )],
            vec![(
                "streams[0].incremental.since.path",
                "the request has no JSON object body to set it in",
            )],
        ),
        (
            vec![(
                "/streams/0/incremental/since",
                Some(json!({"type": "header", "name": "If Modified Since"})),
            )],
            vec![(
                "streams[0].incremental.since.name",
                "not a valid header name",
            )],
        ),
        // deletes
        (
            vec![(
                "/streams/0/deletes",
                Some(json!({"type": "tombstone", "field": "deleted"})),
            )],
            vec![(
                "streams[0].deletes.field",
                "`deleted` is not a declared field",
            )],
        ),
        (
            vec![(
                "/streams/0/deletes",
                Some(
                    json!({"type": "endpoint", "request": {"path": "/v1/deleted/{since}"}, "primary_key": ["id", "object"]}),
                ),
            )],
            vec![
                (
                    "streams[0].deletes.request.path",
                    "placeholder `{since}` is only filled in an incremental `filter` template",
                ),
                (
                    "streams[0].deletes.primary_key",
                    "must have as many paths as the stream's primary_key (1)",
                ),
            ],
        ),
        // actions
        (
            vec![("/actions/1/name", Some(json!("create_customer")))],
            vec![("actions[1].name", "duplicate action name `create_customer`")],
        ),
        (
            vec![("/actions/0/stream", Some(json!("clients")))],
            vec![("actions[0].stream", "unknown stream `clients`")],
        ),
        (
            vec![(
                "/actions/1/request/path",
                Some(json!("/v1/customers/{record.uid}")),
            )],
            vec![(
                "actions[1].request.path",
                "placeholder `{record.uid}` names no declared field of stream `customers`",
            )],
        ),
        (
            vec![(
                "/actions/0/request/body/zip",
                Some(json!("{record.address}")),
            )],
            vec![],
        ),
        (
            vec![("/actions/0/id_path", None)],
            vec![("actions[0].id_path", "required when kind is \"create\"")],
        ),
        (
            vec![
                ("/streams", Some(json!([]))),
                ("/actions", Some(json!([]))),
                ("/webhooks", None),
            ],
            vec![("streams", "declare at least one stream or action")],
        ),
        // auth kinds
        (
            vec![(
                "/auth",
                Some(json!({"type": "api_key", "in": "header", "name": "X Key"})),
            )],
            vec![("auth.name", "not a valid header name")],
        ),
        (
            vec![
                (
                    "/settings",
                    Some(json!([{"name": "instance_url", "format": "url"}])),
                ),
                (
                    "/auth",
                    Some(json!({
                        "type": "oauth2_authorization_code",
                        "authorize_url": "{instance_url}/services/oauth2/authorize",
                        "token_url": "https://login.salesforce.com/services/oauth2/token",
                        "scopes": ["api", "refresh token"],
                        "settings_from_token_response": {"instance_url": "instance_url", "org": "id"}
                    })),
                ),
            ],
            vec![
                (
                    "auth.authorize_url",
                    "placeholder `{instance_url}` is filled by OAuth only after this step",
                ),
                ("auth.scopes[1]", "must be non-empty without spaces"),
                (
                    "auth.settings_from_token_response.org",
                    "`org` is not a declared setting",
                ),
            ],
        ),
        (
            vec![(
                "/auth",
                Some(json!({
                    "type": "oauth2_client_credentials",
                    "token_url": "https://{tenant}.example.com/token",
                    "token_placement": {"header": "", "prefix": ""}
                })),
            )],
            vec![
                (
                    "auth.token_url",
                    "placeholder `{tenant}` is not a declared setting",
                ),
                ("auth.token_placement.header", "not a valid header name"),
            ],
        ),
        (
            vec![(
                "/rate_limit",
                Some(json!({"requests": 0, "per": "second", "burst": 0})),
            )],
            vec![
                ("rate_limit.requests", "must be at least 1"),
                ("rate_limit.burst", "must be at least 1"),
            ],
        ),
        // webhooks
        (
            vec![("/webhooks/events/0/stream", Some(json!("charges")))],
            vec![("webhooks.events[0].stream", "unknown stream `charges`")],
        ),
        (
            vec![(
                "/webhooks/events/1/event_type",
                Some(json!("customer.created")),
            )],
            vec![(
                "webhooks.events[1].event_type",
                "duplicate event type `customer.created`",
            )],
        ),
        (
            vec![(
                "/webhooks/signature/signed_payload",
                Some(json!("{timestamp}.{raw}")),
            )],
            vec![
                (
                    "webhooks.signature.signed_payload",
                    "placeholder `{raw}` is not one of {body}, {timestamp}, {method}, {url}",
                ),
                ("webhooks.signature.signed_payload", "must use {body}"),
            ],
        ),
        (
            vec![("/webhooks/signature/timestamp", None)],
            vec![(
                "webhooks.signature.timestamp",
                "required when signed_payload uses {timestamp}",
            )],
        ),
        (
            vec![(
                "/webhooks/signature/timestamp/header",
                Some(json!("X-Timestamp")),
            )],
            vec![(
                "webhooks.signature.timestamp",
                "set only one of `header` and `signature_key`",
            )],
        ),
        (
            vec![("/webhooks/signature/signature_key", None)],
            vec![(
                "webhooks.signature.timestamp.signature_key",
                "needs a key=value signature header (set signature.signature_key)",
            )],
        ),
        (
            vec![("/webhooks/signature/secret", Some(json!("client_secret")))],
            vec![(
                "webhooks.signature.secret",
                "`client_secret` needs an OAuth 2.0 auth type",
            )],
        ),
        (
            vec![("/webhooks/events", Some(json!([])))],
            vec![("webhooks.events", "declare at least one event type")],
        ),
    ];
    for (edits, expected) in cases {
        check(&edits, &expected);
    }
}

#[test]
fn validation_reports_every_problem_at_once() {
    let mut doc = stripe();
    edit(&mut doc, "/name", Some(json!("Bad Name")));
    edit(&mut doc, "/streams/0/primary_key", Some(json!(["nope"])));
    edit(&mut doc, "/webhooks/events/0/stream", Some(json!("nope")));
    let definition: Definition = from_value(doc).unwrap();
    let paths: Vec<String> = validate(&definition).into_iter().map(|e| e.path).collect();
    assert_eq!(
        paths,
        [
            "name",
            "streams[0].primary_key[0]",
            "webhooks.events[0].stream"
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Parsing and validation never panic.

/// Keys the definition uses, so random documents often reach deep into the model.
const KEYS: &[&str] = &[
    "name",
    "display_name",
    "category",
    "version",
    "base_url",
    "auth",
    "type",
    "check",
    "path",
    "streams",
    "request",
    "pagination",
    "cursor_path",
    "cursor_param",
    "primary_key",
    "fields",
    "incremental",
    "cursor_field",
    "format",
    "since",
    "deletes",
    "actions",
    "kind",
    "stream",
    "webhooks",
    "signature",
    "events",
    "settings",
    "query",
    "body",
    "limit",
    "template",
    "param",
];

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(KEYS).prop_map(Value::from),
        "[a-z{}._'\\[\\]0-9/:é ]{0,16}".prop_map(Value::from),
    ];
    let key = prop_oneof![
        prop::sample::select(KEYS).prop_map(str::to_owned),
        "[a-z_]{0,6}"
    ];
    leaf.prop_recursive(5, 96, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer of a document.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                pointers(item, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointers(item, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn parse_and_validate(value: Value) {
    if let Ok(definition) = from_value(value) {
        let _ = validate(&definition);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_json_never_panics(value in arbitrary_json()) {
        parse_and_validate(value);
    }

    #[test]
    fn a_corrupted_fixture_never_panics(
        which in any::<prop::sample::Index>(),
        fixture in prop::bool::ANY,
        replacement in prop::option::of(arbitrary_json()),
    ) {
        let mut doc: Value = serde_json::from_str(if fixture { STRIPE } else { GITHUB }).unwrap();
        let mut all = Vec::new();
        pointers(&doc, String::new(), &mut all);
        let pointer = all[which.index(all.len())].clone();
        if pointer.is_empty() {
            doc = replacement.unwrap_or(Value::Null);
        } else {
            edit(&mut doc, &pointer, replacement);
        }
        parse_and_validate(doc);
    }

    #[test]
    fn templates_and_paths_never_panic(text in "\\PC{0,40}") {
        let _ = super::template::parse(&text);
        let _ = super::path::JsonPath::parse(&text);
    }
}
