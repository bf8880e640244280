//! `field_mappings`: reusable source → target mapping templates.

use sea_orm::entity::prelude::*;

/// One mapping template; `rules` is a JSON array of field rules.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "field_mappings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub source_object: String,
    pub target_object: String,
    #[sea_orm(column_type = "Text")]
    pub rules: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
