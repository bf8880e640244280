//! `alerts`: failure spikes raised for people to look at.

use sea_orm::entity::prelude::*;

/// One alert.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    /// `sync_failure_spike` or `pattern_failure_spike`.
    pub kind: String,
    pub sync_id: Option<String>,
    pub run_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    /// Failures in the spiking run.
    pub count: i64,
    /// Mean failures per run before it.
    #[sea_orm(column_type = "Double")]
    pub baseline: f64,
    /// `open` or `acknowledged`.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
