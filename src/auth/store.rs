//! Persistence of API keys. Secrets are returned once by [`create`] and [`rotate`] and never
//! stored: the database holds their SHA-256 only.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
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

/// Highest per-minute limit or burst a key may be given.
pub const MAX_RATE_LIMIT: i32 = 1_000_000;
/// Longest grace period of a rotation: 30 days.
pub const MAX_GRACE_SECS: i64 = 30 * 24 * 3600;

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
    /// Requests allowed at once; `None` equals the per-minute limit.
    pub rate_limit_burst: Option<i32>,
    /// When the key stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// `pb_live_` or `pb_test_`.
    pub kind: KeyKind,
}

/// Which of a key's secrets a presented key matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matched {
    /// The current secret.
    Current,
    /// The secret before the last rotation, valid until `previous_valid_until`.
    Previous,
}

/// Creates a key and returns its row and its secret, which nobody can read again.
pub async fn create(
    db: &impl ConnectionTrait,
    new: NewKey,
) -> Result<(entity::Model, SecretString)> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid_field(
            "name",
            "a key needs a name of 1 to 100 characters",
        ));
    }
    for (field, value) in [
        ("rateLimitPerMinute", new.rate_limit_per_minute),
        ("rateLimitBurst", new.rate_limit_burst),
    ] {
        if value.is_some_and(|v| !(1..=MAX_RATE_LIMIT).contains(&v)) {
            return Err(Error::invalid_field(
                field,
                format!("must be between 1 and {MAX_RATE_LIMIT}"),
            ));
        }
    }
    if new.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(Error::invalid_field("expiresAt", "must be in the future"));
    }
    let generated = api_key::generate(new.kind);
    let row = entity::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        workspace_id: Set(new.workspace_id),
        name: Set(name.to_owned()),
        prefix: Set(generated.prefix),
        secret_hash: Set(generated.hash),
        scopes: Set(scopes::to_stored(&new.scopes)),
        rate_limit_per_minute: Set(new.rate_limit_per_minute),
        rate_limit_burst: Set(new.rate_limit_burst),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
        usage_count: Set(0),
        created_at: Set(Utc::now()),
        previous_secret_hash: Set(None),
        previous_valid_until: Set(None),
        rotated_at: Set(None),
        changed_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok((row, generated.secret))
}

/// The key whose current or previous secret has this hash, whatever its state.
pub async fn find_by_hash(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<(entity::Model, Matched)>> {
    let found = ApiKeys::find()
        .filter(
            Condition::any()
                .add(entity::Column::SecretHash.eq(hash))
                .add(entity::Column::PreviousSecretHash.eq(hash)),
        )
        .one(db)
        .await?;
    Ok(found.map(|key| {
        let matched = if key.secret_hash == hash {
            Matched::Current
        } else {
            Matched::Previous
        };
        (key, matched)
    }))
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

/// Every key, optionally of one workspace, oldest first (for the CLI).
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: Option<&str>,
) -> Result<Vec<entity::Model>> {
    let mut query = ApiKeys::find().order_by_asc(entity::Column::Id);
    if let Some(workspace_id) = workspace_id {
        query = query.filter(entity::Column::WorkspaceId.eq(workspace_id));
    }
    Ok(query.all(db).await?)
}

/// One page of a workspace's keys in id (creation) order, after the `after` id.
pub async fn list_page(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<entity::Model>> {
    let mut query = ApiKeys::find()
        .filter(entity::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(entity::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(entity::Column::Id.gt(after));
    }
    Ok(query.all(db).await?)
}

/// Revokes a key; it fails on its next request, on every process. `workspace_id` confines
/// the lookup (the CLI, run by the operator, passes `None`).
pub async fn revoke(
    db: &impl ConnectionTrait,
    workspace_id: Option<&str>,
    id: &str,
) -> Result<entity::Model> {
    let key = find_scoped(db, workspace_id, id).await?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let now = Utc::now();
    let mut active: entity::ActiveModel = key.into();
    active.revoked_at = Set(Some(now));
    active.changed_at = Set(Some(now));
    Ok(active.update(db).await?)
}

/// Gives a key a new secret. The old one keeps working for `grace` (zero: not at all).
/// Only one previous secret is kept: rotating again ends the earlier grace period.
pub async fn rotate(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    id: &str,
    grace: Duration,
) -> Result<(entity::Model, SecretString)> {
    if grace < Duration::zero() || grace > Duration::seconds(MAX_GRACE_SECS) {
        return Err(Error::invalid_field(
            "gracePeriodSeconds",
            format!("must be between 0 and {MAX_GRACE_SECS}"),
        ));
    }
    let key = find_scoped(db, Some(workspace_id), id).await?;
    if key.revoked_at.is_some() {
        return Err(Error::Conflict("a revoked key cannot be rotated".into()));
    }
    let kind = if key.prefix.starts_with("pb_test_") {
        KeyKind::Test
    } else {
        KeyKind::Live
    };
    let generated = api_key::generate(kind);
    let now = Utc::now();
    let old_hash = key.secret_hash.clone();
    let mut active: entity::ActiveModel = key.into();
    active.secret_hash = Set(generated.hash);
    active.prefix = Set(generated.prefix);
    active.rotated_at = Set(Some(now));
    active.changed_at = Set(Some(now));
    // The old hash is kept even without grace, so its next use says "rotated", not "unknown".
    active.previous_secret_hash = Set(Some(old_hash));
    active.previous_valid_until = Set(Some(now + grace));
    Ok((active.update(db).await?, generated.secret))
}

/// Ids of keys revoked or rotated since `since` (the feed behind [`super::cache::KeyCache`]).
pub async fn changed_since(db: &impl ConnectionTrait, since: DateTime<Utc>) -> Result<Vec<String>> {
    Ok(ApiKeys::find()
        .select_only()
        .column(entity::Column::Id)
        .filter(entity::Column::ChangedAt.gt(since))
        .into_tuple()
        .all(db)
        .await?)
}

async fn find_scoped(
    db: &impl ConnectionTrait,
    workspace_id: Option<&str>,
    id: &str,
) -> Result<entity::Model> {
    let mut query = ApiKeys::find_by_id(id);
    if let Some(workspace_id) = workspace_id {
        query = query.filter(entity::Column::WorkspaceId.eq(workspace_id));
    }
    query
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("API key `{id}`")))
}
