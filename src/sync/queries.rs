//! Reading runs, logs and records, always within one workspace, in keyset pages.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{
    Error, Result,
    entities::{record, sync_log, sync_run},
};

/// A run of this workspace.
pub async fn run(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    id: &str,
) -> Result<sync_run::Model> {
    sync_run::Entity::find_by_id(id)
        .filter(sync_run::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("sync run `{id}`")))
}

/// A sync's runs, newest first (ids are time-ordered UUIDv7).
pub async fn runs_page(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    sync_id: &str,
    status: Option<&str>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<sync_run::Model>> {
    let mut query = sync_run::Entity::find()
        .filter(sync_run::Column::WorkspaceId.eq(workspace_id))
        .filter(sync_run::Column::SyncId.eq(sync_id))
        .order_by_desc(sync_run::Column::Id)
        .limit(limit);
    if let Some(status) = status {
        query = query.filter(sync_run::Column::Status.eq(status));
    }
    if let Some(after) = after {
        query = query.filter(sync_run::Column::Id.lt(after));
    }
    Ok(query.all(db).await?)
}

/// What sync logs to read.
#[derive(Default)]
pub struct LogFilter<'a> {
    /// Of one run.
    pub run_id: Option<&'a str>,
    /// Of one sync.
    pub sync_id: Option<&'a str>,
    /// Of one connection.
    pub connection_id: Option<&'a str>,
    /// Of one level.
    pub level: Option<&'a str>,
    /// Written at or after.
    pub since: Option<DateTime<Utc>>,
}

/// Sync logs of this workspace, oldest first.
pub async fn logs_page(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    filter: &LogFilter<'_>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<sync_log::Model>> {
    let mut query = sync_log::Entity::find()
        .filter(sync_log::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(sync_log::Column::Id)
        .limit(limit);
    if let Some(run_id) = filter.run_id {
        query = query.filter(sync_log::Column::RunId.eq(run_id));
    }
    if let Some(sync_id) = filter.sync_id {
        query = query.filter(sync_log::Column::SyncId.eq(sync_id));
    }
    if let Some(connection_id) = filter.connection_id {
        query = query.filter(sync_log::Column::ConnectionId.eq(connection_id));
    }
    if let Some(level) = filter.level {
        query = query.filter(sync_log::Column::Level.eq(level));
    }
    if let Some(since) = filter.since {
        query = query.filter(sync_log::Column::CreatedAt.gte(since));
    }
    if let Some(after) = after {
        query = query.filter(sync_log::Column::Id.gt(after));
    }
    Ok(query.all(db).await?)
}

/// What records to read.
pub struct RecordFilter<'a> {
    /// Of one connection.
    pub connection_id: &'a str,
    /// Of one model (stream).
    pub model: &'a str,
    /// Changed at or after.
    pub updated_since: Option<DateTime<Utc>>,
    /// Include records deleted at the provider.
    pub include_deleted: bool,
}

/// Records of this workspace, in the order they were first stored.
pub async fn records_page(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    filter: &RecordFilter<'_>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<record::Model>> {
    let mut query = record::Entity::find()
        .filter(record::Column::WorkspaceId.eq(workspace_id))
        .filter(record::Column::ConnectionId.eq(filter.connection_id))
        .filter(record::Column::Model.eq(filter.model))
        .order_by_asc(record::Column::Id)
        .limit(limit);
    if let Some(since) = filter.updated_since {
        query = query.filter(record::Column::UpdatedAt.gte(since));
    }
    if !filter.include_deleted {
        query = query.filter(record::Column::DeletedAt.is_null());
    }
    if let Some(after) = after {
        query = query.filter(record::Column::Id.gt(after));
    }
    Ok(query.all(db).await?)
}

/// A record of this workspace.
pub async fn record(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    id: &str,
) -> Result<record::Model> {
    record::Entity::find_by_id(id)
        .filter(record::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("record `{id}`")))
}
