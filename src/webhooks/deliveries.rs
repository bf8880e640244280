//! Reading deliveries and their attempts, and replaying them.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use crate::{
    Error, Result,
    entities::{
        webhook_attempt::{self as attempt, Entity as Attempts},
        webhook_delivery::{self as delivery, Entity as Deliveries},
    },
    state::AppState,
};

/// A delivery of this workspace.
pub async fn get(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    id: &str,
) -> Result<delivery::Model> {
    Deliveries::find_by_id(id)
        .filter(delivery::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("webhook delivery `{id}`")))
}

/// One page of a subscription's deliveries, newest first.
pub async fn list_page(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    subscription_id: &str,
    status: Option<&str>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<delivery::Model>> {
    let mut query = Deliveries::find()
        .filter(delivery::Column::WorkspaceId.eq(workspace_id))
        .filter(delivery::Column::SubscriptionId.eq(subscription_id))
        .order_by_desc(delivery::Column::Id)
        .limit(limit);
    if let Some(status) = status {
        query = query.filter(delivery::Column::Status.eq(status));
    }
    if let Some(after) = after {
        query = query.filter(delivery::Column::Id.lt(after));
    }
    Ok(query.all(db).await?)
}

/// Every attempt of a delivery, first first.
pub async fn attempts(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    delivery_id: &str,
) -> Result<Vec<attempt::Model>> {
    Ok(Attempts::find()
        .filter(attempt::Column::WorkspaceId.eq(workspace_id))
        .filter(attempt::Column::DeliveryId.eq(delivery_id))
        .order_by_asc(attempt::Column::AttemptedAt)
        .order_by_asc(attempt::Column::Id)
        .all(db)
        .await?)
}

/// Sends a delivery again now, with a fresh set of attempts and the same `webhook-id`. Its
/// earlier attempts stay recorded. Refused while it is in flight.
pub async fn replay(state: &AppState, workspace_id: &str, id: &str) -> Result<delivery::Model> {
    let now = Utc::now();
    let replayed = requeue()
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::WorkspaceId.eq(workspace_id))
        .filter(not_in_flight(now))
        .exec(&state.db)
        .await?;
    let row = get(&state.db, workspace_id, id).await?;
    if replayed.rows_affected == 0 {
        return Err(Error::Conflict(format!(
            "webhook delivery `{id}` is being sent right now; replay it once it finishes"
        )));
    }
    state.webhook_wakeup.notify_one();
    Ok(row)
}

/// Sends again every failed delivery of a subscription created at or after `since` (the
/// deliveries missed while a receiver was down or the subscription disabled); returns how many.
pub async fn replay_failed_since(
    state: &AppState,
    workspace_id: &str,
    subscription_id: &str,
    since: DateTime<Utc>,
) -> Result<u64> {
    super::subscriptions::get(&state.db, workspace_id, subscription_id).await?;
    let replayed = requeue()
        .filter(delivery::Column::WorkspaceId.eq(workspace_id))
        .filter(delivery::Column::SubscriptionId.eq(subscription_id))
        .filter(delivery::Column::Status.eq("failed"))
        .filter(delivery::Column::CreatedAt.gte(since))
        .exec(&state.db)
        .await?;
    state.webhook_wakeup.notify_one();
    Ok(replayed.rows_affected)
}

fn requeue() -> sea_orm::UpdateMany<Deliveries> {
    let now = Utc::now();
    Deliveries::update_many()
        .col_expr(delivery::Column::Status, Expr::value("pending"))
        .col_expr(delivery::Column::Attempts, Expr::value(0))
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(now))
        .col_expr(delivery::Column::LockedBy, Expr::value(None::<String>))
        .col_expr(
            delivery::Column::LockedUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
}

fn not_in_flight(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(delivery::Column::LockedUntil.is_null())
        .add(delivery::Column::LockedUntil.lt(now))
}
