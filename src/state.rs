//! The state every handler and resolver shares: cheap to clone.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::{
    auth::{cache::KeyCache, rate_limit::KeyedLimiter, usage::UsageTracker},
    config::Limits,
    crypto::Cipher,
    metrics::Metrics,
};

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// Request limits.
    pub limits: Arc<Limits>,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// Seals and opens connection credentials with the master key.
    pub cipher: Arc<Cipher>,
    /// The HTTP client every provider request goes through.
    pub http: crate::connectors::http::HttpClient,
    /// Whether user-given URLs may reach private networks.
    pub allow_private_networks: bool,
    /// Where this server is reached from outside, without a trailing slash (OAuth redirects).
    pub public_url: Arc<str>,
    /// This process's id in leases it takes (token refresh, and later sync runs).
    pub instance_id: Arc<str>,
    /// One token refresh at a time per connection in this process.
    pub refreshes: Arc<crate::connections::tokens::RefreshGuards>,
    /// How syncs are scheduled and leased.
    pub sync: Arc<crate::sync::scheduler::SyncSettings>,
    /// Wakes the scheduler when a run is queued.
    pub sync_wakeup: Arc<tokio::sync::Notify>,
    /// How webhooks are delivered.
    pub webhooks: Arc<crate::webhooks::settings::WebhookSettings>,
    /// Wakes the webhook worker when deliveries are due.
    pub webhook_wakeup: Arc<tokio::sync::Notify>,
    /// Keys authenticated recently, refreshed from `api_keys.changed_at`.
    pub key_cache: Arc<KeyCache>,
    /// Per-key rate limiters.
    pub limiter: Arc<KeyedLimiter>,
    /// API-key usage not yet written to the database.
    pub usage: Arc<UsageTracker>,
    /// Events published to GraphQL subscriptions (and, later, the webhook outbox).
    pub events: broadcast::Sender<Event>,
    /// Cancelled on shutdown; background work stops at its next safe point.
    pub shutdown: CancellationToken,
}

/// Something that happened in a workspace, as seen by subscribers.
#[derive(Clone, Debug)]
pub struct Event {
    /// The workspace it happened in; subscribers only see their own.
    pub workspace_id: String,
    /// Dotted type, e.g. `sync.succeeded` or `record.updated`.
    pub event_type: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The event's payload.
    pub data: serde_json::Value,
}
