//! `insights`: failure patterns mined from the sync logs, and spike alerts.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{app, principal};
use crate::{
    Error,
    auth::{Resource, Scope},
    entities::alert,
    error::GqlResultExt,
    insights::summary::PatternSummary,
    sync::health::{self, PatternFilter},
};

#[derive(Default)]
pub struct InsightsQuery;

#[derive(Default)]
pub struct InsightsMutation;

/// A value seen at a pattern's placeholder.
#[derive(SimpleObject)]
pub struct ParameterValue {
    /// The placeholder's position in the template (0-based).
    pub position: i32,
    /// The value.
    pub value: String,
    /// How many failures had it.
    pub count: i64,
}

/// Failures per time bucket.
#[derive(SimpleObject)]
pub struct TrendBucket {
    /// The bucket's start.
    pub start: DateTime<Utc>,
    /// Failures in it.
    pub count: i64,
}

/// A group of failures with the same template, explained.
#[derive(SimpleObject)]
pub struct FailurePattern {
    /// The template; variable parts written `<*>` or typed (`<NUM>`, `<EMAIL>`, `<URL>`).
    pub template: String,
    /// Failures of the pattern.
    pub count: i64,
    /// Its share of the failures in the window (0..1).
    pub share: f64,
    /// The first failure's time.
    pub first_seen: DateTime<Utc>,
    /// The last failure's time.
    pub last_seen: DateTime<Utc>,
    /// Failures per bucket over the window, oldest first.
    pub trend: Vec<TrendBucket>,
    /// Whether the last bucket jumps well above the ones before.
    pub spiking: bool,
    /// Connectors affected.
    pub connectors: Vec<String>,
    /// Connections affected.
    pub connection_ids: Vec<ID>,
    /// Syncs affected.
    pub sync_ids: Vec<ID>,
    /// Up to three example messages.
    pub examples: Vec<String>,
    /// The most common values at the placeholders (which field, which object).
    pub top_values: Vec<ParameterValue>,
    /// The most common HTTP status.
    pub http_status: Option<i32>,
    /// The most common provider error code.
    pub provider_code: Option<String>,
    /// The rule that explains it (`RATE_LIMITED`, `EXPIRED_GRANT`, …), when one applies.
    pub cause: Option<String>,
    /// What the failures most likely mean.
    pub likely_cause: Option<String>,
    /// What to change.
    pub what_to_change: Option<String>,
}

/// Whether an alert still needs a look.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum AlertStatus {
    /// Not yet acknowledged.
    Open,
    /// Seen.
    Acknowledged,
}

/// A failure spike.
#[derive(SimpleObject)]
pub struct Alert {
    /// Its id.
    pub id: ID,
    /// `sync_failure_spike` (a run failing far more than the ones before) or
    /// `pattern_failure_spike` (a failure pattern jumping in the last hour).
    pub kind: String,
    /// The sync.
    pub sync_id: Option<ID>,
    /// The run that spiked.
    pub run_id: Option<ID>,
    /// What happened.
    pub message: String,
    /// Failures in the spiking run.
    pub count: i64,
    /// Failures per run before it.
    pub baseline: f64,
    /// Open or acknowledged.
    pub status: AlertStatus,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
    /// When it was acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
}

#[Object]
impl InsightsQuery {
    /// "Why do my syncs fail?": the failures of the window (default: the last day) mined into
    /// patterns, most frequent first, each with its trend, what it affects, examples, and the
    /// likely cause and fix. Filter by connection, sync or connector. Needs `insights:read`.
    #[allow(clippy::too_many_arguments)]
    async fn failure_patterns(
        &self,
        ctx: &Context<'_>,
        connection: Option<ID>,
        sync: Option<ID>,
        connector: Option<String>,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        #[graphql(default = 20)] first: i32,
    ) -> async_graphql::Result<Vec<FailurePattern>> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Insights)).gql()?;
        if !(1..=100).contains(&first) {
            return Err(Error::invalid_field("first", "must be between 1 and 100")).gql();
        }
        let filter = PatternFilter {
            connection_id: connection.as_ref().map(|c| c.as_str()),
            sync_id: sync.as_ref().map(|s| s.as_str()),
            connector: connector.as_deref(),
            since,
            until,
        };
        let patterns = health::failure_patterns(&app(ctx)?.db, &caller.workspace_id, &filter)
            .await
            .gql()?;
        Ok(patterns
            .into_iter()
            .take(first.unsigned_abs() as usize)
            .map(pattern_to_graphql)
            .collect())
    }

    /// The workspace's alerts, newest first. Needs `insights:read`.
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        status: Option<AlertStatus>,
        #[graphql(default = 50)] first: i32,
    ) -> async_graphql::Result<Vec<Alert>> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Insights)).gql()?;
        if !(1..=100).contains(&first) {
            return Err(Error::invalid_field("first", "must be between 1 and 100")).gql();
        }
        let status = status.map(|s| match s {
            AlertStatus::Open => "open",
            AlertStatus::Acknowledged => "acknowledged",
        });
        let rows = health::alerts(
            &app(ctx)?.db,
            &caller.workspace_id,
            status,
            first.unsigned_abs().into(),
        )
        .await
        .gql()?;
        Ok(rows.into_iter().map(alert_to_graphql).collect())
    }
}

#[Object]
impl InsightsMutation {
    /// Marks an alert seen. Needs `insights:write`.
    async fn acknowledge_alert(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Alert> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Insights)).gql()?;
        let row = health::acknowledge(&app(ctx)?.db, &caller.workspace_id, &id)
            .await
            .gql()?;
        Ok(alert_to_graphql(row))
    }
}

fn pattern_to_graphql(p: PatternSummary) -> FailurePattern {
    let trend = p
        .trend
        .iter()
        .enumerate()
        .map(|(i, count)| TrendBucket {
            start: p.trend_start + p.bucket * i32::try_from(i).unwrap_or(i32::MAX),
            count: i64::try_from(*count).unwrap_or(i64::MAX),
        })
        .collect();
    FailurePattern {
        template: p.template,
        count: i64::try_from(p.count).unwrap_or(i64::MAX),
        share: p.share,
        first_seen: p.first_seen,
        last_seen: p.last_seen,
        trend,
        spiking: p.spiking,
        connectors: p.connectors,
        connection_ids: p.connection_ids.into_iter().map(ID).collect(),
        sync_ids: p.sync_ids.into_iter().map(ID).collect(),
        examples: p.examples,
        top_values: p
            .top_values
            .into_iter()
            .map(|v| ParameterValue {
                position: i32::try_from(v.position).unwrap_or(i32::MAX),
                value: v.value,
                count: i64::try_from(v.count).unwrap_or(i64::MAX),
            })
            .collect(),
        http_status: p.http_status.map(i32::from),
        provider_code: p.provider_code,
        cause: p.explanation.as_ref().map(|e| {
            serde_json::to_value(e.cause)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        }),
        likely_cause: p.explanation.as_ref().map(|e| e.likely_cause.clone()),
        what_to_change: p.explanation.map(|e| e.what_to_change),
    }
}

fn alert_to_graphql(row: alert::Model) -> Alert {
    Alert {
        id: ID(row.id),
        kind: row.kind,
        sync_id: row.sync_id.map(ID),
        run_id: row.run_id.map(ID),
        message: row.message,
        count: row.count,
        baseline: row.baseline,
        status: if row.status == "open" {
            AlertStatus::Open
        } else {
            AlertStatus::Acknowledged
        },
        created_at: row.created_at,
        acknowledged_at: row.acknowledged_at,
    }
}
