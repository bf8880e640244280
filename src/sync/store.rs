//! Writing one page of a run: the page's records (created, updated, unchanged by their content
//! hash, or deleted by a tombstone), its failure log rows, its outbox events, the run's counters
//! and checkpoint — all in one transaction, guarded by the run's lease.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use serde_json::{Value, json};

use crate::{
    Result,
    entities::{
        outbox_event, record,
        sync::{self as sync_entity, Entity as Syncs},
        sync_log,
        sync_run::{self as run_entity, Entity as SyncRuns},
    },
};

/// Most values bound in one `IN (…)` list (SQLite allows 32 766 parameters).
const CHUNK: usize = 500;

/// A record ready to store.
pub(super) struct Prepared {
    /// From the stream's primary key.
    pub external_id: String,
    /// The record as stored (after the mapping).
    pub data: Value,
    /// Its content hash.
    pub hash: String,
    /// Marked deleted by the stream's tombstone field.
    pub tombstone: bool,
}

/// A record that could not be stored, or a run-level event.
pub(super) struct LogRow {
    /// `error`, `warning` or `info`.
    pub level: &'static str,
    /// `fetch`, `map`, `store` or `run`.
    pub stage: &'static str,
    /// The record's id at the provider, when known.
    pub external_id: Option<String>,
    /// The provider's HTTP status, when there was one.
    pub http_status: Option<u16>,
    /// The provider's error code, when it gave one.
    pub provider_code: Option<String>,
    /// What happened.
    pub message: String,
}

/// Whose page it is.
pub(super) struct Owner<'a> {
    pub workspace_id: &'a str,
    pub connection_id: &'a str,
    pub sync_id: &'a str,
    pub run_id: &'a str,
    pub model: &'a str,
    /// The claim token the run is locked by (see the scheduler).
    pub claim: &'a str,
    pub lease_until: DateTime<Utc>,
}

/// One page to commit.
pub(super) struct PageWrite {
    pub records: Vec<Prepared>,
    pub logs: Vec<LogRow>,
    /// Records the page held (stored or not).
    pub fetched: usize,
    /// The paginator's checkpoint after this page.
    pub page_cursor: Option<String>,
    /// The highest cursor-field value so far in the run.
    pub cursor_reached: Option<String>,
    /// Advance the sync's incremental cursor (streams read in cursor order).
    pub sync_cursor: Option<String>,
}

/// What a page changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Records new to the store.
    pub created: i64,
    /// Records whose content changed.
    pub updated: i64,
    /// Records seen again unchanged.
    pub unchanged: i64,
    /// Records marked deleted.
    pub deleted: i64,
    /// Records that could not be stored.
    pub failed: i64,
}

/// Commits a page; `None` when the run's lease was lost (another process has taken the run
/// over), in which case nothing was written.
pub(super) async fn commit_page(
    db: &sea_orm::DatabaseConnection,
    owner: &Owner<'_>,
    page: PageWrite,
) -> Result<Option<Counts>> {
    let txn = db.begin().await?;
    // A write first: SQLite then takes its write lock at once (waiting for other writers)
    // instead of failing to upgrade a read lock later in the transaction.
    if !hold(&txn, owner).await? {
        txn.rollback().await?;
        return Ok(None);
    }
    let now = Utc::now();
    let mut counts = Counts {
        failed: i64::try_from(page.logs.iter().filter(|l| l.level == "error").count())
            .unwrap_or(i64::MAX),
        ..Counts::default()
    };
    // The last occurrence of a record in a page wins.
    let mut latest: HashMap<&str, &Prepared> = HashMap::new();
    for prepared in &page.records {
        latest.insert(&prepared.external_id, prepared);
    }
    let ids: Vec<&str> = latest.keys().copied().collect();
    let existing = existing(&txn, owner, &ids).await?;
    let mut inserts = Vec::new();
    let mut touched = Vec::new();
    let mut events = Vec::new();
    for prepared in page
        .records
        .iter()
        .filter(|p| std::ptr::eq(latest[p.external_id.as_str()], *p))
    {
        let data_text = serde_json::to_string(&prepared.data).unwrap_or_default();
        match existing.get(prepared.external_id.as_str()) {
            None if prepared.tombstone => counts.unchanged += 1,
            None => {
                let id = uuid::Uuid::now_v7().to_string();
                events.push(event(owner, "record.created", &id, prepared, now));
                inserts.push(record::ActiveModel {
                    id: Set(id),
                    workspace_id: Set(owner.workspace_id.to_owned()),
                    connection_id: Set(owner.connection_id.to_owned()),
                    model: Set(owner.model.to_owned()),
                    external_id: Set(prepared.external_id.clone()),
                    data: Set(data_text),
                    hash: Set(prepared.hash.clone()),
                    first_seen_at: Set(now),
                    last_seen_at: Set(now),
                    updated_at: Set(now),
                    deleted_at: Set(None),
                    last_changed_run_id: Set(owner.run_id.to_owned()),
                    last_seen_run_id: Set(owner.run_id.to_owned()),
                });
                counts.created += 1;
            }
            Some(stored) if prepared.tombstone => {
                if stored.deleted {
                    counts.unchanged += 1;
                    touched.push(stored.id.clone());
                } else {
                    mark_deleted(&txn, std::slice::from_ref(&stored.id), owner.run_id, now).await?;
                    events.push(event(owner, "record.deleted", &stored.id, prepared, now));
                    counts.deleted += 1;
                }
            }
            Some(stored) if stored.hash == prepared.hash && !stored.deleted => {
                counts.unchanged += 1;
                touched.push(stored.id.clone());
            }
            Some(stored) => {
                record::Entity::update_many()
                    .col_expr(record::Column::Data, Expr::value(data_text))
                    .col_expr(record::Column::Hash, Expr::value(prepared.hash.clone()))
                    .col_expr(record::Column::UpdatedAt, Expr::value(now))
                    .col_expr(record::Column::LastSeenAt, Expr::value(now))
                    .col_expr(
                        record::Column::DeletedAt,
                        Expr::value(None::<DateTime<Utc>>),
                    )
                    .col_expr(record::Column::LastChangedRunId, Expr::value(owner.run_id))
                    .col_expr(record::Column::LastSeenRunId, Expr::value(owner.run_id))
                    .filter(record::Column::Id.eq(stored.id.as_str()))
                    .exec(&txn)
                    .await?;
                let kind = if stored.deleted {
                    "record.created"
                } else {
                    "record.updated"
                };
                events.push(event(owner, kind, &stored.id, prepared, now));
                counts.updated += 1;
            }
        }
    }
    for chunk in inserts.chunks(CHUNK / 16) {
        record::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    // Records seen unchanged, and stored records whose new version failed, were still seen:
    // a full-scan diff must not delete them.
    let failed_ids: Vec<&str> = page
        .logs
        .iter()
        .filter_map(|l| l.external_id.as_deref())
        .collect();
    touch(&txn, owner, &touched, &failed_ids, now).await?;
    insert_logs(&txn, owner, page.logs, now).await?;
    insert_events(&txn, events).await?;
    let fetched = i64::try_from(page.fetched).unwrap_or(i64::MAX);
    let renewed = SyncRuns::update_many()
        .col_expr(
            run_entity::Column::Fetched,
            Expr::col(run_entity::Column::Fetched).add(fetched),
        )
        .col_expr(
            run_entity::Column::Created,
            Expr::col(run_entity::Column::Created).add(counts.created),
        )
        .col_expr(
            run_entity::Column::Updated,
            Expr::col(run_entity::Column::Updated).add(counts.updated),
        )
        .col_expr(
            run_entity::Column::Unchanged,
            Expr::col(run_entity::Column::Unchanged).add(counts.unchanged),
        )
        .col_expr(
            run_entity::Column::Deleted,
            Expr::col(run_entity::Column::Deleted).add(counts.deleted),
        )
        .col_expr(
            run_entity::Column::Failed,
            Expr::col(run_entity::Column::Failed).add(counts.failed),
        )
        .col_expr(
            run_entity::Column::Pages,
            Expr::col(run_entity::Column::Pages).add(1),
        )
        .col_expr(
            run_entity::Column::PageCursor,
            Expr::value(page.page_cursor),
        )
        .col_expr(
            run_entity::Column::CursorReached,
            Expr::value(page.cursor_reached),
        )
        .col_expr(
            run_entity::Column::LockedUntil,
            Expr::value(owner.lease_until),
        )
        .filter(run_entity::Column::Id.eq(owner.run_id))
        .filter(run_entity::Column::LockedBy.eq(owner.claim))
        .filter(run_entity::Column::Status.eq("running"))
        .exec(&txn)
        .await?;
    if renewed.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(None);
    }
    if let Some(cursor) = page.sync_cursor {
        Syncs::update_many()
            .col_expr(sync_entity::Column::Cursor, Expr::value(cursor))
            .filter(sync_entity::Column::Id.eq(owner.sync_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(Some(counts))
}

/// Renews the run's lease if this claim still holds it; `false` when another claim has it.
pub(super) async fn hold(txn: &DatabaseTransaction, owner: &Owner<'_>) -> Result<bool> {
    let held = SyncRuns::update_many()
        .col_expr(
            run_entity::Column::LockedUntil,
            Expr::value(owner.lease_until),
        )
        .filter(run_entity::Column::Id.eq(owner.run_id))
        .filter(run_entity::Column::LockedBy.eq(owner.claim))
        .filter(run_entity::Column::Status.eq("running"))
        .exec(txn)
        .await?;
    Ok(held.rows_affected == 1)
}

/// What the store holds for a record.
struct Stored {
    id: String,
    hash: String,
    deleted: bool,
}

async fn existing(
    txn: &DatabaseTransaction,
    owner: &Owner<'_>,
    ids: &[&str],
) -> Result<HashMap<String, Stored>> {
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(String, String, String, Option<DateTime<Utc>>)> = record::Entity::find()
            .select_only()
            .column(record::Column::Id)
            .column(record::Column::ExternalId)
            .column(record::Column::Hash)
            .column(record::Column::DeletedAt)
            .filter(record::Column::ConnectionId.eq(owner.connection_id))
            .filter(record::Column::Model.eq(owner.model))
            .filter(record::Column::ExternalId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(txn)
            .await?;
        for (id, external_id, hash, deleted_at) in rows {
            found.insert(
                external_id,
                Stored {
                    id,
                    hash,
                    deleted: deleted_at.is_some(),
                },
            );
        }
    }
    Ok(found)
}

async fn touch(
    txn: &DatabaseTransaction,
    owner: &Owner<'_>,
    record_ids: &[String],
    failed_external_ids: &[&str],
    now: DateTime<Utc>,
) -> Result<()> {
    for chunk in record_ids.chunks(CHUNK) {
        record::Entity::update_many()
            .col_expr(record::Column::LastSeenRunId, Expr::value(owner.run_id))
            .col_expr(record::Column::LastSeenAt, Expr::value(now))
            .filter(record::Column::Id.is_in(chunk.iter().map(String::as_str)))
            .exec(txn)
            .await?;
    }
    for chunk in failed_external_ids.chunks(CHUNK) {
        record::Entity::update_many()
            .col_expr(record::Column::LastSeenRunId, Expr::value(owner.run_id))
            .filter(record::Column::ConnectionId.eq(owner.connection_id))
            .filter(record::Column::Model.eq(owner.model))
            .filter(record::Column::ExternalId.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Marks stored records deleted (never dropped).
pub(super) async fn mark_deleted(
    db: &impl ConnectionTrait,
    record_ids: &[String],
    run_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    for chunk in record_ids.chunks(CHUNK) {
        record::Entity::update_many()
            .col_expr(record::Column::DeletedAt, Expr::value(now))
            .col_expr(record::Column::UpdatedAt, Expr::value(now))
            .col_expr(record::Column::LastChangedRunId, Expr::value(run_id))
            .filter(record::Column::Id.is_in(chunk.iter().map(String::as_str)))
            .exec(db)
            .await?;
    }
    Ok(())
}

pub(super) async fn insert_logs(
    db: &impl ConnectionTrait,
    owner: &Owner<'_>,
    logs: Vec<LogRow>,
    now: DateTime<Utc>,
) -> Result<()> {
    let rows: Vec<sync_log::ActiveModel> = logs
        .into_iter()
        .map(|log| sync_log::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            workspace_id: Set(owner.workspace_id.to_owned()),
            connection_id: Set(owner.connection_id.to_owned()),
            sync_id: Set(owner.sync_id.to_owned()),
            run_id: Set(owner.run_id.to_owned()),
            level: Set(log.level.to_owned()),
            stage: Set(log.stage.to_owned()),
            external_id: Set(log.external_id),
            http_status: Set(log.http_status.map(i32::from)),
            provider_code: Set(log.provider_code),
            message: Set(log.message),
            created_at: Set(now),
        })
        .collect();
    for chunk in rows.chunks(CHUNK / 16) {
        sync_log::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    Ok(())
}

pub(super) async fn insert_events(
    db: &impl ConnectionTrait,
    events: Vec<outbox_event::ActiveModel>,
) -> Result<()> {
    for chunk in events.chunks(CHUNK / 8) {
        outbox_event::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    Ok(())
}

fn event(
    owner: &Owner<'_>,
    event_type: &str,
    record_id: &str,
    prepared: &Prepared,
    now: DateTime<Utc>,
) -> outbox_event::ActiveModel {
    let mut data = json!({
        "recordId": record_id,
        "externalId": prepared.external_id,
        "model": owner.model,
        "connectionId": owner.connection_id,
        "syncId": owner.sync_id,
        "runId": owner.run_id,
    });
    if event_type != "record.deleted" {
        data["record"] = prepared.data.clone();
    }
    outbox(owner.workspace_id, event_type, &data, now)
}

/// An outbox row.
pub(crate) fn outbox(
    workspace_id: &str,
    event_type: &str,
    data: &Value,
    now: DateTime<Utc>,
) -> outbox_event::ActiveModel {
    outbox_event::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        workspace_id: Set(workspace_id.to_owned()),
        event_type: Set(event_type.to_owned()),
        data: Set(serde_json::to_string(data).unwrap_or_default()),
        created_at: Set(now),
        dispatched_at: Set(None),
    }
}
