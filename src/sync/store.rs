//! Writing one page of a run: the page's records (created, updated, unchanged by their content
//! hash, or deleted by a tombstone), its failure log rows, its outbox events, the run's counters
//! and checkpoint — all in one transaction, guarded by the run's lease.

use std::{collections::HashMap, fmt::Write as _};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use serde_json::{Value, json};

use crate::{
    Result,
    entities::{
        record,
        sync::{self as sync_entity, Entity as Syncs},
        sync_log,
        sync_run::{self as run_entity, Entity as SyncRuns},
    },
};

/// Most values bound in one `IN (…)` list (SQLite allows 32 766 parameters).
const CHUNK: usize = 500;

/// Most rows in one multi-row `INSERT`: at most twelve values bound per row, well under SQLite's
/// 32 766 and PostgreSQL's 65 535 parameters.
const ROWS_PER_INSERT: usize = 2000;

/// A record ready to store.
pub(super) struct Prepared {
    /// From the stream's primary key.
    pub external_id: String,
    /// The record as stored (after the mapping): its JSON text.
    pub data: String,
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
    let mut latest: HashMap<&str, usize> = HashMap::with_capacity(page.records.len());
    for (k, prepared) in page.records.iter().enumerate() {
        latest.insert(&prepared.external_id, k);
    }
    let records: Vec<&Prepared> = page
        .records
        .iter()
        .enumerate()
        .filter(|(k, p)| latest[p.external_id.as_str()] == *k)
        .map(|(_, p)| p)
        .collect();
    drop(latest);
    // One statement per page (up to ROWS_PER_INSERT records) stores the new records and marks
    // the stored ones seen, returning what the store held: no lookup that depends on the
    // planner's statistics, and nothing to do for a new record after it.
    let upserts: Vec<&Prepared> = records.iter().copied().filter(|p| !p.tombstone).collect();
    let fresh_ids: Vec<String> = upserts
        .iter()
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    let mut stored = upsert(&txn, owner, &upserts, &fresh_ids, now).await?;
    // A tombstone never creates a record: only stored ones are looked up.
    let tombstoned: Vec<&str> = records
        .iter()
        .filter(|p| p.tombstone)
        .map(|p| p.external_id.as_str())
        .collect();
    stored.extend(existing(&txn, owner, &tombstoned).await?);
    let mut touched = Vec::new();
    let mut deleted = Vec::new();
    let mut events = Vec::with_capacity(upserts.len());
    let mut fresh = fresh_ids.iter();
    for prepared in records {
        let found = stored.get(prepared.external_id.as_str());
        if prepared.tombstone {
            match found {
                None => counts.unchanged += 1,
                Some(stored) if stored.deleted => {
                    counts.unchanged += 1;
                    touched.push(stored.id.clone());
                }
                Some(stored) => {
                    events.push(event(owner, "record.deleted", &stored.id, prepared, now));
                    deleted.push(stored.id.clone());
                    counts.deleted += 1;
                }
            }
            continue;
        }
        let fresh_id = fresh.next().map(String::as_str);
        let Some(stored) = found else {
            return Err(crate::Error::internal(anyhow::anyhow!(
                "the upsert of record `{}` returned no row",
                prepared.external_id
            )));
        };
        if Some(stored.id.as_str()) == fresh_id {
            events.push(event(owner, "record.created", &stored.id, prepared, now));
            counts.created += 1;
        } else if stored.hash == prepared.hash && !stored.deleted {
            // Already marked seen by the upsert.
            counts.unchanged += 1;
        } else {
            record::Entity::update_many()
                .col_expr(record::Column::Data, Expr::value(prepared.data.as_str()))
                .col_expr(record::Column::Hash, Expr::value(prepared.hash.as_str()))
                .col_expr(record::Column::UpdatedAt, Expr::value(now))
                .col_expr(
                    record::Column::DeletedAt,
                    Expr::value(None::<DateTime<Utc>>),
                )
                .col_expr(record::Column::LastChangedRunId, Expr::value(owner.run_id))
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
    drop(stored);
    mark_deleted(&txn, &deleted, owner.run_id, now).await?;
    // Stored records whose new version failed were still seen: a full-scan diff must not
    // delete them.
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

/// Inserts the records new to the store (with the ids given) and marks the stored ones seen by
/// this run, in multi-row `INSERT … ON CONFLICT DO UPDATE` statements; returns what the store
/// holds for each record afterwards: a new record comes back with the id given, a stored one
/// with its own id, hash and deletion (the upsert only touches its last-seen columns).
async fn upsert(
    txn: &DatabaseTransaction,
    owner: &Owner<'_>,
    records: &[&Prepared],
    fresh_ids: &[String],
    now: DateTime<Utc>,
) -> Result<HashMap<String, Stored>> {
    let backend = txn.get_database_backend();
    let mut found = HashMap::with_capacity(records.len());
    for (chunk, ids) in records
        .chunks(ROWS_PER_INSERT)
        .zip(fresh_ids.chunks(ROWS_PER_INSERT))
    {
        let mut sql = String::with_capacity(400 + chunk.len() * 64);
        sql.push_str(
            "INSERT INTO records (id, workspace_id, connection_id, model, external_id, data, \
             hash, first_seen_at, last_seen_at, updated_at, deleted_at, last_changed_run_id, \
             last_seen_run_id) VALUES ",
        );
        let mut row = Row::new(backend, chunk.len() * 12);
        for (k, (prepared, id)) in chunk.iter().zip(ids).enumerate() {
            sql.push_str(if k > 0 { ", (" } else { "(" });
            row.value(&mut sql, id.as_str());
            row.value(&mut sql, owner.workspace_id);
            row.value(&mut sql, owner.connection_id);
            row.value(&mut sql, owner.model);
            row.value(&mut sql, prepared.external_id.as_str());
            row.value(&mut sql, prepared.data.as_str());
            row.value(&mut sql, prepared.hash.as_str());
            row.value(&mut sql, now);
            row.value(&mut sql, now);
            row.value(&mut sql, now);
            sql.push_str(", NULL");
            row.value(&mut sql, owner.run_id);
            row.value(&mut sql, owner.run_id);
            sql.push(')');
        }
        sql.push_str(
            " ON CONFLICT (connection_id, model, external_id) DO UPDATE SET \
             last_seen_at = excluded.last_seen_at, last_seen_run_id = excluded.last_seen_run_id \
             RETURNING id, external_id, hash, deleted_at",
        );
        let rows = txn
            .query_all_raw(Statement::from_sql_and_values(backend, sql, row.values))
            .await?;
        for row in rows {
            let external_id: String = row.try_get("", "external_id")?;
            let deleted_at: Option<DateTime<Utc>> = row.try_get("", "deleted_at")?;
            found.insert(
                external_id,
                Stored {
                    id: row.try_get("", "id")?,
                    hash: row.try_get("", "hash")?,
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

/// The model's live (not deleted) records, and how many of them this run has not seen: one
/// aggregate in SQL.
pub(super) async fn count_unseen(
    db: &impl ConnectionTrait,
    owner: &Owner<'_>,
) -> Result<(i64, i64)> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT COUNT(*) AS live, \
             COALESCE(SUM(CASE WHEN last_seen_run_id <> $3 THEN 1 ELSE 0 END), 0) AS unseen \
             FROM records WHERE connection_id = $1 AND model = $2 AND deleted_at IS NULL",
            [
                owner.connection_id.into(),
                owner.model.into(),
                owner.run_id.into(),
            ],
        ))
        .await?;
    let Some(row) = row else {
        return Ok((0, 0));
    };
    Ok((row.try_get("", "live")?, row.try_get("", "unseen")?))
}

/// Up to [`CHUNK`] ids of live records this run has not seen, after `after` in id order.
pub(super) async fn unseen_batch(
    db: &impl ConnectionTrait,
    owner: &Owner<'_>,
    after: Option<&str>,
) -> Result<Vec<String>> {
    let mut query = record::Entity::find()
        .select_only()
        .column(record::Column::Id)
        .filter(record::Column::ConnectionId.eq(owner.connection_id))
        .filter(record::Column::Model.eq(owner.model))
        .filter(record::Column::DeletedAt.is_null())
        .filter(record::Column::LastSeenRunId.ne(owner.run_id))
        .order_by_asc(record::Column::Id)
        .limit(CHUNK as u64);
    if let Some(after) = after {
        query = query.filter(record::Column::Id.gt(after));
    }
    Ok(query.into_tuple().all(db).await?)
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
    let mut rows: Vec<sync_log::ActiveModel> = logs
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
    // Twelve values a row: 500 rows stay well under SQLite's 32 766 parameters.
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(CHUNK));
        sync_log::Entity::insert_many(std::mem::replace(&mut rows, rest))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The values of a multi-row statement and their placeholders: numbered on PostgreSQL, `?` on
/// SQLite, where every numbered parameter is bound by a name lookup that scans all of them
/// (quadratic in a statement of thousands).
struct Row {
    postgres: bool,
    values: Vec<sea_orm::Value>,
}

impl Row {
    fn new(backend: sea_orm::DbBackend, capacity: usize) -> Self {
        Self {
            postgres: backend == sea_orm::DbBackend::Postgres,
            values: Vec::with_capacity(capacity),
        }
    }

    /// Appends the next value's placeholder (after a comma unless the row has just begun).
    fn value(&mut self, sql: &mut String, value: impl Into<sea_orm::Value>) {
        if !sql.ends_with('(') {
            sql.push_str(", ");
        }
        self.values.push(value.into());
        if self.postgres {
            let _ = write!(sql, "${}", self.values.len());
        } else {
            sql.push('?');
        }
    }
}

/// An outbox row to insert.
pub(super) struct OutboxRow {
    id: String,
    workspace_id: String,
    event_type: &'static str,
    /// The event's `data`, as JSON text.
    data: String,
    created_at: DateTime<Utc>,
}

/// Inserts outbox rows, in multi-row statements.
pub(super) async fn insert_events(db: &impl ConnectionTrait, events: Vec<OutboxRow>) -> Result<()> {
    let backend = db.get_database_backend();
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let mut sql = String::with_capacity(100 + chunk.len() * 32);
        sql.push_str(
            "INSERT INTO outbox_events (id, workspace_id, event_type, data, created_at, \
             dispatched_at) VALUES ",
        );
        let mut row = Row::new(backend, chunk.len() * 5);
        for (k, event) in chunk.iter().enumerate() {
            sql.push_str(if k > 0 { ", (" } else { "(" });
            row.value(&mut sql, event.id.as_str());
            row.value(&mut sql, event.workspace_id.as_str());
            row.value(&mut sql, event.event_type);
            row.value(&mut sql, event.data.as_str());
            row.value(&mut sql, event.created_at);
            sql.push_str(", NULL)");
        }
        db.execute_raw(Statement::from_sql_and_values(backend, sql, row.values))
            .await?;
    }
    Ok(())
}

/// A record's event: `data` is `{recordId, externalId, model, connectionId, syncId, runId}`
/// and, but for `record.deleted`, `record`: the stored record, spliced in as the JSON text
/// already made for the store (the same bytes as serialising it again).
fn event(
    owner: &Owner<'_>,
    event_type: &'static str,
    record_id: &str,
    prepared: &Prepared,
    now: DateTime<Utc>,
) -> OutboxRow {
    let head = json!({
        "recordId": record_id,
        "externalId": prepared.external_id,
        "model": owner.model,
        "connectionId": owner.connection_id,
        "syncId": owner.sync_id,
        "runId": owner.run_id,
    });
    let mut data = serde_json::to_string(&head).unwrap_or_default();
    if event_type != "record.deleted" {
        data.reserve(prepared.data.len() + 10);
        data.pop();
        data.push_str(",\"record\":");
        data.push_str(&prepared.data);
        data.push('}');
    }
    OutboxRow {
        id: uuid::Uuid::now_v7().to_string(),
        workspace_id: owner.workspace_id.to_owned(),
        event_type,
        data,
        created_at: now,
    }
}

/// Writes one event into the outbox, inside the caller's transaction.
pub(crate) async fn write_event(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    event_type: &'static str,
    data: &Value,
    now: DateTime<Utc>,
) -> Result<()> {
    insert_events(db, vec![outbox(workspace_id, event_type, data, now)]).await
}

/// An outbox row.
pub(super) fn outbox(
    workspace_id: &str,
    event_type: &'static str,
    data: &Value,
    now: DateTime<Utc>,
) -> OutboxRow {
    OutboxRow {
        id: uuid::Uuid::now_v7().to_string(),
        workspace_id: workspace_id.to_owned(),
        event_type,
        data: serde_json::to_string(data).unwrap_or_default(),
        created_at: now,
    }
}
