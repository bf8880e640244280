//! `mapping_feedback`: how often users accepted or rejected a suggested pair.

use sea_orm::entity::prelude::*;

/// Decisions about one (source object, target object, source path, target path).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mapping_feedback")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub source_object: String,
    pub target_object: String,
    pub source_path: String,
    pub target_path: String,
    pub accepted: i32,
    pub rejected: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
