//! Connectors over GraphQL: registering definitions at run time, validation errors with
//! paths, workspace isolation, and the built-in catalogue.

use serde_json::{Value, json};

use crate::helpers::{error_codes, spawn_app};

const STRIPE_LIKE: &str = include_str!("../../src/connectors/fixtures/stripe_like.json");

const REGISTER: &str = "mutation($d: JSON!) { registerConnector(definition: $d) {
    name displayName category builtIn authType streams { name primaryKey incremental fields { path type } }
    actions { name kind stream } hasWebhooks definition } }";

fn definition(name: &str) -> Value {
    let mut value: Value = serde_json::from_str(STRIPE_LIKE).unwrap();
    value["name"] = json!(name);
    value
}

#[tokio::test]
async fn a_connector_registered_at_run_time_is_usable_at_once_and_round_trips() {
    let app = spawn_app().await;
    let (_, body) = app
        .graphql(REGISTER, json!({ "d": definition("acme_billing") }))
        .await;
    let connector = &body["data"]["registerConnector"];
    assert_eq!(connector["name"], "acme_billing", "{body}");
    assert_eq!(connector["builtIn"], false);
    assert!(!connector["streams"].as_array().unwrap().is_empty());

    let (_, body) = app
        .graphql(
            "query($n: String!) { connector(name: $n) { name definition } }",
            json!({ "n": "acme_billing" }),
        )
        .await;
    let stored = &body["data"]["connector"]["definition"];
    let again: Value = serde_json::from_value(stored.clone()).unwrap();
    assert_eq!(again["name"], "acme_billing");
    let (_, body) = app
        .graphql(
            "query($d: JSON!) { validateConnectorDefinition(definition: $d) { path } }",
            json!({ "d": stored }),
        )
        .await;
    assert_eq!(
        body["data"]["validateConnectorDefinition"],
        json!([]),
        "the served definition is valid as is"
    );

    let (_, body) = app
        .graphql(REGISTER, json!({ "d": definition("acme_billing") }))
        .await;
    assert_eq!(error_codes(&body), ["CONFLICT"]);

    let mut changed = definition("acme_billing");
    changed["display_name"] = json!("Acme Billing v2");
    let (_, body) = app
        .graphql("mutation($d: JSON!) { updateConnector(name: \"acme_billing\", definition: $d) { displayName } }", json!({ "d": changed }))
        .await;
    assert_eq!(
        body["data"]["updateConnector"]["displayName"], "Acme Billing v2",
        "{body}"
    );
    let (_, body) = app
        .graphql("mutation($d: JSON!) { updateConnector(name: \"acme_billing\", definition: $d) { name } }", json!({ "d": definition("renamed") }))
        .await;
    assert_eq!(error_codes(&body), ["INVALID_INPUT"]);

    let (_, body) = app
        .graphql(
            "mutation { deleteConnector(name: \"acme_billing\") }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["deleteConnector"], "acme_billing");
    let (_, body) = app
        .graphql("{ connector(name: \"acme_billing\") { name } }", json!({}))
        .await;
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);
}

#[tokio::test]
async fn a_definition_may_be_sent_as_yaml_text() {
    let app = spawn_app().await;
    let yaml = serde_norway::to_string(&definition("yaml_shop")).unwrap();
    assert!(
        !yaml.trim_start().starts_with('{'),
        "block-style YAML: {yaml}"
    );
    let (_, body) = app.graphql(REGISTER, json!({ "d": yaml })).await;
    assert_eq!(
        body["data"]["registerConnector"]["name"], "yaml_shop",
        "{body}"
    );
}

#[tokio::test]
async fn invalid_definitions_are_refused_with_the_offending_path() {
    let app = spawn_app().await;
    let with = |change: &dyn Fn(&mut Value)| {
        let mut d = definition("broken");
        change(&mut d);
        d
    };
    let cases: Vec<(Value, &str)> = vec![
        (with(&|d| d["colour"] = json!("blue")), "colour"),
        (
            with(&|d| {
                d.as_object_mut().unwrap().remove("display_name");
            }),
            "display_name",
        ),
        (with(&|d| d["name"] = json!("Not A Slug")), "name"),
        (with(&|d| d["base_url"] = json!("not a url")), "base_url"),
        (
            with(&|d| d["base_url"] = json!("https://{shop}.example.com")),
            "base_url",
        ),
        (
            with(&|d| {
                let s = d["streams"][0].clone();
                d["streams"].as_array_mut().unwrap().push(s);
            }),
            "streams[2].name",
        ),
        (
            with(&|d| d["streams"][0]["primary_key"] = json!(["no_such_field"])),
            "streams[0].primary_key[0]",
        ),
        (
            with(&|d| d["streams"][0]["pagination"] = json!({ "type": "cursor" })),
            "streams[0].pagination",
        ),
    ];
    for (broken, expected_path) in cases {
        let (_, body) = app.graphql(REGISTER, json!({ "d": broken })).await;
        assert_eq!(
            error_codes(&body),
            ["INVALID_INPUT"],
            "{expected_path}: {body}"
        );
        let path = body["errors"][0]["extensions"]["path"]
            .as_str()
            .unwrap_or_default();
        assert!(
            path.starts_with(expected_path),
            "expected a path at {expected_path}, got {path}: {body}"
        );
        assert!(
            body["errors"][0]["extensions"]["errors"]
                .as_array()
                .is_some_and(|e| !e.is_empty())
        );

        let (_, body) = app
            .graphql(
                "query($d: JSON!) { validateConnectorDefinition(definition: $d) { path message } }",
                json!({ "d": broken }),
            )
            .await;
        let errors = body["data"]["validateConnectorDefinition"]
            .as_array()
            .unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e["path"].as_str().unwrap().starts_with(expected_path)),
            "{body}"
        );
    }
    let (_, body) = app
        .graphql(
            "{ connectors(search: \"broken\") { edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["connectors"]["edges"],
        json!([]),
        "nothing invalid was saved"
    );
}

#[tokio::test]
async fn a_custom_connector_is_visible_only_in_its_workspace() {
    let app = spawn_app().await;
    app.graphql(REGISTER, json!({ "d": definition("private_crm") }))
        .await;
    let other = app.key_in_new_workspace("other").await;
    let (_, body) = app
        .graphql_as(
            &other,
            "{ connector(name: \"private_crm\") { name } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);
    let (_, body) = app
        .graphql_as(
            &other,
            "{ connectors(search: \"private\") { edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["connectors"]["edges"], json!([]));
    for query in [
        "mutation { deleteConnector(name: \"private_crm\") }",
        "mutation($d: JSON!) { updateConnector(name: \"private_crm\", definition: $d) { name } }",
    ] {
        let (_, body) = app
            .graphql_as(&other, query, json!({ "d": definition("private_crm") }))
            .await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{query}: {body}");
    }
    let (_, body) = app
        .graphql_as(&other, REGISTER, json!({ "d": definition("private_crm") }))
        .await;
    assert!(
        body.get("errors").is_none(),
        "the same name is free in another workspace: {body}"
    );
}

#[tokio::test]
async fn browsing_needs_connectors_read_and_registering_needs_connectors_write() {
    let app = spawn_app().await;
    let (_, body) = app
        .graphql("mutation { createApiKey(input: {name: \"r\", scopes: [\"connectors:read\"]}) { secret } }", json!({}))
        .await;
    let reader = body["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, body) = app
        .graphql_as(
            &reader,
            "{ connectors { edges { cursor } } connectorDefinitionSchema }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert!(body["data"]["connectorDefinitionSchema"]["properties"]["streams"].is_object());
    let (_, body) = app
        .graphql_as(&reader, REGISTER, json!({ "d": definition("nope") }))
        .await;
    assert_eq!(error_codes(&body), ["FORBIDDEN"]);
}

#[tokio::test]
async fn connectors_are_listed_by_name_with_filters_and_pages() {
    let app = spawn_app().await;
    for name in ["zeta_pay", "alpha_pay", "mid_pay"] {
        app.graphql(REGISTER, json!({ "d": definition(name) }))
            .await;
    }
    let page = "query($after: String) { connectors(search: \"_pay\", first: 2, after: $after) {
        edges { node { name } } pageInfo { hasNextPage endCursor } } }";
    let (_, body) = app.graphql(page, json!({})).await;
    let names: Vec<&str> = body["data"]["connectors"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha_pay", "mid_pay"]);
    assert_eq!(body["data"]["connectors"]["pageInfo"]["hasNextPage"], true);
    let after = body["data"]["connectors"]["pageInfo"]["endCursor"].clone();
    let (_, body) = app.graphql(page, json!({ "after": after })).await;
    assert_eq!(
        body["data"]["connectors"]["edges"],
        json!([{ "node": { "name": "zeta_pay" } }])
    );

    let category = definition("x")["category"].as_str().unwrap().to_owned();
    let (_, body) = app
        .graphql("query($c: String!) { connectors(category: $c, search: \"_pay\") { edges { node { name category } } } }", json!({ "c": category }))
        .await;
    assert_eq!(
        body["data"]["connectors"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let (_, body) = app
        .graphql(
            "{ connectors(category: \"no_such\", search: \"_pay\") { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["connectors"]["edges"], json!([]));
}

#[tokio::test]
async fn the_built_in_catalogue_is_listed_and_a_built_in_can_be_copied_and_adapted() {
    let app = spawn_app().await;
    let (_, body) = app
        .graphql(
            "{ connectors(first: 100) { edges { node { name builtIn category } } } }",
            json!({}),
        )
        .await;
    let built_ins: Vec<&str> = body["data"]["connectors"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["builtIn"] == true)
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(built_ins.len(), 15, "{built_ins:?}");

    let (_, body) = app
        .graphql("{ connector(name: \"stripe\") { authType streams { name incremental } actions { kind } definition } }", json!({}))
        .await;
    let stripe = &body["data"]["connector"];
    let streams: Vec<&str> = stripe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for stream in [
        "customers",
        "invoices",
        "charges",
        "subscriptions",
        "payment_intents",
        "products",
    ] {
        assert!(streams.contains(&stream), "{stream} in {streams:?}");
    }
    assert!(
        stripe["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "create")
    );

    let (_, body) = app
        .graphql(REGISTER, json!({ "d": stripe["definition"] }))
        .await;
    assert_eq!(
        error_codes(&body),
        ["CONFLICT"],
        "built-in names are taken: {body}"
    );
    let mut copy = stripe["definition"].clone();
    copy["name"] = json!("stripe_eu");
    copy["display_name"] = json!("Stripe (EU account)");
    let (_, body) = app.graphql(REGISTER, json!({ "d": copy })).await;
    assert_eq!(
        body["data"]["registerConnector"]["name"], "stripe_eu",
        "{body}"
    );
    let (_, body) = app
        .graphql("mutation { deleteConnector(name: \"stripe\") }", json!({}))
        .await;
    assert_eq!(
        error_codes(&body),
        ["FORBIDDEN"],
        "built-ins cannot be deleted"
    );
    let (_, body) = app
        .graphql(
            "{ connectors(category: \"crm\") { edges { node { name } } } }",
            json!({}),
        )
        .await;
    let crm: Vec<&str> = body["data"]["connectors"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert!(
        crm.contains(&"hubspot") && crm.contains(&"salesforce"),
        "{crm:?}"
    );
}
