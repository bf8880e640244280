//! Workspaces: the tenants. Every other object belongs to exactly one.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use crate::{
    Error, Result,
    entities::workspace::{self as entity, Entity as Workspaces},
};

/// The slug of the workspace created on first start.
pub const DEFAULT_SLUG: &str = "default";

/// Creates a workspace; slugs are lowercase letters, digits and dashes.
pub async fn create(db: &impl ConnectionTrait, slug: &str, name: &str) -> Result<entity::Model> {
    let valid = !slug.is_empty()
        && slug.len() <= 63
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return Err(Error::invalid_field(
            "slug",
            "use 1 to 63 lowercase letters, digits and dashes",
        ));
    }
    Ok(entity::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        slug: Set(slug.to_owned()),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?)
}

/// The workspace with this id.
pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<Option<entity::Model>> {
    Ok(Workspaces::find_by_id(id).one(db).await?)
}

/// The workspace with this slug.
pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<entity::Model>> {
    Ok(Workspaces::find()
        .filter(entity::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

/// How many workspaces exist.
pub async fn count(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(Workspaces::find().count(db).await?)
}
