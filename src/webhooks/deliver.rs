//! The delivery worker: every process runs one. It turns outbox events into deliveries, claims
//! due deliveries with a lease (one conditional UPDATE for a batch, as the sync scheduler
//! claims runs, so processes never send the same delivery at once), POSTs each one signed per
//! Standard Webhooks, and records the attempt with the delivery's next state in one
//! transaction. A process killed mid-flight leaves its claims to lapse; another process then
//! sends them again with the same `webhook-id` (at least once).

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
    sea_query::{Alias, Expr, ExprTrait, Query},
};
use serde_json::json;
use tokio::{sync::Semaphore, task::JoinSet};

use super::{
    retry::{self, HTTP_GONE, Health},
    signature::{self, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP},
    subscriptions,
};
use crate::{
    Result,
    entities::{
        webhook_attempt,
        webhook_delivery::{self as delivery, Entity as Deliveries},
        webhook_subscription::{self as subscription, Entity as Subscriptions},
    },
    state::AppState,
};

/// How long the worker waits after a commit is announced before dispatching, to take several
/// pages' events in one transaction.
const COALESCE: Duration = Duration::from_millis(25);

/// How often finished deliveries past the retention period are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Bytes of a receiver's response body kept with the attempt.
pub const RESPONSE_EXCERPT_BYTES: usize = 1024;

/// Runs until shutdown, then lets the deliveries in flight finish.
pub async fn run(state: AppState) {
    let client = match client(&state) {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "cannot build the webhook HTTP client; no webhook is sent");
            return;
        }
    };
    let slots = Arc::new(Semaphore::new(state.webhooks.concurrency.max(1)));
    let mut running = JoinSet::new();
    let mut published = state.events.subscribe();
    let mut pruned_at: Option<Instant> = None;
    // Whether new events may be waiting in the outbox; a freed delivery slot only needs a claim.
    let mut dispatch = true;
    loop {
        if let Some(retention) = state.webhooks.retention
            && pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY)
        {
            pruned_at = Some(Instant::now());
            match super::retention::prune(&state.db, Utc::now() - retention).await {
                Ok(pruned) => tracing::debug!(?pruned, "webhook retention"),
                Err(error) => error.log(),
            }
        }
        if dispatch && let Err(error) = super::dispatch::dispatch_pending(&state).await {
            error.log();
        }
        if let Err(error) = claim_and_send(&state, &client, &slots, &mut running).await {
            error.log();
        }
        while running.try_join_next().is_some() {}
        dispatch = true;
        tokio::select! {
            () = tokio::time::sleep(state.webhooks.poll) => {}
            () = state.webhook_wakeup.notified() => {}
            // A delivery finished: its slot is free for the next due one.
            Some(_) = running.join_next(), if !running.is_empty() => dispatch = false,
            // A sync page (or anything else) was committed: its events may be waiting. Let a
            // few more pages commit first, so one dispatch transaction covers them all rather
            // than each page's commit competing with a dispatch of its own.
            _ = published.recv() => {
                tokio::time::sleep(COALESCE).await;
                // The announcements that came meanwhile are covered by this one dispatch.
                while matches!(
                    published.try_recv(),
                    Ok(_) | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_))
                ) {}
            }
            () = state.shutdown.cancelled() => break,
        }
    }
    while running.join_next().await.is_some() {}
}

/// The client deliveries go through: no redirects, the attempt timeout, and the SSRF-filtering
/// resolver unless private networks are allowed.
fn client(state: &AppState) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(state.webhooks.timeout)
        .connect_timeout(state.webhooks.timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Patchbay-Webhooks/", env!("CARGO_PKG_VERSION")));
    if !state.allow_private_networks {
        builder = builder.dns_resolver(Arc::new(crate::ssrf::PublicOnlyResolver));
    }
    builder.build()
}

/// Deliveries that may be claimed now: pending, due, and not held by a live lease.
fn claimable(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(delivery::Column::Status.eq("pending"))
        .add(delivery::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(delivery::Column::LockedUntil.is_null())
                .add(delivery::Column::LockedUntil.lt(now)),
        )
}

/// A delivery of an ordered subscription waits while an earlier event of the same record is
/// still pending for it.
fn in_order() -> Condition {
    let earlier = Alias::new("earlier");
    let table = Alias::new("webhook_deliveries");
    let col = |c: delivery::Column| Expr::col((earlier.clone(), c));
    let own = |c: delivery::Column| Expr::col((table.clone(), c));
    let mut before = Query::select();
    before
        .expr(Expr::val(1))
        .from_as(Deliveries, earlier.clone())
        .and_where(
            col(delivery::Column::SubscriptionId)
                .equals((table.clone(), delivery::Column::SubscriptionId)),
        )
        .and_where(
            col(delivery::Column::OrderingKey)
                .equals((table.clone(), delivery::Column::OrderingKey)),
        )
        .and_where(col(delivery::Column::Status).eq("pending"))
        .cond_where(
            Condition::any()
                .add(
                    col(delivery::Column::EventCreatedAt).lt(own(delivery::Column::EventCreatedAt)),
                )
                .add(
                    Condition::all()
                        .add(
                            col(delivery::Column::EventCreatedAt)
                                .eq(own(delivery::Column::EventCreatedAt)),
                        )
                        .add(col(delivery::Column::EventId).lt(own(delivery::Column::EventId))),
                ),
        );
    Condition::any()
        .add(delivery::Column::OrderingKey.is_null())
        .add(Expr::exists(before).not())
}

/// Claims as many due deliveries as there are free slots and starts sending them.
async fn claim_and_send(
    state: &AppState,
    client: &reqwest::Client,
    slots: &Arc<Semaphore>,
    running: &mut JoinSet<()>,
) -> Result<()> {
    loop {
        let free = slots.available_permits();
        if free == 0 || state.shutdown.is_cancelled() {
            return Ok(());
        }
        let now = Utc::now();
        let candidates: Vec<String> = Deliveries::find()
            .select_only()
            .column(delivery::Column::Id)
            .filter(claimable(now))
            .filter(in_order())
            .order_by_asc(delivery::Column::NextAttemptAt)
            .limit(free as u64)
            .into_tuple()
            .all(&state.db)
            .await?;
        if candidates.is_empty() {
            return Ok(());
        }
        let token = crate::sync::scheduler::claim_token(state);
        Deliveries::update_many()
            .col_expr(delivery::Column::LockedBy, Expr::value(token.as_str()))
            .col_expr(
                delivery::Column::LockedUntil,
                Expr::value(now + state.webhooks.lease_delta()),
            )
            .filter(delivery::Column::Id.is_in(candidates.iter().map(String::as_str)))
            .filter(claimable(now))
            .exec(&state.db)
            .await?;
        let claimed = Deliveries::find()
            .filter(delivery::Column::Id.is_in(candidates.iter().map(String::as_str)))
            .filter(delivery::Column::LockedBy.eq(token.as_str()))
            .filter(delivery::Column::Status.eq("pending"))
            .all(&state.db)
            .await?;
        if claimed.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = claimed.iter().map(|d| d.subscription_id.as_str()).collect();
        let owners: HashMap<String, Arc<subscription::Model>> = Subscriptions::find()
            .filter(subscription::Column::Id.is_in(ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|row| (row.id.clone(), Arc::new(row)))
            .collect();
        let full = claimed.len() == free;
        for delivery in claimed {
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                break;
            };
            let owner = owners.get(&delivery.subscription_id).cloned();
            let state = state.clone();
            let client = client.clone();
            let token = token.clone();
            running.spawn(async move {
                let _permit = permit;
                if let Err(error) = send(&state, &client, delivery, owner, &token).await {
                    error.log();
                }
            });
        }
        if !full {
            return Ok(());
        }
    }
}

/// What one attempt came to.
struct Outcome {
    status: Option<u16>,
    excerpt: Option<String>,
    error: Option<String>,
    duration: Duration,
}

impl Outcome {
    fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Sends one claimed delivery and records the attempt.
async fn send(
    state: &AppState,
    client: &reqwest::Client,
    delivery: delivery::Model,
    owner: Option<Arc<subscription::Model>>,
    token: &str,
) -> Result<()> {
    let Some(owner) = owner.filter(|o| o.enabled) else {
        return give_up(state, &delivery, token, "the subscription is disabled").await;
    };
    let now = Utc::now();
    let secrets = subscriptions::signing_secrets(state, &owner, now)?;
    let timestamp = now.timestamp();
    let body = delivery.payload.as_bytes();
    let signatures = signature::header_value(
        &secrets.iter().collect::<Vec<_>>(),
        &delivery.event_id,
        timestamp,
        body,
    );
    let started = Instant::now();
    let response = client
        .post(&owner.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(HEADER_ID, &delivery.event_id)
        .header(HEADER_TIMESTAMP, timestamp.to_string())
        .header(HEADER_SIGNATURE, signatures)
        .body(delivery.payload.clone())
        .send()
        .await;
    let outcome = match response {
        Ok(response) => {
            let status = response.status().as_u16();
            let excerpt = excerpt(response).await;
            Outcome {
                status: Some(status),
                error: (300..400)
                    .contains(&status)
                    .then(|| "redirects are not followed".to_owned()),
                excerpt,
                duration: started.elapsed(),
            }
        }
        Err(error) => Outcome {
            status: None,
            excerpt: None,
            error: Some(describe(error)),
            duration: started.elapsed(),
        },
    };
    record(state, &delivery, &owner, token, now, outcome).await
}

/// The first [`RESPONSE_EXCERPT_BYTES`] of the response body, read no further.
async fn excerpt(response: reqwest::Response) -> Option<String> {
    let mut stream = response.bytes_stream();
    let mut kept = Vec::new();
    while let Some(Ok(chunk)) = stream.next().await {
        let room = RESPONSE_EXCERPT_BYTES - kept.len();
        kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if kept.len() >= RESPONSE_EXCERPT_BYTES {
            break;
        }
    }
    (!kept.is_empty()).then(|| String::from_utf8_lossy(&kept).into_owned())
}

/// A transport error in plain words, without the URL (it may carry a receiver's token).
fn describe(error: reqwest::Error) -> String {
    if crate::ssrf::is_refusal(&error) {
        "the URL resolves only to private, loopback or link-local addresses".to_owned()
    } else if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        format!("request failed: {}", error.without_url())
    }
}

/// Records an attempt and moves the delivery on: delivered, due again later, or failed; and
/// keeps the subscription's failure streak, disabling it when the streak is too long or the
/// receiver answered 410 Gone.
async fn record(
    state: &AppState,
    delivery: &delivery::Model,
    owner: &subscription::Model,
    token: &str,
    attempted_at: DateTime<Utc>,
    outcome: Outcome,
) -> Result<()> {
    let now = Utc::now();
    let attempts = delivery.attempts + 1;
    let succeeded = outcome.succeeded();
    let next = if succeeded || outcome.status == Some(HTTP_GONE) {
        None
    } else {
        let policy = subscriptions::policy_of(owner, &state.webhooks.retry_schedule);
        retry::next_attempt_at(
            &policy,
            u32::try_from(attempts).unwrap_or(u32::MAX),
            now,
            rand::random::<f64>(),
        )
    };
    let status = if succeeded {
        "succeeded"
    } else if next.is_some() {
        "pending"
    } else {
        "failed"
    };
    let last_error = outcome.error.clone().or_else(|| {
        (!succeeded)
            .then(|| outcome.status.map(|s| format!("the receiver answered {s}")))
            .flatten()
    });
    let txn = state.db.begin().await?;
    let moved = Deliveries::update_many()
        .col_expr(delivery::Column::Status, Expr::value(status))
        .col_expr(delivery::Column::Attempts, Expr::value(attempts))
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(next))
        .col_expr(delivery::Column::LockedBy, Expr::value(None::<String>))
        .col_expr(
            delivery::Column::LockedUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(delivery::Column::LastAttemptAt, Expr::value(attempted_at))
        .col_expr(
            delivery::Column::LastStatusCode,
            Expr::value(outcome.status.map(i32::from)),
        )
        .col_expr(delivery::Column::LastError, Expr::value(last_error))
        .col_expr(
            delivery::Column::DeliveredAt,
            Expr::value(succeeded.then_some(now)),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::Column::Id.eq(delivery.id.as_str()))
        .filter(delivery::Column::LockedBy.eq(token))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        // The lease lapsed and another process took the delivery over: it records its own.
        return Ok(());
    }
    webhook_attempt::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        delivery_id: Set(delivery.id.clone()),
        workspace_id: Set(delivery.workspace_id.clone()),
        attempt: Set(attempts),
        attempted_at: Set(attempted_at),
        status_code: Set(outcome.status.map(i32::from)),
        response_excerpt: Set(outcome.excerpt),
        duration_ms: Set(i64::try_from(outcome.duration.as_millis()).unwrap_or(i64::MAX)),
        error: Set(outcome.error),
    }
    .insert(&txn)
    .await?;
    if succeeded {
        Subscriptions::update_many()
            .col_expr(
                subscription::Column::FailingSince,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(
                subscription::Column::WarnedAt,
                Expr::value(None::<DateTime<Utc>>),
            )
            .filter(subscription::Column::Id.eq(owner.id.as_str()))
            .filter(subscription::Column::FailingSince.is_not_null())
            .exec(&txn)
            .await?;
    } else {
        failed_attempt(state, &txn, owner, outcome.status, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Extends the subscription's failure streak and disables it, or warns, when due.
async fn failed_attempt(
    state: &AppState,
    txn: &impl ConnectionTrait,
    owner: &subscription::Model,
    status: Option<u16>,
    now: DateTime<Utc>,
) -> Result<()> {
    Subscriptions::update_many()
        .col_expr(subscription::Column::FailingSince, Expr::value(now))
        .filter(subscription::Column::Id.eq(owner.id.as_str()))
        .filter(subscription::Column::FailingSince.is_null())
        .exec(txn)
        .await?;
    let Some(current) = Subscriptions::find_by_id(owner.id.as_str())
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    match state
        .webhooks
        .disable
        .decide(current.failing_since, now, status)
    {
        Health::Healthy => Ok(()),
        Health::DisablingSoon => {
            let warned = Subscriptions::update_many()
                .col_expr(subscription::Column::WarnedAt, Expr::value(now))
                .filter(subscription::Column::Id.eq(owner.id.as_str()))
                .filter(subscription::Column::WarnedAt.is_null())
                .exec(txn)
                .await?;
            if warned.rows_affected == 1 {
                let disable_at = current
                    .failing_since
                    .map(|since| since + state.webhooks.disable.disable_after);
                emit(
                    txn,
                    &current,
                    "webhook.disabling_soon",
                    json!({ "disableAt": disable_at }),
                    now,
                )
                .await?;
            }
            Ok(())
        }
        Health::Disable => {
            let reason = if status == Some(HTTP_GONE) {
                "the receiver answered 410 Gone".to_owned()
            } else {
                format!(
                    "every delivery failed for {} hours",
                    state.webhooks.disable.disable_after.num_hours()
                )
            };
            disable(txn, &current, &reason, now).await
        }
    }
}

/// Disables a subscription, fails its waiting deliveries, and emits `webhook.disabled`.
async fn disable(
    txn: &impl ConnectionTrait,
    owner: &subscription::Model,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let disabled = Subscriptions::update_many()
        .col_expr(subscription::Column::Enabled, Expr::value(false))
        .col_expr(subscription::Column::DisabledReason, Expr::value(reason))
        .col_expr(subscription::Column::UpdatedAt, Expr::value(now))
        .filter(subscription::Column::Id.eq(owner.id.as_str()))
        .filter(subscription::Column::Enabled.eq(true))
        .exec(txn)
        .await?;
    if disabled.rows_affected == 0 {
        return Ok(());
    }
    Deliveries::update_many()
        .col_expr(delivery::Column::Status, Expr::value("failed"))
        .col_expr(
            delivery::Column::NextAttemptAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(
            delivery::Column::LastError,
            Expr::value("the subscription was disabled"),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::Column::SubscriptionId.eq(owner.id.as_str()))
        .filter(delivery::Column::Status.eq("pending"))
        .filter(
            Condition::any()
                .add(delivery::Column::LockedUntil.is_null())
                .add(delivery::Column::LockedUntil.lt(now)),
        )
        .exec(txn)
        .await?;
    emit(
        txn,
        owner,
        "webhook.disabled",
        json!({ "reason": reason }),
        now,
    )
    .await
}

/// Writes a `webhook.*` event about a subscription into the outbox.
async fn emit(
    txn: &impl ConnectionTrait,
    owner: &subscription::Model,
    event_type: &'static str,
    mut data: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    data["subscriptionId"] = json!(owner.id);
    data["url"] = json!(owner.url);
    crate::sync::write_event(txn, &owner.workspace_id, event_type, &data, now).await
}

/// Marks a claimed delivery failed without sending it.
async fn give_up(
    state: &AppState,
    delivery: &delivery::Model,
    token: &str,
    reason: &str,
) -> Result<()> {
    Deliveries::update_many()
        .col_expr(delivery::Column::Status, Expr::value("failed"))
        .col_expr(
            delivery::Column::NextAttemptAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(delivery::Column::LockedBy, Expr::value(None::<String>))
        .col_expr(
            delivery::Column::LockedUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(delivery::Column::LastError, Expr::value(reason))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(delivery::Column::Id.eq(delivery.id.as_str()))
        .filter(delivery::Column::LockedBy.eq(token))
        .exec(&state.db)
        .await?;
    Ok(())
}
