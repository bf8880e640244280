//! `syncs`: what to read from which connection, how often.

use sea_orm::entity::prelude::*;

/// One sync configuration.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "syncs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub connection_id: String,
    pub stream: String,
    /// `inbound`.
    pub direction: String,
    /// `incremental` or `full_refresh`.
    pub mode: String,
    pub schedule_every_secs: Option<i64>,
    pub schedule_cron: Option<String>,
    pub mapping_id: Option<String>,
    pub enabled: bool,
    pub paused: bool,
    #[sea_orm(column_type = "Double")]
    pub max_delete_share: f64,
    /// The incremental cursor (highest cursor-field value of completed reads).
    #[sea_orm(column_type = "Text", nullable)]
    pub cursor: Option<String>,
    pub next_run_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
