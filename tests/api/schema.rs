//! `schema.graphql` is exactly what the server serves.

use serde_json::json;

use crate::helpers::spawn_app;

#[test]
fn schema_graphql_matches_the_served_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let served = patchbay::graphql::sdl();
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed != served {
        std::fs::write(path, &served).expect("schema.graphql is writable");
        panic!("schema.graphql was stale and has been rewritten: review and commit it");
    }
}

#[tokio::test]
async fn the_server_introspects_to_the_committed_schema_types() {
    let app = spawn_app().await;
    let (status, body) = app
        .graphql("{ __schema { types { name } } }", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let sdl = patchbay::graphql::sdl();
    for ty in body["data"]["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || ["String", "Boolean", "Int", "Float", "ID"].contains(&name) {
            continue;
        }
        assert!(
            sdl.contains(name),
            "the server serves `{name}`, absent from schema.graphql"
        );
    }
}
