//! Workspaces: the tenants. Every other object belongs to exactly one.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, SqlErr,
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
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid_field("name", "use 1 to 100 characters"));
    }
    entity::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        slug: Set(slug.to_owned()),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map_err(|error| match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            Error::Conflict(format!("a workspace with the slug `{slug}` already exists"))
        }
        _ => error.into(),
    })
}

/// One page of workspaces in id (creation) order, optionally only one of them.
pub async fn list_page(
    db: &impl ConnectionTrait,
    only: Option<&str>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<entity::Model>> {
    let mut query = Workspaces::find()
        .order_by_asc(entity::Column::Id)
        .limit(limit);
    if let Some(id) = only {
        query = query.filter(entity::Column::Id.eq(id));
    }
    if let Some(after) = after {
        query = query.filter(entity::Column::Id.gt(after));
    }
    Ok(query.all(db).await?)
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
