//! Field-mapping suggestions over GraphQL: inputs, learning from feedback, scopes, isolation.

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes, spawn_app};

const SUGGEST: &str = "query($source: SchemaInput!, $target: SchemaInput!) {
    suggestFieldMappings(source: $source, target: $target) { source target confidence reason transform } }";

const FEEDBACK: &str = "mutation($input: MappingFeedbackInput!) {
    recordMappingFeedback(input: $input) { sourcePath targetPath accepted rejected } }";

fn hubspot() -> Value {
    json!({ "name": "hubspot.Contact", "fields": [
        { "path": "properties.firstname", "type": "string", "samples": ["Ada", "Grace"] },
        { "path": "properties.lastname", "type": "string", "samples": ["Lovelace", "Hopper"] },
        { "path": "properties.email", "type": "string", "samples": ["ADA@EXAMPLE.COM"] },
        { "path": "properties.zip", "type": "string", "samples": ["94107"] },
        { "path": "properties.annualrevenue", "type": "string", "samples": ["120000.50"] }
    ]})
}

fn salesforce() -> Value {
    json!({ "name": "salesforce.Contact", "fields": [
        { "path": "FirstName", "type": "string" },
        { "path": "LastName", "type": "string" },
        { "path": "Email", "type": "email" },
        { "path": "MailingPostalCode", "type": "string" },
        { "path": "AnnualRevenue", "type": "number" }
    ]})
}

/// The (source, target) pairs suggested with confidence ≥ 0.5.
async fn mapped(app: &TestApp, key: &str, source: Value, target: Value) -> Vec<(String, String)> {
    let (status, body) = app
        .graphql_as(key, SUGGEST, json!({ "source": source, "target": target }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["suggestFieldMappings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["confidence"].as_f64().unwrap() >= 0.5)
        .map(|s| {
            (
                s["source"].as_str().unwrap().to_owned(),
                s["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(source: &str, target: &str) -> (String, String) {
    (source.to_owned(), target.to_owned())
}

#[tokio::test]
async fn suggestions_pair_crm_fields_with_reasons_and_transforms() {
    let app = spawn_app().await;
    let (_, body) = app
        .graphql(
            SUGGEST,
            json!({ "source": hubspot(), "target": salesforce() }),
        )
        .await;
    let suggestions = body["data"]["suggestFieldMappings"].as_array().unwrap();
    let found = |s: &str, t: &str| {
        suggestions
            .iter()
            .find(|x| x["source"] == s && x["target"] == t)
            .cloned()
    };
    for (s, t) in [
        ("properties.firstname", "FirstName"),
        ("properties.lastname", "LastName"),
        ("properties.email", "Email"),
        ("properties.zip", "MailingPostalCode"),
        ("properties.annualrevenue", "AnnualRevenue"),
    ] {
        let suggestion = found(s, t).unwrap_or_else(|| panic!("{s} → {t} missing: {body}"));
        assert!(
            suggestion["confidence"].as_f64().unwrap() >= 0.5,
            "{suggestion}"
        );
        assert!(!suggestion["reason"].as_str().unwrap().is_empty());
    }
    let revenue = found("properties.annualrevenue", "AnnualRevenue").unwrap();
    assert_eq!(
        revenue["transform"]["kind"], "to_number",
        "a string amount to a number: {revenue}"
    );
}

#[tokio::test]
async fn a_schema_can_be_given_as_a_document_in_any_supported_format() {
    let app = spawn_app().await;
    let csv = "first_name,last_name,email_address\nAda,Lovelace,ada@example.com\n";
    let records = json!([{ "contact": { "givenName": "Ada", "familyName": "Lovelace", "mail": "ada@example.com" } }]).to_string();
    let pairs = mapped(
        &app,
        &app.api_key,
        json!({ "name": "people.json", "document": records }),
        json!({ "name": "people.csv", "document": csv }),
    )
    .await;
    assert!(
        pairs.contains(&pair("contact.givenName", "first_name")),
        "{pairs:?}"
    );
    assert!(
        pairs.contains(&pair("contact.familyName", "last_name")),
        "{pairs:?}"
    );
}

#[tokio::test]
async fn bad_schemas_get_invalid_input_naming_the_argument() {
    let app = spawn_app().await;
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({ "path": format!("f{i}") }))
        .collect();
    let cases = [
        (json!({ "name": "x" }), "source"),
        (json!({ "fields": [], "document": "a,b" }), "source"),
        (json!({ "fields": [] }), "source"),
        (json!({ "document": "{not json" }), "source.document"),
        (json!({ "document": "[]" }), "source.document"),
        (json!({ "fields": many }), "source"),
        (
            json!({ "fields": [{ "path": " " }] }),
            "source.fields[0].path",
        ),
    ];
    for (source, field) in cases {
        let (status, body) = app
            .graphql(SUGGEST, json!({ "source": source, "target": salesforce() }))
            .await;
        assert_eq!(status, 200);
        assert_eq!(error_codes(&body), ["INVALID_INPUT"], "{source}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
}

#[tokio::test]
async fn a_rejected_suggestion_is_not_proposed_again_and_an_accepted_one_says_so() {
    let app = spawn_app().await;
    let before = mapped(&app, &app.api_key, hubspot(), salesforce()).await;
    assert!(before.contains(&pair("properties.zip", "MailingPostalCode")));

    let reject = json!({ "input": { "sourceObject": "hubspot.Contact", "targetObject": "salesforce.Contact",
        "sourcePath": "properties.zip", "targetPath": "MailingPostalCode", "accepted": false } });
    let (_, body) = app.graphql(FEEDBACK, reject).await;
    assert_eq!(
        body["data"]["recordMappingFeedback"]["rejected"], 1,
        "{body}"
    );
    let after = mapped(&app, &app.api_key, hubspot(), salesforce()).await;
    assert!(
        !after.contains(&pair("properties.zip", "MailingPostalCode")),
        "{after:?}"
    );

    for _ in 0..3 {
        let accept = json!({ "input": { "sourceObject": "hubspot.Contact", "targetObject": "salesforce.Contact",
            "sourcePath": "properties.email", "targetPath": "Email", "accepted": true } });
        app.graphql(FEEDBACK, accept).await;
    }
    let (_, body) = app
        .graphql(
            SUGGEST,
            json!({ "source": hubspot(), "target": salesforce() }),
        )
        .await;
    let email = body["data"]["suggestFieldMappings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == "properties.email" && s["target"] == "Email")
        .unwrap()
        .clone();
    assert!(
        email["reason"]
            .as_str()
            .unwrap()
            .contains("accepted 3 times"),
        "{email}"
    );
}

#[tokio::test]
async fn suggestions_need_mappings_read_and_feedback_needs_mappings_write() {
    let app = spawn_app().await;
    let create = |scopes: Value| {
        let app = &app;
        async move {
            let (_, body) = app
                .graphql("mutation($s: [String!]!) { createApiKey(input: {name: \"m\", scopes: $s}) { secret } }", json!({ "s": scopes }))
                .await;
            body["data"]["createApiKey"]["secret"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let keys_only = create(json!(["keys:read"])).await;
    let reader = create(json!(["mappings:read"])).await;
    let variables = json!({ "source": hubspot(), "target": salesforce() });
    let (_, body) = app.graphql_as(&keys_only, SUGGEST, variables.clone()).await;
    assert_eq!(error_codes(&body), ["FORBIDDEN"]);
    let (_, body) = app.graphql_as(&reader, SUGGEST, variables).await;
    assert!(body.get("errors").is_none(), "{body}");
    let feedback = json!({ "input": { "sourceObject": "a", "targetObject": "b", "sourcePath": "x", "targetPath": "y", "accepted": true } });
    let (_, body) = app.graphql_as(&reader, FEEDBACK, feedback).await;
    assert_eq!(error_codes(&body), ["FORBIDDEN"]);
}

#[tokio::test]
async fn feedback_of_one_workspace_does_not_change_another_workspaces_suggestions() {
    let app = spawn_app().await;
    let other_key = app.key_in_new_workspace("other").await;

    let reject = json!({ "input": { "sourceObject": "hubspot.Contact", "targetObject": "salesforce.Contact",
        "sourcePath": "properties.zip", "targetPath": "MailingPostalCode", "accepted": false } });
    app.graphql(FEEDBACK, reject).await;
    assert!(
        !mapped(&app, &app.api_key, hubspot(), salesforce())
            .await
            .contains(&pair("properties.zip", "MailingPostalCode"))
    );
    assert!(
        mapped(&app, &other_key, hubspot(), salesforce())
            .await
            .contains(&pair("properties.zip", "MailingPostalCode")),
        "the other workspace never saw the rejection"
    );
}

const CREATE_MAPPING: &str = "mutation($input: CreateFieldMappingInput!) {
    createFieldMapping(input: $input) { id name sourceObject targetObject
      rules { source target transforms default required } } }";

fn contact_rules() -> Value {
    json!([
        { "source": ["properties.email"], "target": "Email", "transforms": [{ "kind": "lowercase" }], "required": true },
        { "source": ["properties.annualrevenue"], "target": "AnnualRevenue", "transforms": [{ "kind": "to_number" }] },
        { "source": ["properties.fullname"], "target": "LastName", "transforms": [{ "kind": "split_name", "part": "last" }] },
        { "source": ["properties.country"], "target": "MailingCountry", "default": "US" }
    ])
}

#[tokio::test]
async fn a_mapping_template_is_created_read_updated_previewed_and_deleted() {
    let app = spawn_app().await;
    let input = json!({ "name": "HubSpot → Salesforce contacts", "sourceObject": "hubspot.Contact",
        "targetObject": "salesforce.Contact", "rules": contact_rules() });
    let (_, body) = app
        .graphql(CREATE_MAPPING, json!({ "input": input.clone() }))
        .await;
    let created = &body["data"]["createFieldMapping"];
    let id = created["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    assert_eq!(
        created["rules"][0]["transforms"],
        json!([{ "kind": "lowercase" }])
    );
    assert_eq!(created["rules"][3]["default"], "US");

    let (_, body) = app.graphql(CREATE_MAPPING, json!({ "input": input })).await;
    assert_eq!(
        error_codes(&body),
        ["CONFLICT"],
        "names are unique per workspace: {body}"
    );

    let preview =
        "query($id: ID!, $samples: [JSON!]!) { previewFieldMapping(id: $id, samples: $samples) {
        input output errors { field target message } } }";
    let samples = json!([
        { "properties": { "email": "ADA@EXAMPLE.COM", "annualrevenue": "1,200.50", "fullname": "Ada Lovelace" } },
        { "properties": { "email": "grace@example.com", "annualrevenue": "lots", "fullname": "Grace Hopper", "country": "UK" } },
        { "properties": { "annualrevenue": "10" } }
    ]);
    let (_, body) = app
        .graphql(preview, json!({ "id": id, "samples": samples }))
        .await;
    let results = body["data"]["previewFieldMapping"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(
        results[0]["output"],
        json!({ "Email": "ada@example.com", "AnnualRevenue": 1200.5, "LastName": "Lovelace", "MailingCountry": "US" })
    );
    assert!(
        results[1]["output"].is_null(),
        "a record with a failing rule is not half-written"
    );
    let message = results[1]["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("properties.annualrevenue") && message.contains("string"),
        "{message}"
    );
    assert_eq!(
        results[2]["errors"][0]["target"], "Email",
        "a required target left empty: {body}"
    );

    let update = "mutation($id: ID!, $input: UpdateFieldMappingInput!) { updateFieldMapping(id: $id, input: $input) { name rules { target } } }";
    let (_, body) = app
        .graphql(update, json!({ "id": id, "input": { "name": "contacts v2", "rules": [{ "source": ["properties.email"], "target": "Email" }] } }))
        .await;
    assert_eq!(
        body["data"]["updateFieldMapping"]["name"], "contacts v2",
        "{body}"
    );
    assert_eq!(
        body["data"]["updateFieldMapping"]["rules"],
        json!([{ "target": "Email" }])
    );

    let (_, body) = app
        .graphql(
            "{ fieldMappings { edges { node { id name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["fieldMappings"]["edges"][0]["node"]["name"],
        "contacts v2"
    );

    let (_, body) = app
        .graphql(
            "mutation($id: ID!) { deleteFieldMapping(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(body["data"]["deleteFieldMapping"], id.as_str());
    let (_, body) = app
        .graphql(
            "query($id: ID!) { fieldMapping(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);
}

#[tokio::test]
async fn invalid_rules_are_refused_naming_the_rule() {
    let app = spawn_app().await;
    let cases = [
        (json!([]), "rules"),
        (
            json!([{ "source": ["a"], "target": "b", "transforms": [{ "kind": "teleport" }] }]),
            "rules[0]",
        ),
        (
            json!([{ "source": ["a"], "target": "b" }, { "source": ["x"], "target": "y", "transforms": [{ "kind": "date", "from": "someday", "to": "iso_date" }] }]),
            "rules[1]",
        ),
        (json!([{ "source": ["a..b"], "target": "c" }]), "rules[0]"),
    ];
    for (rules, field) in cases {
        let input =
            json!({ "name": "x", "sourceObject": "a", "targetObject": "b", "rules": rules });
        let (_, body) = app.graphql(CREATE_MAPPING, json!({ "input": input })).await;
        assert_eq!(error_codes(&body), ["INVALID_INPUT"], "{rules}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    let (_, body) = app
        .graphql("{ fieldMappings { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(
        body["data"]["fieldMappings"]["edges"],
        json!([]),
        "nothing was saved"
    );
}

#[tokio::test]
async fn a_template_can_be_made_from_suggestions_with_their_transforms() {
    let app = spawn_app().await;
    let query = "mutation($input: CreateFieldMappingFromSuggestionsInput!) {
        createFieldMappingFromSuggestions(input: $input) { sourceObject targetObject rules { source target transforms } } }";
    let (_, body) = app
        .graphql(query, json!({ "input": { "name": "from suggestions", "source": hubspot(), "target": salesforce() } }))
        .await;
    let mapping = &body["data"]["createFieldMappingFromSuggestions"];
    assert_eq!(mapping["sourceObject"], "hubspot.Contact", "{body}");
    let rules = mapping["rules"].as_array().unwrap();
    let revenue = rules
        .iter()
        .find(|r| r["target"] == "AnnualRevenue")
        .unwrap();
    assert_eq!(revenue["source"], json!(["properties.annualrevenue"]));
    assert_eq!(revenue["transforms"][0]["kind"], "to_number");
    let targets: Vec<&str> = rules
        .iter()
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    let mut unique = targets.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), targets.len(), "one rule per target");
}

#[tokio::test]
async fn another_workspaces_templates_are_not_found() {
    let app = spawn_app().await;
    let input = json!({ "name": "mine", "sourceObject": "a", "targetObject": "b", "rules": contact_rules() });
    let (_, body) = app.graphql(CREATE_MAPPING, json!({ "input": input })).await;
    let id = body["data"]["createFieldMapping"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = app.key_in_new_workspace("b").await;
    for query in [
        "query($id: ID!) { fieldMapping(id: $id) { id } }",
        "query($id: ID!) { previewFieldMapping(id: $id, samples: [{}]) { output } }",
        "mutation($id: ID!) { updateFieldMapping(id: $id, input: {name: \"stolen\"}) { id } }",
        "mutation($id: ID!) { deleteFieldMapping(id: $id) }",
    ] {
        let (_, body) = app.graphql_as(&key, query, json!({ "id": id })).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{query}: {body}");
    }
    let (_, body) = app
        .graphql_as(&key, "{ fieldMappings { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(body["data"]["fieldMappings"]["edges"], json!([]));
}

#[tokio::test]
async fn a_connector_stream_can_be_a_schema() {
    let app = spawn_app().await;
    let pairs = mapped(
        &app,
        &app.api_key,
        json!({ "connector": "hubspot", "stream": "contacts" }),
        json!({ "connector": "salesforce", "stream": "contacts" }),
    )
    .await;
    assert!(
        pairs
            .iter()
            .any(|(s, t)| s.ends_with("email") && t.ends_with("Email")),
        "{pairs:?}"
    );
    let (_, body) = app
        .graphql(SUGGEST, json!({ "source": { "connector": "hubspot", "stream": "nope" }, "target": salesforce() }))
        .await;
    assert_eq!(error_codes(&body), ["INVALID_INPUT"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "source.stream");
}
