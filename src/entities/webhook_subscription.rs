//! `webhook_subscriptions`: where a workspace's events are delivered, and how.

use sea_orm::entity::prelude::*;

/// One subscription.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    #[sea_orm(column_type = "Text")]
    pub url: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    /// The event-type patterns, a JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub event_types: String,
    /// The filter on the event, as JSON.
    #[sea_orm(column_type = "Text", nullable)]
    pub filter: Option<String>,
    /// Its own retry schedule (`5s,5m,…`); `None`: the server's.
    pub retry_schedule: Option<String>,
    pub max_attempts: i32,
    /// Whether events of one record are delivered in order.
    pub ordered: bool,
    pub enabled: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub disabled_reason: Option<String>,
    /// The signing secret, sealed with the master key.
    #[sea_orm(column_type = "Text")]
    pub secret: String,
    /// The secret before the last rotation, sealed; it signs too until `previous_secret_until`.
    #[sea_orm(column_type = "Text", nullable)]
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTimeUtc>,
    /// When the current streak of failed attempts began; `None` after a success.
    pub failing_since: Option<DateTimeUtc>,
    /// When `webhook.disabling_soon` was emitted for the current streak.
    pub warned_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
