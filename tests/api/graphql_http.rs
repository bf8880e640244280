//! GraphQL over HTTP: formats, limits and malformed requests, each with a stable code.

use serde_json::{Value, json};

use crate::helpers::{error_codes, spawn_app};

/// The introspection query GraphiQL sends (graphql-js 16, with input value deprecation).
const GRAPHIQL_INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
}
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType {
    kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}
"#;

async fn post_raw(
    app: &crate::helpers::TestApp,
    body: impl Into<reqwest::Body>,
    accept: &str,
) -> (u16, String, Value) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.api_key)
        .header("content-type", "application/json")
        .header("accept", accept)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, content_type, body)
}

#[tokio::test]
async fn a_query_is_answered_in_the_format_the_client_accepts() {
    let app = spawn_app().await;
    let body = json!({ "query": "{ viewer { name } }" }).to_string();
    let (status, content_type, json_body) = post_raw(&app, body.clone(), "application/json").await;
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    assert_eq!(json_body["data"]["viewer"]["name"], "bootstrap admin");
    let (status, content_type, _) = post_raw(&app, body, "application/graphql-response+json").await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("application/graphql-response+json"));
}

#[tokio::test]
async fn get_requests_run_queries_from_the_query_string() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[
            ("query", "query Who { viewer { name } }"),
            ("operationName", "Who"),
        ])
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["viewer"]["name"], "bootstrap admin");
}

#[tokio::test]
async fn get_requests_refuse_mutations_with_405() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "mutation { anything }")])
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["METHOD_NOT_ALLOWED"]);
}

#[tokio::test]
async fn graphiqls_introspection_query_passes_the_default_limits() {
    let app = spawn_app().await;
    let (status, body) = app.graphql(GRAPHIQL_INTROSPECTION, json!({})).await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "QueryRoot");
}

#[tokio::test]
async fn a_query_nested_too_deep_is_rejected_with_query_too_deep() {
    let app = spawn_app().await;
    let nested = "ofType { ".repeat(20) + "name" + &" }".repeat(20);
    let query = format!("{{ __schema {{ types {{ fields {{ type {{ {nested} }} }} }} }} }}");
    let (status, body) = app.graphql(&query, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(error_codes(&body), ["QUERY_TOO_DEEP"], "{body}");
    assert!(body["data"].is_null());
}

#[tokio::test]
async fn a_query_too_complex_is_rejected_with_query_too_complex() {
    let app = spawn_app().await;
    let fields: String = (0..600)
        .map(|i| format!("a{i}: viewer {{ id }} "))
        .collect();
    let (_, body) = app.graphql(&format!("{{ {fields} }}"), json!({})).await;
    assert_eq!(error_codes(&body), ["QUERY_TOO_COMPLEX"], "{body}");
}

#[tokio::test]
async fn limits_are_configurable() {
    let app = crate::helpers::spawn_app_with(|config| config.limits.max_query_depth = 2).await;
    let (_, body) = app
        .graphql("{ viewer { workspace { slug } } }", json!({}))
        .await;
    assert_eq!(error_codes(&body), ["QUERY_TOO_DEEP"]);
    let (_, body) = app.graphql("{ viewer { name } }", json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_rejected_with_payload_too_large() {
    let app = spawn_app().await;
    let padding = " ".repeat(1024 * 1024 + 1);
    let body = format!(r#"{{"query": "{{ viewer {{ id }} }}{padding}"}}"#);
    let (status, _, json_body) = post_raw(&app, body.clone(), "application/json").await;
    assert_eq!(status, 413);
    assert_eq!(error_codes(&json_body), ["PAYLOAD_TOO_LARGE"]);

    // Without a Content-Length (chunked), the limit still holds while reading.
    let chunks: Vec<Result<String, std::io::Error>> = body
        .as_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok(String::from_utf8(c.to_vec()).unwrap()))
        .collect();
    let stream = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let (status, _, json_body) = post_raw(&app, stream, "application/json").await;
    assert_eq!(status, 413);
    assert_eq!(error_codes(&json_body), ["PAYLOAD_TOO_LARGE"]);
}

#[tokio::test]
async fn batches_run_up_to_the_limit_and_larger_ones_are_rejected() {
    let app = spawn_app().await;
    let one = json!({ "query": "{ viewer { name } }" });
    let (status, _, body) = post_raw(&app, json!([one, one]).to_string(), "application/json").await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().map(Vec::len), Some(2));
    assert_eq!(body[1]["data"]["viewer"]["name"], "bootstrap admin");

    let eleven: Vec<Value> = (0..11).map(|_| one.clone()).collect();
    let (status, _, body) = post_raw(&app, json!(eleven).to_string(), "application/json").await;
    assert_eq!(status, 400);
    assert_eq!(error_codes(&body), ["BAD_REQUEST"]);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 10")
    );
}

#[tokio::test]
async fn malformed_requests_get_a_clear_error_and_never_a_500() {
    let app = spawn_app().await;
    let cases: [(&str, &str, u16); 6] = [
        ("{not json", "application/json", 400),
        (r#"{"variables": {}}"#, "application/json", 400),
        (r#"{"query": 42}"#, "application/json", 400),
        (r#"{"query": "{ viewer { "}"#, "application/json", 200),
        (
            r#"{"query": "{ viewer { "}"#,
            "application/graphql-response+json",
            400,
        ),
        (
            r#"{"query": "{ noSuchField }"}"#,
            "application/graphql-response+json",
            400,
        ),
    ];
    for (body, accept, expected_status) in cases {
        let (status, _, json_body) = post_raw(&app, body.to_owned(), accept).await;
        assert_eq!(status, expected_status, "{body} ({accept}): {json_body}");
        assert_eq!(error_codes(&json_body), ["BAD_REQUEST"], "{body}");
        let message = json_body["errors"][0]["message"].as_str().unwrap();
        assert!(!message.is_empty());
        assert!(
            json_body["errors"][0]["extensions"]["requestId"]
                .as_str()
                .is_some_and(|id| !id.is_empty())
        );
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_with_415() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.api_key)
        .header("content-type", "text/plain")
        .body("{ viewer { id } }")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["BAD_REQUEST"]);
}

#[tokio::test]
async fn every_error_carries_the_request_id_of_its_response() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.api_key)
        .json(&json!({ "query": "{ nope }" }))
        .send()
        .await
        .unwrap();
    let header = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["requestId"],
        header.as_str()
    );
}
