//! What authentication and rate limiting cost per request.
//!
//! Prints the latency of the gate itself (`auth::admit`: key format + checksum, hash, key
//! cache, limiter, usage count) as p50/p99, the cost of the database read a cache miss pays, and the throughput of `{ viewer { id } }`
//! over real HTTP with authentication on and off (same binary, same run, interleaved rounds).
//! Exits non-zero when the throughput ratio on/off falls below 0.9.
//!
//! `cargo bench --bench auth_overhead` (SQLite in a temporary directory).

use std::time::{Duration, Instant};

use patchbay::{
    config::{Config, Limits},
    server::Application,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

const ROUNDS: usize = 6;
const REQUESTS_PER_ROUND: usize = 2_000;
const CONCURRENCY: usize = 4;
const GATE_SAMPLES: usize = 5_000;

struct Served {
    url: String,
    key: String,
    state: patchbay::state::AppState,
    _dir: tempfile::TempDir,
}

async fn start(disable_auth: bool) -> Served {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = Config {
        database_url: patchbay::config::default_sqlite_url(dir.path()),
        data_dir: dir.path().to_owned(),
        master_key: Some(SecretString::from("42".repeat(32))),
        previous_master_key: None,
        listen: "127.0.0.1:0".parse().expect("address"),
        auto_migrate: true,
        shutdown_timeout: Duration::from_secs(1),
        limits: Limits::default(),
        usage_flush_interval: Duration::from_secs(1),
        key_cache_refresh: std::time::Duration::from_millis(100),
        allow_private_networks: true,
        http_timeout: Duration::from_secs(60),
        http_connect_timeout: Duration::from_secs(10),
        public_url: None,
        webhooks: Default::default(),
        sync: patchbay::sync::scheduler::SyncSettings {
            lease: std::time::Duration::from_secs(3),
            poll: std::time::Duration::from_millis(50),
            ..Default::default()
        },
        http_retry: patchbay::connectors::retry::RetryPolicy {
            base_delay: std::time::Duration::from_millis(10),
            max_delay: std::time::Duration::from_millis(100),
            max_retry_after: std::time::Duration::from_secs(2),
            ..Default::default()
        },
        insecure_disable_auth: disable_auth,
    };
    let mut app = Application::build(config)
        .await
        .expect("the application builds");
    let admin = app
        .take_bootstrap_key()
        .expect("bootstrap key")
        .secret
        .expose_secret()
        .to_owned();
    let url = format!("http://127.0.0.1:{}/graphql", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    // A key whose limit the benchmark never reaches, so every request is admitted.
    let created: Value = reqwest::Client::new()
        .post(&url)
        .bearer_auth(&admin)
        .json(&json!({ "query": "mutation { createApiKey(input: {name: \"bench\", scopes: [\"*\"], rateLimitPerMinute: 1000000}) { secret } }" }))
        .send()
        .await
        .expect("create a key")
        .json()
        .await
        .expect("JSON");
    let key = created["data"]["createApiKey"]["secret"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or(admin);
    Served {
        url,
        key,
        state,
        _dir: dir,
    }
}

/// Runs `REQUESTS_PER_ROUND` viewer queries with `CONCURRENCY` clients; returns requests/s.
async fn round(served: &Served, client: &reqwest::Client) -> f64 {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let client = client.clone();
        let url = served.url.clone();
        let key = served.key.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..REQUESTS_PER_ROUND / CONCURRENCY {
                let response = client
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&json!({ "query": "{ viewer { id } }" }))
                    .send()
                    .await
                    .expect("request");
                assert_eq!(response.status(), 200);
                let _ = response.bytes().await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("client task");
    }
    REQUESTS_PER_ROUND as f64 / started.elapsed().as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let on = start(false).await;
    let off = start(true).await;
    let client = reqwest::Client::new();

    // The gate alone.
    let mut samples = Vec::with_capacity(GATE_SAMPLES);
    for _ in 0..GATE_SAMPLES {
        let started = Instant::now();
        patchbay::auth::admit(&on.state, Some(&on.key))
            .await
            .expect("admitted");
        samples.push(started.elapsed());
    }
    samples.sort();
    println!(
        "auth + rate limit (admit), {GATE_SAMPLES} calls: p50 {:.1} µs, p99 {:.1} µs",
        percentile(&samples, 0.50).as_secs_f64() * 1e6,
        percentile(&samples, 0.99).as_secs_f64() * 1e6,
    );

    let hash = patchbay::auth::api_key::hash(&on.key);
    let mut db_samples = Vec::with_capacity(GATE_SAMPLES);
    for _ in 0..GATE_SAMPLES {
        let started = Instant::now();
        patchbay::auth::store::find_by_hash(&on.state.db, &hash)
            .await
            .expect("found");
        db_samples.push(started.elapsed());
    }
    db_samples.sort();
    println!(
        "  a cache miss reads the key from the database: p50 {:.1} µs, p99 {:.1} µs",
        percentile(&db_samples, 0.50).as_secs_f64() * 1e6,
        percentile(&db_samples, 0.99).as_secs_f64() * 1e6,
    );
    // Warm both servers, then interleave rounds so drift affects both alike.
    round(&on, &client).await;
    round(&off, &client).await;
    let (mut with_auth, mut without_auth) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        with_auth.push(round(&on, &client).await);
        without_auth.push(round(&off, &client).await);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (on_rps, off_rps) = (median(&mut with_auth), median(&mut without_auth));
    let ratio = on_rps / off_rps;
    println!(
        "{{ viewer {{ id }} }} over HTTP, {CONCURRENCY} clients, median of {ROUNDS} rounds of {REQUESTS_PER_ROUND}:"
    );
    println!("  authentication on : {on_rps:>8.0} req/s");
    println!("  authentication off: {off_rps:>8.0} req/s");
    println!("  ratio on/off      : {ratio:.3} (target ≥ 0.9)");
    if ratio < 0.9 {
        std::process::exit(1);
    }
}
