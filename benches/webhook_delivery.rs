//! Webhook delivery benchmark: how fast committed events reach a receiver.
//!
//! One Patchbay server (SQLite in a temporary file; PostgreSQL too when
//! `PATCHBAY_BENCH_DATABASE_URL` names an admin URL, with a fresh database per measurement),
//! one subscription, and a loopback axum receiver answering 200 that notes when each
//! `webhook-id` first arrived. Events are written into the outbox in transactions of 100, as a
//! sync page commits them, and the time of each commit is kept. Two measurements:
//!
//! - **burst**: 10 000 events committed as fast as the database takes them; prints deliveries
//!   per second (first commit to last arrival) and the commit-to-arrival delay (p50, p99, max),
//!   which here is mostly time spent queued behind the burst;
//! - **steady**: 2 000 events at 200 per second, well under capacity; its delays are the
//!   latency one event sees on a quiet system.
//!
//! `cargo bench --bench webhook_delivery [-- --quick]` (`--quick`: 2 000-event burst, 500
//! steady). `PATCHBAY_BENCH_BACKENDS` (`sqlite`, `postgres`) narrows the databases. It measures;
//! it asserts nothing.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{Router, extract::State, http::HeaderMap, routing::post};
use chrono::Utc;
use patchbay::{
    config::{Config, Limits},
    entities::outbox_event,
    server::Application,
};
use sea_orm::{ConnectionTrait, Database, EntityTrait, Set, TransactionTrait};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

async fn receive(State(arrivals): State<Arrivals>, headers: HeaderMap) -> &'static str {
    if let Some(id) = headers.get("webhook-id").and_then(|v| v.to_str().ok()) {
        arrivals
            .lock()
            .unwrap()
            .entry(id.to_owned())
            .or_insert_with(Instant::now);
    }
    "ok"
}

async fn receiver() -> (String, Arrivals) {
    let arrivals: Arrivals = Arc::default();
    let app = Router::new()
        .route("/hooks", post(receive))
        .with_state(arrivals.clone());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, arrivals)
}

/// A fresh database URL for the backend, and the PostgreSQL database to drop afterwards.
async fn fresh(backend: &str, dir: &tempfile::TempDir) -> (String, Option<(String, String)>) {
    if backend == "sqlite" {
        return (patchbay::config::default_sqlite_url(dir.path()), None);
    }
    let admin_url = std::env::var("PATCHBAY_BENCH_DATABASE_URL").unwrap();
    let name = format!("pb_bench_wh_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&admin_url).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    admin.close().await.ok();
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base.to_owned(), format!("?{query}")),
        None => (admin_url.clone(), String::new()),
    };
    let server = base.rsplit_once('/').map_or(base.as_str(), |(s, _)| s);
    (format!("{server}/{name}{query}"), Some((admin_url, name)))
}

struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

async fn measure(backend: &str, events: usize, rate: Option<f64>) -> Figures {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, drop) = fresh(backend, &dir).await;
    let config = Config {
        database_url,
        data_dir: dir.path().to_owned(),
        master_key: Some(SecretString::from("42".repeat(32))),
        previous_master_key: None,
        listen: "127.0.0.1:0".parse().unwrap(),
        auto_migrate: true,
        shutdown_timeout: Duration::from_secs(5),
        limits: Limits::default(),
        usage_flush_interval: Duration::from_secs(1),
        key_cache_refresh: Duration::from_millis(100),
        allow_private_networks: true,
        http_timeout: Duration::from_secs(60),
        http_connect_timeout: Duration::from_secs(10),
        public_url: None,
        webhooks: Default::default(),
        sync: Default::default(),
        http_retry: Default::default(),
        insecure_disable_auth: false,
    };
    let mut app = Application::build(config).await.unwrap();
    let key = app
        .take_bootstrap_key()
        .unwrap()
        .secret
        .expose_secret()
        .to_owned();
    let address = format!("http://127.0.0.1:{}/graphql", app.port());
    let state = app.state().clone();
    let shutdown = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());
    let (url, arrivals) = receiver().await;
    let client = reqwest::Client::new();
    let created: serde_json::Value = client
        .post(&address)
        .bearer_auth(&key)
        .json(&json!({
            "query": "mutation($i: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $i) { subscription { id } } }",
            "variables": { "i": { "url": url, "eventTypes": ["record.*"] } }
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(created["errors"].is_null(), "{created}");
    let viewer: serde_json::Value = client
        .post(&address)
        .bearer_auth(&key)
        .json(&json!({ "query": "{ viewer { workspace { id } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let workspace = viewer["data"]["viewer"]["workspace"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{viewer}"))
        .to_owned();

    let record = json!({ "id": "x", "email": "someone@example.com", "note": "y".repeat(700) });
    let mut committed: HashMap<String, Instant> = HashMap::with_capacity(events);
    let started = Instant::now();
    let batch = 100;
    for n in 0..events.div_ceil(batch) {
        if let Some(rate) = rate {
            let due = started + Duration::from_secs_f64((n * batch) as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
        }
        let txn = state.db.begin().await.unwrap();
        let mut ids = Vec::with_capacity(batch);
        let rows: Vec<_> = (0..batch.min(events - n * batch))
            .map(|i| {
                let id = uuid::Uuid::now_v7().to_string();
                ids.push(id.clone());
                outbox_event::ActiveModel {
                    id: Set(id),
                    workspace_id: Set(workspace.clone()),
                    event_type: Set("record.created".to_owned()),
                    data: Set(
                        json!({ "recordId": format!("r{n}-{i}"), "model": "contacts",
                        "record": record })
                        .to_string(),
                    ),
                    created_at: Set(Utc::now()),
                    dispatched_at: Set(None),
                }
            })
            .collect();
        outbox_event::Entity::insert_many(rows)
            .exec(&txn)
            .await
            .unwrap();
        txn.commit().await.unwrap();
        let at = Instant::now();
        for id in ids {
            committed.insert(id, at);
        }
        // As the sync engine does after each page: wake the worker through the event channel.
        state.webhook_wakeup.notify_one();
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    while arrivals.lock().unwrap().len() < events && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let arrivals = arrivals.lock().unwrap().clone();
    let mut delays: Vec<Duration> = committed
        .iter()
        .filter_map(|(id, at)| {
            arrivals
                .get(id)
                .map(|arrived| arrived.saturating_duration_since(*at))
        })
        .collect();
    delays.sort();
    let last = arrivals.values().max().copied().unwrap_or(started);
    shutdown.cancel();
    server.await.ok();
    if let Some((admin_url, name)) = drop
        && let Ok(admin) = Database::connect(&admin_url).await
    {
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await
            .ok();
    }
    let pick = |q: f64| {
        delays
            .get(((delays.len() as f64 * q) as usize).min(delays.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Figures {
        per_second: delays.len() as f64 / last.duration_since(started).as_secs_f64(),
        p50: pick(0.50),
        p99: pick(0.99),
        max: delays.last().copied().unwrap_or_default(),
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (burst, steady) = if quick { (2_000, 500) } else { (10_000, 2_000) };
    let mut backends = vec!["sqlite"];
    if std::env::var_os("PATCHBAY_BENCH_DATABASE_URL").is_some() {
        backends.push("postgres");
    }
    if let Ok(only) = std::env::var("PATCHBAY_BENCH_BACKENDS") {
        backends.retain(|b| only.split(',').any(|o| o.trim() == *b));
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    println!(
        "webhook delivery: one subscription, a loopback receiver answering 200, default settings (16 in flight)"
    );
    println!(
        "{:<9} {:<22} {:>12} {:>10} {:>10} {:>10}",
        "backend", "load", "deliveries/s", "p50", "p99", "max"
    );
    for backend in backends {
        for (label, events, rate) in [
            (format!("burst of {burst}"), burst, None),
            (format!("{steady} at 200/s"), steady, Some(200.0)),
        ] {
            let figures = runtime.block_on(measure(backend, events, rate));
            println!(
                "{:<9} {:<22} {:>12.0} {:>9.1?} {:>9.1?} {:>9.1?}",
                backend, label, figures.per_second, figures.p50, figures.p99, figures.max
            );
        }
    }
}
