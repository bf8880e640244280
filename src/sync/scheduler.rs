//! The scheduler: every process runs one. It queues runs of due syncs (advancing the sync's
//! next planned time with a compare-and-swap, so one process wins each slot) and claims runs
//! with a lease — queued ones, parked ones whose wait is over, and running ones whose process
//! stopped renewing its lease — each with one conditional UPDATE, which both SQLite and
//! PostgreSQL apply atomically. A claimed run's lease is renewed while it executes; a run whose
//! lease lapses is taken over and resumes from its checkpoint.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use tokio::{sync::Semaphore, task::JoinSet};

use super::{Trigger, engine, queue_run, schedule_of};
use crate::{
    Result,
    entities::{
        sync::{self as sync_entity, Entity as Syncs},
        sync_run::{self as run_entity, Entity as SyncRuns},
    },
    state::AppState,
};

/// How the scheduler works.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// Runs executing at once in this process.
    pub workers: usize,
    /// How long a claim holds without renewal; a dead process's runs wait this long.
    pub lease: Duration,
    /// How often to look for due syncs and claimable runs (a `runSync` wakes it at once).
    pub poll: Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            workers: 4,
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(1),
        }
    }
}

/// Runs until shutdown; then lets executing runs reach a page boundary.
pub async fn run(state: AppState) {
    let slots = Arc::new(Semaphore::new(state.sync.workers.max(1)));
    let mut running = JoinSet::new();
    let executing = Executing::default();
    loop {
        if let Err(error) = plan_due_syncs(&state).await {
            error.log();
        }
        if let Err(error) = claim_runs(&state, &slots, &mut running, &executing).await {
            error.log();
        }
        while running.try_join_next().is_some() {}
        tokio::select! {
            () = tokio::time::sleep(state.sync.poll) => {}
            () = state.sync_wakeup.notified() => {}
            () = state.shutdown.cancelled() => break,
        }
    }
    while running.join_next().await.is_some() {}
}

/// Queues one run for each sync whose planned time has come.
async fn plan_due_syncs(state: &AppState) -> Result<()> {
    let now = Utc::now();
    let due = Syncs::find()
        .filter(sync_entity::Column::Enabled.eq(true))
        .filter(sync_entity::Column::Paused.eq(false))
        .filter(sync_entity::Column::NextRunAt.lte(now))
        .order_by_asc(sync_entity::Column::NextRunAt)
        .limit(100)
        .all(&state.db)
        .await?;
    for sync in due {
        let Some(planned) = sync.next_run_at else {
            continue;
        };
        let next = schedule_of(&sync).and_then(|s| s.next_after(std::cmp::max(planned, now)));
        let txn = state.db.begin().await?;
        let won = Syncs::update_many()
            .col_expr(sync_entity::Column::NextRunAt, Expr::value(next))
            .filter(sync_entity::Column::Id.eq(sync.id.as_str()))
            .filter(sync_entity::Column::NextRunAt.eq(planned))
            .exec(&txn)
            .await?;
        if won.rows_affected == 1 {
            // A sync still running from its last slot skips this one.
            queue_run(&txn, &sync, Trigger::Schedule, false, None).await?;
        }
        txn.commit().await?;
    }
    Ok(())
}

/// Runs executing in this process: never claimed again by it while they execute (their lease
/// is renewed instead), even when a slow page let the lease lapse.
#[derive(Default, Clone)]
struct Executing(Arc<Mutex<HashSet<String>>>);

impl Executing {
    fn contains(&self, id: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(id)
    }

    fn set(&self, id: &str, executing: bool) {
        let mut set = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if executing {
            set.insert(id.to_owned());
        } else {
            set.remove(id);
        }
    }
}

/// Claims runs while this process has free slots, and starts them.
async fn claim_runs(
    state: &AppState,
    slots: &Arc<Semaphore>,
    running: &mut JoinSet<()>,
    executing: &Executing,
) -> Result<()> {
    while slots.available_permits() > 0 && !state.shutdown.is_cancelled() {
        let now = Utc::now();
        let candidates: Vec<String> = SyncRuns::find()
            .select_only()
            .column(run_entity::Column::Id)
            .filter(claimable(now))
            .order_by_asc(run_entity::Column::CreatedAt)
            .limit(u64::try_from(slots.available_permits()).unwrap_or(1) * 2)
            .into_tuple()
            .all(&state.db)
            .await?;
        if candidates.is_empty() {
            return Ok(());
        }
        let mut claimed_any = false;
        for id in candidates {
            if executing.contains(&id) {
                continue;
            }
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                return Ok(());
            };
            let Some(token) = claim(state, &id, now).await? else {
                continue;
            };
            claimed_any = true;
            let state = state.clone();
            let executing = executing.clone();
            executing.set(&id, true);
            running.spawn(async move {
                let _permit = permit;
                execute_claimed(&state, &id, &token).await;
                executing.set(&id, false);
            });
        }
        if !claimed_any {
            return Ok(());
        }
    }
    Ok(())
}

/// Runs that may be claimed now.
fn claimable(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(run_entity::Column::Status.eq("queued"))
        .add(
            Condition::all()
                .add(run_entity::Column::Status.eq("waiting"))
                .add(run_entity::Column::WaitingUntil.lte(now)),
        )
        .add(
            Condition::all()
                .add(run_entity::Column::Status.eq("running"))
                .add(run_entity::Column::LockedUntil.lt(now)),
        )
}

/// Takes a run if it is still claimable: one conditional UPDATE. Returns the claim's token
/// (`<process id>/<random>`), which every later write of the execution is guarded by.
async fn claim(state: &AppState, id: &str, now: DateTime<Utc>) -> Result<Option<String>> {
    let lease_until = now + chrono::Duration::from_std(state.sync.lease).unwrap_or_default();
    let token = claim_token(state);
    let claimed = SyncRuns::update_many()
        .col_expr(run_entity::Column::Status, Expr::value("running"))
        .col_expr(run_entity::Column::LockedBy, Expr::value(token.as_str()))
        .col_expr(run_entity::Column::LockedUntil, Expr::value(lease_until))
        .col_expr(
            run_entity::Column::WaitingUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(
            run_entity::Column::StartedAt,
            Expr::col(run_entity::Column::StartedAt).if_null(now),
        )
        .filter(run_entity::Column::Id.eq(id))
        .filter(claimable(now))
        .exec(&state.db)
        .await?;
    Ok((claimed.rows_affected == 1).then_some(token))
}

/// A new claim token: `<process id>/<random>`.
pub(crate) fn claim_token(state: &AppState) -> String {
    format!("{}/{}", state.instance_id, uuid::Uuid::new_v4().simple())
}

/// Executes a claimed run while renewing its lease; a lost lease stops nothing by itself (the
/// engine's page commits check the lease and stop writing).
pub(crate) async fn execute_claimed(state: &AppState, id: &str, token: &str) {
    let heartbeat = {
        let state = state.clone();
        let id = id.to_owned();
        let token = token.to_owned();
        tokio::spawn(async move {
            let every = state.sync.lease / 3;
            loop {
                tokio::time::sleep(every).await;
                let lease_until =
                    Utc::now() + chrono::Duration::from_std(state.sync.lease).unwrap_or_default();
                let renewed = SyncRuns::update_many()
                    .col_expr(run_entity::Column::LockedUntil, Expr::value(lease_until))
                    .filter(run_entity::Column::Id.eq(id.as_str()))
                    .filter(run_entity::Column::LockedBy.eq(token.as_str()))
                    .filter(run_entity::Column::Status.eq("running"))
                    .exec(&state.db)
                    .await;
                if !matches!(renewed, Ok(r) if r.rows_affected == 1) {
                    return;
                }
            }
        })
    };
    match engine::execute(state, id, token).await {
        Ok(engine::Outcome::Finished) => {
            tracing::info!(run = %id, "sync run finished");
            if let Err(error) = super::health::check_after_run(state, id).await {
                error.log();
            }
        }
        Ok(outcome) => tracing::info!(run = %id, ?outcome, "sync run stopped"),
        Err(error) => {
            error.log();
            tracing::warn!(run = %id, "sync run interrupted; it resumes when its lease lapses");
        }
    }
    heartbeat.abort();
}
