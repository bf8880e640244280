//! From the outbox to deliveries: each undispatched event becomes one delivery row per
//! matching subscription, and is marked dispatched, in one transaction. The unique index on
//! (subscription, event) makes a second process dispatching the same event at the same time
//! harmless, and an event is never marked dispatched without its deliveries.

use std::collections::{HashMap, HashSet};

use chrono::{SecondsFormat, Utc};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
    sea_query::Expr,
};
use serde_json::{Value, json};

use super::subscriptions::Compiled;
use crate::{
    Result,
    entities::{
        outbox_event::{self, Entity as Outbox},
        webhook_delivery::{self as delivery, Entity as Deliveries},
        webhook_subscription::{self as subscription, Entity as Subscriptions},
    },
    state::AppState,
};

/// Events read per transaction.
const BATCH: u64 = 500;
/// Delivery rows per INSERT statement (20 columns each, well under SQLite's bind limit).
const INSERT_CHUNK: usize = 200;

/// Dispatches every undispatched event; returns how many deliveries were created.
pub async fn dispatch_pending(state: &AppState) -> Result<usize> {
    let mut created = 0;
    loop {
        let events = Outbox::find()
            .filter(outbox_event::Column::DispatchedAt.is_null())
            .order_by_asc(outbox_event::Column::CreatedAt)
            .order_by_asc(outbox_event::Column::Id)
            .limit(BATCH)
            .all(&state.db)
            .await?;
        if events.is_empty() {
            return Ok(created);
        }
        let full = events.len() as u64 == BATCH;
        created += dispatch_batch(state, &events).await?;
        if !full {
            return Ok(created);
        }
    }
}

async fn dispatch_batch(state: &AppState, events: &[outbox_event::Model]) -> Result<usize> {
    let workspaces: HashSet<&str> = events.iter().map(|e| e.workspace_id.as_str()).collect();
    let mut by_workspace: HashMap<String, Vec<Compiled>> = HashMap::new();
    for row in Subscriptions::find()
        .filter(subscription::Column::WorkspaceId.is_in(workspaces))
        .filter(subscription::Column::Enabled.eq(true))
        .all(&state.db)
        .await?
    {
        by_workspace
            .entry(row.workspace_id.clone())
            .or_default()
            .push(Compiled::new(row));
    }
    let now = Utc::now();
    let mut rows = Vec::new();
    for event in events {
        let Some(subscriptions) = by_workspace.get(&event.workspace_id) else {
            continue;
        };
        let data: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
        let envelope = json!({
            "type": event.event_type,
            "timestamp": event.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "data": data,
        });
        let mut body: Option<String> = None;
        for subscription in subscriptions {
            if !subscription.wants(&event.event_type, &envelope) {
                continue;
            }
            let payload = body.get_or_insert_with(|| envelope.to_string()).clone();
            let ordering_key = subscription
                .row
                .ordered
                .then(|| envelope["data"]["recordId"].as_str().map(str::to_owned))
                .flatten();
            rows.push(delivery::ActiveModel {
                id: Set(uuid::Uuid::now_v7().to_string()),
                workspace_id: Set(event.workspace_id.clone()),
                subscription_id: Set(subscription.row.id.clone()),
                event_id: Set(event.id.clone()),
                event_type: Set(event.event_type.clone()),
                event_created_at: Set(event.created_at),
                payload: Set(payload),
                ordering_key: Set(ordering_key),
                status: Set("pending".to_owned()),
                attempts: Set(0),
                next_attempt_at: Set(Some(now)),
                locked_by: Set(None),
                locked_until: Set(None),
                last_attempt_at: Set(None),
                last_status_code: Set(None),
                last_error: Set(None),
                delivered_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            });
        }
    }
    let created = rows.len();
    let txn = state.db.begin().await?;
    for chunk in rows.chunks(INSERT_CHUNK) {
        Deliveries::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on([
                delivery::Column::SubscriptionId,
                delivery::Column::EventId,
            ])
            .exec_without_returning(&txn)
            .await?;
    }
    Outbox::update_many()
        .col_expr(outbox_event::Column::DispatchedAt, Expr::value(now))
        .filter(outbox_event::Column::Id.is_in(events.iter().map(|e| e.id.as_str())))
        .filter(outbox_event::Column::DispatchedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(created)
}
