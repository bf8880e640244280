//! API keys: lifecycle, scopes, workspace isolation, rate limits, usage, and secrecy.

use std::time::{Duration, Instant};

use chrono::Utc;
use patchbay::entities::api_key;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes, spawn_app};

const CREATE: &str = "mutation($input: CreateApiKeyInput!) {
    createApiKey(input: $input) { secret apiKey { id name prefix scopes status } } }";

/// Creates a key as `creator` and returns (id, secret).
async fn create_key(app: &TestApp, creator: &str, input: Value) -> (String, String) {
    let (status, body) = app
        .graphql_as(creator, CREATE, json!({ "input": input }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    let created = &body["data"]["createApiKey"];
    (
        created["apiKey"]["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

async fn admin_creates(app: &TestApp, scopes: &[&str]) -> (String, String) {
    create_key(
        app,
        &app.api_key,
        json!({ "name": format!("{scopes:?}"), "scopes": scopes }),
    )
    .await
}

/// The status of `{ viewer { id } }` with this key.
async fn viewer_status(app: &TestApp, key: &str) -> u16 {
    app.graphql_as(key, "{ viewer { id } }", json!({})).await.0
}

/// Changes a key row as time would (an expiry or a grace period running out), and marks it
/// changed so the processes' key caches re-read it.
async fn set_key(app: &TestApp, id: &str, change: impl FnOnce(&mut api_key::ActiveModel)) {
    let row = api_key::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: api_key::ActiveModel = row.into();
    change(&mut active);
    active.changed_at = Set(Some(Utc::now()));
    active.update(&app.state.db).await.unwrap();
}

/// Waits (at most 2 s; the key cache refreshes every 100 ms in tests) for this status.
async fn eventually_status(app: &TestApp, key: &str, expected: u16) -> u16 {
    let started = Instant::now();
    loop {
        let status = viewer_status(app, key).await;
        if status == expected || started.elapsed() > Duration::from_secs(2) {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_created_key_is_shown_once_and_listed_without_its_secret() {
    let app = spawn_app().await;
    let (id, secret) = admin_creates(&app, &["syncs:read", "records:read"]).await;
    assert!(
        secret.starts_with("pb_live_") && secret.len() == 46,
        "{secret}"
    );
    assert_eq!(viewer_status(&app, &secret).await, 200);

    let (_, body) = app
        .graphql("{ apiKeys { edges { cursor node { id prefix scopes status } } pageInfo { hasNextPage } } }", json!({}))
        .await;
    let text = body.to_string();
    assert!(!text.contains(&secret), "listings never show a secret");
    let node = body["data"]["apiKeys"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["id"] == id.as_str())
        .unwrap()
        .clone();
    assert!(secret.starts_with(node["prefix"].as_str().unwrap()));
    assert_eq!(node["scopes"], json!(["syncs:read", "records:read"]));
    assert_eq!(node["status"], "ACTIVE");
}

#[tokio::test]
async fn test_keys_have_their_own_prefix() {
    let app = spawn_app().await;
    let (_, secret) = create_key(
        &app,
        &app.api_key,
        json!({ "name": "ci", "scopes": ["*"], "test": true }),
    )
    .await;
    assert!(secret.starts_with("pb_test_"));
    assert_eq!(viewer_status(&app, &secret).await, 200);
}

#[tokio::test]
async fn lists_are_paginated_with_cursors() {
    let app = spawn_app().await;
    for _ in 0..4 {
        admin_creates(&app, &["keys:read"]).await;
    }
    let page = "query($after: String) { apiKeys(first: 2, after: $after) {
        edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let (_, body) = app.graphql(page, json!({ "after": after })).await;
        let connection = &body["data"]["apiKeys"];
        for edge in connection["edges"].as_array().unwrap() {
            seen.push(edge["node"]["id"].as_str().unwrap().to_owned());
        }
        if !connection["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(
        seen.len(),
        5,
        "the bootstrap key and four more, each once: {seen:?}"
    );
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique, seen);
    let (_, body) = app
        .graphql("{ apiKeys(first: 0) { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(error_codes(&body), ["INVALID_INPUT"]);
}

#[tokio::test]
async fn revoked_expired_rotated_malformed_and_mistyped_keys_are_unauthenticated() {
    let app = spawn_app().await;

    let (revoked_id, revoked) = admin_creates(&app, &["*"]).await;
    assert_eq!(viewer_status(&app, &revoked).await, 200);
    let (_, body) = app
        .graphql(
            "mutation($id: ID!) { revokeApiKey(id: $id) { status revokedAt } }",
            json!({ "id": revoked_id }),
        )
        .await;
    assert_eq!(body["data"]["revokeApiKey"]["status"], "REVOKED", "{body}");

    let (expired_id, expired) = admin_creates(&app, &["*"]).await;
    set_key(&app, &expired_id, |k| {
        k.expires_at = Set(Some(Utc::now() - chrono::Duration::seconds(1)))
    })
    .await;

    let (rotated_id, rotated) = admin_creates(&app, &["*"]).await;
    let (_, body) = app
        .graphql(
            "mutation($id: ID!) { rotateApiKey(id: $id, gracePeriodSeconds: 0) { secret } }",
            json!({ "id": rotated_id }),
        )
        .await;
    let new_secret = body["data"]["rotateApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        viewer_status(&app, &new_secret).await,
        200,
        "the new secret works"
    );

    let mut mistyped = app.api_key.clone().into_bytes();
    mistyped[20] = if mistyped[20] == b'x' { b'y' } else { b'x' };
    let mistyped = String::from_utf8(mistyped).unwrap();

    for (key, why) in [
        (revoked.as_str(), "revoked"),
        (expired.as_str(), "expired"),
        (rotated.as_str(), "rotated"),
        ("pb_live_short", "malformed"),
        ("Bearer", "malformed"),
        (mistyped.as_str(), "checksum"),
    ] {
        let (status, body) = app.graphql_as(key, "{ viewer { id } }", json!({})).await;
        assert_eq!(status, 401, "{why}: {body}");
        assert_eq!(error_codes(&body), ["UNAUTHENTICATED"], "{why}");
        assert!(
            body["errors"][0]["message"].as_str().unwrap().contains(why),
            "{why}: {body}"
        );
    }
}

#[tokio::test]
async fn a_key_revoked_on_one_process_stops_working_on_every_process_sharing_the_database() {
    let first = spawn_app().await;
    let second = crate::helpers::spawn_sibling(&first).await;
    let (id, key) = admin_creates(&first, &["*"]).await;
    // Both processes have authenticated (and cached) the key.
    assert_eq!(viewer_status(&first, &key).await, 200);
    assert_eq!(viewer_status(&second, &key).await, 200);

    let (_, body) = first
        .graphql(
            "mutation($id: ID!) { revokeApiKey(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(body["data"]["revokeApiKey"]["status"], "REVOKED");
    assert_eq!(
        viewer_status(&first, &key).await,
        401,
        "at once on the revoking process"
    );

    // The other process drops it at its next refresh of the key-change feed (100 ms here).
    let started = Instant::now();
    while viewer_status(&second, &key).await != 401 {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the sibling still accepts a revoked key"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        viewer_status(&second, &first.api_key).await,
        200,
        "other keys still work there"
    );
}

#[tokio::test]
async fn a_rotated_key_keeps_working_during_its_grace_period_and_stops_after() {
    let app = spawn_app().await;
    let (id, old) = admin_creates(&app, &["keys:read"]).await;
    let (_, body) = app
        .graphql(
            "mutation($id: ID!) { rotateApiKey(id: $id, gracePeriodSeconds: 3600) {
                secret apiKey { prefix rotatedAt previousSecretValidUntil } } }",
            json!({ "id": id }),
        )
        .await;
    let rotated = &body["data"]["rotateApiKey"];
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(new.starts_with(rotated["apiKey"]["prefix"].as_str().unwrap()));
    assert!(
        rotated["apiKey"]["previousSecretValidUntil"].is_string(),
        "{body}"
    );
    assert_eq!(
        viewer_status(&app, &old).await,
        200,
        "old secret within grace"
    );
    assert_eq!(viewer_status(&app, &new).await, 200);

    set_key(&app, &id, |k| {
        k.previous_valid_until = Set(Some(Utc::now() - chrono::Duration::seconds(1)))
    })
    .await;
    assert_eq!(
        eventually_status(&app, &old, 401).await,
        401,
        "old secret after grace"
    );
    assert_eq!(viewer_status(&app, &new).await, 200);

    let (_, body) = app
        .graphql(
            "mutation($id: ID!) { rotateApiKey(id: $id, gracePeriodSeconds: -1) { secret } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_codes(&body), ["INVALID_INPUT"]);
}

/// What each operation is for the scope table; `{target}` is a fresh key id per cell.
const OPERATIONS: [(&str, &str); 7] = [
    ("viewer", "{ viewer { id } }"),
    ("apiKeys", "{ apiKeys { edges { cursor } } }"),
    ("apiKey", "query($id: ID!) { apiKey(id: $id) { id } }"),
    (
        "createApiKey",
        r#"mutation { createApiKey(input: {name: "n", scopes: ["keys:read"]}) { secret } }"#,
    ),
    (
        "revokeApiKey",
        "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
    ),
    (
        "rotateApiKey",
        "mutation($id: ID!) { rotateApiKey(id: $id) { secret } }",
    ),
    (
        "createWorkspace",
        r#"mutation($slug: String!) { createWorkspace(input: {slug: $slug, name: "W"}) { id } }"#,
    ),
];

#[tokio::test]
async fn each_operation_is_allowed_or_forbidden_by_scope() {
    let app = spawn_app().await;
    // Expected outcome per scope set, in the order of OPERATIONS (Y allowed, F forbidden).
    let table: [(&[&str], &str); 6] = [
        (&["*"], "YYYYYYF"),
        (&["keys:read"], "YYYFFFF"),
        (&["keys:write"], "YYYYYYF"),
        (&["syncs:read", "records:write"], "YFFFFFF"),
        (&["workspaces:write"], "YFFFFFY"),
        (&["*", "workspaces:write"], "YYYYYYY"),
    ];
    for (scopes, expected) in table {
        let (_, key) = admin_creates(&app, scopes).await;
        for ((name, query), want) in OPERATIONS.iter().zip(expected.chars()) {
            let (target, _) = admin_creates(&app, &["keys:read"]).await;
            let variables =
                json!({ "id": target, "slug": format!("w-{}", uuid::Uuid::new_v4().simple()) });
            let (status, body) = app.graphql_as(&key, query, variables).await;
            assert_eq!(status, 200, "{scopes:?} {name}: {body}");
            let codes = error_codes(&body);
            match want {
                'Y' => assert!(codes.is_empty(), "{scopes:?} may {name}: {body}"),
                _ => assert_eq!(codes, ["FORBIDDEN"], "{scopes:?} may not {name}: {body}"),
            }
        }
    }
}

#[tokio::test]
async fn no_key_can_grant_a_scope_it_does_not_hold() {
    let app = spawn_app().await;
    let (_, key_admin) = admin_creates(&app, &["keys:write"]).await;
    for scopes in [
        json!(["*"]),
        json!(["syncs:read"]),
        json!(["workspaces:read"]),
    ] {
        let (_, body) = app
            .graphql_as(
                &key_admin,
                CREATE,
                json!({ "input": { "name": "x", "scopes": scopes } }),
            )
            .await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "{scopes}: {body}");
    }
    let (_, body) = app
        .graphql_as(
            &key_admin,
            CREATE,
            json!({ "input": { "name": "x", "scopes": ["keys:read"] } }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let (_, body) = app
        .graphql(
            CREATE,
            json!({ "input": { "name": "x", "scopes": ["keys:fly"] } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["INVALID_INPUT"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "scopes[0]");
}

#[tokio::test]
async fn a_key_of_another_workspace_never_sees_or_changes_this_workspaces_objects() {
    let app = spawn_app().await;
    let (a_key_id, _) = admin_creates(&app, &["keys:read"]).await;
    let (_, body) = app
        .graphql(
            r#"mutation { createWorkspace(input: {slug: "tenant-b", name: "B"}) { id slug } }"#,
            json!({}),
        )
        .await;
    let b_id = body["data"]["createWorkspace"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (b_key_id, b_key) = create_key(
        &app,
        &app.api_key,
        json!({ "name": "b admin", "scopes": ["*"], "workspaceId": b_id }),
    )
    .await;

    // By id: NOT_FOUND, whether reading or writing.
    for query in [
        "query($id: ID!) { apiKey(id: $id) { id } }",
        "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
        "mutation($id: ID!) { rotateApiKey(id: $id) { secret } }",
    ] {
        let (_, body) = app
            .graphql_as(&b_key, query, json!({ "id": a_key_id }))
            .await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{query}: {body}");
    }
    assert_eq!(
        viewer_status(&app, &app.api_key).await,
        200,
        "A's keys are untouched"
    );

    // In lists: only B's own objects.
    let (_, body) = app
        .graphql_as(
            &b_key,
            "{ apiKeys { edges { node { id workspace { id } } } } }",
            json!({}),
        )
        .await;
    let ids: Vec<&str> = body["data"]["apiKeys"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [b_key_id.as_str()], "{body}");
    assert_eq!(
        body["data"]["apiKeys"]["edges"][0]["node"]["workspace"]["id"],
        b_id.as_str()
    );
    let (_, body) = app
        .graphql_as(
            &b_key,
            "{ workspaces { edges { node { slug } } } viewer { workspace { slug } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["workspaces"]["edges"],
        json!([{ "node": { "slug": "tenant-b" } }])
    );
    assert_eq!(body["data"]["viewer"]["workspace"]["slug"], "tenant-b");

    // B's `*` does not reach across workspaces.
    let (_, body) = app
        .graphql_as(
            &b_key,
            CREATE,
            json!({ "input": { "name": "x", "scopes": ["*"], "workspaceId": b_id } }),
        )
        .await;
    assert!(
        body.get("errors").is_none(),
        "a key may create keys in its own workspace: {body}"
    );
    let default_id = app
        .graphql("{ viewer { workspace { id } } }", json!({}))
        .await
        .1["data"]["viewer"]["workspace"]["id"]
        .clone();
    let (_, body) = app
        .graphql_as(
            &b_key,
            CREATE,
            json!({ "input": { "name": "x", "scopes": ["*"], "workspaceId": default_id } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body}");
    let (_, body) = app
        .graphql_as(
            &b_key,
            r#"mutation { createWorkspace(input: {slug: "c", name: "C"}) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&body), ["FORBIDDEN"]);

    // The installation admin sees both workspaces, but each workspace's keys stay its own.
    let (_, body) = app
        .graphql(
            "{ workspaces { edges { node { slug } } } apiKeys { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["workspaces"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(
        !body.to_string().contains(&b_key_id),
        "A's key list never shows B's keys"
    );
}

#[tokio::test]
async fn duplicate_workspace_slugs_conflict() {
    let app = spawn_app().await;
    let query = r#"mutation { createWorkspace(input: {slug: "default", name: "Again"}) { id } }"#;
    let (_, body) = app.graphql(query, json!({})).await;
    assert_eq!(error_codes(&body), ["CONFLICT"], "{body}");
    let (_, body) = app
        .graphql(
            r#"mutation { createWorkspace(input: {slug: "Bad Slug", name: "x"}) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&body), ["INVALID_INPUT"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "slug");
}

#[tokio::test]
async fn the_request_over_a_keys_rate_limit_gets_429_and_other_keys_are_unaffected() {
    let app = spawn_app().await;
    let (_, key) = create_key(
        &app,
        &app.api_key,
        json!({ "name": "slow", "scopes": ["*"], "rateLimitPerMinute": 3 }),
    )
    .await;
    for remaining in ["2", "1", "0"] {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&key)
            .json(&json!({ "query": "{ viewer { id } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["ratelimit-limit"], "3");
        assert_eq!(response.headers()["ratelimit-remaining"], remaining);
        assert!(response.headers().contains_key("ratelimit-reset"));
    }
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&key)
        .json(&json!({ "query": "{ viewer { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert_eq!(response.headers()["ratelimit-limit"], "3");
    assert_eq!(response.headers()["ratelimit-remaining"], "0");
    assert!(response.headers().contains_key("ratelimit-reset"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["RATE_LIMITED"]);
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry_after);

    assert_eq!(
        viewer_status(&app, &app.api_key).await,
        200,
        "another key is unaffected"
    );
}

#[tokio::test]
async fn usage_is_counted_and_flushed_to_the_database_in_batches() {
    let app = spawn_app().await;
    let (id, key) = admin_creates(&app, &["keys:read"]).await;
    for _ in 0..5 {
        assert_eq!(viewer_status(&app, &key).await, 200);
    }
    let started = Instant::now();
    let stored = loop {
        let row = api_key::Entity::find_by_id(id.as_str())
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        if row.usage_count == 5 || started.elapsed() > Duration::from_secs(5) {
            break row;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(stored.usage_count, 5, "the flush writes the counts");
    assert!(stored.last_used_at.is_some());

    let (_, body) = app
        .graphql_as(
            &key,
            "query($id: ID!) { apiKey(id: $id) { usageCount lastUsedAt } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        body["data"]["apiKey"]["usageCount"], 6,
        "this request counts too: {body}"
    );
    assert!(body["data"]["apiKey"]["lastUsedAt"].is_string());
}

#[tokio::test]
async fn secrets_never_reach_the_logs_or_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = match std::env::var("PATCHBAY_TEST_DATABASE_URL") {
        Ok(_) => Some(crate::helpers::fresh_database_url(&dir).await),
        Err(_) => None,
    };
    let served = crate::cli::serve(dir.path(), database_url.as_deref());
    let admin = loop {
        if let Some(key) = crate::cli::keys_in(&served.stdout_text()).first() {
            break key.clone();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let client = crate::helpers::http_client();
    let url = format!("http://127.0.0.1:{}/graphql", served.port);
    let gql = |key: String, query: &'static str, variables: Value| {
        let client = client.clone();
        let url = url.clone();
        async move {
            client
                .post(&url)
                .bearer_auth(key)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let created = gql(
        admin.clone(),
        CREATE,
        json!({ "input": { "name": "leak-check", "scopes": ["*"] } }),
    )
    .await;
    let id = created["data"]["createApiKey"]["apiKey"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = created["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    gql(first.clone(), "{ viewer { id } }", json!({})).await;
    let rotated = gql(
        admin.clone(),
        "mutation($id: ID!) { rotateApiKey(id: $id, gracePeriodSeconds: 60) { secret } }",
        json!({ "id": id }),
    )
    .await;
    let second = rotated["data"]["rotateApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    gql(second.clone(), "{ viewer { id } }", json!({})).await;
    gql(first.clone(), "{ viewer { id } }", json!({})).await;
    gql(
        admin.clone(),
        "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    gql(second.clone(), "{ viewer { id } }", json!({})).await;
    let (_, logs) = served.stop();

    assert!(
        logs.contains("leak-check") || logs.lines().count() > 5,
        "the logs were captured"
    );
    let secrets = [admin.as_str(), first.as_str(), second.as_str()];
    for secret in secrets {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }

    let stored = match &database_url {
        None => {
            let mut bytes = Vec::new();
            for file in ["patchbay.db", "patchbay.db-wal"] {
                bytes.extend(std::fs::read(dir.path().join(file)).unwrap_or_default());
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Some(url) => crate::helpers::dump_postgres(url).await,
    };
    assert!(stored.contains("leak-check"), "the dump holds the key rows");
    for secret in secrets {
        assert!(!stored.contains(secret), "a secret is stored in clear");
    }
}
