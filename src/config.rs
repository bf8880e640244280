//! Configuration: every flag also reads a `PATCHBAY_*` environment variable.
//!
//! The clap argument structs here are flattened into the CLI; [`Config`] is what the
//! application is built from, so tests can construct one directly.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, ValueEnum};
use secrecy::SecretString;

/// Options shared by every command: where the data lives and how to log.
#[derive(Args, Clone)]
pub struct GlobalOptions {
    /// Database URL: `sqlite://path/to/file.db` or `postgres://user:pass@host/db`.
    /// Defaults to `<data dir>/patchbay.db` (SQLite).
    #[arg(
        long,
        env = "PATCHBAY_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Directory for the SQLite database and the generated master key.
    #[arg(long, env = "PATCHBAY_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    /// Master key sealing stored credentials: 32 bytes as 64 hex characters.
    /// Generated into the data directory when absent.
    #[arg(long, env = "PATCHBAY_MASTER_KEY", global = true, hide_env_values = true, value_parser = parse_secret)]
    pub master_key: Option<SecretString>,

    /// The previous master key during a rotation: values it sealed still open until
    /// `patchbay keys rotate-master` has re-sealed them.
    #[arg(long, env = "PATCHBAY_PREVIOUS_MASTER_KEY", global = true, hide_env_values = true, value_parser = parse_secret)]
    pub previous_master_key: Option<SecretString>,

    /// Log format.
    #[arg(long, env = "PATCHBAY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,

    /// Log filter, e.g. `info` or `patchbay=debug,tower_http=info`.
    #[arg(
        long,
        env = "PATCHBAY_LOG_LEVEL",
        default_value = "info",
        global = true
    )]
    pub log_level: String,
}

/// How log lines are written to standard error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Options of `patchbay serve`.
#[derive(Args, Clone)]
pub struct ServeOptions {
    /// Address to listen on.
    #[arg(long, env = "PATCHBAY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Apply pending migrations at start-up.
    #[arg(long, env = "PATCHBAY_AUTO_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub auto_migrate: bool,

    /// Seconds in-flight requests get to finish after a shutdown signal.
    #[arg(long, env = "PATCHBAY_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout_secs: u64,

    /// Seconds between writes of API-key usage counters to the database.
    #[arg(long, env = "PATCHBAY_USAGE_FLUSH_SECS", default_value_t = 10)]
    pub usage_flush_secs: u64,

    /// Milliseconds between polls for keys revoked or rotated by another process; bounds how
    /// long such a key is still served from this process's cache.
    #[arg(long, env = "PATCHBAY_KEY_CACHE_REFRESH_MS", default_value_t = 100)]
    pub key_cache_refresh_ms: u64,

    /// Let users point connections and webhooks at private, loopback or link-local
    /// addresses (self-hosted services on the same network, tests).
    #[arg(long, env = "PATCHBAY_ALLOW_PRIVATE_NETWORKS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_private_networks: bool,

    /// The address people and providers reach this server at, for OAuth redirects
    /// (`<public URL>/oauth/callback`). Defaults to `http://<listen address>`.
    #[arg(long, env = "PATCHBAY_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seconds a provider request may take, body included.
    #[arg(long, env = "PATCHBAY_HTTP_TIMEOUT_SECS", default_value_t = 60)]
    pub http_timeout_secs: u64,
    /// Seconds connecting to a provider may take.
    #[arg(long, env = "PATCHBAY_HTTP_CONNECT_TIMEOUT_SECS", default_value_t = 10)]
    pub http_connect_timeout_secs: u64,
    /// Sync runs executing at once in this process.
    #[arg(long, env = "PATCHBAY_SYNC_WORKERS", default_value_t = 4)]
    pub sync_workers: usize,
    /// Seconds a claimed sync run is held without renewal; a crashed process's runs are taken
    /// over after this.
    #[arg(long, env = "PATCHBAY_SYNC_LEASE_SECS", default_value_t = 60)]
    pub sync_lease_secs: u64,
    /// Milliseconds between looks for due syncs and runs to claim.
    #[arg(long, env = "PATCHBAY_SYNC_POLL_MS", default_value_t = 1000)]
    pub sync_poll_ms: u64,
    /// Delays between webhook delivery attempts for subscriptions without their own schedule:
    /// a comma-separated list of `<n>s|m|h|d`.
    #[arg(long, env = "PATCHBAY_WEBHOOK_RETRY_SCHEDULE", default_value = crate::webhooks::retry::DEFAULT_SCHEDULE, value_parser = parse_retry_schedule)]
    pub webhook_retry_schedule: crate::webhooks::retry::RetrySchedule,
    /// How long a webhook subscription may fail every delivery before it is disabled
    /// (`<n>s|m|h|d`; a warning event goes out a day before).
    #[arg(long, env = "PATCHBAY_WEBHOOK_DISABLE_AFTER", default_value = "5d", value_parser = parse_duration)]
    pub webhook_disable_after: chrono::TimeDelta,
    /// Webhook deliveries in flight at once in this process.
    #[arg(long, env = "PATCHBAY_WEBHOOK_CONCURRENCY", default_value_t = 16)]
    pub webhook_concurrency: usize,
    /// Seconds a claimed webhook delivery is held; a crashed process's deliveries are sent
    /// again after this.
    #[arg(long, env = "PATCHBAY_WEBHOOK_LEASE_SECS", default_value_t = 60)]
    pub webhook_lease_secs: u64,
    /// Seconds one webhook delivery attempt may take.
    #[arg(long, env = "PATCHBAY_WEBHOOK_TIMEOUT_SECS", default_value_t = 15)]
    pub webhook_timeout_secs: u64,
    /// Days finished webhook deliveries (with their attempts), dispatched events and inbound
    /// event ids are kept; 0 keeps them forever.
    #[arg(long, env = "PATCHBAY_WEBHOOK_RETENTION_DAYS", default_value_t = 30)]
    pub webhook_retention_days: u32,
    /// Largest body accepted from a provider on `/webhooks/in/{connection}`, in bytes.
    #[arg(long, env = "PATCHBAY_INBOUND_WEBHOOK_MAX_BYTES", default_value_t = 1024 * 1024)]
    pub inbound_webhook_max_bytes: usize,
    #[command(flatten)]
    pub limits: Limits,
}

/// Limits that protect the GraphQL endpoint from oversized or abusive requests.
#[derive(Args, Clone, Debug)]
pub struct Limits {
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "PATCHBAY_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Deepest accepted selection nesting. GraphiQL's introspection query needs 13.
    #[arg(long, env = "PATCHBAY_MAX_QUERY_DEPTH", default_value_t = 15)]
    pub max_query_depth: usize,

    /// Highest accepted query complexity (one point per field, lists count more).
    #[arg(long, env = "PATCHBAY_MAX_QUERY_COMPLEXITY", default_value_t = 1000)]
    pub max_query_complexity: usize,

    /// Most operations accepted in one batched request.
    #[arg(long, env = "PATCHBAY_MAX_BATCH_SIZE", default_value_t = 10)]
    pub max_batch_size: usize,

    /// Requests per minute of an API key created without its own limit.
    #[arg(long, env = "PATCHBAY_DEFAULT_RATE_LIMIT", default_value_t = 600)]
    pub default_rate_limit_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            max_query_depth: 15,
            max_query_complexity: 1000,
            max_batch_size: 10,
            default_rate_limit_per_minute: 600,
        }
    }
}

/// Everything [`crate::server::Application::build`] needs.
#[derive(Clone)]
pub struct Config {
    /// Database URL (SQLite or PostgreSQL).
    pub database_url: String,
    /// Directory for local state (SQLite file, generated master key).
    pub data_dir: PathBuf,
    /// Master key from the environment, if given.
    pub master_key: Option<SecretString>,
    /// The previous master key, during a rotation.
    pub previous_master_key: Option<SecretString>,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Apply pending migrations at start-up.
    pub auto_migrate: bool,
    /// Bound on how long in-flight requests may run after a shutdown signal.
    pub shutdown_timeout: Duration,
    /// Request limits.
    pub limits: Limits,
    /// How often usage counters are written to the database.
    pub usage_flush_interval: Duration,
    /// How often the key cache polls for revocations and rotations by other processes.
    pub key_cache_refresh: Duration,
    /// Retries of provider requests (backoff, Retry-After caps, attempt and time bounds).
    pub http_retry: crate::connectors::retry::RetryPolicy,
    /// Allow user-given URLs to reach private networks (see [`crate::ssrf`]).
    pub allow_private_networks: bool,
    /// How long a provider request may take, body included.
    pub http_timeout: Duration,
    /// How long connecting to a provider may take.
    pub http_connect_timeout: Duration,
    /// Where this server is reached from outside (OAuth redirects); `None`: the listen address.
    pub public_url: Option<String>,
    /// Sync workers, lease and polling.
    pub sync: crate::sync::scheduler::SyncSettings,
    /// Webhook retries, disabling, concurrency and limits.
    pub webhooks: crate::webhooks::settings::WebhookSettings,
    /// Benchmarks only: serve every request as the bootstrap admin key, without
    /// authentication or rate limiting. The CLI never sets it.
    pub insecure_disable_auth: bool,
}

impl GlobalOptions {
    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| default_sqlite_url(&self.data_dir))
    }
}

impl Config {
    /// Combines the global and serve options into a build configuration.
    pub fn from_options(global: &GlobalOptions, serve: &ServeOptions) -> Self {
        Self {
            database_url: global.database_url(),
            data_dir: global.data_dir.clone(),
            master_key: global.master_key.clone(),
            previous_master_key: global.previous_master_key.clone(),
            listen: serve.listen,
            auto_migrate: serve.auto_migrate,
            shutdown_timeout: Duration::from_secs(serve.shutdown_timeout_secs),
            limits: serve.limits.clone(),
            usage_flush_interval: Duration::from_secs(serve.usage_flush_secs.max(1)),
            key_cache_refresh: Duration::from_millis(serve.key_cache_refresh_ms.max(10)),
            allow_private_networks: serve.allow_private_networks,
            http_retry: Default::default(),
            http_timeout: Duration::from_secs(serve.http_timeout_secs.max(1)),
            http_connect_timeout: Duration::from_secs(serve.http_connect_timeout_secs.max(1)),
            public_url: serve.public_url.clone(),
            sync: crate::sync::scheduler::SyncSettings {
                workers: serve.sync_workers.max(1),
                lease: Duration::from_secs(serve.sync_lease_secs.max(3)),
                poll: Duration::from_millis(serve.sync_poll_ms.max(10)),
            },
            webhooks: crate::webhooks::settings::WebhookSettings {
                retry_schedule: serve.webhook_retry_schedule.clone(),
                disable: crate::webhooks::retry::DisablePolicy {
                    disable_after: serve.webhook_disable_after,
                },
                concurrency: serve.webhook_concurrency.max(1),
                timeout: Duration::from_secs(serve.webhook_timeout_secs.max(1)),
                inbound_max_bytes: serve.inbound_webhook_max_bytes.max(1024),
                retention: (serve.webhook_retention_days > 0)
                    .then(|| chrono::TimeDelta::days(i64::from(serve.webhook_retention_days))),
                // A claim must outlive the attempt it covers, or a slow receiver would get
                // the delivery twice.
                lease: Duration::from_secs(
                    serve
                        .webhook_lease_secs
                        .max(serve.webhook_timeout_secs.max(1) + 1),
                ),
                ..Default::default()
            },
            insecure_disable_auth: false,
        }
    }
}

/// `sqlite://<dir>/patchbay.db?mode=rwc`: created on first use.
pub fn default_sqlite_url(data_dir: &std::path::Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("patchbay.db").display()
    )
}

fn parse_secret(value: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(value.to_owned()))
}

fn parse_retry_schedule(value: &str) -> Result<crate::webhooks::retry::RetrySchedule, String> {
    crate::webhooks::retry::RetrySchedule::parse(value).map_err(|e| e.to_string())
}

fn parse_duration(value: &str) -> Result<chrono::TimeDelta, String> {
    crate::webhooks::retry::parse_delay(value).map_err(|e| e.to_string())
}
