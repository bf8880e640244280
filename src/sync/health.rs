//! Sync health from the database: failure patterns mined from the sync logs, spike alerts
//! raised when a run fails far more than the runs before it, and a recommended schedule from
//! how often the data actually changes. The judgement itself is in the pure `insights`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait, sea_query::Expr,
};
use serde_json::json;

use super::store;
use crate::{
    Error, Result,
    entities::{alert, connection, sync as sync_entity, sync_log, sync_run},
    insights::{
        health::{self, Recommendation, RunObservation, SpikeConfig},
        summary::{self, LoggedFailure, PatternSummary},
    },
    state::AppState,
};

/// Most failures one summary reads (the newest).
pub const MAX_FAILURES: u64 = 50_000;
/// Buckets of a pattern's trend.
pub const TREND_BUCKETS: usize = 24;

/// Which failures to summarise.
#[derive(Default)]
pub struct PatternFilter<'a> {
    /// Of one connection.
    pub connection_id: Option<&'a str>,
    /// Of one sync.
    pub sync_id: Option<&'a str>,
    /// Of one connector.
    pub connector: Option<&'a str>,
    /// From (default: a day before `until`).
    pub since: Option<DateTime<Utc>>,
    /// Until (default: now).
    pub until: Option<DateTime<Utc>>,
}

/// The workspace's failure patterns in a window, most frequent first.
pub async fn failure_patterns(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    filter: &PatternFilter<'_>,
) -> Result<Vec<PatternSummary>> {
    let until = filter.until.unwrap_or_else(Utc::now);
    let since = filter.since.unwrap_or(until - Duration::days(1));
    if since >= until {
        return Err(Error::invalid_field("since", "must be before `until`"));
    }
    let connections: HashMap<String, String> = connection::Entity::find()
        .select_only()
        .columns([connection::Column::Id, connection::Column::ConnectorName])
        .filter(connection::Column::WorkspaceId.eq(workspace_id))
        .into_tuple::<(String, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut query = sync_log::Entity::find()
        .filter(sync_log::Column::WorkspaceId.eq(workspace_id))
        .filter(sync_log::Column::Level.eq("error"))
        .filter(sync_log::Column::CreatedAt.gte(since))
        .filter(sync_log::Column::CreatedAt.lt(until))
        .order_by_desc(sync_log::Column::Id)
        .limit(MAX_FAILURES);
    if let Some(id) = filter.connection_id {
        query = query.filter(sync_log::Column::ConnectionId.eq(id));
    }
    if let Some(id) = filter.sync_id {
        query = query.filter(sync_log::Column::SyncId.eq(id));
    }
    if let Some(connector) = filter.connector {
        let ids: Vec<&String> = connections
            .iter()
            .filter(|(_, name)| name.as_str() == connector)
            .map(|(id, _)| id)
            .collect();
        query = query.filter(sync_log::Column::ConnectionId.is_in(ids));
    }
    let failures: Vec<LoggedFailure> = query
        .all(db)
        .await?
        .into_iter()
        .map(|row| LoggedFailure {
            connector: connections
                .get(&row.connection_id)
                .cloned()
                .unwrap_or_default(),
            message: row.message,
            at: row.created_at,
            http_status: row.http_status.and_then(|s| u16::try_from(s).ok()),
            provider_code: row.provider_code,
            connection_id: row.connection_id,
            sync_id: row.sync_id,
        })
        .collect();
    Ok(summary::summarise(&failures, since, until, TREND_BUCKETS))
}

/// After a run ends: raises the alerts its failures call for (see [`check_for_spike`] and
/// [`check_pattern_spikes`]).
pub async fn check_after_run(state: &AppState, run_id: &str) -> Result<Vec<alert::Model>> {
    let mut raised: Vec<alert::Model> = check_for_spike(state, run_id).await?.into_iter().collect();
    raised.extend(check_pattern_spikes(state, run_id).await?);
    Ok(raised)
}

/// Raises an alert for each failure pattern of the run's sync whose last hour jumps well above
/// the day before it (one open alert per sync and template).
pub async fn check_pattern_spikes(state: &AppState, run_id: &str) -> Result<Vec<alert::Model>> {
    let Some(run) = sync_run::Entity::find_by_id(run_id).one(&state.db).await? else {
        return Ok(Vec::new());
    };
    if run.failed == 0 && run.status != "failed" {
        return Ok(Vec::new());
    }
    let until = Utc::now();
    let filter = PatternFilter {
        sync_id: Some(&run.sync_id),
        since: Some(until - Duration::hours(i64::try_from(TREND_BUCKETS).unwrap_or(24))),
        until: Some(until),
        ..PatternFilter::default()
    };
    let patterns = failure_patterns(&state.db, &run.workspace_id, &filter).await?;
    let mut raised = Vec::new();
    for pattern in patterns.into_iter().filter(|p| p.spiking) {
        let message = format!(
            "failures like `{}` jumped to {} in the last hour",
            pattern.template,
            pattern.trend.last().copied().unwrap_or(0)
        );
        let baseline = {
            let before = &pattern.trend[..pattern.trend.len().saturating_sub(1)];
            before.iter().sum::<u64>() as f64 / before.len().max(1) as f64
        };
        let count = pattern.trend.last().copied().unwrap_or(0);
        if let Some(alert) = raise(
            state,
            &run,
            "pattern_failure_spike",
            &message,
            count,
            baseline,
            json!({"template": pattern.template, "cause": pattern.explanation.as_ref().map(|e| e.cause)}),
        )
        .await?
        {
            raised.push(alert);
        }
    }
    Ok(raised)
}

/// Inserts an alert and its `sync.failure_spike` event in one transaction, unless an open
/// alert with the same kind and message subject exists for the sync.
#[allow(clippy::too_many_arguments)]
async fn raise(
    state: &AppState,
    run: &sync_run::Model,
    kind: &str,
    message: &str,
    count: u64,
    baseline: f64,
    extra: serde_json::Value,
) -> Result<Option<alert::Model>> {
    let subject = extra
        .get("template")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let open = alert::Entity::find()
        .filter(alert::Column::SyncId.eq(run.sync_id.as_str()))
        .filter(alert::Column::Kind.eq(kind))
        .filter(alert::Column::Status.eq("open"))
        .all(&state.db)
        .await?;
    if open
        .iter()
        .any(|a| subject.is_empty() || a.message.contains(&subject))
    {
        return Ok(None);
    }
    let now = Utc::now();
    let row = alert::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        workspace_id: Set(run.workspace_id.clone()),
        kind: Set(kind.into()),
        sync_id: Set(Some(run.sync_id.clone())),
        run_id: Set(Some(run.id.clone())),
        message: Set(message.to_owned()),
        count: Set(i64::try_from(count).unwrap_or(i64::MAX)),
        baseline: Set(baseline),
        status: Set("open".into()),
        created_at: Set(now),
        acknowledged_at: Set(None),
    };
    let txn = state.db.begin().await?;
    let inserted = alert::Entity::insert(row).exec_with_returning(&txn).await?;
    let mut data = json!({"alertId": inserted.id, "kind": kind, "syncId": run.sync_id,
                          "runId": run.id, "count": count, "baseline": baseline,
                          "message": message});
    if let (Some(data), Some(extra)) = (data.as_object_mut(), extra.as_object()) {
        data.extend(extra.clone());
    }
    store::insert_events(
        &txn,
        vec![store::outbox(
            &run.workspace_id,
            "sync.failure_spike",
            &data,
            now,
        )],
    )
    .await?;
    txn.commit().await?;
    tracing::warn!(sync = %run.sync_id, run = %run.id, %message, "failure spike");
    Ok(Some(inserted))
}

/// Raises an alert (and a `sync.failure_spike` event, in one transaction) when the run's
/// failures jump well above the sync's recent runs, unless one is already open.
pub async fn check_for_spike(state: &AppState, run_id: &str) -> Result<Option<alert::Model>> {
    let Some(run) = sync_run::Entity::find_by_id(run_id).one(&state.db).await? else {
        return Ok(None);
    };
    let recent: Vec<(i64, String)> = sync_run::Entity::find()
        .select_only()
        .columns([sync_run::Column::Failed, sync_run::Column::Status])
        .filter(sync_run::Column::SyncId.eq(run.sync_id.as_str()))
        .filter(sync_run::Column::FinishedAt.is_not_null())
        .filter(sync_run::Column::Id.lte(run.id.as_str()))
        .order_by_desc(sync_run::Column::Id)
        .limit(13)
        .into_tuple()
        .all(&state.db)
        .await?;
    // A run that failed outright counts one failure more than its failed records.
    let mut counts: Vec<u64> = recent
        .iter()
        .map(|(failed, status)| u64::try_from(*failed).unwrap_or(0) + u64::from(status == "failed"))
        .collect();
    counts.reverse();
    let config = SpikeConfig {
        baseline_buckets: 12,
        min_count: 5,
        ..SpikeConfig::default()
    };
    let Some(spike) = health::spike(&counts, &config) else {
        return Ok(None);
    };
    let message = format!(
        "{} failures in run {}, against {:.1} per run before (z = {:.1})",
        spike.count, run.id, spike.baseline, spike.z
    );
    raise(
        state,
        &run,
        "sync_failure_spike",
        &message,
        spike.count,
        spike.baseline,
        json!({}),
    )
    .await
}

/// The workspace's alerts, newest first, optionally of one status.
pub async fn alerts(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    status: Option<&str>,
    limit: u64,
) -> Result<Vec<alert::Model>> {
    let mut query = alert::Entity::find()
        .filter(alert::Column::WorkspaceId.eq(workspace_id))
        .order_by_desc(alert::Column::Id)
        .limit(limit);
    if let Some(status) = status {
        query = query.filter(alert::Column::Status.eq(status));
    }
    Ok(query.all(db).await?)
}

/// Marks an alert seen.
pub async fn acknowledge(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    id: &str,
) -> Result<alert::Model> {
    alert::Entity::update_many()
        .col_expr(alert::Column::Status, Expr::value("acknowledged"))
        .col_expr(alert::Column::AcknowledgedAt, Expr::value(Utc::now()))
        .filter(alert::Column::Id.eq(id))
        .filter(alert::Column::WorkspaceId.eq(workspace_id))
        .filter(alert::Column::Status.eq("open"))
        .exec(db)
        .await?;
    alert::Entity::find_by_id(id)
        .filter(alert::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("alert `{id}`")))
}

/// How often a sync should run, from its last 20 completed runs: often enough that changes
/// wait little, rarely enough that most runs find something; never more often than its
/// connector's rate limit allows for the pages a run reads.
pub async fn recommended_schedule(
    state: &AppState,
    sync: &sync_entity::Model,
) -> Result<Option<Recommendation>> {
    let runs: Vec<(DateTime<Utc>, i64, i64, i64, i64)> = sync_run::Entity::find()
        .select_only()
        .columns([
            sync_run::Column::CreatedAt,
            sync_run::Column::Created,
            sync_run::Column::Updated,
            sync_run::Column::Deleted,
            sync_run::Column::Pages,
        ])
        .filter(sync_run::Column::SyncId.eq(sync.id.as_str()))
        .filter(sync_run::Column::Status.is_in(["succeeded", "partial"]))
        .order_by_desc(sync_run::Column::Id)
        .limit(20)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut observations: Vec<RunObservation> = runs
        .iter()
        .map(|(at, created, updated, deleted, _)| RunObservation {
            at_secs: u64::try_from(at.timestamp()).unwrap_or(0),
            changed: u64::try_from(created + updated + deleted).unwrap_or(0),
        })
        .collect();
    observations.reverse();
    let pages = runs.iter().map(|r| r.4).max().unwrap_or(1).max(1);
    let min_interval = crate::connectors::registry::find(
        &state.db,
        &sync.workspace_id,
        &connector_of(&state.db, &sync.connection_id).await?,
    )
    .await?
    .and_then(|entry| {
        let stream = entry.definition.stream(&sync.stream)?;
        let limit = stream.rate_limit.or(entry.definition.rate_limit)?;
        let period = crate::connectors::throttle::quota(&limit).replenish_interval();
        Some(
            period
                .as_secs()
                .saturating_mul(u64::try_from(pages).unwrap_or(1)),
        )
    })
    .unwrap_or(0);
    Ok(health::recommend_interval(&observations, min_interval))
}

async fn connector_of(db: &impl ConnectionTrait, connection_id: &str) -> Result<String> {
    Ok(connection::Entity::find_by_id(connection_id)
        .one(db)
        .await?
        .map(|c| c.connector_name)
        .unwrap_or_default())
}
