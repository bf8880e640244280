//! `webhooks`: subscriptions to the workspace's events, their deliveries and attempts.

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, Json, Object, SimpleObject,
    connection::Connection,
};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{app, pagination, principal};
use crate::{
    auth::{Resource, Scope},
    entities::{webhook_attempt, webhook_delivery, webhook_subscription as entity},
    error::GqlResultExt,
    webhooks::{
        deliveries,
        subscriptions::{self, NewSubscription, SubscriptionChanges},
    },
};

#[derive(Default)]
pub struct WebhooksQuery;

#[derive(Default)]
pub struct WebhooksMutation;

/// Where the workspace's events are POSTed, signed per Standard Webhooks.
#[derive(SimpleObject)]
pub struct WebhookSubscription {
    /// Its id.
    pub id: ID,
    /// Where deliveries go.
    pub url: String,
    /// Free text for people.
    pub description: Option<String>,
    /// Event-type patterns: `record.updated`, `sync.*`, `*`.
    pub event_types: Vec<String>,
    /// The filter events must pass, in the JSON filter language (see the README).
    pub filter: Option<Json<Value>>,
    /// Its own delays between attempts; null: the server's schedule.
    pub retry_schedule: Option<Vec<String>>,
    /// Attempts a delivery gets before it is marked failed; a schedule of n delays allows at
    /// most n + 1, whatever this says.
    pub max_attempts: i32,
    /// Whether each record's events are delivered in order.
    pub ordered: bool,
    /// Whether events are delivered.
    pub enabled: bool,
    /// Why it was disabled, when Patchbay disabled it.
    pub disabled_reason: Option<String>,
    /// When its current streak of failed attempts began; null after a success.
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the secret replaced by the last rotation still signs deliveries.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A subscription with its signing secret, shown this once.
#[derive(SimpleObject)]
pub struct WebhookSubscriptionWithSecret {
    /// The subscription.
    pub subscription: WebhookSubscription,
    /// `whsec_…`: verify deliveries with it (any Standard Webhooks library does). Shown once.
    pub secret: String,
}

/// Where a delivery is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum WebhookDeliveryStatus {
    /// Waiting for its next attempt (see `nextAttemptAt`).
    Pending,
    /// A 2xx answer was received.
    Succeeded,
    /// Every attempt failed, or the subscription was disabled.
    Failed,
}

impl WebhookDeliveryStatus {
    fn parse(text: &str) -> Self {
        match text {
            "pending" => Self::Pending,
            "succeeded" => Self::Succeeded,
            _ => Self::Failed,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }
}

/// One event on its way to one subscription.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct WebhookDelivery {
    /// Its id.
    pub id: ID,
    /// Its subscription.
    pub subscription_id: ID,
    /// The event's id, sent as `webhook-id` on every attempt.
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// Where it is.
    pub status: WebhookDeliveryStatus,
    /// Attempts made since it was created or last replayed.
    pub attempts: i32,
    /// When it is tried next.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The status code of the last answer.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When a 2xx answer was received.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The body sent: `{type, timestamp, data}`.
    pub payload: Json<Value>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub workspace_id: String,
}

/// One HTTP attempt of a delivery.
#[derive(SimpleObject)]
pub struct WebhookAttempt {
    /// Its number, from 1 (counting restarts from 1 after a replay).
    pub attempt: i32,
    /// When it was made.
    pub attempted_at: DateTime<Utc>,
    /// The receiver's status code; null when no answer came.
    pub status_code: Option<i32>,
    /// The start of the receiver's answer (at most 1 KiB).
    pub response_excerpt: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: i64,
    /// Why it failed without an answer (timeout, refused connection, …).
    pub error: Option<String>,
}

#[ComplexObject]
impl WebhookDelivery {
    /// Every attempt, oldest first.
    async fn attempt_log(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WebhookAttempt>> {
        let rows = deliveries::attempts(&app(ctx)?.db, &self.workspace_id, &self.id)
            .await
            .gql()?;
        Ok(rows.into_iter().map(attempt_to_graphql).collect())
    }
}

/// A new subscription.
#[derive(InputObject)]
pub struct CreateWebhookSubscriptionInput {
    /// Where to POST deliveries (http or https; private addresses are refused unless the
    /// server allows them).
    pub url: String,
    /// Event-type patterns: `record.created`, `record.*`, `sync.failed`, `*`.
    pub event_types: Vec<String>,
    /// Only events passing this filter, e.g. `{"field": "data.model", "eq": "contacts"}`.
    pub filter: Option<Json<Value>>,
    /// Free text for people.
    pub description: Option<String>,
    /// Attempts before a delivery is marked failed (1–21; capped by the schedule).
    pub max_attempts: Option<i32>,
    /// Delays between attempts, e.g. `["5s", "5m", "30m"]`; default: the server's.
    pub retry_schedule: Option<Vec<String>>,
    /// Deliver each record's events in order (a record's next event waits for the last one).
    #[graphql(default)]
    pub ordered: bool,
    /// Whether events are delivered.
    #[graphql(default = true)]
    pub enabled: bool,
}

/// Changes to a subscription; absent fields stay as they are.
#[derive(InputObject)]
pub struct UpdateWebhookSubscriptionInput {
    /// New URL.
    pub url: Option<String>,
    /// New event-type patterns.
    pub event_types: Option<Vec<String>>,
    /// New filter.
    pub filter: Option<Json<Value>>,
    /// Remove the filter.
    #[graphql(default)]
    pub clear_filter: bool,
    /// New description.
    pub description: Option<String>,
    /// New cap on attempts.
    pub max_attempts: Option<i32>,
    /// New schedule.
    pub retry_schedule: Option<Vec<String>>,
    /// Return to the server's schedule.
    #[graphql(default)]
    pub clear_retry_schedule: bool,
    /// Ordered delivery per record.
    pub ordered: Option<bool>,
    /// Enable (clearing a disabled subscription's failure streak) or disable.
    pub enabled: Option<bool>,
}

#[Object]
impl WebhooksQuery {
    /// The workspace's webhook subscriptions.
    async fn webhook_subscriptions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, WebhookSubscription>> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Webhooks)).gql()?;
        let size = pagination::page_size(first).gql()?;
        let rows = subscriptions::list_page(
            &app(ctx)?.db,
            &caller.workspace_id,
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

    /// One webhook subscription.
    async fn webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookSubscription> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Webhooks)).gql()?;
        let row = subscriptions::get(&app(ctx)?.db, &caller.workspace_id, &id)
            .await
            .gql()?;
        Ok(to_graphql(row))
    }

    /// A subscription's deliveries, newest first.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        subscription: ID,
        status: Option<WebhookDeliveryStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, WebhookDelivery>> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Webhooks)).gql()?;
        let size = pagination::page_size(first).gql()?;
        let db = &app(ctx)?.db;
        subscriptions::get(db, &caller.workspace_id, &subscription)
            .await
            .gql()?;
        let rows = deliveries::list_page(
            db,
            &caller.workspace_id,
            &subscription,
            status.map(WebhookDeliveryStatus::as_str),
            after.as_deref(),
            size + 1,
        )
        .await
        .gql()?;
        let nodes = rows.into_iter().map(delivery_to_graphql).collect();
        Ok(pagination::connection(nodes, size, after.is_some(), |d| {
            d.id.to_string()
        }))
    }

    /// One delivery.
    async fn webhook_delivery(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookDelivery> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Webhooks)).gql()?;
        let row = deliveries::get(&app(ctx)?.db, &caller.workspace_id, &id)
            .await
            .gql()?;
        Ok(delivery_to_graphql(row))
    }
}

#[Object]
impl WebhooksMutation {
    /// Subscribes a URL to events; returns the signing secret, shown this once.
    async fn create_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookSubscriptionInput,
    ) -> async_graphql::Result<WebhookSubscriptionWithSecret> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Webhooks)).gql()?;
        let (row, secret) = subscriptions::create(
            app(ctx)?,
            &caller.workspace_id,
            NewSubscription {
                url: input.url,
                event_types: input.event_types,
                filter: input.filter.map(|f| f.0),
                description: input.description,
                max_attempts: input.max_attempts,
                retry_schedule: input.retry_schedule,
                ordered: input.ordered,
                enabled: input.enabled,
            },
        )
        .await
        .gql()?;
        Ok(WebhookSubscriptionWithSecret {
            subscription: to_graphql(row),
            secret,
        })
    }

    /// Changes a subscription.
    async fn update_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateWebhookSubscriptionInput,
    ) -> async_graphql::Result<WebhookSubscription> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Webhooks)).gql()?;
        let changes = SubscriptionChanges {
            url: input.url,
            event_types: input.event_types,
            filter: if input.clear_filter {
                Some(None)
            } else {
                input.filter.map(|f| Some(f.0))
            },
            description: input.description.map(Some),
            max_attempts: input.max_attempts,
            retry_schedule: if input.clear_retry_schedule {
                Some(None)
            } else {
                input.retry_schedule.map(Some)
            },
            ordered: input.ordered,
            enabled: input.enabled,
        };
        let row = subscriptions::update(app(ctx)?, &caller.workspace_id, &id, changes)
            .await
            .gql()?;
        Ok(to_graphql(row))
    }

    /// Replaces the signing secret; the old one keeps signing, alongside the new one, for 24
    /// hours. Returns the new secret, shown this once.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookSubscriptionWithSecret> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Webhooks)).gql()?;
        let (row, secret) = subscriptions::rotate_secret(app(ctx)?, &caller.workspace_id, &id)
            .await
            .gql()?;
        Ok(WebhookSubscriptionWithSecret {
            subscription: to_graphql(row),
            secret,
        })
    }

    /// Deletes a subscription and its deliveries; returns its id.
    async fn delete_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ID> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Webhooks)).gql()?;
        subscriptions::delete(&app(ctx)?.db, &caller.workspace_id, &id)
            .await
            .gql()?;
        Ok(id)
    }

    /// Sends a delivery again now (same `webhook-id`, fresh attempts). Refused with
    /// `CONFLICT` while it is being sent.
    async fn replay_webhook_delivery(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookDelivery> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Webhooks)).gql()?;
        let row = deliveries::replay(app(ctx)?, &caller.workspace_id, &id)
            .await
            .gql()?;
        Ok(delivery_to_graphql(row))
    }

    /// Sends again every failed delivery of a subscription created since the given time (what
    /// a receiver missed while it was down or the subscription disabled); returns how many.
    async fn replay_webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        subscription: ID,
        since: DateTime<Utc>,
    ) -> async_graphql::Result<u64> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Webhooks)).gql()?;
        deliveries::replay_failed_since(app(ctx)?, &caller.workspace_id, &subscription, since)
            .await
            .gql()
    }
}

fn to_graphql(row: entity::Model) -> WebhookSubscription {
    let retry_schedule = row
        .retry_schedule
        .as_deref()
        .map(|s| s.split(',').map(str::to_owned).collect::<Vec<_>>());
    WebhookSubscription {
        id: ID(row.id.clone()),
        url: row.url.clone(),
        description: row.description.clone(),
        event_types: subscriptions::event_types_of(&row),
        filter: row
            .filter
            .as_deref()
            .and_then(|f| serde_json::from_str(f).ok())
            .map(Json),
        retry_schedule,
        max_attempts: row.max_attempts,
        ordered: row.ordered,
        enabled: row.enabled,
        disabled_reason: row.disabled_reason,
        failing_since: row.failing_since,
        previous_secret_expires_at: row.previous_secret_until,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

fn delivery_to_graphql(row: webhook_delivery::Model) -> WebhookDelivery {
    WebhookDelivery {
        id: ID(row.id),
        subscription_id: ID(row.subscription_id),
        event_id: row.event_id,
        event_type: row.event_type,
        status: WebhookDeliveryStatus::parse(&row.status),
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        last_status_code: row.last_status_code,
        last_error: row.last_error,
        delivered_at: row.delivered_at,
        payload: Json(serde_json::from_str(&row.payload).unwrap_or(Value::Null)),
        created_at: row.created_at,
        workspace_id: row.workspace_id,
    }
}

fn attempt_to_graphql(row: webhook_attempt::Model) -> WebhookAttempt {
    WebhookAttempt {
        attempt: row.attempt,
        attempted_at: row.attempted_at,
        status_code: row.status_code,
        response_excerpt: row.response_excerpt,
        duration_ms: row.duration_ms,
        error: row.error,
    }
}
