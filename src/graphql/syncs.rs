//! `syncs`: sync configurations, their runs and logs, and live run progress.

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject, Subscription,
    connection::Connection,
};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::{app, pagination, principal};
use crate::{
    Error,
    auth::{Resource, Scope, scopes},
    entities::{sync as entity, sync_log, sync_run},
    error::GqlResultExt,
    sync::{self, Mode, NewSync, ScheduleInput, SyncChanges, queries},
};

#[derive(Default)]
pub struct SyncsQuery;

#[derive(Default)]
pub struct SyncsMutation;

#[derive(Default)]
pub struct SyncsSubscription;

/// Which way records move.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum SyncDirection {
    /// From the provider into Patchbay's records.
    Inbound,
}

/// How much each run reads.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum SyncMode {
    /// Records changed since the stored cursor (everything when the stream has no incremental).
    Incremental,
    /// Every record each run; records gone at the provider are marked deleted.
    FullRefresh,
}

/// Where a run is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum SyncRunStatus {
    /// Waiting for a worker.
    Queued,
    /// Reading pages.
    Running,
    /// Parked until the provider's quota resets (`waitingUntil`).
    Waiting,
    /// Every page read, every record stored.
    Succeeded,
    /// Every page read; some records failed (see the logs).
    Partial,
    /// Stopped by an error (see `errorSummary` and the logs).
    Failed,
    /// Stopped by `cancelSyncRun`.
    Cancelled,
}

impl SyncRunStatus {
    fn parse(text: &str) -> Self {
        match text {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "waiting" => Self::Waiting,
            "succeeded" => Self::Succeeded,
            "partial" => Self::Partial,
            "cancelled" => Self::Cancelled,
            _ => Self::Failed,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Waiting => "waiting",
            Self::Succeeded => "succeeded",
            Self::Partial => "partial",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// When a sync runs on its own.
#[derive(SimpleObject, InputObject, Clone, Default)]
#[graphql(input_name = "ScheduleInput")]
pub struct Schedule {
    /// An interval: `30s`, `15m`, `2h`, `1d`, `1h30m` (at least 10 s).
    pub every: Option<String>,
    /// A five-field cron expression, in UTC.
    pub cron: Option<String>,
}

/// A sync: which stream of which connection, how and when.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Sync {
    /// Its id.
    pub id: ID,
    /// The connection it reads from.
    pub connection_id: ID,
    /// The connector stream (the records' model).
    pub stream: String,
    /// Which way records move.
    pub direction: SyncDirection,
    /// Incremental or full refresh.
    pub mode: SyncMode,
    /// When it runs on its own; null: on demand only.
    pub schedule: Option<Schedule>,
    /// The field mapping applied to each record.
    pub mapping_id: Option<ID>,
    /// Whether the schedule runs it.
    pub enabled: bool,
    /// Whether it is paused (`pauseSync`).
    pub paused: bool,
    /// Largest share of stored records a full-scan diff deletes without review.
    pub max_delete_share: f64,
    /// The incremental cursor: the highest cursor-field value read so far.
    pub cursor: Option<String>,
    /// When the schedule runs it next.
    pub next_run_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub workspace_id: String,
}

/// How often a sync should run.
#[derive(SimpleObject)]
pub struct RecommendedSchedule {
    /// An interval, as `schedule.every` takes it.
    pub every: String,
    /// Why, in a sentence.
    pub reason: String,
}

#[ComplexObject]
impl Sync {
    /// How often it should run, from how often its data actually changed over its last runs
    /// and its connector's rate limit; null until it has run a few times.
    async fn recommended_schedule(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<RecommendedSchedule>> {
        let state = app(ctx)?;
        let row = sync::get(&state.db, &self.workspace_id, &self.id)
            .await
            .gql()?;
        let recommendation = sync::health::recommended_schedule(state, &row)
            .await
            .gql()?;
        Ok(recommendation.map(|r| RecommendedSchedule {
            every: sync::schedule::format_every(std::time::Duration::from_secs(r.every_secs)),
            reason: r.reason,
        }))
    }

    /// The latest run.
    async fn last_run(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<SyncRun>> {
        let rows = queries::runs_page(&app(ctx)?.db, &self.workspace_id, &self.id, None, None, 1)
            .await
            .gql()?;
        Ok(rows.into_iter().next().map(run_to_graphql))
    }
}

/// One run of a sync.
#[derive(SimpleObject)]
pub struct SyncRun {
    /// Its id.
    pub id: ID,
    /// Its sync.
    pub sync_id: ID,
    /// Where it is.
    pub status: SyncRunStatus,
    /// `manual`, `schedule` or `backfill`.
    pub trigger: String,
    /// Whether it reads everything (no "changed since").
    pub full: bool,
    /// Records read from the provider.
    pub fetched: i64,
    /// Records new to the store.
    pub created: i64,
    /// Records whose content changed.
    pub updated: i64,
    /// Records read again unchanged.
    pub unchanged: i64,
    /// Records marked deleted.
    pub deleted: i64,
    /// Records that could not be stored (see the logs).
    pub failed: i64,
    /// Deletions held for review (above the sync's threshold).
    pub held_deletions: i64,
    /// Pages committed.
    pub pages: i64,
    /// The highest cursor-field value it read.
    pub cursor_reached: Option<String>,
    /// Why it failed.
    pub error_summary: Option<String>,
    /// Until when it is parked (status `WAITING`).
    pub waiting_until: Option<DateTime<Utc>>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When a worker first took it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// How long it took, in milliseconds (so far, while it runs).
    pub duration_ms: Option<i64>,
}

/// Severity of a sync log row.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum SyncLogLevel {
    /// A record or the run failed.
    Error,
    /// Something to look at (e.g. a held deletion).
    Warning,
    /// Run-level information.
    Info,
}

/// One failure or run-level event.
#[derive(SimpleObject)]
pub struct SyncLog {
    /// Its id.
    pub id: ID,
    /// Its run.
    pub run_id: ID,
    /// Its sync.
    pub sync_id: ID,
    /// Its connection.
    pub connection_id: ID,
    /// Severity.
    pub level: SyncLogLevel,
    /// `fetch`, `map`, `store`, `push` or `run`.
    pub stage: String,
    /// The record's id at the provider, when known.
    pub external_id: Option<String>,
    /// The provider's HTTP status, when there was one.
    pub http_status: Option<i32>,
    /// The provider's error code, when it gave one.
    pub provider_code: Option<String>,
    /// What happened (provider bodies are excerpts with credentials scrubbed).
    pub message: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A new sync.
#[derive(InputObject)]
pub struct CreateSyncInput {
    /// The connection to read from.
    pub connection: ID,
    /// The connector stream.
    pub stream: String,
    /// Only `INBOUND` for now.
    #[graphql(default_with = "SyncDirection::Inbound")]
    pub direction: SyncDirection,
    /// Default `INCREMENTAL`.
    #[graphql(default_with = "SyncMode::Incremental")]
    pub mode: SyncMode,
    /// When to run on its own; omit to run on demand only.
    pub schedule: Option<Schedule>,
    /// A field mapping applied to each record before it is stored.
    pub mapping: Option<ID>,
    /// Whether the schedule runs it (default true).
    #[graphql(default = true)]
    pub enabled: bool,
    /// Largest share of stored records a full-scan diff deletes without review (default 0.2).
    pub max_delete_share: Option<f64>,
}

/// Changes to a sync; omitted fields stay.
#[derive(InputObject)]
pub struct UpdateSyncInput {
    /// New mode.
    pub mode: Option<SyncMode>,
    /// New schedule.
    pub schedule: Option<Schedule>,
    /// Remove the schedule (on demand only).
    #[graphql(default)]
    pub clear_schedule: bool,
    /// New field mapping.
    pub mapping: Option<ID>,
    /// Remove the field mapping.
    #[graphql(default)]
    pub clear_mapping: bool,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// New deletion threshold.
    pub max_delete_share: Option<f64>,
}

#[Object]
impl SyncsQuery {
    /// The workspace's syncs, optionally of one connection. Needs `syncs:read`.
    async fn syncs(
        &self,
        ctx: &Context<'_>,
        connection: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Sync>> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Syncs)).gql()?;
        let size = pagination::page_size(first).gql()?;
        let rows = sync::list_page(
            &app(ctx)?.db,
            &caller.workspace_id,
            connection.as_ref().map(|c| c.as_str()),
            after.as_deref(),
            size + 1,
        )
        .await
        .gql()?;
        let nodes = rows.into_iter().map(to_graphql).collect();
        Ok(pagination::connection(nodes, size, after.is_some(), |s| {
            s.id.to_string()
        }))
    }

    /// One sync. Needs `syncs:read`.
    async fn sync(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Sync> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Syncs)).gql()?;
        let row = sync::get(&app(ctx)?.db, &caller.workspace_id, &id)
            .await
            .gql()?;
        Ok(to_graphql(row))
    }

    /// A sync's runs, newest first. Needs `syncs:read`.
    async fn sync_runs(
        &self,
        ctx: &Context<'_>,
        sync: ID,
        status: Option<SyncRunStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, SyncRun>> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Syncs)).gql()?;
        let size = pagination::page_size(first).gql()?;
        let db = &app(ctx)?.db;
        sync::get(db, &caller.workspace_id, &sync).await.gql()?;
        let rows = queries::runs_page(
            db,
            &caller.workspace_id,
            &sync,
            status.map(SyncRunStatus::as_str),
            after.as_deref(),
            size + 1,
        )
        .await
        .gql()?;
        let nodes = rows.into_iter().map(run_to_graphql).collect();
        Ok(pagination::connection(nodes, size, after.is_some(), |r| {
            r.id.to_string()
        }))
    }

    /// One run. Needs `syncs:read`.
    async fn sync_run(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<SyncRun> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Syncs)).gql()?;
        let row = queries::run(&app(ctx)?.db, &caller.workspace_id, &id)
            .await
            .gql()?;
        Ok(run_to_graphql(row))
    }

    /// Failures and run-level events, oldest first, of one run, sync or connection (or the
    /// whole workspace). Needs `syncs:read`.
    #[allow(clippy::too_many_arguments)]
    async fn sync_logs(
        &self,
        ctx: &Context<'_>,
        run: Option<ID>,
        sync: Option<ID>,
        connection: Option<ID>,
        level: Option<SyncLogLevel>,
        since: Option<DateTime<Utc>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, SyncLog>> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Syncs)).gql()?;
        let size = pagination::page_size(first).gql()?;
        let filter = queries::LogFilter {
            run_id: run.as_ref().map(|r| r.as_str()),
            sync_id: sync.as_ref().map(|s| s.as_str()),
            connection_id: connection.as_ref().map(|c| c.as_str()),
            level: level.map(level_name),
            since,
        };
        let rows = queries::logs_page(
            &app(ctx)?.db,
            &caller.workspace_id,
            &filter,
            after.as_deref(),
            size + 1,
        )
        .await
        .gql()?;
        let nodes = rows.into_iter().map(log_to_graphql).collect();
        Ok(pagination::connection(nodes, size, after.is_some(), |l| {
            l.id.to_string()
        }))
    }
}

#[Object]
impl SyncsMutation {
    /// Creates a sync of one of the workspace's connections. Needs `syncs:write`.
    async fn create_sync(
        &self,
        ctx: &Context<'_>,
        input: CreateSyncInput,
    ) -> async_graphql::Result<Sync> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Syncs)).gql()?;
        let SyncDirection::Inbound = input.direction;
        let row = sync::create(
            app(ctx)?,
            &caller.workspace_id,
            NewSync {
                connection_id: input.connection.to_string(),
                stream: input.stream,
                mode: mode_of(input.mode),
                schedule: input.schedule.map(schedule_input),
                mapping_id: input.mapping.map(|m| m.to_string()),
                enabled: input.enabled,
                max_delete_share: input.max_delete_share,
            },
        )
        .await
        .gql()?;
        Ok(to_graphql(row))
    }

    /// Changes a sync. Needs `syncs:write`.
    async fn update_sync(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateSyncInput,
    ) -> async_graphql::Result<Sync> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Syncs)).gql()?;
        let changes = SyncChanges {
            mode: input.mode.map(mode_of),
            schedule: if input.clear_schedule {
                Some(None)
            } else {
                input.schedule.map(|s| Some(schedule_input(s)))
            },
            mapping_id: if input.clear_mapping {
                Some(None)
            } else {
                input.mapping.map(|m| Some(m.to_string()))
            },
            enabled: input.enabled,
            max_delete_share: input.max_delete_share,
        };
        let row = sync::update(app(ctx)?, &caller.workspace_id, &id, changes)
            .await
            .gql()?;
        Ok(to_graphql(row))
    }

    /// Deletes a sync with its runs and logs; its records stay. Needs `syncs:write`.
    async fn delete_sync(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Syncs)).gql()?;
        sync::delete(&app(ctx)?.db, &caller.workspace_id, &id)
            .await
            .gql()?;
        Ok(id)
    }

    /// Stops scheduling a sync (a running run finishes). Needs `syncs:write`.
    async fn pause_sync(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Sync> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Syncs)).gql()?;
        let row = sync::set_paused(&app(ctx)?.db, &caller.workspace_id, &id, true)
            .await
            .gql()?;
        Ok(to_graphql(row))
    }

    /// Schedules a paused sync again. Needs `syncs:write`.
    async fn resume_sync(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Sync> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Syncs)).gql()?;
        let row = sync::set_paused(&app(ctx)?.db, &caller.workspace_id, &id, false)
            .await
            .gql()?;
        Ok(to_graphql(row))
    }

    /// Starts a run now (`CONFLICT` while one is unfinished). `full: true` reads everything
    /// again while the stored records stay readable. Needs `syncs:write`.
    async fn run_sync(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default)] full: bool,
    ) -> async_graphql::Result<SyncRun> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Syncs)).gql()?;
        let run = sync::request_run(app(ctx)?, &caller.workspace_id, &id, full, None)
            .await
            .gql()?;
        Ok(run_to_graphql(run))
    }

    /// Re-reads the records changed since a time (a window of an incremental stream), while
    /// the stored records stay readable. Needs `syncs:write`.
    async fn backfill_sync(
        &self,
        ctx: &Context<'_>,
        id: ID,
        since: DateTime<Utc>,
    ) -> async_graphql::Result<SyncRun> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Syncs)).gql()?;
        let run = sync::request_run(app(ctx)?, &caller.workspace_id, &id, false, Some(since))
            .await
            .gql()?;
        Ok(run_to_graphql(run))
    }

    /// Stops a run at its next page boundary (a queued or parked run at once). Needs
    /// `syncs:write`.
    async fn cancel_sync_run(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<SyncRun> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Syncs)).gql()?;
        let run = sync::cancel_run(&app(ctx)?.db, &caller.workspace_id, &id)
            .await
            .gql()?;
        Ok(run_to_graphql(run))
    }
}

/// A moment of a run, as it happens.
#[derive(SimpleObject, Clone)]
pub struct SyncRunProgress {
    /// The run.
    pub run_id: ID,
    /// Its sync.
    pub sync_id: ID,
    /// Where it is now.
    pub status: SyncRunStatus,
    /// Pages committed.
    pub pages: i64,
    /// Records read.
    pub fetched: i64,
    /// Records created so far.
    pub created: i64,
    /// Records updated so far.
    pub updated: i64,
    /// Records unchanged so far.
    pub unchanged: i64,
    /// Records deleted so far.
    pub deleted: i64,
    /// Records failed so far.
    pub failed: i64,
    /// When.
    pub at: DateTime<Utc>,
}

#[Subscription]
impl SyncsSubscription {
    /// Progress of one run: after each page and at every status change. Needs `syncs:read`.
    async fn sync_run_progress(
        &self,
        ctx: &Context<'_>,
        run_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = SyncRunProgress> + use<>> {
        progress(ctx, Wanted::Run(run_id))
    }

    /// Progress of every run of one sync. Needs `syncs:read`.
    async fn sync_runs_progress(
        &self,
        ctx: &Context<'_>,
        sync: ID,
    ) -> async_graphql::Result<impl Stream<Item = SyncRunProgress> + use<>> {
        progress(ctx, Wanted::Sync(sync))
    }
}

/// Which runs a progress subscription follows.
enum Wanted {
    /// One run.
    Run(ID),
    /// Every run of a sync.
    Sync(ID),
}

impl Wanted {
    fn matches(&self, progress: &SyncRunProgress) -> bool {
        match self {
            Self::Run(id) => &progress.run_id == id,
            Self::Sync(id) => &progress.sync_id == id,
        }
    }
}

fn progress(
    ctx: &Context<'_>,
    wanted: Wanted,
) -> async_graphql::Result<impl Stream<Item = SyncRunProgress> + use<>> {
    let caller = principal(ctx)?.clone();
    if !scopes::grants(&caller.scopes, Scope::Read(Resource::Syncs)) {
        return Err(Error::Forbidden(
            "this key lacks the scope `syncs:read`".into(),
        ))
        .gql();
    }
    let receiver = app(ctx)?.events.subscribe();
    let wanted = std::sync::Arc::new(wanted);
    Ok(futures_util::stream::unfold(
        receiver,
        move |mut receiver| {
            let workspace = caller.workspace_id.clone();
            let wanted = wanted.clone();
            async move {
                loop {
                    match receiver.recv().await {
                        Ok(event)
                            if event.workspace_id == workspace
                                && event.event_type == "sync.progress" =>
                        {
                            if let Some(progress) = progress_of(&event.data, event.at)
                                && wanted.matches(&progress)
                            {
                                return Some((progress, receiver));
                            }
                        }
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        },
    ))
}

fn progress_of(data: &serde_json::Value, at: DateTime<Utc>) -> Option<SyncRunProgress> {
    let number = |key: &str| {
        data.get(key)
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0)
    };
    let text = |key: &str| data.get(key).and_then(serde_json::Value::as_str);
    Some(SyncRunProgress {
        run_id: ID(text("runId")?.to_owned()),
        sync_id: ID(text("syncId")?.to_owned()),
        status: SyncRunStatus::parse(text("status")?),
        pages: number("pages"),
        fetched: number("fetched"),
        created: number("created"),
        updated: number("updated"),
        unchanged: number("unchanged"),
        deleted: number("deleted"),
        failed: number("failed"),
        at,
    })
}

fn mode_of(mode: SyncMode) -> Mode {
    match mode {
        SyncMode::Incremental => Mode::Incremental,
        SyncMode::FullRefresh => Mode::FullRefresh,
    }
}

fn schedule_input(schedule: Schedule) -> ScheduleInput {
    ScheduleInput {
        every: schedule.every,
        cron: schedule.cron,
    }
}

fn level_name(level: SyncLogLevel) -> &'static str {
    match level {
        SyncLogLevel::Error => "error",
        SyncLogLevel::Warning => "warning",
        SyncLogLevel::Info => "info",
    }
}

pub(super) fn to_graphql(row: entity::Model) -> Sync {
    let schedule = match (&row.schedule_every_secs, &row.schedule_cron) {
        (Some(secs), _) => Some(Schedule {
            every: Some(sync::schedule::format_every(
                std::time::Duration::from_secs(u64::try_from(*secs).unwrap_or(0)),
            )),
            cron: None,
        }),
        (None, Some(cron)) => Some(Schedule {
            every: None,
            cron: Some(cron.clone()),
        }),
        (None, None) => None,
    };
    Sync {
        id: ID(row.id),
        connection_id: ID(row.connection_id),
        stream: row.stream,
        direction: SyncDirection::Inbound,
        mode: if row.mode == "full_refresh" {
            SyncMode::FullRefresh
        } else {
            SyncMode::Incremental
        },
        schedule,
        mapping_id: row.mapping_id.map(ID),
        enabled: row.enabled,
        paused: row.paused,
        max_delete_share: row.max_delete_share,
        cursor: row.cursor,
        next_run_at: row.next_run_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
        workspace_id: row.workspace_id,
    }
}

fn run_to_graphql(row: sync_run::Model) -> SyncRun {
    let duration_ms = row
        .started_at
        .map(|started| (row.finished_at.unwrap_or_else(Utc::now) - started).num_milliseconds());
    SyncRun {
        id: ID(row.id),
        sync_id: ID(row.sync_id),
        status: SyncRunStatus::parse(&row.status),
        trigger: row.trigger,
        full: row.full,
        fetched: row.fetched,
        created: row.created,
        updated: row.updated,
        unchanged: row.unchanged,
        deleted: row.deleted,
        failed: row.failed,
        held_deletions: row.held_deletions,
        pages: row.pages,
        cursor_reached: row.cursor_reached,
        error_summary: row.error_summary,
        waiting_until: row.waiting_until,
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
        duration_ms,
    }
}

fn log_to_graphql(row: sync_log::Model) -> SyncLog {
    SyncLog {
        id: ID(row.id),
        run_id: ID(row.run_id),
        sync_id: ID(row.sync_id),
        connection_id: ID(row.connection_id),
        level: match row.level.as_str() {
            "error" => SyncLogLevel::Error,
            "warning" => SyncLogLevel::Warning,
            _ => SyncLogLevel::Info,
        },
        stage: row.stage,
        external_id: row.external_id,
        http_status: row.http_status,
        provider_code: row.provider_code,
        message: row.message,
        created_at: row.created_at,
    }
}
