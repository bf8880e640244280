//! Outbound webhooks against a real receiver: Standard Webhooks signatures checked by an
//! independent library, retries with attempts recorded, filters and workspace isolation,
//! failure and replay, 410 and long failure streaks disabling a subscription, ordered delivery,
//! secret rotation, SSRF refusals, and 10 000 events across a graceful restart and a SIGKILL.

use std::{
    collections::{HashMap, HashSet},
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, error_codes, spawn_app, spawn_app_with},
    support::{
        crm::FakeCrm,
        receiver::{Delivery, Receiver},
    },
    syncs::{finished, start_run, sync_of, wait_for},
};

const CREATE: &str = "mutation($i: CreateWebhookSubscriptionInput!) {
    createWebhookSubscription(input: $i) { secret subscription { id enabled eventTypes } } }";

/// Creates a subscription; returns its id and secret.
async fn subscribe(app: &TestApp, key: &str, input: Value) -> (String, String) {
    let (_, body) = app.graphql_as(key, CREATE, json!({ "i": input })).await;
    let created = &body["data"]["createWebhookSubscription"];
    (
        created["subscription"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

/// Writes an event into the outbox, as a committed change would.
async fn emit(app: &TestApp, workspace_id: &str, event_type: &str, data: Value) -> String {
    use patchbay::entities::outbox_event;
    let id = uuid::Uuid::now_v7().to_string();
    outbox_event::ActiveModel {
        id: Set(id.clone()),
        workspace_id: Set(workspace_id.to_owned()),
        event_type: Set(event_type.to_owned()),
        data: Set(data.to_string()),
        created_at: Set(Utc::now()),
        dispatched_at: Set(None),
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    app.state.webhook_wakeup.notify_one();
    id
}

/// Waits until `done` holds for the receiver's calls.
async fn until(receiver: &Receiver, what: &str, done: impl Fn(&[Delivery]) -> bool) {
    until_within(receiver, what, Duration::from_secs(90), done).await;
}

/// [`until`] with its own patience (the 10 000-event tests on a loaded machine).
async fn until_within(
    receiver: &Receiver,
    what: &str,
    patience: Duration,
    done: impl Fn(&[Delivery]) -> bool,
) {
    let deadline = Instant::now() + patience;
    loop {
        if done(&receiver.script.calls.lock().unwrap()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the receiver got {} calls",
            receiver.script.count()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn delivery_of(app: &TestApp, subscription: &str) -> Value {
    let (_, body) = app
        .graphql(
            "query($s: ID!) { webhookDeliveries(subscription: $s) { edges { node {
                id eventId eventType status attempts lastStatusCode lastError deliveredAt payload
                attemptLog { attempt statusCode responseExcerpt durationMs error } } } } }",
            json!({ "s": subscription }),
        )
        .await;
    body["data"]["webhookDeliveries"]["edges"][0]["node"].clone()
}

/// Polls a subscription's latest delivery until `done` holds.
async fn delivery_until(app: &TestApp, subscription: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let delivery = delivery_of(app, subscription).await;
        if done(&delivery) {
            return delivery;
        }
        assert!(
            Instant::now() < deadline,
            "delivery never got there: {delivery}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn verify(secret: &str, delivery: &Delivery) -> bool {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&delivery.body, &delivery.headers)
        .is_ok()
}

#[tokio::test]
async fn sync_changes_arrive_signed_and_verify_with_an_independent_library() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (subscription, secret) = subscribe(
        &app,
        &app.api_key,
        json!({ "url": receiver.url, "eventTypes": ["record.*"] }),
    )
    .await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let fake = FakeCrm::start(5).await;
    let (_, sync) = sync_of(&app, &fake, 10, json!({})).await;
    let run = start_run(&app, &sync, false).await;
    wait_for(&app, &run, finished).await;
    until(&receiver, "five record.created", |calls| calls.len() == 5).await;

    let calls = receiver.script.acknowledged();
    let mut ids = HashSet::new();
    for call in &calls {
        assert!(
            verify(&secret, call),
            "the standardwebhooks crate verifies it"
        );
        let body = call.json();
        assert_eq!(body["type"], "record.created");
        assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(body["data"]["model"], "contacts");
        assert_eq!(body["data"]["runId"], run);
        assert!(body["data"]["record"].is_object());
        assert!(call.header("webhook-signature").starts_with("v1,"));
        ids.insert(call.header("webhook-id").to_owned());
    }
    assert_eq!(ids.len(), 5, "one webhook-id per event");
    // A wrong secret does not verify.
    let other = patchbay::webhooks::signature::Secret::generate().expose();
    assert!(!verify(&other, &calls[0]));

    // The receiver answers before the attempt is recorded: wait for the record.
    let delivery = delivery_until(&app, &subscription, |d| d["status"] == "SUCCEEDED").await;
    assert_eq!(delivery["attempts"], 1, "{delivery}");
    assert!(ids.contains(delivery["eventId"].as_str().unwrap()));

    // The reverse: what the independent library signs, Patchbay's verifier accepts.
    let signer = standardwebhooks::Webhook::new(&secret).unwrap();
    let now = Utc::now().timestamp();
    let signature = signer.sign("msg_1", now, br#"{"a":1}"#).unwrap();
    let ours = patchbay::webhooks::signature::Secret::parse(&secret).unwrap();
    patchbay::webhooks::signature::verify(
        &ours,
        &patchbay::webhooks::signature::SignedHeaders {
            id: "msg_1",
            timestamp: &now.to_string(),
            signature: &signature,
        },
        br#"{"a":1}"#,
        Utc::now(),
        chrono::TimeDelta::minutes(5),
    )
    .expect("Patchbay verifies the library's signature");
}

#[tokio::test]
async fn a_receiver_failing_three_times_gets_the_event_on_the_fourth_attempt() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    receiver.script.fail_first.store(3, Ordering::SeqCst);
    let (subscription, _) = subscribe(
        &app,
        &app.api_key,
        json!({ "url": receiver.url, "eventTypes": ["sync.*"],
                "retrySchedule": ["0s", "1s", "1s", "1s"] }),
    )
    .await;
    let workspace = app.workspace_id().await;
    let event = emit(
        &app,
        &workspace,
        "sync.succeeded",
        json!({ "syncId": "s1" }),
    )
    .await;
    until(&receiver, "four attempts", |calls| calls.len() == 4).await;

    let calls = receiver.script.calls.lock().unwrap().clone();
    assert_eq!(
        calls.iter().map(|c| c.answered).collect::<Vec<_>>(),
        [500, 500, 500, 200]
    );
    assert!(
        calls.iter().all(|c| c.header("webhook-id") == event),
        "the same webhook-id on every attempt"
    );
    let delivery = delivery_until(&app, &subscription, |d| d["status"] == "SUCCEEDED").await;
    assert_eq!(delivery["attempts"], 4, "{delivery}");
    let log = delivery["attemptLog"].as_array().unwrap();
    assert_eq!(
        log.iter()
            .map(|a| a["statusCode"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [500, 500, 500, 200]
    );
    assert_eq!(log[0]["responseExcerpt"], "receiver down");
    assert_eq!(log[3]["attempt"], 4);
}

#[tokio::test]
async fn exhausted_attempts_fail_the_delivery_and_a_replay_sends_it_again() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    receiver.script.status.store(503, Ordering::SeqCst);
    let (subscription, _) = subscribe(
        &app,
        &app.api_key,
        json!({ "url": receiver.url, "eventTypes": ["*"], "maxAttempts": 2,
                "retrySchedule": ["0s", "0s", "0s"] }),
    )
    .await;
    let workspace = app.workspace_id().await;
    emit(&app, &workspace, "sync.failed", json!({ "syncId": "s1" })).await;
    let failed = delivery_until(&app, &subscription, |d| d["status"] == "FAILED").await;
    assert_eq!(
        failed["attempts"], 2,
        "maxAttempts caps the schedule: {failed}"
    );
    assert_eq!(failed["lastStatusCode"], 503);
    assert_eq!(receiver.script.count(), 2);

    receiver.script.status.store(200, Ordering::SeqCst);
    let (_, body) = app
        .graphql(
            "mutation($d: ID!) { replayWebhookDelivery(id: $d) { status } }",
            json!({ "d": failed["id"] }),
        )
        .await;
    assert_eq!(body["data"]["replayWebhookDelivery"]["status"], "PENDING");
    let delivered = delivery_until(&app, &subscription, |d| d["status"] == "SUCCEEDED").await;
    assert_eq!(
        delivered["attempts"], 1,
        "a replay starts a fresh set of attempts"
    );
    assert_eq!(
        delivered["attemptLog"].as_array().unwrap().len(),
        3,
        "history kept"
    );

    // Several failures at once, replayed by time.
    receiver.script.status.store(500, Ordering::SeqCst);
    let since = Utc::now();
    for n in 0..3 {
        emit(&app, &workspace, "sync.failed", json!({ "n": n })).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while receiver.script.count() < 3 + 6 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    receiver.script.status.store(200, Ordering::SeqCst);
    let (_, body) = app
        .graphql(
            "mutation($s: ID!, $t: DateTime!) { replayWebhookDeliveries(subscription: $s, since: $t) }",
            json!({ "s": subscription, "t": since.to_rfc3339() }),
        )
        .await;
    assert_eq!(body["data"]["replayWebhookDeliveries"], 3, "{body}");
    until(&receiver, "the three replayed", |calls| {
        calls.iter().filter(|c| c.answered == 200).count() == 4
    })
    .await;
}

#[tokio::test]
async fn filters_select_events_and_a_workspace_never_receives_anothers() {
    let app = spawn_app().await;
    let contacts = Receiver::start().await;
    let everything_b = Receiver::start().await;
    subscribe(
        &app,
        &app.api_key,
        json!({ "url": contacts.url, "eventTypes": ["record.created", "record.updated"],
                "filter": { "all": [
                    { "field": "data.model", "eq": "contacts" },
                    { "field": "data.record.email", "exists": true } ] } }),
    )
    .await;
    let other_key = app.key_in_new_workspace("other").await;
    subscribe(
        &app,
        &other_key,
        json!({ "url": everything_b.url, "eventTypes": ["*"] }),
    )
    .await;
    let workspace = app.workspace_id().await;
    let wanted = emit(
        &app,
        &workspace,
        "record.created",
        json!({ "model": "contacts", "record": { "email": "a@example.com" } }),
    )
    .await;
    emit(
        &app,
        &workspace,
        "record.created",
        json!({ "model": "deals", "record": { "email": "x" } }),
    )
    .await;
    emit(
        &app,
        &workspace,
        "record.updated",
        json!({ "model": "contacts", "record": {} }),
    )
    .await;
    emit(
        &app,
        &workspace,
        "record.deleted",
        json!({ "model": "contacts", "record": { "email": "y" } }),
    )
    .await;
    until(&contacts, "the one matching event", |calls| {
        !calls.is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let calls = contacts.script.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "only the matching event");
    assert_eq!(calls[0].header("webhook-id"), wanted);
    assert_eq!(
        everything_b.script.count(),
        0,
        "workspace B saw nothing of A"
    );

    // Validation names the bad part.
    let (_, body) = app
        .graphql(
            CREATE,
            json!({ "i": { "url": contacts.url, "eventTypes": ["record.*"],
                "filter": { "any": [ { "field": "data.model", "eq": "x" }, { "field": "data.x", "like": 1 } ] } } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["INVALID_INPUT"]);
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("filter.any[1]"), "{message}");
    let (_, body) = app
        .graphql(
            CREATE,
            json!({ "i": { "url": contacts.url, "eventTypes": ["record.update"] } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["INVALID_INPUT"]);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("record.updated"),
        "{body}"
    );
    let (_, body) = app
        .graphql(
            CREATE,
            json!({ "i": { "url": contacts.url, "eventTypes": ["*"], "retrySchedule": ["5x"] } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["INVALID_INPUT"]);
}

#[tokio::test]
async fn a_410_disables_the_subscription_and_tells_other_subscribers() {
    let app = spawn_app().await;
    let gone = Receiver::start().await;
    gone.script.status.store(410, Ordering::SeqCst);
    let watcher = Receiver::start().await;
    let (subscription, _) = subscribe(
        &app,
        &app.api_key,
        json!({ "url": gone.url, "eventTypes": ["sync.*"] }),
    )
    .await;
    subscribe(
        &app,
        &app.api_key,
        json!({ "url": watcher.url, "eventTypes": ["webhook.*"] }),
    )
    .await;
    let workspace = app.workspace_id().await;
    emit(&app, &workspace, "sync.succeeded", json!({})).await;
    until(&watcher, "webhook.disabled", |calls| !calls.is_empty()).await;
    let event = watcher.script.calls.lock().unwrap()[0].json();
    assert_eq!(event["type"], "webhook.disabled");
    assert_eq!(event["data"]["subscriptionId"], subscription);
    assert_eq!(gone.script.count(), 1, "no retry after 410");
    let (_, body) = app
        .graphql(
            "query($s: ID!) { webhookSubscription(id: $s) { enabled disabledReason } }",
            json!({ "s": subscription }),
        )
        .await;
    assert_eq!(body["data"]["webhookSubscription"]["enabled"], false);
    assert!(
        body["data"]["webhookSubscription"]["disabledReason"]
            .as_str()
            .unwrap()
            .contains("410")
    );
    emit(&app, &workspace, "sync.succeeded", json!({})).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        gone.script.count(),
        1,
        "a disabled subscription receives nothing"
    );
}

#[tokio::test]
async fn a_long_failure_streak_warns_then_disables_the_subscription() {
    let app = spawn_app_with(|config| {
        config.webhooks.disable.disable_after = chrono::TimeDelta::seconds(4);
    })
    .await;
    let failing = Receiver::start().await;
    failing.script.status.store(500, Ordering::SeqCst);
    let watcher = Receiver::start().await;
    let (subscription, _) = subscribe(
        &app,
        &app.api_key,
        json!({ "url": failing.url, "eventTypes": ["sync.*"],
                "retrySchedule": ["1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s"] }),
    )
    .await;
    subscribe(
        &app,
        &app.api_key,
        json!({ "url": watcher.url, "eventTypes": ["webhook.*"] }),
    )
    .await;
    let workspace = app.workspace_id().await;
    emit(&app, &workspace, "sync.failed", json!({})).await;
    until(&watcher, "warning then disabled", |calls| calls.len() >= 2).await;
    let types: Vec<String> = watcher
        .script
        .calls
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types, ["webhook.disabling_soon", "webhook.disabled"]);
    let delivery = delivery_of(&app, &subscription).await;
    assert_eq!(delivery["status"], "FAILED", "{delivery}");
}

#[tokio::test]
async fn an_ordered_subscription_delivers_each_records_events_in_order() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    receiver.script.fail_first.store(1, Ordering::SeqCst);
    subscribe(
        &app,
        &app.api_key,
        json!({ "url": receiver.url, "eventTypes": ["record.*"], "ordered": true,
                "retrySchedule": ["1s"] }),
    )
    .await;
    let workspace = app.workspace_id().await;
    let first = emit(
        &app,
        &workspace,
        "record.created",
        json!({ "recordId": "r1" }),
    )
    .await;
    let second = emit(
        &app,
        &workspace,
        "record.updated",
        json!({ "recordId": "r1" }),
    )
    .await;
    let other = emit(
        &app,
        &workspace,
        "record.created",
        json!({ "recordId": "r2" }),
    )
    .await;
    until(&receiver, "all three acknowledged", |calls| {
        calls.iter().filter(|c| c.answered == 200).count() == 3
    })
    .await;
    let acknowledged: Vec<String> = receiver
        .script
        .acknowledged()
        .iter()
        .map(|c| c.header("webhook-id").to_owned())
        .collect();
    let at = |id: &str| acknowledged.iter().position(|a| a == id).unwrap();
    assert!(
        at(&first) < at(&second),
        "r1's events in order: {acknowledged:?}"
    );
    assert!(at(&other) < at(&first), "r2 does not wait for r1's retry");
}

#[tokio::test]
async fn a_rotated_secret_signs_alongside_the_previous_one() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (subscription, old) = subscribe(
        &app,
        &app.api_key,
        json!({ "url": receiver.url, "eventTypes": ["sync.*"] }),
    )
    .await;
    let (_, body) = app
        .graphql(
            "mutation($s: ID!) { rotateWebhookSecret(id: $s) { secret subscription { previousSecretExpiresAt } } }",
            json!({ "s": subscription }),
        )
        .await;
    let new = body["data"]["rotateWebhookSecret"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, old);
    let expires: chrono::DateTime<Utc> =
        body["data"]["rotateWebhookSecret"]["subscription"]["previousSecretExpiresAt"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
    assert!(
        (expires - Utc::now() - chrono::TimeDelta::hours(24))
            .num_seconds()
            .abs()
            < 60
    );
    let workspace = app.workspace_id().await;
    emit(&app, &workspace, "sync.succeeded", json!({})).await;
    until(&receiver, "one delivery", |calls| calls.len() == 1).await;
    let call = receiver.script.calls.lock().unwrap()[0].clone();
    assert_eq!(call.header("webhook-signature").split(' ').count(), 2);
    assert!(verify(&new, &call), "the new secret verifies");
    assert!(verify(&old, &call), "the old secret still verifies");
    // Secrets are stored sealed, never in clear.
    let stored = app.stored_text().await;
    assert!(!stored.contains(&new[6..]) && !stored.contains(&old[6..]));
    let (_, body) = app
        .graphql(
            "query { webhookSubscriptions { edges { node { id url } } } }",
            json!({}),
        )
        .await;
    assert!(!body.to_string().contains("whsec_"));
}

#[tokio::test]
async fn subscription_urls_at_private_or_metadata_addresses_are_refused() {
    let app = spawn_app_with(|config| config.allow_private_networks = false).await;
    for url in [
        "http://127.0.0.1:9/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.8/hooks",
        "http://[::1]/hooks",
        "http://localhost/hooks",
        "ftp://example.com/hooks",
    ] {
        let (_, body) = app
            .graphql(CREATE, json!({ "i": { "url": url, "eventTypes": ["*"] } }))
            .await;
        assert_eq!(error_codes(&body), ["INVALID_INPUT"], "{url}: {body}");
    }
}

/// Creates a subscription and a 10 000-record sync whose events flow to `receiver`.
async fn ten_thousand_events(app: &TestApp, receiver: &Receiver, fake: &FakeCrm) -> String {
    subscribe(
        app,
        &app.api_key,
        json!({ "url": receiver.url, "eventTypes": ["record.created"],
                "retrySchedule": ["0s", "1s"] }),
    )
    .await;
    let (_, sync) = sync_of(app, fake, 500, json!({})).await;
    start_run(app, &sync, false).await
}

/// How many different events were acknowledged.
fn distinct_acknowledged(calls: &[Delivery]) -> usize {
    calls
        .iter()
        .filter(|c| c.answered == 200)
        .map(|c| c.header("webhook-id"))
        .collect::<HashSet<_>>()
        .len()
}

/// Every one of the 10 000 events was acknowledged; returns how many came twice.
fn all_acknowledged_once_or_in_flight(receiver: &Receiver) -> usize {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for call in receiver.script.acknowledged() {
        *seen
            .entry(call.header("webhook-id").to_owned())
            .or_default() += 1;
    }
    assert_eq!(seen.len(), 10_000, "every event delivered");
    seen.values().filter(|&&n| n > 1).count()
}

#[tokio::test]
async fn ten_thousand_events_survive_a_graceful_restart() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let fake = FakeCrm::start(10_000).await;
    let run = ten_thousand_events(&app, &receiver, &fake).await;
    until(&receiver, "a third delivered", |calls| calls.len() >= 3_000).await;
    let url = app.database_url.clone();
    let key = app.api_key.clone();
    app.shutdown.cancel();
    app.server.await.unwrap().unwrap();
    let at_stop = receiver.script.count();
    assert!(at_stop < 10_000, "stopped midway ({at_stop})");

    let mut next = spawn_app_with(move |config| config.database_url = url).await;
    next.api_key = key;
    until_within(
        &receiver,
        "all delivered",
        Duration::from_secs(600),
        |calls| distinct_acknowledged(calls) >= 10_000,
    )
    .await;
    let done = wait_for(&next, &run, finished).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        all_acknowledged_once_or_in_flight(&receiver),
        0,
        "a graceful stop finishes what is in flight: no duplicates"
    );
}

#[tokio::test]
async fn ten_thousand_events_survive_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = crate::helpers::fresh_database_url(&dir).await;
    let receiver = Receiver::start().await;
    let fake = FakeCrm::start(10_000).await;
    let (child, remote, _data_dir) = crate::cli::serve_child(
        &database_url,
        &[
            ("PATCHBAY_WEBHOOK_LEASE_SECS", "2"),
            ("PATCHBAY_WEBHOOK_TIMEOUT_SECS", "1"),
        ],
    )
    .await;
    let api_key = remote.api_key.clone();
    let run = ten_thousand_events(&remote, &receiver, &fake).await;
    until(&receiver, "a third delivered", |calls| calls.len() >= 3_000).await;
    tokio::task::spawn_blocking(move || child.kill())
        .await
        .unwrap();
    let at_kill = receiver.script.count();

    let mut next = spawn_app_with(move |config| {
        config.database_url = database_url;
        config.webhooks.lease = Duration::from_secs(2);
    })
    .await;
    next.api_key = api_key;
    until_within(
        &receiver,
        "all delivered",
        Duration::from_secs(600),
        |calls| distinct_acknowledged(calls) >= 10_000,
    )
    .await;
    let done = wait_for(&next, &run, finished).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let twice = all_acknowledged_once_or_in_flight(&receiver);
    assert!(
        twice <= 16,
        "only the deliveries in flight at the kill (at most the 16 concurrent) come twice: {twice}"
    );
    assert!(at_kill < 10_000, "killed midway ({at_kill})");
}

/// A Stripe connection (the catalog connector) with a webhook secret; returns its id.
async fn stripe_connection(app: &TestApp, secret: &str) -> String {
    let (_, body) = app
        .graphql(
            "mutation($i: CreateConnectionInput!) { createConnection(input: $i) { id } }",
            json!({ "i": { "connector": "stripe", "name": "stripe in",
                "credentials": { "token": "sk_test_1", "webhook_secret": secret } } }),
        )
        .await;
    body["data"]["createConnection"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// POSTs a Stripe-signed event (signed at `signed_at`, with `secret`).
async fn post_stripe(
    app: &TestApp,
    connection: &str,
    secret: &str,
    signed_at: i64,
    body: &str,
) -> (u16, Value) {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{signed_at}.{body}").as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    let response = app
        .client
        .post(format!("{}/webhooks/in/{connection}", app.address))
        .header("Stripe-Signature", format!("t={signed_at},v1={signature}"))
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn customers(app: &TestApp, connection: &str) -> Vec<Value> {
    let (_, body) = app
        .graphql(
            "query($c: ID!) { records(connection: $c, model: \"customers\", includeDeleted: true) {
                edges { node { externalId data deletedAt lastChangedRunId } } } }",
            json!({ "c": connection }),
        )
        .await;
    body["data"]["records"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn a_verified_provider_event_changes_the_record_once_and_a_forged_one_nothing() {
    let app = spawn_app().await;
    let secret = "whsec_stripe_endpoint_secret_1";
    let connection = stripe_connection(&app, secret).await;
    let receiver = Receiver::start().await;
    subscribe(
        &app,
        &app.api_key,
        json!({ "url": receiver.url, "eventTypes": ["record.*"] }),
    )
    .await;
    let now = Utc::now().timestamp();
    let event = json!({ "id": "evt_1", "type": "customer.created",
        "data": { "object": { "id": "cus_1", "email": "ada@example.com" } } })
    .to_string();

    let (status, body) = post_stripe(&app, &connection, secret, now, &event).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["created"], 1);
    let stored = customers(&app, &connection).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["externalId"], "cus_1");
    assert_eq!(stored[0]["data"]["email"], "ada@example.com");
    assert_eq!(stored[0]["lastChangedRunId"], "webhook:evt_1");
    until(&receiver, "record.created goes out", |calls| {
        calls.len() == 1
    })
    .await;
    assert_eq!(
        receiver.script.calls.lock().unwrap()[0].json()["data"]["source"],
        "webhook"
    );

    // The same event again: a no-op.
    let (status, body) = post_stripe(&app, &connection, secret, now, &event).await;
    assert_eq!((status, body["duplicates"].clone()), (200, json!(1)));

    // Forged, stale and replayed-with-another-body requests change nothing.
    let changed = json!({ "id": "evt_2", "type": "customer.updated",
        "data": { "object": { "id": "cus_1", "email": "eve@example.com" } } })
    .to_string();
    let (status, body) = post_stripe(&app, &connection, "whsec_wrong", now, &changed).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "UNAUTHENTICATED");
    let (status, _) = post_stripe(&app, &connection, secret, now - 3600, &changed).await;
    assert_eq!(status, 401, "a stale timestamp is refused");
    let response = app
        .client
        .post(format!("{}/webhooks/in/{connection}", app.address))
        .body(changed.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401, "no signature at all");
    assert_eq!(
        customers(&app, &connection).await[0]["data"]["email"],
        "ada@example.com"
    );

    // A real update, then a deletion.
    let (_, body) = post_stripe(&app, &connection, secret, now, &changed).await;
    assert_eq!(body["updated"], 1, "{body}");
    let deleted = json!({ "id": "evt_3", "type": "customer.deleted",
        "data": { "object": { "id": "cus_1" } } })
    .to_string();
    let (_, body) = post_stripe(&app, &connection, secret, now, &deleted).await;
    assert_eq!(body["deleted"], 1, "{body}");
    let stored = customers(&app, &connection).await;
    assert!(stored[0]["deletedAt"].is_string());
    assert_eq!(
        stored[0]["data"]["email"], "eve@example.com",
        "kept, marked deleted"
    );

    // Unknown event types are acknowledged and ignored; unknown connections are 404.
    let other =
        json!({ "id": "evt_4", "type": "balance.available", "data": { "object": {} } }).to_string();
    let (_, body) = post_stripe(&app, &connection, secret, now, &other).await;
    assert_eq!(body["ignored"], 1);
    let (status, _) = post_stripe(&app, "no-such-connection", secret, now, &other).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_inbound_body_above_the_limit_is_refused() {
    let app = spawn_app_with(|config| config.webhooks.inbound_max_bytes = 4096).await;
    let secret = "whsec_stripe_endpoint_secret_2";
    let connection = stripe_connection(&app, secret).await;
    let big = json!({ "id": "evt_big", "type": "customer.created",
        "data": { "object": { "id": "cus_big", "note": "x".repeat(10_000) } } })
    .to_string();
    let (status, body) = post_stripe(&app, &connection, secret, Utc::now().timestamp(), &big).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    assert!(customers(&app, &connection).await.is_empty());
}

#[tokio::test]
async fn two_processes_share_the_deliveries_and_send_none_twice() {
    use patchbay::entities::outbox_event;
    let app = spawn_app().await;
    let sibling = crate::helpers::spawn_sibling(&app).await;
    let receiver = Receiver::start().await;
    receiver.script.delay_ms.store(2, Ordering::SeqCst);
    subscribe(
        &app,
        &app.api_key,
        json!({ "url": receiver.url, "eventTypes": ["sync.*"] }),
    )
    .await;
    let workspace = app.workspace_id().await;
    for batch in 0..10 {
        let rows: Vec<_> = (0..200)
            .map(|n| outbox_event::ActiveModel {
                id: Set(uuid::Uuid::now_v7().to_string()),
                workspace_id: Set(workspace.clone()),
                event_type: Set("sync.succeeded".to_owned()),
                data: Set(json!({ "n": batch * 200 + n }).to_string()),
                created_at: Set(Utc::now()),
                dispatched_at: Set(None),
            })
            .collect();
        outbox_event::Entity::insert_many(rows)
            .exec(&app.state.db)
            .await
            .unwrap();
        app.state.webhook_wakeup.notify_one();
        sibling.state.webhook_wakeup.notify_one();
    }
    until(&receiver, "2 000 delivered", |calls| calls.len() >= 2_000).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let calls = receiver.script.calls.lock().unwrap().clone();
    let ids: HashSet<&str> = calls.iter().map(|c| c.header("webhook-id")).collect();
    assert_eq!(
        (calls.len(), ids.len()),
        (2_000, 2_000),
        "each event sent once"
    );
    let counts = |rows: Vec<patchbay::entities::webhook_attempt::Model>| rows.len();
    let attempts = counts(
        patchbay::entities::webhook_attempt::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap(),
    );
    assert_eq!(attempts, 2_000, "one recorded attempt per delivery");
}

#[tokio::test]
async fn retention_deletes_finished_deliveries_and_keeps_pending_ones() {
    use patchbay::entities::{outbox_event, webhook_attempt, webhook_delivery};
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (subscription, _) = subscribe(
        &app,
        &app.api_key,
        json!({ "url": receiver.url, "eventTypes": ["sync.*"] }),
    )
    .await;
    let workspace = app.workspace_id().await;
    emit(&app, &workspace, "sync.succeeded", json!({})).await;
    delivery_until(&app, &subscription, |d| d["status"] == "SUCCEEDED").await;
    receiver.script.status.store(500, Ordering::SeqCst);
    emit(&app, &workspace, "sync.failed", json!({})).await;
    delivery_until(&app, &subscription, |d| d["attempts"].as_i64() >= Some(1)).await;

    // Nothing is old enough yet.
    let kept = patchbay::webhooks::retention::prune(
        &app.state.db,
        Utc::now() - chrono::TimeDelta::days(30),
    )
    .await
    .unwrap();
    assert_eq!(kept, Default::default());
    // A cutoff in the future: the finished delivery and its event go, the retrying one stays.
    let pruned = patchbay::webhooks::retention::prune(
        &app.state.db,
        Utc::now() + chrono::TimeDelta::minutes(1),
    )
    .await
    .unwrap();
    assert_eq!(pruned.deliveries, 1, "{pruned:?}");
    assert_eq!(pruned.events, 2, "both events were dispatched");
    let left = webhook_delivery::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].status, "pending");
    let attempts = webhook_attempt::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(
        attempts.iter().all(|a| a.delivery_id == left[0].id),
        "attempts went with their delivery"
    );
    assert!(
        outbox_event::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .is_empty()
    );
}
