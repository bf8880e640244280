//! Health, readiness and metrics.

use migrations::{Migrator, MigratorTrait};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_ok_without_a_key() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "ok");
}

#[tokio::test]
async fn readyz_is_ready_when_the_database_answers_and_migrations_are_current() {
    let app = spawn_app().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["migrations"], "current");
}

#[tokio::test]
async fn readyz_is_unavailable_while_a_migration_is_pending() {
    let app = spawn_app().await;
    Migrator::down(&app.state.db, Some(1)).await.unwrap();
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert!(
        body["pending"].as_array().is_some_and(|p| !p.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn readyz_is_unavailable_when_the_database_is_closed() {
    let app = spawn_app().await;
    app.state.db.clone().close().await.unwrap();
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
}

#[tokio::test]
async fn metrics_count_requests_latency_operations_and_errors_by_code() {
    let app = spawn_app().await;
    let (status, _) = app.graphql("{ viewer { id } }", json!({})).await;
    assert_eq!(status, 200);
    let (_, body) = app.graphql("{ nope }", json!({})).await;
    assert_eq!(crate::helpers::error_codes(&body), ["BAD_REQUEST"]);
    app.graphql_as("pb_live_wrong", "{ viewer { id } }", json!({}))
        .await;

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for expected in [
        r#"patchbay_http_requests_total{route="/graphql",method="POST",status="200"} 2"#,
        r#"patchbay_http_requests_total{route="/graphql",method="POST",status="401"} 1"#,
        r#"patchbay_http_request_duration_seconds_count{route="/graphql"} 3"#,
        r#"patchbay_graphql_operations_total{operation="query"} 2"#,
        r#"patchbay_graphql_errors_total{code="BAD_REQUEST"} 1"#,
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
}
