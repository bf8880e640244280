//! Persistence of API keys. The secret is returned once by [`create`] and never stored.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use secrecy::SecretString;

use super::{
    api_key::{self, KeyKind},
    scopes::{self, Scope},
};
use crate::{
    Error, Result,
    entities::api_key::{self as entity, Entity as ApiKeys},
};

/// What a new key is made of.
pub struct NewKey {
    /// The workspace the key belongs to.
    pub workspace_id: String,
    /// A human name, e.g. `billing-sync`.
    pub name: String,
    /// What the key may do.
    pub scopes: Vec<Scope>,
    /// Requests per minute; `None` uses the server default.
    pub rate_limit_per_minute: Option<i32>,
    /// When the key stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// `pb_live_` or `pb_test_`.
    pub kind: KeyKind,
}

/// Creates a key and returns its row and its secret, which nobody can read again.
pub async fn create(
    db: &impl ConnectionTrait,
    new: NewKey,
) -> Result<(entity::Model, SecretString)> {
    if new.name.trim().is_empty() {
        return Err(Error::invalid_field("name", "a key needs a name"));
    }
    let generated = api_key::generate(new.kind);
    let row = entity::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        workspace_id: Set(new.workspace_id),
        name: Set(new.name.trim().to_owned()),
        prefix: Set(generated.prefix),
        secret_hash: Set(generated.hash),
        scopes: Set(scopes::to_stored(&new.scopes)),
        rate_limit_per_minute: Set(new.rate_limit_per_minute),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
        usage_count: Set(0),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok((row, generated.secret))
}

/// The key with this hash, whatever its state.
pub async fn find_by_hash(db: &impl ConnectionTrait, hash: &str) -> Result<Option<entity::Model>> {
    Ok(ApiKeys::find()
        .filter(entity::Column::SecretHash.eq(hash))
        .one(db)
        .await?)
}

/// The key with this id in this workspace.
pub async fn find(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    id: &str,
) -> Result<Option<entity::Model>> {
    Ok(ApiKeys::find_by_id(id)
        .filter(entity::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?)
}

/// Every key, optionally of one workspace, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: Option<&str>,
) -> Result<Vec<entity::Model>> {
    let mut query = ApiKeys::find().order_by_asc(entity::Column::CreatedAt);
    if let Some(workspace_id) = workspace_id {
        query = query.filter(entity::Column::WorkspaceId.eq(workspace_id));
    }
    Ok(query.all(db).await?)
}

/// Revokes a key by id; it fails on its next request, on every process.
pub async fn revoke(db: &impl ConnectionTrait, id: &str) -> Result<entity::Model> {
    let key = ApiKeys::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("API key `{id}`")))?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut active: entity::ActiveModel = key.into();
    active.revoked_at = Set(Some(Utc::now()));
    Ok(active.update(db).await?)
}
