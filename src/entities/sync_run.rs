//! `sync_runs`: one execution of a sync, its counters and its checkpoint.

use sea_orm::entity::prelude::*;

/// One run.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub sync_id: String,
    pub workspace_id: String,
    /// `queued`, `running`, `waiting`, `succeeded`, `partial`, `failed` or `cancelled`.
    pub status: String,
    /// `manual`, `schedule` or `backfill`.
    pub trigger: String,
    pub full: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub since: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub page_cursor: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub cursor_reached: Option<String>,
    pub fetched: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub deleted: i64,
    pub failed: i64,
    pub held_deletions: i64,
    pub pages: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_summary: Option<String>,
    pub cancel_requested: bool,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTimeUtc>,
    pub waiting_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
