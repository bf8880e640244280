//! `spawn_app()`: a real Patchbay on a random port with a fresh database and its bootstrap key.

use std::sync::LazyLock;

use patchbay::{
    config::{Config, Limits},
    server::Application,
    state::AppState,
};
use sea_orm::{ConnectionTrait, Database};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = patchbay::telemetry::init(patchbay::config::LogFormat::Pretty, "info");
    }
});

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The bound port.
    pub port: u16,
    /// The database it runs on.
    pub database_url: String,
    /// The admin key created by the first start.
    pub api_key: String,
    /// The application's shared state (its real database and event channel).
    pub state: AppState,
    /// Cancelling this stops the server gracefully.
    pub shutdown: CancellationToken,
    /// The server task; it ends when the server has stopped.
    pub server: tokio::task::JoinHandle<anyhow::Result<()>>,
    /// An HTTP client.
    pub client: reqwest::Client,
    /// Keeps the data directory alive as long as the app.
    _data_dir: TempDir,
}

/// Spawns an application with the default configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns an application after letting the test adjust the configuration.
pub async fn spawn_app_with(customise: impl FnOnce(&mut Config)) -> TestApp {
    LazyLock::force(&TRACING);
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let mut config = Config {
        database_url: fresh_database_url(&data_dir).await,
        data_dir: data_dir.path().to_owned(),
        master_key: Some(SecretString::from("42".repeat(32))),
        previous_master_key: None,
        listen: "127.0.0.1:0".parse().expect("address"),
        auto_migrate: true,
        shutdown_timeout: std::time::Duration::from_secs(5),
        limits: Limits::default(),
        usage_flush_interval: std::time::Duration::from_millis(100),
        key_cache_refresh: std::time::Duration::from_millis(100),
        allow_private_networks: true,
        http_timeout: std::time::Duration::from_secs(5),
        http_connect_timeout: std::time::Duration::from_secs(2),
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
        insecure_disable_auth: false,
    };
    customise(&mut config);
    let database_url = config.database_url.clone();
    let mut app = Application::build(config)
        .await
        .expect("the application builds");
    let port = app.port();
    let api_key = app
        .take_bootstrap_key()
        .map(|key| key.secret.expose_secret().to_owned())
        .unwrap_or_default();
    let state = app.state().clone();
    let shutdown = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        database_url,
        api_key,
        state,
        shutdown,
        server,
        client: http_client(),
        _data_dir: data_dir,
    }
}

/// Another Patchbay process on the same database as `app` (its `api_key` is empty: the
/// database is already bootstrapped).
pub async fn spawn_sibling(app: &TestApp) -> TestApp {
    let url = app.database_url.clone();
    spawn_app_with(move |config| config.database_url = url).await
}

/// A fresh SQLite file in `dir`, or a fresh database on `PATCHBAY_TEST_DATABASE_URL`'s server.
pub async fn fresh_database_url(dir: &TempDir) -> String {
    let Ok(admin_url) = std::env::var("PATCHBAY_TEST_DATABASE_URL") else {
        return patchbay::config::default_sqlite_url(dir.path());
    };
    let name = format!("pb_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&admin_url)
        .await
        .expect("PATCHBAY_TEST_DATABASE_URL is reachable");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("a test database can be created");
    admin.close().await.ok();
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url.as_str(), String::new()),
    };
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    format!("{server}/{name}{query}")
}

impl TestApp {
    /// POSTs a GraphQL operation with the admin key and returns the status and JSON body.
    pub async fn graphql(&self, query: &str, variables: Value) -> (u16, Value) {
        self.graphql_as(&self.api_key, query, variables).await
    }

    /// POSTs a GraphQL operation with the given key.
    pub async fn graphql_as(&self, key: &str, query: &str, variables: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(key)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }

    /// GETs a path without credentials.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent")
    }
}

/// The `extensions.code` of every error in a GraphQL response body.
pub fn error_codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every row of every table of the database, as text.
pub async fn dump_postgres(url: &str) -> String {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(url).await.unwrap();
    let backend = db.get_database_backend();
    let tables = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        ))
        .await
        .unwrap();
    let mut dump = String::new();
    for table in tables {
        let name: String = table.try_get("", "table_name").unwrap();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                format!("SELECT t::text AS row FROM \"{name}\" t"),
            ))
            .await
            .unwrap();
        for row in rows {
            dump.push_str(&row.try_get::<String>("", "row").unwrap());
            dump.push('\n');
        }
    }
    dump
}

impl TestApp {
    /// Creates a workspace (as the installation admin) and a `*` key in it; returns the key.
    pub async fn key_in_new_workspace(&self, slug: &str) -> String {
        let (_, body) = self
            .graphql(
                "mutation($s: String!) { createWorkspace(input: {slug: $s, name: $s}) { id } }",
                json!({ "s": slug }),
            )
            .await;
        let id = body["data"]["createWorkspace"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("workspace created: {body}"))
            .to_owned();
        let (_, body) = self
            .graphql(
                "mutation($w: ID!) { createApiKey(input: {name: \"k\", scopes: [\"*\"], workspaceId: $w}) { secret } }",
                json!({ "w": id }),
            )
            .await;
        body["data"]["createApiKey"]["secret"]
            .as_str()
            .unwrap_or_else(|| panic!("key created: {body}"))
            .to_owned()
    }

    /// The id of the admin key's workspace.
    pub async fn workspace_id(&self) -> String {
        let (_, body) = self
            .graphql("{ viewer { workspace { id } } }", json!({}))
            .await;
        body["data"]["viewer"]["workspace"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Everything the database holds, as text: the SQLite file (and its WAL) or every
    /// PostgreSQL row, for checking that no secret is stored in clear.
    pub async fn stored_text(&self) -> String {
        if self.database_url.starts_with("postgres") {
            return dump_postgres(&self.database_url).await;
        }
        let path = self.database_url.trim_start_matches("sqlite://");
        let path = path.split('?').next().unwrap_or(path);
        let mut bytes = Vec::new();
        for suffix in ["", "-wal"] {
            bytes.extend(std::fs::read(format!("{path}{suffix}")).unwrap_or_default());
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// A reqwest client for tests that talk to a server before any application in this process
/// has installed the process-wide rustls provider (the application installs it when it builds
/// its own client).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}
