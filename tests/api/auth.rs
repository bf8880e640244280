//! The bootstrap admin key authenticates; nothing else does (scopes come with the API-key issue).

use serde_json::{Value, json};

use crate::helpers::{error_codes, spawn_app};

#[tokio::test]
async fn the_bootstrap_key_sees_its_workspace_and_scopes() {
    let app = spawn_app().await;
    let (status, body) = app
        .graphql(
            "{ viewer { id name prefix scopes workspace { id slug name } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let viewer = &body["data"]["viewer"];
    assert_eq!(viewer["scopes"], json!(["*", "workspaces:write"]));
    assert_eq!(viewer["workspace"]["slug"], "default");
    assert!(app.api_key.starts_with(viewer["prefix"].as_str().unwrap()));
}

#[tokio::test]
async fn the_key_is_also_accepted_in_x_api_key() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("x-api-key", &app.api_key)
        .json(&json!({ "query": "{ viewer { name } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["viewer"]["name"], "bootstrap admin");
}

#[tokio::test]
async fn requests_without_a_valid_key_are_unauthenticated() {
    let app = spawn_app().await;
    let mut typo = app.api_key.clone().into_bytes();
    typo[10] = if typo[10] == b'A' { b'B' } else { b'A' };
    let typo = String::from_utf8(typo).unwrap();
    let unknown = patchbay::auth::api_key::generate(patchbay::auth::api_key::KeyKind::Live);
    let unknown = secrecy::ExposeSecret::expose_secret(&unknown.secret).to_owned();
    for (key, reason) in [
        (None, "required"),
        (Some("not-a-key"), "malformed"),
        (Some(typo.as_str()), "checksum"),
        (Some(unknown.as_str()), "unknown"),
    ] {
        let mut request = app
            .client
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": "{ viewer { id } }" }));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{reason}");
        assert!(response.headers().contains_key("www-authenticate"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_codes(&body), ["UNAUTHENTICATED"], "{reason}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{reason}: {message}");
    }
}

#[tokio::test]
async fn health_metrics_and_the_playground_need_no_key() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz", "/metrics", "/"] {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
}
