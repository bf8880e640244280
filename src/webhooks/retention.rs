//! Keeping the webhook tables bounded: finished deliveries (with their attempts), dispatched
//! outbox events and remembered inbound event ids older than the retention period are deleted.
//! Pending deliveries and undispatched events are never touched.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Query};

use crate::{
    Result,
    entities::{
        inbound_webhook_event::{self as inbound, Entity as Inbound},
        outbox_event::{self as outbox, Entity as Outbox},
        webhook_attempt::{self as attempt, Entity as Attempts},
        webhook_delivery::{self as delivery, Entity as Deliveries},
    },
};

/// What one pass removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    /// Finished deliveries (their attempts went with them).
    pub deliveries: u64,
    /// Dispatched outbox events.
    pub events: u64,
    /// Remembered inbound event ids.
    pub inbound: u64,
}

/// Deletes what finished before `cutoff`.
pub async fn prune(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<Pruned> {
    let finished = || {
        Query::select()
            .column(delivery::Column::Id)
            .from(Deliveries)
            .and_where(delivery::Column::Status.is_in(["succeeded", "failed"]))
            .and_where(delivery::Column::UpdatedAt.lt(cutoff))
            .to_owned()
    };
    Attempts::delete_many()
        .filter(attempt::Column::DeliveryId.in_subquery(finished()))
        .exec(db)
        .await?;
    let deliveries = Deliveries::delete_many()
        .filter(delivery::Column::Status.is_in(["succeeded", "failed"]))
        .filter(delivery::Column::UpdatedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected;
    let events = Outbox::delete_many()
        .filter(outbox::Column::DispatchedAt.is_not_null())
        .filter(outbox::Column::DispatchedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected;
    let inbound = Inbound::delete_many()
        .filter(inbound::Column::ReceivedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected;
    Ok(Pruned {
        deliveries,
        events,
        inbound,
    })
}
