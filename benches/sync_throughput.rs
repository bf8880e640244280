//! How fast the sync engine stores a provider's records, against a raw baseline.
//!
//! A fake API (self-contained here, in its own thread and runtime, started before anything is
//! measured) serves `PATCHBAY_BENCH_RECORDS` records (default 100 000; `--quick`: 10 000) of
//! about 1 KB each, generated deterministically page by page (nothing is held), cursor-paginated
//! with a `limit` parameter. For each page size (100 and 1000) and each database (SQLite in a
//! temporary file; PostgreSQL too when `PATCHBAY_BENCH_DATABASE_URL` names an admin URL, with a
//! fresh database per measurement) it measures:
//!
//! - (a) raw: the same pages fetched with reqwest and inserted with plain SQL into a table
//!   `(id, data)`, one transaction per page, no engine;
//! - (b) Patchbay's engine, first run (every record created), from `runSync` to the run seen
//!   finished by polling `syncRun` every 20 ms;
//! - (c) the engine again with `runSync(full: true)` (every record unchanged),
//!
//! each in records/s and resident memory (Linux: the high-water mark is reset through
//! `/proc/self/clear_refs` before each phase and read from `VmHWM` after it), and prints (b)/(a)
//! next to its target (≥ 50 %) and the engine's peak growth per phase (target: flat in the
//! number of records). Everything runs in this process: the fake, the client and the server.
//!
//! `cargo bench --bench sync_throughput [-- --quick] [-- --json]`; `PATCHBAY_BENCH_PAGE_SIZES`
//! (default `100,1000`) narrows the page sizes, `PATCHBAY_BENCH_BACKENDS` (`sqlite`,
//! `postgres`; default both) the databases; `PATCHBAY_BENCH_TRACE=1` prints each run's
//! progress and resident size at every poll; `PATCHBAY_BENCH_KEEP=1` keeps the databases. It measures; it asserts nothing.

use std::{
    fmt::Write as _,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use patchbay::{
    config::{Config, Limits},
    server::Application,
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement, TransactionTrait};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Value, json};

const TOKEN: &str = "bench_token_0123456789";
const CONNECTOR: &str = "bench_items";
const POLL: Duration = Duration::from_millis(20);
/// Rows per raw `INSERT` (two parameters each: well under SQLite's and PostgreSQL's limits).
const RAW_ROWS_PER_INSERT: usize = 500;

// --- The fake API -----------------------------------------------------------------------------

/// One record as the fake serves it: an id, a change time and thirteen strings, ≈ 1 KB.
#[derive(Serialize)]
struct Item {
    id: String,
    updated_at: String,
    first_name: &'static str,
    last_name: &'static str,
    email: String,
    phone: String,
    company: String,
    job_title: String,
    street: String,
    city: &'static str,
    country: &'static str,
    status: &'static str,
    website: String,
    tags: String,
    notes: String,
}

const WORDS: [&str; 48] = [
    "alpha",
    "bridge",
    "copper",
    "delta",
    "ember",
    "falcon",
    "garden",
    "harbor",
    "island",
    "jasper",
    "kettle",
    "lantern",
    "meadow",
    "nickel",
    "orchid",
    "pepper",
    "quartz",
    "river",
    "saffron",
    "timber",
    "umber",
    "velvet",
    "willow",
    "xenon",
    "yonder",
    "zephyr",
    "account",
    "renewal",
    "invoice",
    "pipeline",
    "contract",
    "onboarding",
    "quarterly",
    "forecast",
    "support",
    "escalation",
    "migration",
    "integration",
    "warehouse",
    "shipment",
    "discount",
    "proposal",
    "meeting",
    "follow-up",
    "priority",
    "segment",
    "territory",
    "champion",
];
const FIRST: [&str; 12] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis",
    "Radia", "Leslie",
];
const LAST: [&str; 12] = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton",
    "Ritchie", "Perlman", "Lamport",
];
const CITIES: [(&str, &str); 8] = [
    ("Lisbon", "Portugal"),
    ("Lyon", "France"),
    ("Leipzig", "Germany"),
    ("Leeds", "United Kingdom"),
    ("Lima", "Peru"),
    ("Lagos", "Nigeria"),
    ("Osaka", "Japan"),
    ("Austin", "United States"),
];
const STATUSES: [&str; 4] = ["lead", "prospect", "customer", "churned"];

/// SplitMix64: a deterministic stream per record.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn words(&mut self, count: usize, separator: &str) -> String {
        let mut text = String::new();
        for k in 0..count {
            if k > 0 {
                text.push_str(separator);
            }
            text.push_str(self.pick(&WORDS));
        }
        text
    }
}

/// Record number `i` (1-based), the same every time it is asked for.
fn item(i: u64) -> Item {
    let mut rng = Rng(i);
    let first_name = rng.pick(&FIRST);
    let last_name = rng.pick(&LAST);
    let (city, country) = rng.pick(&CITIES);
    let company = format!(
        "{} {} Ltd",
        capitalised(rng.pick(&WORDS)),
        capitalised(rng.pick(&WORDS))
    );
    let mut item = Item {
        id: format!("rec-{i:08}"),
        updated_at: (chrono::DateTime::<chrono::Utc>::UNIX_EPOCH
            + chrono::Duration::days(20_000)
            + chrono::Duration::seconds(i as i64))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        first_name,
        last_name,
        email: format!(
            "{}.{}{i}@{}.example.com",
            first_name.to_lowercase(),
            last_name.to_lowercase(),
            rng.pick(&WORDS)
        ),
        phone: format!("+1-555-{:03}-{:04}", rng.below(1000), rng.below(10_000)),
        job_title: capitalised(&rng.words(3, " ")),
        street: format!(
            "{} {} Street",
            1 + rng.below(2000),
            capitalised(&rng.words(2, " "))
        ),
        city,
        country,
        status: rng.pick(&STATUSES),
        website: format!(
            "https://www.{}.example.com/{}",
            rng.pick(&WORDS),
            rng.pick(&WORDS)
        ),
        tags: {
            let count = 3 + rng.below(4);
            rng.words(count, ",")
        },
        notes: String::new(),
        company,
    };
    // Sentences up to a total of 900..1150 bytes: about 1 KB per record, of varied length.
    let target = 900 + rng.below(250);
    let base = serde_json::to_vec(&item).map_or(0, |v| v.len());
    while base + item.notes.len() < target {
        let count = 4 + rng.below(8);
        let sentence = capitalised(&rng.words(count, " "));
        item.notes.push_str(&sentence);
        item.notes.push_str(". ");
    }
    item
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The fake's size, and how many requests repeated a query parameter.
#[derive(Clone)]
struct Fake {
    records: u64,
    repeated: Arc<AtomicU64>,
}

#[derive(Default)]
struct PageQuery {
    limit: Option<u64>,
    cursor: Option<String>,
}

/// `GET /items?limit=&cursor=`: records after the cursor (the last id of the previous page), in
/// id order, and `next_cursor` (null on the last page).
async fn list_items(
    State(fake): State<Fake>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    // A repeated parameter is tolerated (the last value wins) but counted.
    let mut query = PageQuery::default();
    let mut seen = Vec::new();
    for (key, value) in url::form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        if seen.contains(&key) {
            fake.repeated.fetch_add(1, Ordering::Relaxed);
        }
        match &*key {
            "limit" => query.limit = value.parse().ok(),
            "cursor" => query.cursor = Some(value.clone().into_owned()),
            _ => {}
        }
        seen.push(key);
    }
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {TOKEN}"))
    {
        return (StatusCode::UNAUTHORIZED, "{\"error\":\"unauthorized\"}").into_response();
    }
    let limit = query.limit.unwrap_or(100).clamp(1, 10_000);
    let after = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => 0,
        Some(cursor) => match cursor
            .strip_prefix("rec-")
            .and_then(|n| n.parse::<u64>().ok())
        {
            Some(n) => n,
            None => return (StatusCode::BAD_REQUEST, "{\"error\":\"bad cursor\"}").into_response(),
        },
    };
    let last = (after + limit).min(fake.records);
    let page: Vec<Item> = (after + 1..=last).map(item).collect();
    let next = (last < fake.records).then(|| format!("rec-{last:08}"));
    #[derive(Serialize)]
    struct Body {
        data: Vec<Item>,
        next_cursor: Option<String>,
    }
    let body = serde_json::to_vec(&Body {
        data: page,
        next_cursor: next,
    })
    .unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Starts the fake in its own thread and runtime; returns its base URL.
fn start_fake(records: u64, repeated: Arc<AtomicU64>) -> String {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("fake-api".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the fake's runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("the fake listens");
                let url = format!("http://{}", listener.local_addr().expect("address"));
                sender.send(url).expect("the bench waits for the fake");
                let router = Router::new()
                    .route("/items", get(list_items))
                    .with_state(Fake { records, repeated });
                axum::serve(listener, router)
                    .await
                    .expect("the fake serves");
            });
        })
        .expect("the fake's thread");
    receiver.recv().expect("the fake started")
}

fn definition(page_size: usize) -> Value {
    let strings = [
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "job_title",
        "street",
        "city",
        "country",
        "status",
        "website",
        "tags",
        "notes",
    ];
    let mut fields = vec![
        json!({"path": "id", "type": "string"}),
        json!({"path": "updated_at", "type": "datetime"}),
    ];
    fields.extend(strings.iter().map(|s| json!({"path": s, "type": "string"})));
    json!({
        "name": format!("{CONNECTOR}_{page_size}"),
        "display_name": "Benchmark items",
        "version": "1.0.0",
        "category": "crm",
        "base_url": "https://items.example.com",
        "auth": {"type": "bearer"},
        "check": {"path": "/items", "query": {"limit": "1"}},
        "streams": [{
            "name": "items",
            "request": {"path": "/items", "query": {"limit": page_size.to_string()}},
            "pagination": {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"},
            "record_path": "data",
            "primary_key": ["id"],
            "incremental": {"cursor_field": "updated_at", "format": "iso8601",
                            "since": {"type": "query_param", "name": "updated_since"}},
            "deletes": {"type": "full_scan"},
            "fields": fields
        }]
    })
}

// --- Memory -----------------------------------------------------------------------------------

/// A field of `/proc/self/status` in KiB (`None` off Linux).
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Returns freed heap memory to the system (glibc keeps it otherwise, and a phase would start
/// with the previous phases' garbage in its resident size), then resets the peak resident size
/// to the current one.
fn reset_peak() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: glibc's malloc_trim only releases free memory; it takes no pointers.
        unsafe {
            malloc_trim(0);
        }
    }
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

// --- Results ----------------------------------------------------------------------------------

#[derive(Serialize, Clone)]
struct Phase {
    backend: &'static str,
    page_size: usize,
    phase: &'static str,
    records: u64,
    seconds: f64,
    records_per_s: f64,
    rss_before_kib: Option<u64>,
    peak_kib: Option<u64>,
    rss_after_kib: Option<u64>,
    /// Counts the run reported (engine phases), or rows inserted (raw).
    check: String,
}

impl Phase {
    fn growth_mib(&self) -> Option<f64> {
        Some((self.peak_kib? as f64 - self.rss_before_kib? as f64) / 1024.0)
    }
}

/// Times `work` (which returns the records it handled and a check) with its memory.
async fn measure<F>(backend: &'static str, page_size: usize, phase: &'static str, work: F) -> Phase
where
    F: std::future::Future<Output = (u64, String)>,
{
    let peak_reset = reset_peak();
    let rss_before = status_kib("VmRSS");
    let started = Instant::now();
    let (records, check) = work.await;
    let seconds = started.elapsed().as_secs_f64();
    let peak = status_kib("VmHWM").filter(|_| peak_reset);
    let phase = Phase {
        backend,
        page_size,
        phase,
        records,
        seconds,
        records_per_s: records as f64 / seconds,
        rss_before_kib: rss_before,
        peak_kib: peak,
        rss_after_kib: status_kib("VmRSS"),
        check,
    };
    eprintln!(
        "  {backend:<8} page {page_size:>4}  {:<14} {:>9.0} records/s  ({:.1} s; {})",
        phase.phase, phase.records_per_s, phase.seconds, phase.check
    );
    phase
}

// --- Databases --------------------------------------------------------------------------------

/// A fresh database: a temporary SQLite file, or a new PostgreSQL database on the admin URL's
/// server (dropped by [`Fresh::drop_database`]).
struct Fresh {
    url: String,
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

async fn fresh_database(postgres_admin: Option<&str>) -> Fresh {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let Some(admin_url) = postgres_admin else {
        return Fresh {
            url: patchbay::config::default_sqlite_url(dir.path()),
            dir,
            postgres: None,
        };
    };
    let name = format!("pb_bench_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(admin_url)
        .await
        .expect("PATCHBAY_BENCH_DATABASE_URL is reachable");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("a bench database can be created");
    admin.close().await.ok();
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url, String::new()),
    };
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    Fresh {
        url: format!("{server}/{name}{query}"),
        dir,
        postgres: Some((admin_url.to_owned(), name)),
    }
}

impl Fresh {
    async fn drop_database(self) {
        if std::env::var_os("PATCHBAY_BENCH_KEEP").is_some() {
            eprintln!("  kept {}", self.url);
            std::mem::forget(self.dir);
            return;
        }
        if let Some((admin_url, name)) = self.postgres
            && let Ok(admin) = Database::connect(&admin_url).await
        {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
            admin.close().await.ok();
        }
    }
}

// --- (a) The raw baseline ---------------------------------------------------------------------

/// Fetches every page and inserts its records with plain SQL, one transaction per page.
async fn raw_baseline(db: &DatabaseConnection, fake: &str, page_size: usize) -> (u64, String) {
    let backend = db.get_database_backend();
    db.execute_unprepared("CREATE TABLE raw_records (id TEXT PRIMARY KEY, data TEXT NOT NULL)")
        .await
        .expect("the raw table");
    let client = reqwest::Client::new();
    let mut cursor: Option<String> = None;
    let mut stored = 0_u64;
    loop {
        let mut request = client
            .get(format!("{fake}/items"))
            .bearer_auth(TOKEN)
            .query(&[("limit", page_size.to_string())]);
        if let Some(cursor) = &cursor {
            request = request.query(&[("cursor", cursor)]);
        }
        let body = request
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("a page")
            .bytes()
            .await
            .expect("the page's body");
        let page: Value = serde_json::from_slice(&body).expect("JSON");
        let records = page["data"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        let txn = db.begin().await.expect("a transaction");
        for chunk in records.chunks(RAW_ROWS_PER_INSERT) {
            let mut sql = String::from("INSERT INTO raw_records (id, data) VALUES ");
            let mut values = Vec::with_capacity(chunk.len() * 2);
            for (k, record) in chunk.iter().enumerate() {
                if k > 0 {
                    sql.push_str(", ");
                }
                match backend {
                    sea_orm::DbBackend::Postgres => {
                        let _ = write!(sql, "(${}, ${})", 2 * k + 1, 2 * k + 2);
                    }
                    _ => sql.push_str("(?, ?)"),
                }
                let id = record["id"].as_str().unwrap_or_default().to_owned();
                values.push(id.into());
                values.push(serde_json::to_string(record).unwrap_or_default().into());
            }
            txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                .await
                .expect("the insert");
        }
        txn.commit().await.expect("the commit");
        stored += records.len() as u64;
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    let counted = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM raw_records",
        ))
        .await
        .ok()
        .flatten()
        .and_then(|row| row.try_get::<i64>("", "n").ok())
        .unwrap_or(-1);
    (stored, format!("{counted} rows"))
}

// --- (b), (c) The engine ----------------------------------------------------------------------

struct Served {
    graphql: String,
    client: reqwest::Client,
    shutdown: tokio_util::sync::CancellationToken,
    /// Print the run's progress and the resident size at every poll.
    trace: bool,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn serve(database_url: String, data_dir: &std::path::Path) -> Served {
    let config = Config {
        database_url,
        data_dir: data_dir.to_owned(),
        master_key: Some(SecretString::from("42".repeat(32))),
        previous_master_key: None,
        listen: "127.0.0.1:0".parse().expect("address"),
        auto_migrate: true,
        shutdown_timeout: Duration::from_secs(5),
        limits: Limits::default(),
        usage_flush_interval: Duration::from_secs(1),
        key_cache_refresh: Duration::from_secs(1),
        allow_private_networks: true,
        http_timeout: Duration::from_secs(120),
        http_connect_timeout: Duration::from_secs(10),
        public_url: None,
        webhooks: Default::default(),
        sync: patchbay::sync::scheduler::SyncSettings {
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(50),
            ..Default::default()
        },
        http_retry: patchbay::connectors::retry::RetryPolicy::default(),
        // Every request runs as the bootstrap admin key, without rate limits: the bench polls.
        insecure_disable_auth: true,
    };
    let app = Application::build(config)
        .await
        .expect("the application builds");
    let graphql = format!("http://127.0.0.1:{}/graphql", app.port());
    let shutdown = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());
    Served {
        graphql,
        client: reqwest::Client::new(),
        shutdown,
        trace: std::env::var_os("PATCHBAY_BENCH_TRACE").is_some(),
        server,
    }
}

impl Served {
    async fn graphql(&self, query: &str, variables: Value) -> Value {
        let body: Value = self
            .client
            .post(&self.graphql)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("a GraphQL request")
            .json()
            .await
            .expect("a JSON answer");
        if body.get("errors").is_some() {
            panic!("GraphQL errors: {body}");
        }
        body["data"].clone()
    }

    /// Registers the connector, a connection to the fake and a sync; returns the sync's id.
    async fn sync_of(&self, fake: &str, page_size: usize) -> String {
        self.graphql(
            "mutation($d: JSON!) { registerConnector(definition: $d) { name } }",
            json!({ "d": definition(page_size) }),
        )
        .await;
        let data = self
            .graphql(
                "mutation($i: CreateConnectionInput!) { createConnection(input: $i) { id } }",
                json!({ "i": { "connector": format!("{CONNECTOR}_{page_size}"),
                    "name": "bench items", "credentials": { "token": TOKEN },
                    "baseUrlOverride": fake } }),
            )
            .await;
        let connection = data["createConnection"]["id"]
            .as_str()
            .expect("a connection");
        let data = self
            .graphql(
                "mutation($i: CreateSyncInput!) { createSync(input: $i) { id } }",
                json!({ "i": { "connection": connection, "stream": "items" } }),
            )
            .await;
        data["createSync"]["id"]
            .as_str()
            .expect("a sync")
            .to_owned()
    }

    /// Runs the sync to its end; returns the records fetched and the run's counts.
    async fn run(&self, sync: &str, full: bool) -> (u64, String) {
        let data = self
            .graphql(
                "mutation($s: ID!, $f: Boolean!) { runSync(id: $s, full: $f) { id } }",
                json!({ "s": sync, "f": full }),
            )
            .await;
        let run = data["runSync"]["id"].as_str().expect("a run").to_owned();
        let started = Instant::now();
        loop {
            tokio::time::sleep(POLL).await;
            let data = self
                .graphql(
                    "query($r: ID!) { syncRun(id: $r) { status fetched created updated unchanged
                        deleted failed pages errorSummary durationMs } }",
                    json!({ "r": run }),
                )
                .await;
            let state = &data["syncRun"];
            let status = state["status"].as_str().unwrap_or_default();
            if self.trace {
                eprintln!(
                    "    {:>7.2} s  pages {:>5}  fetched {:>7}  RSS {} MiB",
                    started.elapsed().as_secs_f64(),
                    state["pages"],
                    state["fetched"],
                    mib(status_kib("VmRSS"))
                );
            }
            if matches!(status, "SUCCEEDED" | "PARTIAL" | "FAILED" | "CANCELLED") {
                let fetched = state["fetched"].as_u64().unwrap_or(0);
                let mut check = format!(
                    "{status}: {} pages, created {}, updated {}, unchanged {}, failed {}",
                    state["pages"],
                    state["created"],
                    state["updated"],
                    state["unchanged"],
                    state["failed"]
                );
                if let Some(error) = state["errorSummary"].as_str() {
                    let _ = write!(check, ", error {error}");
                }
                return (fetched, check);
            }
        }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.server.await;
    }
}

// --- The run ----------------------------------------------------------------------------------

async fn bench_backend(
    backend: &'static str,
    postgres_admin: Option<&str>,
    fake: &str,
    page_sizes: &[usize],
    results: &mut Vec<Phase>,
) {
    for &page_size in page_sizes {
        // (a) A fresh database, plain SQL.
        let fresh = fresh_database(postgres_admin).await;
        let db = patchbay::db::connect(&fresh.url)
            .await
            .expect("the raw database");
        results.push(
            measure(
                backend,
                page_size,
                "a raw",
                raw_baseline(&db, fake, page_size),
            )
            .await,
        );
        db.close().await.ok();
        fresh.drop_database().await;

        // (b), (c) A fresh database and server.
        let fresh = fresh_database(postgres_admin).await;
        let served = serve(fresh.url.clone(), fresh.dir.path()).await;
        let sync = served.sync_of(fake, page_size).await;
        results.push(
            measure(
                backend,
                page_size,
                "b engine first",
                served.run(&sync, false),
            )
            .await,
        );
        results.push(
            measure(
                backend,
                page_size,
                "c engine rerun",
                served.run(&sync, true),
            )
            .await,
        );
        served.stop().await;
        fresh.drop_database().await;
    }
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "n/a".to_owned(), |k| format!("{:.0}", k as f64 / 1024.0))
}

fn print_table(records: u64, record_bytes: f64, results: &[Phase]) {
    println!();
    println!(
        "sync throughput: {records} records of ≈ {record_bytes:.0} bytes (the fake, the client and \
         the server in this process; the fake in its own thread and runtime)"
    );
    println!(
        "{:<8} {:>5}  {:<15} {:>10} {:>8}  {:>10} {:>8} {:>9} {:>8}  vs raw (target b ≥ 50 %)",
        "backend",
        "page",
        "phase",
        "records/s",
        "seconds",
        "RSS before",
        "peak",
        "RSS after",
        "growth",
    );
    for phase in results {
        let raw = results.iter().find(|p| {
            p.backend == phase.backend && p.page_size == phase.page_size && p.phase == "a raw"
        });
        let ratio = match (phase.phase, raw) {
            ("a raw", _) | (_, None) => String::new(),
            (name, Some(raw)) => {
                let ratio = phase.records_per_s / raw.records_per_s;
                let verdict = if name.starts_with('b') {
                    if ratio >= 0.5 {
                        "  ok"
                    } else {
                        "  below target"
                    }
                } else {
                    ""
                };
                format!("{:.1} %{verdict}", ratio * 100.0)
            }
        };
        println!(
            "{:<8} {:>5}  {:<15} {:>10.0} {:>8.2}  {:>7} MiB {:>4} MiB {:>5} MiB {:>4} MiB  {}",
            phase.backend,
            phase.page_size,
            phase.phase,
            phase.records_per_s,
            phase.seconds,
            mib(phase.rss_before_kib),
            mib(phase.peak_kib),
            mib(phase.rss_after_kib),
            phase
                .growth_mib()
                .map_or_else(|| "n/a".to_owned(), |g| format!("{g:+.0}")),
            ratio
        );
    }
    println!(
        "growth = peak − RSS before the phase (memory target: flat in the number of records; \
         compare runs with different PATCHBAY_BENCH_RECORDS)"
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // reqwest is built without a default TLS provider (the server installs one when it builds).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let as_json = args.iter().any(|a| a == "--json");
    let records: u64 = if quick {
        10_000
    } else {
        std::env::var("PATCHBAY_BENCH_RECORDS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(100_000)
    };
    let page_sizes: Vec<usize> = std::env::var("PATCHBAY_BENCH_PAGE_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| vec![100, 1000]);
    let postgres = std::env::var("PATCHBAY_BENCH_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());

    let sample = 1000.min(records);
    let record_bytes = (1..=sample)
        .map(|i| serde_json::to_vec(&item(i)).map_or(0, |v| v.len()))
        .sum::<usize>() as f64
        / sample.max(1) as f64;
    let repeated = Arc::new(AtomicU64::new(0));
    let fake = start_fake(records, repeated.clone());
    eprintln!(
        "{records} records of ≈ {record_bytes:.0} bytes, pages {page_sizes:?}, SQLite{}",
        if postgres.is_some() {
            " and PostgreSQL"
        } else {
            ""
        }
    );

    let backends = std::env::var("PATCHBAY_BENCH_BACKENDS").unwrap_or_default();
    let wanted = |name: &str| backends.is_empty() || backends.split(',').any(|b| b.trim() == name);
    let mut results = Vec::new();
    if wanted("sqlite") {
        bench_backend("sqlite", None, &fake, &page_sizes, &mut results).await;
    }
    if let Some(admin) = postgres.as_deref().filter(|_| wanted("postgres")) {
        bench_backend("postgres", Some(admin), &fake, &page_sizes, &mut results).await;
    }

    print_table(records, record_bytes, &results);
    let repeated = repeated.load(Ordering::Relaxed);
    if repeated > 0 {
        println!(
            "note: {repeated} query parameters arrived twice in one request at the fake \
             (tolerated: the last value wins)"
        );
    }
    if as_json {
        println!(
            "{}",
            json!({ "records": records, "record_bytes": record_bytes, "phases": results })
        );
    }
}
