//! Webhook subscriptions: where a workspace's events go. The signing secret is generated
//! here, shown once, and stored sealed with the master key; a rotation keeps the previous
//! secret signing alongside the new one for [`ROTATION_OVERLAP`].

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::Value;

use super::{
    event_types::{self, EventTypePattern, KNOWN_EVENT_TYPES},
    filter::Filter,
    retry::{MAX_STEPS, RetryPolicy, RetrySchedule},
    signature::Secret,
};
use crate::{
    Error, Result,
    entities::webhook_subscription::{self as entity, Entity as Subscriptions},
    state::AppState,
};

/// How long the secret replaced by a rotation keeps signing deliveries.
pub const ROTATION_OVERLAP: TimeDelta = TimeDelta::hours(24);
/// The most attempts a subscription may ask for.
pub const MAX_ATTEMPTS: i32 = MAX_STEPS as i32 + 1;
/// Longest accepted description.
const MAX_DESCRIPTION: usize = 1000;

/// What a new subscription is made of.
#[derive(Debug, Clone, Default)]
pub struct NewSubscription {
    /// Where deliveries are POSTed.
    pub url: String,
    /// Event-type patterns (`record.updated`, `sync.*`, `*`).
    pub event_types: Vec<String>,
    /// A filter on the event (see [`super::filter`]).
    pub filter: Option<Value>,
    /// Free text for people.
    pub description: Option<String>,
    /// Attempts before a delivery is marked failed (capped by the schedule).
    pub max_attempts: Option<i32>,
    /// Its own retry schedule, such as `["5s", "5m"]`; `None`: the server's.
    pub retry_schedule: Option<Vec<String>>,
    /// Deliver each record's events in order.
    pub ordered: bool,
    /// Whether events are delivered.
    pub enabled: bool,
}

/// Changes to a subscription; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionChanges {
    /// New URL.
    pub url: Option<String>,
    /// New event-type patterns.
    pub event_types: Option<Vec<String>>,
    /// New filter; `Some(None)` removes it.
    pub filter: Option<Option<Value>>,
    /// New description; `Some(None)` removes it.
    pub description: Option<Option<String>>,
    /// New cap on attempts.
    pub max_attempts: Option<i32>,
    /// New schedule; `Some(None)` returns to the server's.
    pub retry_schedule: Option<Option<Vec<String>>>,
    /// Ordered delivery per record.
    pub ordered: Option<bool>,
    /// Enable (which also clears a disabled subscription's failure streak) or disable.
    pub enabled: Option<bool>,
}

/// A subscription ready to match events: its patterns and filter parsed once.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The row.
    pub row: entity::Model,
    /// Its event-type patterns.
    pub patterns: Vec<EventTypePattern>,
    /// Its filter.
    pub filter: Option<Filter>,
}

impl Compiled {
    /// Compiles a stored row (stored values were validated on save).
    pub fn new(row: entity::Model) -> Self {
        let patterns = serde_json::from_str::<Vec<String>>(&row.event_types)
            .ok()
            .and_then(|list| event_types::parse_patterns(&list, KNOWN_EVENT_TYPES).ok())
            .unwrap_or_default();
        let filter = row
            .filter
            .as_deref()
            .and_then(|text| serde_json::from_str::<Value>(text).ok())
            .and_then(|value| Filter::parse(&value).ok());
        Self {
            row,
            patterns,
            filter,
        }
    }

    /// Whether this subscription receives the event (`envelope` is `{type, timestamp, data}`).
    pub fn wants(&self, event_type: &str, envelope: &Value) -> bool {
        event_types::matches_any(&self.patterns, event_type)
            && self.filter.as_ref().is_none_or(|f| f.matches(envelope))
    }
}

/// Creates a subscription; returns it and its secret, which is never shown again.
pub async fn create(
    state: &AppState,
    workspace_id: &str,
    new: NewSubscription,
) -> Result<(entity::Model, String)> {
    let url = check_url(state, &new.url).await?;
    let event_types = check_event_types(&new.event_types)?;
    let filter = check_filter(new.filter.as_ref())?;
    let description = check_description(new.description)?;
    let retry_schedule = check_schedule(new.retry_schedule.as_deref())?;
    let max_attempts = check_max_attempts(new.max_attempts)?;
    let id = uuid::Uuid::now_v7().to_string();
    let secret = Secret::generate();
    let now = Utc::now();
    let row = entity::ActiveModel {
        id: Set(id.clone()),
        workspace_id: Set(workspace_id.to_owned()),
        url: Set(url),
        description: Set(description),
        event_types: Set(event_types),
        filter: Set(filter),
        retry_schedule: Set(retry_schedule),
        max_attempts: Set(max_attempts.unwrap_or(MAX_ATTEMPTS)),
        ordered: Set(new.ordered),
        enabled: Set(new.enabled),
        disabled_reason: Set(None),
        secret: Set(seal(state, &secret, &id)),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        failing_since: Set(None),
        warned_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    Ok((row, secret.expose()))
}

/// Applies changes to a subscription.
pub async fn update(
    state: &AppState,
    workspace_id: &str,
    id: &str,
    changes: SubscriptionChanges,
) -> Result<entity::Model> {
    let row = get(&state.db, workspace_id, id).await?;
    let mut active: entity::ActiveModel = row.into();
    if let Some(url) = changes.url {
        active.url = Set(check_url(state, &url).await?);
    }
    if let Some(list) = changes.event_types {
        active.event_types = Set(check_event_types(&list)?);
    }
    if let Some(filter) = changes.filter {
        active.filter = Set(check_filter(filter.as_ref())?);
    }
    if let Some(description) = changes.description {
        active.description = Set(check_description(description)?);
    }
    if let Some(max) = changes.max_attempts {
        active.max_attempts = Set(check_max_attempts(Some(max))?.unwrap_or(MAX_ATTEMPTS));
    }
    if let Some(schedule) = changes.retry_schedule {
        active.retry_schedule = Set(check_schedule(schedule.as_deref())?);
    }
    if let Some(ordered) = changes.ordered {
        active.ordered = Set(ordered);
    }
    if let Some(enabled) = changes.enabled {
        active.enabled = Set(enabled);
        if enabled {
            active.disabled_reason = Set(None);
            active.failing_since = Set(None);
            active.warned_at = Set(None);
        }
    }
    active.updated_at = Set(Utc::now());
    Ok(active.update(&state.db).await?)
}

/// Replaces the signing secret; the previous one keeps signing for [`ROTATION_OVERLAP`].
/// Returns the subscription and the new secret, shown once.
pub async fn rotate_secret(
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<(entity::Model, String)> {
    let row = get(&state.db, workspace_id, id).await?;
    let secret = Secret::generate();
    let now = Utc::now();
    let previous = row.secret.clone();
    let mut active: entity::ActiveModel = row.into();
    active.secret = Set(seal(state, &secret, id));
    active.previous_secret = Set(Some(previous));
    active.previous_secret_until = Set(Some(now + ROTATION_OVERLAP));
    active.updated_at = Set(now);
    Ok((active.update(&state.db).await?, secret.expose()))
}

/// Deletes a subscription with its deliveries.
pub async fn delete(db: &impl ConnectionTrait, workspace_id: &str, id: &str) -> Result<()> {
    let deleted = Subscriptions::delete_many()
        .filter(entity::Column::Id.eq(id))
        .filter(entity::Column::WorkspaceId.eq(workspace_id))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(not_found(id));
    }
    Ok(())
}

/// A subscription of this workspace.
pub async fn get(db: &impl ConnectionTrait, workspace_id: &str, id: &str) -> Result<entity::Model> {
    Subscriptions::find_by_id(id)
        .filter(entity::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))
}

/// One page of the workspace's subscriptions, oldest first.
pub async fn list_page(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<entity::Model>> {
    let mut query = Subscriptions::find()
        .filter(entity::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(entity::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(entity::Column::Id.gt(after));
    }
    Ok(query.all(db).await?)
}

/// The event-type patterns of a row, as stored.
pub fn event_types_of(row: &entity::Model) -> Vec<String> {
    serde_json::from_str(&row.event_types).unwrap_or_default()
}

/// The retry policy of a subscription: its schedule or the server's, capped by its attempts.
pub fn policy_of(row: &entity::Model, server: &RetrySchedule) -> RetryPolicy {
    let schedule = row
        .retry_schedule
        .as_deref()
        .and_then(|text| RetrySchedule::parse(text).ok())
        .unwrap_or_else(|| server.clone());
    RetryPolicy {
        schedule,
        max_attempts: u32::try_from(row.max_attempts).unwrap_or(1),
    }
}

/// The secrets that sign a delivery now: the current one, and the previous one while its
/// overlap lasts.
pub fn signing_secrets(
    state: &AppState,
    row: &entity::Model,
    now: DateTime<Utc>,
) -> Result<Vec<Secret>> {
    let mut secrets = vec![open(state, &row.secret, &row.id)?];
    if let (Some(previous), Some(until)) = (&row.previous_secret, row.previous_secret_until)
        && until > now
    {
        secrets.push(open(state, previous, &row.id)?);
    }
    Ok(secrets)
}

/// Re-seals every subscription secret still sealed with an older master key (master key
/// rotation); returns how many subscriptions changed. Safe to run again after an interruption.
pub async fn reseal_all(
    db: &impl ConnectionTrait,
    cipher: &crate::crypto::Cipher,
) -> Result<usize> {
    let mut resealed = 0;
    for row in Subscriptions::find().all(db).await? {
        let owner = format!("webhook:{}", row.id);
        let again = |sealed: &str| -> Result<Option<String>> {
            cipher.reseal(sealed, &owner).map_err(|e| {
                Error::internal(anyhow::anyhow!(
                    "cannot open the secret of webhook subscription {}: {e}",
                    row.id
                ))
            })
        };
        let secret = again(&row.secret)?;
        let previous = row
            .previous_secret
            .as_deref()
            .map(&again)
            .transpose()?
            .flatten();
        if secret.is_none() && previous.is_none() {
            continue;
        }
        let mut active: entity::ActiveModel = row.clone().into();
        if let Some(secret) = secret {
            active.secret = Set(secret);
        }
        if let Some(previous) = previous {
            active.previous_secret = Set(Some(previous));
        }
        active.update(db).await?;
        resealed += 1;
    }
    Ok(resealed)
}

fn seal(state: &AppState, secret: &Secret, id: &str) -> String {
    state
        .cipher
        .seal(secret.expose().as_bytes(), &format!("webhook:{id}"))
}

fn open(state: &AppState, sealed: &str, id: &str) -> Result<Secret> {
    let plain = state
        .cipher
        .open(sealed, &format!("webhook:{id}"))
        .map_err(|e| {
            Error::internal(anyhow::anyhow!(
                "cannot open the secret of webhook subscription {id}: {e}"
            ))
        })?;
    let text = String::from_utf8(plain).map_err(Error::internal)?;
    Secret::parse(&text).map_err(Error::internal)
}

async fn check_url(state: &AppState, url: &str) -> Result<String> {
    let url = crate::ssrf::check_url(url, "url", state.allow_private_networks).await?;
    Ok(url.to_string())
}

fn check_event_types(list: &[String]) -> Result<String> {
    let patterns = event_types::parse_patterns(list, KNOWN_EVENT_TYPES)
        .map_err(|e| Error::invalid_field("eventTypes", e.to_string()))?;
    let names: Vec<String> = patterns.iter().map(ToString::to_string).collect();
    serde_json::to_string(&names).map_err(Error::internal)
}

fn check_filter(filter: Option<&Value>) -> Result<Option<String>> {
    let Some(value) = filter.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let parsed = Filter::parse(value).map_err(|e| Error::invalid_field("filter", e.to_string()))?;
    Ok(Some(
        serde_json::to_string(&parsed.to_value()).map_err(Error::internal)?,
    ))
}

fn check_description(description: Option<String>) -> Result<Option<String>> {
    match description {
        Some(text) if text.chars().count() > MAX_DESCRIPTION => Err(Error::invalid_field(
            "description",
            format!("at most {MAX_DESCRIPTION} characters"),
        )),
        Some(text) if text.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

fn check_schedule(steps: Option<&[String]>) -> Result<Option<String>> {
    steps
        .map(|steps| {
            RetrySchedule::from_steps(steps)
                .map(|schedule| schedule.to_string())
                .map_err(|e| Error::invalid_field("retrySchedule", e.to_string()))
        })
        .transpose()
}

fn check_max_attempts(max: Option<i32>) -> Result<Option<i32>> {
    match max {
        Some(n) if !(1..=MAX_ATTEMPTS).contains(&n) => Err(Error::invalid_field(
            "maxAttempts",
            format!("must be between 1 and {MAX_ATTEMPTS}"),
        )),
        other => Ok(other),
    }
}

fn not_found(id: &str) -> Error {
    Error::NotFound(format!("webhook subscription `{id}`"))
}
