//! `sync_logs`: one row per failed record or run-level event.

use sea_orm::entity::prelude::*;

/// One log row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub connection_id: String,
    pub sync_id: String,
    pub run_id: String,
    /// `error`, `warning` or `info`.
    pub level: String,
    /// `fetch`, `map`, `store`, `push` or `run`.
    pub stage: String,
    pub external_id: Option<String>,
    pub http_status: Option<i32>,
    pub provider_code: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
