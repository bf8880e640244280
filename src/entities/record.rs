//! `records`: synced records keyed by (connection, model, external id), with a content hash.

use sea_orm::entity::prelude::*;

/// One record.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub connection_id: String,
    pub model: String,
    pub external_id: String,
    /// The record as JSON (after the sync's mapping, when it has one).
    #[sea_orm(column_type = "Text")]
    pub data: String,
    /// SHA-256 of the canonical JSON of `data`.
    pub hash: String,
    pub first_seen_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub last_changed_run_id: String,
    pub last_seen_run_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
