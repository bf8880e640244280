//! `webhook_attempts`: every HTTP attempt of a delivery.

use sea_orm::entity::prelude::*;

/// One attempt.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub delivery_id: String,
    pub workspace_id: String,
    /// Its number, from 1.
    pub attempt: i32,
    pub attempted_at: DateTimeUtc,
    pub status_code: Option<i32>,
    /// The start of the response body (bounded).
    #[sea_orm(column_type = "Text", nullable)]
    pub response_excerpt: Option<String>,
    pub duration_ms: i64,
    /// Why it failed without a response (timeout, refused, …).
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
