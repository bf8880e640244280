//! Inbound syncs against a fake CRM: idempotent runs, incremental reads, resuming after a
//! crash, full-scan deletes and their threshold, quota parking, failing mappings, runs shared
//! by several processes, live progress, and workspace isolation.

use std::{sync::atomic::Ordering, time::Duration};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, error_codes, spawn_app, spawn_app_with, spawn_sibling},
    support::crm::{FakeCrm, TOKEN},
};

const RUN_FIELDS: &str = "id status fetched created updated unchanged deleted failed heldDeletions
    pages cursorReached errorSummary waitingUntil startedAt finishedAt durationMs";

/// Registers the fake's connector (once per app), a connection to it and a sync.
pub(crate) async fn sync_of(
    app: &TestApp,
    fake: &FakeCrm,
    page_size: usize,
    input: Value,
) -> (String, String) {
    let connector = format!("fake_crm_{page_size}");
    app.graphql(
        "mutation($d: JSON!) { registerConnector(definition: $d) { name } }",
        json!({ "d": FakeCrm::definition(&connector, page_size) }),
    )
    .await;
    let (_, body) = app
        .graphql(
            "mutation($i: CreateConnectionInput!) { createConnection(input: $i) { id } }",
            json!({ "i": { "connector": connector, "name": format!("crm {}", uuid::Uuid::new_v4()),
                "credentials": { "token": TOKEN }, "baseUrlOverride": fake.url } }),
        )
        .await;
    let connection = body["data"]["createConnection"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let mut input = input;
    input["connection"] = json!(connection);
    input["stream"] = json!("contacts");
    let (_, body) = app
        .graphql(
            "mutation($i: CreateSyncInput!) { createSync(input: $i) { id mode enabled } }",
            json!({ "i": input }),
        )
        .await;
    let sync = body["data"]["createSync"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    (connection, sync)
}

pub(crate) async fn start_run(app: &TestApp, sync: &str, full: bool) -> String {
    let (_, body) = app
        .graphql(
            "mutation($s: ID!, $f: Boolean!) { runSync(id: $s, full: $f) { id status } }",
            json!({ "s": sync, "f": full }),
        )
        .await;
    body["data"]["runSync"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

async fn run_of(app: &TestApp, run: &str) -> Value {
    let (_, body) = app
        .graphql(
            &format!("query($r: ID!) {{ syncRun(id: $r) {{ {RUN_FIELDS} }} }}"),
            json!({ "r": run }),
        )
        .await;
    body["data"]["syncRun"].clone()
}

/// Polls a run until `done` holds (at most 60 s).
pub(crate) async fn wait_for(app: &TestApp, run: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let state = run_of(app, run).await;
        if done(&state) {
            return state;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "run never got there: {state}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) fn finished(run: &Value) -> bool {
    matches!(
        run["status"].as_str(),
        Some("SUCCEEDED" | "PARTIAL" | "FAILED" | "CANCELLED")
    )
}

async fn run_to_end(app: &TestApp, sync: &str, full: bool) -> Value {
    let run = start_run(app, sync, full).await;
    wait_for(app, &run, finished).await
}

fn counts(run: &Value) -> [i64; 5] {
    ["created", "updated", "unchanged", "deleted", "failed"].map(|k| run[k].as_i64().unwrap())
}

async fn stored_records(app: &TestApp, connection: &str, include_deleted: bool) -> u64 {
    use patchbay::entities::record;
    let mut query = record::Entity::find().filter(record::Column::ConnectionId.eq(connection));
    if !include_deleted {
        query = query.filter(record::Column::DeletedAt.is_null());
    }
    query.count(&app.state.db).await.unwrap()
}

#[tokio::test]
async fn ten_thousand_records_are_created_once_then_all_unchanged() {
    let app = spawn_app().await;
    let fake = FakeCrm::start(10_000).await;
    let (connection, sync) = sync_of(&app, &fake, 500, json!({})).await;

    let first = run_to_end(&app, &sync, false).await;
    assert_eq!(first["status"], "SUCCEEDED", "{first}");
    assert_eq!(counts(&first), [10_000, 0, 0, 0, 0]);
    assert_eq!(first["pages"], 20);
    assert_eq!(stored_records(&app, &connection, true).await, 10_000);

    let again = run_to_end(&app, &sync, true).await;
    assert_eq!(counts(&again), [0, 0, 10_000, 0, 0], "{again}");
    assert_eq!(stored_records(&app, &connection, true).await, 10_000);

    // Every created record emitted one outbox event, in the page's transaction.
    use patchbay::entities::outbox_event;
    let events = outbox_event::Entity::find()
        .filter(outbox_event::Column::EventType.eq("record.created"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(events, 10_000);
}

#[tokio::test]
async fn an_incremental_run_updates_exactly_what_changed() {
    let app = spawn_app().await;
    let fake = FakeCrm::start(300).await;
    let (connection, sync) = sync_of(&app, &fake, 50, json!({})).await;
    let first = run_to_end(&app, &sync, false).await;
    assert_eq!(counts(&first), [300, 0, 0, 0, 0]);
    let cursor = first["cursorReached"].as_str().unwrap().to_owned();

    let changed = fake.crm.touch(37);
    let second = run_to_end(&app, &sync, false).await;
    assert_eq!(second["updated"], 37, "{second}");
    assert_eq!(second["created"], 0);
    assert!(
        second["fetched"].as_i64().unwrap() < 50,
        "only changes since the cursor are read: {second}"
    );
    assert!(second["cursorReached"].as_str().unwrap() > cursor.as_str());
    let (_, body) = app
        .graphql(
            "query($c: ID!) { records(connection: $c, model: \"contacts\", first: 100,
                updatedSince: \"2000-01-01T00:00:00Z\") { edges { node { externalId data } } } }",
            json!({ "c": connection }),
        )
        .await;
    let edited: Vec<&Value> = body["data"]["records"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["data"]["name"].as_str().unwrap().contains("edit"))
        .collect();
    assert!(!edited.is_empty());
    assert!(
        edited
            .iter()
            .all(|e| changed.contains(&e["node"]["externalId"].as_str().unwrap().to_owned()))
    );
}

#[tokio::test]
async fn a_run_already_in_progress_refuses_another() {
    let app = spawn_app().await;
    let fake = FakeCrm::start(30).await;
    fake.crm.hang_from_page.store(2, Ordering::SeqCst);
    let (_, sync) = sync_of(&app, &fake, 10, json!({})).await;
    let run = start_run(&app, &sync, false).await;
    wait_for(&app, &run, |r| r["pages"] == 1).await;
    let (_, body) = app
        .graphql(
            "mutation($s: ID!) { runSync(id: $s) { id } }",
            json!({ "s": sync }),
        )
        .await;
    assert_eq!(error_codes(&body), ["CONFLICT"], "{body}");

    // Cancelling stops it at the next page boundary; the hung page is released by the fake.
    app.graphql(
        "mutation($r: ID!) { cancelSyncRun(id: $r) { status } }",
        json!({ "r": run }),
    )
    .await;
    fake.crm.hang_from_page.store(0, Ordering::SeqCst);
}

#[tokio::test]
async fn a_crashed_run_resumes_after_its_last_committed_page() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = crate::helpers::fresh_database_url(&dir).await;
    let fake = FakeCrm::start(100).await;
    fake.crm.hang_from_page.store(4, Ordering::SeqCst);

    // The first process runs in its own runtime, so the test can kill it without a
    // graceful shutdown: its tasks simply stop.
    let (ready, started) = std::sync::mpsc::channel();
    let (kill, killed) = std::sync::mpsc::channel::<()>();
    let url = database_url.clone();
    let fake_url = fake.url.clone();
    let first = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let app = spawn_app_with(move |c| c.database_url = url).await;
            let fake = FakeCrm {
                url: fake_url,
                crm: Default::default(),
            };
            let (connection, sync) = sync_of(&app, &fake, 10, json!({})).await;
            let run = start_run(&app, &sync, false).await;
            wait_for(&app, &run, |r| r["pages"] == 3).await;
            ready.send((app.api_key.clone(), connection, run)).unwrap();
            // Keep the data directory (and the database in it) for the next process.
            std::mem::forget(app);
        });
        killed.recv().unwrap();
        runtime.shutdown_background();
    });
    let (api_key, connection, run) = tokio::task::spawn_blocking(move || started.recv().unwrap())
        .await
        .unwrap();
    kill.send(()).unwrap();
    tokio::task::spawn_blocking(move || first.join().unwrap())
        .await
        .unwrap();
    let requests_before = fake.crm.requests.load(Ordering::SeqCst);
    assert_eq!(requests_before, 4, "three pages and the hung fourth");

    fake.crm.hang_from_page.store(0, Ordering::SeqCst);
    let mut second = spawn_app_with(move |c| c.database_url = database_url).await;
    second.api_key = api_key;
    let done = wait_for(&second, &run, finished).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(counts(&done), [100, 0, 0, 0, 0]);
    assert_eq!(done["pages"], 10);
    assert_eq!(stored_records(&second, &connection, true).await, 100);
    let cursors = fake.crm.cursors.lock().unwrap().clone();
    assert_eq!(
        cursors[4..],
        [
            "c00030", "c00040", "c00050", "c00060", "c00070", "c00080", "c00090"
        ],
        "it resumed after page 3; no page before it was read again"
    );
}

#[tokio::test]
async fn full_refresh_deletes_what_the_provider_removed_within_the_threshold() {
    let app = spawn_app().await;
    let fake = FakeCrm::start(50).await;
    let (connection, sync) = sync_of(
        &app,
        &fake,
        20,
        json!({ "mode": "FULL_REFRESH", "maxDeleteShare": 0.2 }),
    )
    .await;
    run_to_end(&app, &sync, false).await;

    fake.crm.remove(5);
    let second = run_to_end(&app, &sync, false).await;
    assert_eq!(counts(&second), [0, 0, 45, 5, 0], "{second}");
    assert_eq!(stored_records(&app, &connection, false).await, 45);
    assert_eq!(
        stored_records(&app, &connection, true).await,
        50,
        "deleted, never dropped"
    );

    // A run that fails midway deletes nothing.
    fake.crm.remove(5);
    fake.crm.fail_from_page.store(2, Ordering::SeqCst);
    let failed = run_to_end(&app, &sync, false).await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert_eq!(failed["deleted"], 0);
    assert_eq!(stored_records(&app, &connection, false).await, 45);
    let (_, body) = app
        .graphql(
            "query($r: ID!) { syncLogs(run: $r) { edges { node { level stage httpStatus providerCode message } } } }",
            json!({ "r": failed["id"] }),
        )
        .await;
    let log = &body["data"]["syncLogs"]["edges"][0]["node"];
    assert_eq!(
        (
            &log["level"],
            &log["stage"],
            &log["httpStatus"],
            &log["providerCode"]
        ),
        (
            &json!("ERROR"),
            &json!("fetch"),
            &json!(500),
            &json!("INTERNAL_ERROR")
        ),
        "{body}"
    );

    // Above the threshold (15 of 45), the deletion is held for review.
    fake.crm.fail_from_page.store(0, Ordering::SeqCst);
    fake.crm.remove(10);
    let held = run_to_end(&app, &sync, false).await;
    assert_eq!(held["status"], "SUCCEEDED", "{held}");
    assert_eq!(
        (held["deleted"].clone(), held["heldDeletions"].clone()),
        (json!(0), json!(15))
    );
    assert_eq!(stored_records(&app, &connection, false).await, 45);
}

#[tokio::test]
async fn an_exhausted_quota_parks_the_run_until_the_reset() {
    let app = spawn_app_with(|c| c.http_retry.park_after = Some(Duration::from_secs(1))).await;
    let fake = FakeCrm::start(50).await;
    fake.crm.quota_on_page.store(3, Ordering::SeqCst);
    let (connection, sync) = sync_of(&app, &fake, 10, json!({})).await;
    let run = start_run(&app, &sync, false).await;
    let parked = wait_for(&app, &run, |r| r["status"] == "WAITING").await;
    assert_eq!(parked["pages"], 2, "{parked}");
    assert!(parked["waitingUntil"].is_string());
    let done = wait_for(&app, &run, finished).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(counts(&done), [50, 0, 0, 0, 0]);
    assert_eq!(stored_records(&app, &connection, true).await, 50);
    assert_eq!(
        fake.crm.requests.load(Ordering::SeqCst),
        6,
        "five pages, the third one twice"
    );
}

#[tokio::test]
async fn a_record_that_fails_its_mapping_is_logged_and_the_rest_stored() {
    let app = spawn_app().await;
    let fake = FakeCrm::start(40).await;
    let (_, body) = app
        .graphql(
            "mutation($i: CreateFieldMappingInput!) { createFieldMapping(input: $i) { id } }",
            json!({ "i": { "name": "contacts", "sourceObject": "crm.contacts", "targetObject": "people",
                "rules": [
                    { "source": ["id"], "target": "id" },
                    { "source": ["name"], "target": "full_name" },
                    { "source": ["score"], "target": "score", "transforms": [{ "kind": "to_number" }] }
                ] } }),
        )
        .await;
    let mapping = body["data"]["createFieldMapping"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let (connection, sync) = sync_of(&app, &fake, 15, json!({ "mapping": mapping })).await;
    let run = run_to_end(&app, &sync, false).await;
    assert_eq!(run["status"], "PARTIAL", "{run}");
    assert_eq!(counts(&run), [36, 0, 0, 0, 4]);
    assert_eq!(stored_records(&app, &connection, true).await, 36);
    let (_, body) = app
        .graphql(
            "query($s: ID!) { syncLogs(sync: $s, level: ERROR) { edges { node { stage externalId message } } } }",
            json!({ "s": sync }),
        )
        .await;
    let logs = body["data"]["syncLogs"]["edges"].as_array().unwrap();
    let failed: Vec<&str> = logs
        .iter()
        .map(|e| e["node"]["externalId"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["c00010", "c00020", "c00030", "c00040"], "{body}");
    assert!(logs.iter().all(|e| e["node"]["stage"] == "map"));
    assert!(
        logs[0]["node"]["message"]
            .as_str()
            .unwrap()
            .contains("score"),
        "{body}"
    );
    let (_, body) = app
        .graphql(
            "query($c: ID!) { records(connection: $c, model: \"contacts\", first: 1) { edges { node { data } } } }",
            json!({ "c": connection }),
        )
        .await;
    assert_eq!(
        body["data"]["records"]["edges"][0]["node"]["data"],
        json!({ "id": "c00001", "full_name": "Contact 1", "score": 7 })
    );
}

#[tokio::test]
async fn two_processes_sharing_a_database_run_each_due_sync_exactly_once() {
    let app = spawn_app().await;
    let sibling = spawn_sibling(&app).await;
    let fake = FakeCrm::start(5).await;
    let mut syncs = Vec::new();
    for _ in 0..50 {
        let (_, sync) = sync_of(&app, &fake, 10, json!({ "schedule": { "every": "1h" } })).await;
        syncs.push(sync);
    }
    // Make every sync due now; both schedulers race for them.
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE syncs SET next_run_at = '{}'",
            (chrono::Utc::now() - chrono::Duration::seconds(1)).to_rfc3339()
        ))
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let done = patchbay::entities::sync_run::Entity::find()
            .filter(patchbay::entities::sync_run::Column::Status.eq("succeeded"))
            .count(&app.state.db)
            .await
            .unwrap();
        if done >= 50 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{done} of 50 runs finished"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let runs = patchbay::entities::sync_run::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(runs.len(), 50, "one run per due sync");
    for sync in &syncs {
        assert_eq!(runs.iter().filter(|r| &r.sync_id == sync).count(), 1);
    }
    assert_eq!(
        fake.crm.requests.load(Ordering::SeqCst),
        50,
        "each read once"
    );
    drop(sibling);
}

#[tokio::test]
async fn progress_is_published_while_a_sync_runs() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

    let app = spawn_app().await;
    let fake = FakeCrm::start(30).await;
    let (_, sync) = sync_of(&app, &fake, 10, json!({})).await;
    let mut request = format!("ws://127.0.0.1:{}/graphql/ws", app.port)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |v: Value| Message::Text(v.to_string().into());
    socket
        .send(send(json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {}", app.api_key)}})))
        .await
        .unwrap();
    socket.next().await.unwrap().unwrap(); // connection_ack
    socket
        .send(send(json!({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription($s: ID!) { syncRunsProgress(sync: $s) { status pages created } }",
            "variables": {"s": sync}}})))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    start_run(&app, &sync, false).await;
    let mut seen = Vec::new();
    while let Ok(Some(Ok(Message::Text(text)))) =
        tokio::time::timeout(Duration::from_secs(10), socket.next()).await
    {
        let message: Value = serde_json::from_str(&text).unwrap();
        let progress = message["payload"]["data"]["syncRunsProgress"].clone();
        seen.push(progress.clone());
        if progress["status"] == "SUCCEEDED" {
            break;
        }
    }
    let pages: Vec<i64> = seen.iter().map(|p| p["pages"].as_i64().unwrap()).collect();
    assert_eq!(pages, [0, 1, 2, 3, 3], "{seen:?}");
    assert_eq!(seen.last().unwrap()["created"], 30);
}

#[tokio::test]
async fn another_workspaces_syncs_runs_logs_and_records_are_not_found() {
    let app = spawn_app().await;
    let fake = FakeCrm::start(5).await;
    let (connection, sync) = sync_of(&app, &fake, 10, json!({})).await;
    let run = run_to_end(&app, &sync, false).await;
    let (_, body) = app
        .graphql(
            "query($c: ID!) { records(connection: $c, model: \"contacts\") { edges { node { id } } } }",
            json!({ "c": connection }),
        )
        .await;
    let record = body["data"]["records"]["edges"][0]["node"]["id"].clone();
    let other = app.key_in_new_workspace("other").await;
    let ask = |query: &'static str, variables: Value| {
        let other = other.clone();
        let app = &app;
        async move { app.graphql_as(&other, query, variables).await.1 }
    };
    for (query, variables) in [
        (
            "query($s: ID!) { sync(id: $s) { id } }",
            json!({ "s": sync }),
        ),
        (
            "query($s: ID!) { syncRuns(sync: $s) { edges { node { id } } } }",
            json!({ "s": sync }),
        ),
        (
            "query($r: ID!) { syncRun(id: $r) { id } }",
            json!({ "r": run["id"] }),
        ),
        (
            "query($r: ID!) { record(id: $r) { id } }",
            json!({ "r": record }),
        ),
        (
            "mutation($s: ID!) { runSync(id: $s) { id } }",
            json!({ "s": sync }),
        ),
        (
            "mutation($s: ID!) { deleteSync(id: $s) }",
            json!({ "s": sync }),
        ),
    ] {
        let body = ask(query, variables).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{query}: {body}");
    }
    let body = ask("{ syncs { edges { node { id } } } }", json!({})).await;
    assert_eq!(body["data"]["syncs"]["edges"], json!([]));
    let body = ask(
        "query($s: ID!) { syncLogs(sync: $s) { edges { node { id } } } }",
        json!({ "s": sync }),
    )
    .await;
    assert_eq!(body["data"]["syncLogs"]["edges"], json!([]));
    let body = ask(
        "query($c: ID!) { records(connection: $c, model: \"contacts\") { edges { node { id } } } }",
        json!({ "c": connection }),
    )
    .await;
    assert_eq!(body["data"]["records"]["edges"], json!([]));
}

#[tokio::test]
async fn the_cli_runs_a_sync_in_the_foreground_and_prints_its_summary() {
    let app = spawn_app().await;
    let fake = FakeCrm::start(30).await;
    let (connection, sync) = sync_of(&app, &fake, 10, json!({})).await;
    let data_dir = tempfile::tempdir().unwrap();
    let database_url = app.database_url.clone();
    let dir = data_dir.path().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_patchbay"))
            .args(["sync", "run", &sync])
            .env("PATCHBAY_DATA_DIR", dir)
            .env("PATCHBAY_DATABASE_URL", database_url)
            .env("PATCHBAY_MASTER_KEY", "42".repeat(32))
            .env("PATCHBAY_ALLOW_PRIVATE_NETWORKS", "true")
            .env("PATCHBAY_LOG_LEVEL", "warn")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("succeeded: 3 pages, 30 records"),
        "{stdout}"
    );
    assert!(stdout.contains("30 created"), "{stdout}");
    assert!(stderr.contains("records ("), "a progress line: {stderr}");
    assert_eq!(stored_records(&app, &connection, true).await, 30);
}

#[tokio::test]
async fn an_incremental_run_reads_deletions_from_the_deleted_records_endpoint() {
    let app = spawn_app().await;
    let fake = FakeCrm::start(30).await;
    app.graphql(
        "mutation($d: JSON!) { registerConnector(definition: $d) { name } }",
        json!({ "d": FakeCrm::definition_with_deleted_endpoint("crm_deleted", 10) }),
    )
    .await;
    let (_, body) = app
        .graphql(
            "mutation($i: CreateConnectionInput!) { createConnection(input: $i) { id } }",
            json!({ "i": { "connector": "crm_deleted", "name": "crm",
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
    assert_eq!(
        counts(&run_to_end(&app, &sync, false).await),
        [30, 0, 0, 0, 0]
    );

    let removed = fake.crm.remove(3);
    let second = run_to_end(&app, &sync, false).await;
    assert_eq!(second["status"], "SUCCEEDED", "{second}");
    assert_eq!(second["deleted"], 3, "{second}");
    assert_eq!(stored_records(&app, &connection, false).await, 27);
    let (_, body) = app
        .graphql(
            "query($c: ID!) { records(connection: $c, model: \"contacts\", includeDeleted: true, first: 100) { edges { node { externalId deletedAt } } } }",
            json!({ "c": connection }),
        )
        .await;
    let gone: Vec<String> = body["data"]["records"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["deletedAt"].is_string())
        .map(|e| e["node"]["externalId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(gone, removed);
}

#[tokio::test]
async fn a_run_whose_process_was_killed_resumes_in_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = crate::helpers::fresh_database_url(&dir).await;
    let fake = FakeCrm::start(100).await;
    fake.crm.hang_from_page.store(4, Ordering::SeqCst);
    let (child, remote, _data_dir) = crate::cli::serve_child(&database_url, &[]).await;
    let api_key = remote.api_key.clone();
    let (connection, sync) = sync_of(&remote, &fake, 10, json!({})).await;
    let run = start_run(&remote, &sync, false).await;
    wait_for(&remote, &run, |r| r["pages"] == 3).await;
    tokio::task::spawn_blocking(move || child.kill())
        .await
        .unwrap();

    fake.crm.hang_from_page.store(0, Ordering::SeqCst);
    let mut next = spawn_app_with(move |c| c.database_url = database_url).await;
    next.api_key = api_key;
    let done = wait_for(&next, &run, finished).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(counts(&done), [100, 0, 0, 0, 0]);
    assert_eq!(stored_records(&next, &connection, true).await, 100);
    let cursors = fake.crm.cursors.lock().unwrap().clone();
    assert_eq!(
        cursors.len(),
        11,
        "pages 1-3, the hung page 4, then pages 4-10: {cursors:?}"
    );
    assert_eq!(cursors[4], "c00030", "it resumed after page 3");
}

#[tokio::test]
async fn a_backfill_rereads_a_window_and_keeps_the_store_readable() {
    let app = spawn_app().await;
    let fake = FakeCrm::start(50).await;
    let (connection, sync) = sync_of(&app, &fake, 20, json!({})).await;
    run_to_end(&app, &sync, false).await;
    // Nothing changed: an incremental run reads (almost) nothing...
    let quiet = run_to_end(&app, &sync, false).await;
    assert!(quiet["fetched"].as_i64().unwrap() <= 1, "{quiet}");
    // ...a backfill from two days ago reads every record again, all unchanged.
    let since = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    let (_, body) = app
        .graphql(
            "mutation($s: ID!, $t: DateTime!) { backfillSync(id: $s, since: $t) { id } }",
            json!({ "s": sync, "t": since }),
        )
        .await;
    let run = body["data"]["backfillSync"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    assert_eq!(
        stored_records(&app, &connection, false).await,
        50,
        "readable throughout"
    );
    let done = wait_for(&app, &run, finished).await;
    assert_eq!(counts(&done), [0, 0, 50, 0, 0], "{done}");
    assert_eq!(stored_records(&app, &connection, false).await, 50);
}
