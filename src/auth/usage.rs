//! Key usage (request count, last use), counted in memory and written to the database in
//! batches by a background flush, so a request never waits on a usage write.

use std::{collections::HashMap, sync::Mutex};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};

use crate::{
    Result,
    entities::api_key::{Column, Entity as ApiKeys},
};

/// Usage not yet written to the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    /// Requests since the last flush.
    pub count: u64,
    /// The latest of them.
    pub last_used: DateTime<Utc>,
}

/// Counts requests per key until the next flush.
#[derive(Default)]
pub struct UsageTracker {
    pending: Mutex<HashMap<String, Pending>>,
}

impl UsageTracker {
    /// Counts one request of `key_id`.
    pub fn record(&self, key_id: &str) {
        let now = Utc::now();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let entry = pending.entry(key_id.to_owned()).or_insert(Pending {
            count: 0,
            last_used: now,
        });
        entry.count += 1;
        entry.last_used = now;
    }

    /// What this process counted for `key_id` since the last flush.
    pub fn pending(&self, key_id: &str) -> Option<Pending> {
        self.pending.lock().ok()?.get(key_id).copied()
    }

    /// Writes the counts in one transaction; on failure they are kept for the next flush.
    pub async fn flush(&self, db: &DatabaseConnection) -> Result<usize> {
        let batch = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if batch.is_empty() {
            return Ok(0);
        }
        match write(db, &batch).await {
            Ok(()) => Ok(batch.len()),
            Err(error) => {
                let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                for (key_id, usage) in batch {
                    let entry = pending.entry(key_id).or_insert(Pending {
                        count: 0,
                        last_used: usage.last_used,
                    });
                    entry.count += usage.count;
                    entry.last_used = Ord::max(entry.last_used, usage.last_used);
                }
                Err(error)
            }
        }
    }
}

async fn write(db: &DatabaseConnection, batch: &HashMap<String, Pending>) -> Result<()> {
    let txn = db.begin().await?;
    for (key_id, usage) in batch {
        ApiKeys::update_many()
            .col_expr(
                Column::UsageCount,
                Expr::col(Column::UsageCount).add(usage.count as i64),
            )
            .col_expr(Column::LastUsedAt, Expr::value(usage.last_used))
            .filter(Column::Id.eq(key_id.as_str()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}
