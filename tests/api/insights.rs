//! Sync health over GraphQL: failure patterns from seeded sync logs, a spike alert raised by a
//! run that fails far more than the one before, a recommended schedule from past runs, and
//! workspace isolation.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, error_codes, spawn_app},
    support::crm::{FakeCrm, TOKEN},
};

/// A connection, a sync, and one finished run to hang logs on.
async fn sync_with_a_run(app: &TestApp, fake: &FakeCrm) -> (String, String, String) {
    app.graphql(
        "mutation($d: JSON!) { registerConnector(definition: $d) { name } }",
        json!({ "d": FakeCrm::definition("fake_crm", 100) }),
    )
    .await;
    let (_, body) = app
        .graphql(
            "mutation($i: CreateConnectionInput!) { createConnection(input: $i) { id } }",
            json!({ "i": { "connector": "fake_crm", "name": "crm",
                "credentials": { "token": TOKEN }, "baseUrlOverride": fake.url } }),
        )
        .await;
    let connection = body["data"]["createConnection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, body) = app
        .graphql(
            "mutation($c: ID!) { createSync(input: { connection: $c, stream: \"contacts\" }) { id } }",
            json!({ "c": connection }),
        )
        .await;
    let sync = body["data"]["createSync"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = run_and_wait(app, &sync, false).await;
    (connection, sync, run["id"].as_str().unwrap().to_owned())
}

async fn run_and_wait(app: &TestApp, sync: &str, full: bool) -> Value {
    let (_, body) = app
        .graphql(
            "mutation($s: ID!, $f: Boolean!) { runSync(id: $s, full: $f) { id } }",
            json!({ "s": sync, "f": full }),
        )
        .await;
    let run = body["data"]["runSync"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    for _ in 0..600 {
        let (_, body) = app
            .graphql(
                "query($r: ID!) { syncRun(id: $r) { id status failed finishedAt } }",
                json!({ "r": run }),
            )
            .await;
        if body["data"]["syncRun"]["finishedAt"].is_string() {
            return body["data"]["syncRun"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the run never finished");
}

const PATTERNS: &str = "query($s: ID) { failurePatterns(sync: $s) {
    template count share spiking connectors syncIds examples httpStatus providerCode cause
    likelyCause whatToChange trend { count } topValues { value count } } }";

#[tokio::test]
async fn failure_patterns_group_seeded_sync_logs_and_explain_them() {
    use patchbay::entities::sync_log;
    let app = spawn_app().await;
    let fake = FakeCrm::start(5).await;
    let (connection, sync, run) = sync_with_a_run(&app, &fake).await;
    let workspace = app.workspace_id().await;
    let seed = |message: String, status: Option<i32>, code: Option<&str>, minutes: i64| {
        sync_log::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            workspace_id: Set(workspace.clone()),
            connection_id: Set(connection.clone()),
            sync_id: Set(sync.clone()),
            run_id: Set(run.clone()),
            level: Set("error".into()),
            stage: Set("fetch".into()),
            external_id: Set(None),
            http_status: Set(status),
            provider_code: Set(code.map(str::to_owned)),
            message: Set(message),
            created_at: Set(Utc::now() - Duration::minutes(minutes)),
        }
    };
    let mut rows = Vec::new();
    for i in 0..20 {
        let field = ["lastname", "email"][i % 2];
        rows.push(seed(
            format!("Property values were not valid: {field} is required (record 10{i:02})"),
            Some(400),
            Some("VALIDATION_ERROR"),
            i as i64 * 3,
        ));
    }
    for i in 0..8 {
        rows.push(seed(
            format!(
                "429 Too Many Requests: daily limit of 250000 reached, retry after {} s",
                30 + i
            ),
            Some(429),
            Some("RATE_LIMITS"),
            i as i64 * 7,
        ));
    }
    for i in 0..3 {
        rows.push(seed(
            format!("token refresh refused: invalid_grant (attempt {i})"),
            Some(400),
            Some("invalid_grant"),
            i as i64,
        ));
    }
    for row in rows {
        row.insert(&app.state.db).await.unwrap();
    }

    let (_, body) = app.graphql(PATTERNS, json!({ "s": sync })).await;
    let patterns = body["data"]["failurePatterns"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let causes: Vec<&str> = patterns
        .iter()
        .map(|p| p["cause"].as_str().unwrap_or("-"))
        .collect();
    assert!(causes.contains(&"MISSING_REQUIRED_FIELD"), "{body}");
    assert!(causes.contains(&"RATE_LIMITED"), "{body}");
    assert!(causes.contains(&"EXPIRED_GRANT"), "{body}");
    let counts: Vec<i64> = patterns
        .iter()
        .map(|p| p["count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts.iter().sum::<i64>(), 31);
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "most frequent first: {counts:?}"
    );
    let shares: f64 = patterns.iter().map(|p| p["share"].as_f64().unwrap()).sum();
    assert!((shares - 1.0).abs() < 1e-9);
    let limited = patterns
        .iter()
        .find(|p| p["cause"] == "RATE_LIMITED")
        .unwrap();
    assert_eq!(limited["count"], 8, "{limited}");
    assert_eq!(limited["httpStatus"], 429);
    assert_eq!(limited["connectors"], json!(["fake_crm"]));
    assert_eq!(limited["syncIds"], json!([sync]));
    assert_eq!(limited["examples"].as_array().unwrap().len(), 3);
    assert_eq!(limited["trend"].as_array().unwrap().len(), 24);
    assert!(
        limited["whatToChange"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("frequen"),
        "{limited}"
    );

    // Another workspace sees none of it.
    let other = app.key_in_new_workspace("elsewhere").await;
    let (_, body) = app.graphql_as(&other, PATTERNS, json!({ "s": sync })).await;
    assert_eq!(body["data"]["failurePatterns"], json!([]), "{body}");
    let (_, body) = app
        .graphql("{ failurePatterns(since: \"2030-01-01T00:00:00Z\", until: \"2020-01-01T00:00:00Z\") { count } }", json!({}))
        .await;
    assert_eq!(error_codes(&body), ["INVALID_INPUT"]);
}

#[tokio::test]
async fn a_run_failing_far_more_than_before_raises_one_alert_and_an_event() {
    use patchbay::entities::outbox_event;
    let app = spawn_app().await;
    let fake = FakeCrm::start(60).await;
    let (_, sync, _) = sync_with_a_run(&app, &fake).await;
    // Every tenth contact's score is "n/a": a mapping turning it into a number fails on six.
    let (_, body) = app
        .graphql(
            "mutation { createFieldMapping(input: { name: \"m\", sourceObject: \"a\", targetObject: \"b\",
                rules: [{ source: [\"id\"], target: \"id\" },
                        { source: [\"score\"], target: \"score\", transforms: [{ kind: \"to_number\" }] }] }) { id } }",
            json!({}),
        )
        .await;
    let mapping = body["data"]["createFieldMapping"]["id"].clone();
    app.graphql(
        "mutation($s: ID!, $m: ID!) { updateSync(id: $s, input: { mapping: $m }) { id } }",
        json!({ "s": sync, "m": mapping }),
    )
    .await;
    let run = run_and_wait(&app, &sync, true).await;
    assert_eq!(run["failed"], 6, "{run}");

    let mut alerts = json!([]);
    for _ in 0..100 {
        let (_, body) = app
            .graphql(
                "{ alerts(status: OPEN) { id kind syncId runId count baseline status message } }",
                json!({}),
            )
            .await;
        alerts = body["data"]["alerts"].clone();
        if alerts.as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let alert = &alerts[0];
    assert_eq!(alert["kind"], "sync_failure_spike", "{alerts}");
    assert_eq!(alert["syncId"], sync.as_str());
    assert_eq!(alert["runId"], run["id"]);
    assert_eq!(alert["count"], 6);
    let events = outbox_event::Entity::find()
        .filter(outbox_event::Column::EventType.eq("sync.failure_spike"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(events, 1);

    let (_, body) = app
        .graphql(
            "mutation($a: ID!) { acknowledgeAlert(id: $a) { status acknowledgedAt } }",
            json!({ "a": alert["id"] }),
        )
        .await;
    assert_eq!(
        body["data"]["acknowledgeAlert"]["status"], "ACKNOWLEDGED",
        "{body}"
    );
    let other = app.key_in_new_workspace("other").await;
    let (_, body) = app
        .graphql_as(
            &other,
            "mutation($a: ID!) { acknowledgeAlert(id: $a) { status } }",
            json!({ "a": alert["id"] }),
        )
        .await;
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);
    let (_, body) = app.graphql_as(&other, "{ alerts { id } }", json!({})).await;
    assert_eq!(body["data"]["alerts"], json!([]));
}

#[tokio::test]
async fn a_sync_gets_a_recommended_schedule_from_how_often_its_data_changed() {
    use patchbay::entities::sync_run;
    let app = spawn_app().await;
    let fake = FakeCrm::start(5).await;
    let (_, sync, _) = sync_with_a_run(&app, &fake).await;
    let query = "query($s: ID!) { sync(id: $s) { recommendedSchedule { every reason } } }";
    let (_, body) = app.graphql(query, json!({ "s": sync })).await;
    assert_eq!(
        body["data"]["sync"]["recommendedSchedule"],
        Value::Null,
        "one run says nothing"
    );

    // Twelve hourly runs; changes found every third hour.
    let workspace = app.workspace_id().await;
    for hour in 1..=12_i64 {
        sync_run::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            sync_id: Set(sync.clone()),
            workspace_id: Set(workspace.clone()),
            status: Set("succeeded".into()),
            trigger: Set("schedule".into()),
            full: Set(false),
            since: Set(None),
            page_cursor: Set(None),
            cursor_reached: Set(None),
            fetched: Set(0),
            created: Set(0),
            updated: Set(if hour % 3 == 0 { 4 } else { 0 }),
            unchanged: Set(0),
            deleted: Set(0),
            failed: Set(0),
            held_deletions: Set(0),
            pages: Set(1),
            error_summary: Set(None),
            cancel_requested: Set(false),
            locked_by: Set(None),
            locked_until: Set(None),
            waiting_until: Set(None),
            created_at: Set(Utc::now() + Duration::hours(hour)),
            started_at: Set(None),
            finished_at: Set(Some(Utc::now() + Duration::hours(hour))),
        }
        .insert(&app.state.db)
        .await
        .unwrap();
    }
    let (_, body) = app.graphql(query, json!({ "s": sync })).await;
    let recommended = &body["data"]["sync"]["recommendedSchedule"];
    assert_eq!(recommended["every"], "3h", "{body}");
    assert!(!recommended["reason"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn a_failure_pattern_jumping_in_the_last_hour_raises_a_pattern_alert() {
    use patchbay::entities::sync_log;
    let app = spawn_app().await;
    let fake = FakeCrm::start(20).await;
    let (connection, sync, run) = sync_with_a_run(&app, &fake).await;
    let workspace = app.workspace_id().await;
    // Two a hour for a day, then thirty in the last hour.
    let mut minutes_ago: Vec<i64> = (1..24).flat_map(|h| [h * 60 + 10, h * 60 + 40]).collect();
    minutes_ago.extend((0..30).map(|i| i % 50 + 1));
    for (i, minutes) in minutes_ago.into_iter().enumerate() {
        sync_log::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            workspace_id: Set(workspace.clone()),
            connection_id: Set(connection.clone()),
            sync_id: Set(sync.clone()),
            run_id: Set(run.clone()),
            level: Set("error".into()),
            stage: Set("fetch".into()),
            external_id: Set(None),
            http_status: Set(Some(503)),
            provider_code: Set(None),
            message: Set(format!(
                "503 Service Unavailable from /crm/v3/objects (request {i})"
            )),
            created_at: Set(Utc::now() - Duration::minutes(minutes)),
        }
        .insert(&app.state.db)
        .await
        .unwrap();
    }
    // A run that fails makes Patchbay look at the sync's patterns.
    fake.crm
        .fail_from_page
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let failed = run_and_wait(&app, &sync, false).await;
    assert_eq!(failed["status"], "FAILED");
    let mut alerts = json!([]);
    for _ in 0..100 {
        let (_, body) = app
            .graphql("{ alerts { kind message count } }", json!({}))
            .await;
        alerts = body["data"]["alerts"].clone();
        if alerts
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "pattern_failure_spike")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let alert = alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "pattern_failure_spike")
        .unwrap_or_else(|| panic!("{alerts}"));
    assert!(
        alert["message"]
            .as_str()
            .unwrap()
            .contains("503 Service Unavailable"),
        "{alert}"
    );
    assert!(alert["count"].as_i64().unwrap() >= 30, "{alert}");
}
