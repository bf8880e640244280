//! The HTTP application: `build` it from a [`Config`], read its `port`, `run_until_stopped`.
//! Tests build the same application on port 0.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use axum::{
    Json, Router,
    extract::{MatchedPath, Request, State},
    http::{HeaderName, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;
use tokio::{net::TcpListener, sync::broadcast};
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use secrecy::ExposeSecret;

use crate::{
    auth::{self, Principal, cache::KeyCache, rate_limit::KeyedLimiter, usage::UsageTracker},
    bootstrap::{self, BootstrapKey},
    config::Config,
    connections, console,
    crypto::{Cipher, MasterKey, MasterKeySource},
    db, graphql,
    graphql::PatchbaySchema,
    metrics::{HttpLabels, Metrics, RouteLabels},
    state::AppState,
};

/// State of the HTTP layer: the application state and the schema built on it.
#[derive(Clone)]
pub struct ServerState {
    /// Shared application state.
    pub app: AppState,
    /// The GraphQL schema.
    pub schema: PatchbaySchema,
    /// Benchmarks only: the principal every request runs as, unauthenticated.
    pub bypass: Option<Principal>,
}

/// A built, bound, not yet running Patchbay server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    bootstrap: Option<BootstrapKey>,
    shutdown_timeout: Duration,
    usage_flush_interval: Duration,
    key_cache_refresh: Duration,
}

impl Application {
    /// Opens the database, applies migrations, bootstraps an empty database and binds the port.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                config.data_dir.display()
            )
        })?;
        let (master_key, source) =
            MasterKey::load_or_generate(config.master_key.as_ref(), &config.data_dir)?;
        if let MasterKeySource::Generated(path) = &source {
            tracing::warn!(
                path = %path.display(),
                "PATCHBAY_MASTER_KEY is not set: generated a master key into the data directory; \
                 back it up (stored credentials cannot be opened without it) and set \
                 PATCHBAY_MASTER_KEY when several processes share the database"
            );
        }
        let db = db::connect(&config.database_url).await?;
        if config.auto_migrate {
            db::migrate_up(&db).await?;
        }
        let bootstrap = bootstrap::first_start(&db)
            .await
            .map_err(|e| anyhow::anyhow!("cannot bootstrap the database: {e:?}"))?;
        let bypass = match (&bootstrap, config.insecure_disable_auth) {
            (Some(key), true) => {
                tracing::warn!(
                    "authentication is disabled: every request runs as the bootstrap key"
                );
                Some(
                    auth::authenticate(&db, None, Some(key.secret.expose_secret()))
                        .await
                        .map_err(|e| anyhow::anyhow!("{e:?}"))?,
                )
            }
            (None, true) => anyhow::bail!("disabling authentication needs a fresh database"),
            (_, false) => None,
        };
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let public_url = match &config.public_url {
            Some(url) => url.clone(),
            None => format!("http://{}", listener.local_addr()?),
        };
        let (events, _) = broadcast::channel(1024);
        let state = AppState {
            db,
            limits: Arc::new(config.limits.clone()),
            metrics: Arc::new(Metrics::new()),
            cipher: Arc::new(Cipher::new(
                master_key,
                config
                    .previous_master_key
                    .as_ref()
                    .map(MasterKey::from_hex)
                    .transpose()?,
            )),
            http: crate::connectors::http::HttpClient::new(crate::connectors::http::HttpOptions {
                connect_timeout: config.http_connect_timeout,
                timeout: config.http_timeout,
                allow_private_networks: config.allow_private_networks,
                retry: config.http_retry.clone(),
            })?,
            allow_private_networks: config.allow_private_networks,
            public_url: Arc::from(public_url.trim_end_matches('/')),
            instance_id: Arc::from(uuid::Uuid::now_v7().to_string()),
            refreshes: Arc::default(),
            sync: Arc::new(config.sync.clone()),
            sync_wakeup: Arc::default(),
            webhooks: Arc::new(config.webhooks.clone()),
            webhook_wakeup: Arc::default(),
            key_cache: Arc::new(KeyCache::default()),
            limiter: Arc::new(KeyedLimiter::default()),
            usage: Arc::new(UsageTracker::default()),
            events,
            shutdown: CancellationToken::new(),
        };
        let router = router(ServerState {
            schema: graphql::build(state.clone()),
            app: state.clone(),
            bypass,
        });
        Ok(Self {
            listener,
            router,
            state,
            bootstrap,
            shutdown_timeout: config.shutdown_timeout,
            usage_flush_interval: config.usage_flush_interval,
            key_cache_refresh: config.key_cache_refresh,
        })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// The admin key created on this first start, once.
    pub fn take_bootstrap_key(&mut self) -> Option<BootstrapKey> {
        self.bootstrap.take()
    }

    /// The shared state (database, metrics, event channel).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Cancelling this token stops the server gracefully.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.state.shutdown.clone()
    }

    /// Stops the server on SIGTERM or Ctrl-C.
    pub fn shutdown_on_signals(&self) {
        let token = self.shutdown_token();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown signal received; finishing in-flight requests");
            token.cancel();
        });
    }

    /// Serves until the shutdown token is cancelled, then lets in-flight requests finish for
    /// at most the configured shutdown timeout.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let token = self.state.shutdown.clone();
        let upkeep = tokio::spawn(upkeep(self.state.clone(), self.usage_flush_interval));
        let key_refresh = tokio::spawn(refresh_key_cache(
            self.state.clone(),
            self.key_cache_refresh,
        ));
        let scheduler = tokio::spawn(crate::sync::scheduler::run(self.state.clone()));
        let webhooks = tokio::spawn(crate::webhooks::deliver::run(self.state.clone()));
        let server = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(token.clone().cancelled_owned());
        let deadline = async {
            token.cancelled().await;
            tokio::time::sleep(self.shutdown_timeout).await;
        };
        tokio::select! {
            result = server => result.context("the server failed")?,
            () = deadline => tracing::warn!(
                timeout_secs = self.shutdown_timeout.as_secs(),
                "requests still running at the shutdown timeout were dropped"
            ),
        }
        // The upkeep task flushes usage one last time once the token is cancelled.
        // Sync runs stop at their next page boundary and are released for resumption.
        for task in [upkeep, key_refresh, scheduler, webhooks] {
            if let Err(error) = task.await {
                tracing::error!(%error, "a background task failed");
            }
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Background upkeep: writes usage counters in batches and evicts idle rate limiters,
/// until shutdown, when it flushes a last time.
async fn upkeep(state: AppState, flush_every: Duration) {
    let mut ticker = tokio::time::interval(flush_every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = state.shutdown.cancelled() => break,
        }
        flush_usage(&state).await;
        state.limiter.evict_idle(LIMITER_IDLE);
        state.key_cache.evict_stale();
    }
    flush_usage(&state).await;
}

/// Polls the key-change feed so a key revoked or rotated by another process stops being
/// served from this process's cache within one interval.
async fn refresh_key_cache(state: AppState, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = state.shutdown.cancelled() => return,
        }
        if let Err(error) = auth::cache::refresh(&state.key_cache, &state.db).await {
            error.log();
        }
    }
}

/// Rate limiters of keys idle this long are dropped; they restart with a full burst.
const LIMITER_IDLE: Duration = Duration::from_secs(600);

async fn flush_usage(state: &AppState) {
    if let Err(error) = state.usage.flush(&state.db).await {
        error.log();
        tracing::warn!("API-key usage could not be written; it is kept for the next flush");
    }
}

fn router(server: ServerState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let tracing_layer = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| {
            let id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!(
                "request",
                method = %request.method(),
                path = %request.uri().path(),
                request_id = %id,
            )
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO));
    Router::new()
        .route(
            "/graphql",
            get(graphql::graphql_get).post(graphql::graphql_post),
        )
        .route("/graphql/ws", get(graphql::graphql_ws))
        .route("/oauth/callback", get(oauth_callback))
        .route(
            "/webhooks/in/{connection}",
            axum::routing::post(inbound_webhook),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(console::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            server.clone(),
            track_metrics,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(tracing_layer)
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(CatchPanicLayer::custom(panic_response)),
        )
        .with_state(server)
}

/// `GET /healthz`: the process is up.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /oauth/callback`: the provider sends the person back here after the authorization
/// page; a small page says whether the connection is now connected.
async fn oauth_callback(
    State(server): State<ServerState>,
    axum::extract::Query(query): axum::extract::Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    let (status, title, detail) = match connections::authorize::complete(&server.app, &query).await
    {
        Ok(row) => (
            StatusCode::OK,
            "Connected".to_owned(),
            format!(
                "The connection “{}” ({}) is authorized. You can close this window.",
                row.name, row.connector_name
            ),
        ),
        Err(error) => {
            error.log();
            (
                error.status(),
                "Not connected".to_owned(),
                format!("{} ({})", error.public_message(), error.code()),
            )
        }
    };
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Patchbay: {title}</title>\
         <style>body{{font:16px system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}}</style>\
         </head><body><h1>{title}</h1><p>{}</p></body></html>",
        html_escape(&detail)
    );
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

/// `POST /webhooks/in/{connection}`: a provider's event, verified with the connection's secret
/// and applied as record changes. Answers 200 with what changed, 401 for a bad or stale
/// signature, 404 when the connection declares no webhooks, 413 above the size limit, 400 for
/// a body the connector cannot read; nothing is changed unless the answer is 200.
async fn inbound_webhook(
    State(server): State<ServerState>,
    axum::extract::Path(connection): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    body: axum::body::Body,
) -> Response {
    use crate::webhooks::receive::{self, Refusal};
    let state = &server.app;
    let reply = |status: StatusCode, code: &str, message: String| {
        (
            status,
            Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response()
    };
    let Ok(bytes) = axum::body::to_bytes(body, state.webhooks.inbound_max_bytes).await else {
        return reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!(
                "the body is larger than {} bytes",
                state.webhooks.inbound_max_bytes
            ),
        );
    };
    let headers: std::collections::HashMap<String, String> = headers
        .iter()
        .filter_map(|(name, value)| {
            Some((
                name.as_str().to_ascii_lowercase(),
                value.to_str().ok()?.to_owned(),
            ))
        })
        .collect();
    let url = format!(
        "{}{}",
        state.public_url,
        uri.path_and_query().map_or(uri.path(), |p| p.as_str())
    );
    let incoming = receive::Incoming {
        connection_id: &connection,
        headers: &headers,
        method: "POST",
        url: &url,
        body: &bytes,
    };
    match receive::receive(state, &incoming).await {
        Ok(received) => Json(json!({
            "created": received.created,
            "updated": received.updated,
            "unchanged": received.unchanged,
            "deleted": received.deleted,
            "duplicates": received.duplicates,
            "ignored": received.ignored,
        }))
        .into_response(),
        Err(Refusal::NotFound) => reply(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no webhook endpoint for this connection".to_owned(),
        ),
        Err(Refusal::Unverified(why)) => {
            tracing::warn!(%connection, reason = %why, "inbound webhook refused");
            reply(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", why.to_string())
        }
        Err(Refusal::Malformed(why)) => reply(StatusCode::BAD_REQUEST, "INVALID_INPUT", why),
        Err(Refusal::Failed(error)) => {
            error.log();
            reply(error.status(), error.code(), error.public_message())
        }
    }
}

/// Escapes text for an HTML page.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /readyz`: the database answers and every migration is applied.
async fn readyz(State(server): State<ServerState>) -> Response {
    let db = &server.app.db;
    let backend = db::backend_name(db);
    if let Err(error) = db::ping(db).await {
        tracing::warn!(error = %format!("{error:#}"), "readiness: database unreachable");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "database": backend, "reason": "database unreachable" })),
        )
            .into_response();
    }
    match db::pending_migrations(db).await {
        Ok(pending) if pending.is_empty() => {
            Json(json!({ "status": "ready", "database": backend, "migrations": "current" }))
                .into_response()
        }
        Ok(pending) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "unavailable",
                "database": backend,
                "reason": "migrations pending; run `patchbay migrate up`",
                "pending": pending,
            })),
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "readiness: cannot read migrations");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": backend, "reason": "cannot read migrations" })),
            )
                .into_response()
        }
    }
}

/// `GET /metrics`: Prometheus text exposition.
async fn metrics(State(server): State<ServerState>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        server.app.metrics.render(),
    )
        .into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "errors": [{ "message": "no such route; the API is at /graphql", "extensions": { "code": "NOT_FOUND" } }] })),
    )
        .into_response()
}

/// Counts requests by route and status and observes their latency.
async fn track_metrics(
    State(server): State<ServerState>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let route = matched.map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &server.app.metrics;
    metrics
        .http_requests
        .get_or_create(&HttpLabels {
            route: route.clone(),
            method,
            status: response.status().as_u16(),
        })
        .inc();
    metrics
        .http_duration
        .get_or_create(&RouteLabels { route })
        .observe(started.elapsed().as_secs_f64());
    response
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({ "errors": [{ "message": crate::error::INTERNAL_MESSAGE, "extensions": { "code": "INTERNAL" } }] })),
    )
        .into_response()
}

async fn wait_for_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
