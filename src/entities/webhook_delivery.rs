//! `webhook_deliveries`: one event on its way to one subscription, with its retry state.

use sea_orm::entity::prelude::*;

/// One delivery.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub subscription_id: String,
    /// The outbox event's id: the `webhook-id` header, the same on every attempt.
    pub event_id: String,
    pub event_type: String,
    pub event_created_at: DateTimeUtc,
    /// The exact body sent: `{type, timestamp, data}`.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// The record the event is about, when the subscription delivers each record in order.
    pub ordering_key: Option<String>,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    /// Attempts made since it was created or last replayed.
    pub attempts: i32,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTimeUtc>,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub last_status_code: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
