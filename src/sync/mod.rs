//! Inbound syncs: configurations, runs requested by people or the schedule, the engine that
//! reads a stream page by page into the records store, and the scheduler that claims runs with
//! a lease so several processes share the work without running a sync twice.

pub mod content;
pub mod engine;
pub mod health;
pub mod queries;
pub mod schedule;
pub mod scheduler;
mod store;

pub(crate) use store::write_event;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::Expr,
};

use crate::{
    Error, Result, connections,
    entities::{
        sync::{self as entity, Entity as Syncs},
        sync_run::{self as run_entity, Entity as SyncRuns},
    },
    mapping::store as mapping_store,
    state::AppState,
};

/// Run statuses that hold the sync (at most one such run per sync).
pub const ACTIVE_STATUSES: [&str; 3] = ["queued", "running", "waiting"];

/// Whether a sync reads changes since its cursor or everything each time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Changes since the stored cursor (a full read when the stream has no incremental).
    Incremental,
    /// Every record each run; deletions found by comparing with the store.
    FullRefresh,
}

impl Mode {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incremental => "incremental",
            Self::FullRefresh => "full_refresh",
        }
    }
}

/// A sync's schedule as given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScheduleInput {
    /// An interval such as `15m`.
    pub every: Option<String>,
    /// A cron expression.
    pub cron: Option<String>,
}

/// What a new sync is made of.
pub struct NewSync {
    /// The connection to read from.
    pub connection_id: String,
    /// The connector stream.
    pub stream: String,
    /// Incremental or full refresh.
    pub mode: Mode,
    /// When to run on its own; `None`: only on demand.
    pub schedule: Option<ScheduleInput>,
    /// A field mapping applied to every record before it is stored.
    pub mapping_id: Option<String>,
    /// Whether the schedule runs it.
    pub enabled: bool,
    /// Largest share of stored records a full-scan diff may delete without review (0..=1).
    pub max_delete_share: Option<f64>,
}

/// Changes to a sync.
#[derive(Default)]
pub struct SyncChanges {
    /// New mode.
    pub mode: Option<Mode>,
    /// New schedule; `Some(None)` removes it.
    pub schedule: Option<Option<ScheduleInput>>,
    /// New mapping; `Some(None)` removes it.
    pub mapping_id: Option<Option<String>>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// New deletion threshold.
    pub max_delete_share: Option<f64>,
}

/// Default share of the stored records a full-scan diff may delete at once.
pub const DEFAULT_MAX_DELETE_SHARE: f64 = 0.2;

/// Creates a sync of one of the workspace's connections.
pub async fn create(state: &AppState, workspace_id: &str, new: NewSync) -> Result<entity::Model> {
    let (live_row, entry) =
        connections::find_with_connector(state, workspace_id, &new.connection_id).await?;
    if entry.definition.stream(&new.stream).is_none() {
        return Err(Error::invalid_field(
            "stream",
            format!(
                "`{}` has no stream `{}`; it has: {}",
                live_row.connector_name,
                new.stream,
                entry
                    .definition
                    .streams
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    check_mapping(state, workspace_id, new.mapping_id.as_deref()).await?;
    let (every, cron, next_run_at) = planned(new.schedule.as_ref(), Utc::now())?;
    let now = Utc::now();
    let row = entity::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        workspace_id: Set(workspace_id.to_owned()),
        connection_id: Set(new.connection_id),
        stream: Set(new.stream),
        direction: Set("inbound".into()),
        mode: Set(new.mode.as_str().into()),
        schedule_every_secs: Set(every),
        schedule_cron: Set(cron),
        mapping_id: Set(new.mapping_id),
        enabled: Set(new.enabled),
        paused: Set(false),
        max_delete_share: Set(checked_share(new.max_delete_share)?),
        cursor: Set(None),
        next_run_at: Set(next_run_at),
        created_at: Set(now),
        updated_at: Set(now),
    };
    Ok(row.insert(&state.db).await?)
}

/// Applies changes to a sync of this workspace.
pub async fn update(
    state: &AppState,
    workspace_id: &str,
    id: &str,
    changes: SyncChanges,
) -> Result<entity::Model> {
    let row = get(&state.db, workspace_id, id).await?;
    let mut active: entity::ActiveModel = row.into();
    if let Some(mode) = changes.mode {
        active.mode = Set(mode.as_str().into());
    }
    if let Some(schedule) = changes.schedule {
        let (every, cron, next_run_at) = planned(schedule.as_ref(), Utc::now())?;
        active.schedule_every_secs = Set(every);
        active.schedule_cron = Set(cron);
        active.next_run_at = Set(next_run_at);
    }
    if let Some(mapping_id) = changes.mapping_id {
        check_mapping(state, workspace_id, mapping_id.as_deref()).await?;
        active.mapping_id = Set(mapping_id);
    }
    if let Some(enabled) = changes.enabled {
        active.enabled = Set(enabled);
    }
    if let Some(share) = changes.max_delete_share {
        active.max_delete_share = Set(checked_share(Some(share))?);
    }
    active.updated_at = Set(Utc::now());
    Ok(active.update(&state.db).await?)
}

/// Pauses or resumes a sync's schedule (runs already going finish).
pub async fn set_paused(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    id: &str,
    paused: bool,
) -> Result<entity::Model> {
    let row = get(db, workspace_id, id).await?;
    let mut active: entity::ActiveModel = row.into();
    active.paused = Set(paused);
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// Deletes a sync with its runs and logs (the records stay: they belong to the connection).
pub async fn delete(db: &impl ConnectionTrait, workspace_id: &str, id: &str) -> Result<()> {
    let deleted = Syncs::delete_many()
        .filter(entity::Column::Id.eq(id))
        .filter(entity::Column::WorkspaceId.eq(workspace_id))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(Error::NotFound(format!("sync `{id}`")));
    }
    Ok(())
}

/// The sync with this id in this workspace.
pub async fn get(db: &impl ConnectionTrait, workspace_id: &str, id: &str) -> Result<entity::Model> {
    Syncs::find_by_id(id)
        .filter(entity::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("sync `{id}`")))
}

/// One page of the workspace's syncs, optionally of one connection.
pub async fn list_page(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    connection_id: Option<&str>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<entity::Model>> {
    let mut query = Syncs::find()
        .filter(entity::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(entity::Column::Id)
        .limit(limit);
    if let Some(connection_id) = connection_id {
        query = query.filter(entity::Column::ConnectionId.eq(connection_id));
    }
    if let Some(after) = after {
        query = query.filter(entity::Column::Id.gt(after));
    }
    Ok(query.all(db).await?)
}

/// How a run was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// `runSync`.
    Manual,
    /// The schedule.
    Schedule,
    /// `backfillSync`.
    Backfill,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Schedule => "schedule",
            Self::Backfill => "backfill",
        }
    }
}

/// Queues a run of a sync now; `CONFLICT` while another run of it is unfinished. `full` reads
/// everything (no "changed since"); `since` re-reads changes from that point (backfill). The
/// stored records stay readable throughout; hashes keep the counts right.
pub async fn request_run(
    state: &AppState,
    workspace_id: &str,
    sync_id: &str,
    full: bool,
    since: Option<DateTime<Utc>>,
) -> Result<run_entity::Model> {
    let sync = get(&state.db, workspace_id, sync_id).await?;
    let trigger = if since.is_some() {
        Trigger::Backfill
    } else {
        Trigger::Manual
    };
    let run = queue_run(&state.db, &sync, trigger, full, since)
        .await?
        .ok_or_else(|| {
            Error::Conflict(format!(
                "sync `{sync_id}` already has a run in progress; cancel it or wait"
            ))
        })?;
    state.sync_wakeup.notify_one();
    Ok(run)
}

/// Inserts a queued run; `None` when the sync already has an unfinished run (the database's
/// unique index decides, so concurrent requests and processes cannot both win).
pub(crate) async fn queue_run(
    db: &impl ConnectionTrait,
    sync: &entity::Model,
    trigger: Trigger,
    full: bool,
    since: Option<DateTime<Utc>>,
) -> Result<Option<run_entity::Model>> {
    insert_run(db, sync, trigger, full, since, None).await
}

/// Inserts a run, queued, or already claimed by `claim` (token, lease end) for a run this
/// process executes itself (`patchbay sync run`).
async fn insert_run(
    db: &impl ConnectionTrait,
    sync: &entity::Model,
    trigger: Trigger,
    full: bool,
    since: Option<DateTime<Utc>>,
    claim: Option<(&str, DateTime<Utc>)>,
) -> Result<Option<run_entity::Model>> {
    let now = Utc::now();
    let row = run_entity::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        sync_id: Set(sync.id.clone()),
        workspace_id: Set(sync.workspace_id.clone()),
        status: Set(if claim.is_some() { "running" } else { "queued" }.into()),
        trigger: Set(trigger.as_str().into()),
        full: Set(full),
        since: Set(since.map(|s| s.to_rfc3339())),
        page_cursor: Set(None),
        cursor_reached: Set(None),
        fetched: Set(0),
        created: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        deleted: Set(0),
        failed: Set(0),
        held_deletions: Set(0),
        pages: Set(0),
        error_summary: Set(None),
        cancel_requested: Set(false),
        locked_by: Set(claim.map(|(token, _)| token.to_owned())),
        locked_until: Set(claim.map(|(_, until)| until)),
        waiting_until: Set(None),
        created_at: Set(now),
        started_at: Set(claim.map(|_| now)),
        finished_at: Set(None),
    };
    match row.insert(db).await {
        Ok(run) => Ok(Some(run)),
        Err(error)
            if matches!(
                error.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

/// Runs a sync in this process, in the foreground (`patchbay sync run`): the run is inserted
/// already claimed, so no scheduler of another process takes it; returns the finished run.
pub async fn run_in_foreground(
    state: &AppState,
    sync_id: &str,
    full: bool,
) -> Result<run_entity::Model> {
    let sync = Syncs::find_by_id(sync_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("sync `{sync_id}`")))?;
    let token = scheduler::claim_token(state);
    let lease_until = Utc::now() + chrono::Duration::from_std(state.sync.lease).unwrap_or_default();
    let run = insert_run(
        &state.db,
        &sync,
        Trigger::Manual,
        full,
        None,
        Some((&token, lease_until)),
    )
    .await?
    .ok_or_else(|| Error::Conflict(format!("sync `{sync_id}` already has a run in progress")))?;
    scheduler::execute_claimed(state, &run.id, &token).await;
    queries::run(&state.db, &sync.workspace_id, &run.id).await
}

/// Asks a run to stop at its next page boundary (a queued or waiting run stops at once).
pub async fn cancel_run(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    run_id: &str,
) -> Result<run_entity::Model> {
    let run = queries::run(db, workspace_id, run_id).await?;
    if !ACTIVE_STATUSES.contains(&run.status.as_str()) {
        return Err(Error::Conflict(format!(
            "run `{run_id}` has already finished"
        )));
    }
    let now = Utc::now();
    // Not yet claimed (or parked): nobody will reach a page boundary, so stop it here.
    SyncRuns::update_many()
        .col_expr(run_entity::Column::Status, Expr::value("cancelled"))
        .col_expr(run_entity::Column::FinishedAt, Expr::value(now))
        .col_expr(run_entity::Column::CancelRequested, Expr::value(true))
        .filter(run_entity::Column::Id.eq(run_id))
        .filter(run_entity::Column::Status.is_in(["queued", "waiting"]))
        .exec(db)
        .await?;
    SyncRuns::update_many()
        .col_expr(run_entity::Column::CancelRequested, Expr::value(true))
        .filter(run_entity::Column::Id.eq(run_id))
        .filter(run_entity::Column::Status.eq("running"))
        .exec(db)
        .await?;
    queries::run(db, workspace_id, run_id).await
}

/// The stored schedule columns and the first planned run.
#[allow(clippy::type_complexity)]
fn planned(
    schedule: Option<&ScheduleInput>,
    now: DateTime<Utc>,
) -> Result<(Option<i64>, Option<String>, Option<DateTime<Utc>>)> {
    let Some(input) = schedule else {
        return Ok((None, None, None));
    };
    let parsed = schedule::Schedule::parse(input.every.as_deref(), input.cron.as_deref())
        .map_err(|(field, message)| Error::invalid_field(field, message))?;
    let next = parsed.next_after(now);
    Ok(match parsed {
        schedule::Schedule::Every(every) => (
            Some(i64::try_from(every.as_secs()).unwrap_or(i64::MAX)),
            None,
            next,
        ),
        schedule::Schedule::Cron(_) => (None, input.cron.clone(), next),
    })
}

/// The schedule of a stored sync, if it has one.
pub fn schedule_of(sync: &entity::Model) -> Option<schedule::Schedule> {
    match (&sync.schedule_every_secs, &sync.schedule_cron) {
        (Some(secs), _) => Some(schedule::Schedule::Every(std::time::Duration::from_secs(
            u64::try_from(*secs).unwrap_or(0),
        ))),
        (None, Some(cron)) => schedule::Schedule::parse(None, Some(cron)).ok(),
        (None, None) => None,
    }
}

async fn check_mapping(state: &AppState, workspace_id: &str, id: Option<&str>) -> Result<()> {
    if let Some(id) = id {
        mapping_store::find_mapping(&state.db, workspace_id, id)
            .await?
            .ok_or_else(|| Error::invalid_field("mapping", format!("no field mapping `{id}`")))?;
    }
    Ok(())
}

fn checked_share(share: Option<f64>) -> Result<f64> {
    let share = share.unwrap_or(DEFAULT_MAX_DELETE_SHARE);
    if !(0.0..=1.0).contains(&share) {
        return Err(Error::invalid_field(
            "maxDeleteShare",
            "must be between 0 and 1",
        ));
    }
    Ok(share)
}
