//! Persistence of mapping feedback (and, with the transforms, of mapping templates).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::suggest::{Feedback, FeedbackEntry};
use crate::{
    Error, Result,
    entities::mapping_feedback::{self as feedback, Entity as MappingFeedback},
};

/// Most feedback rows handed to the suggester (the most recent ones).
const MAX_FEEDBACK: u64 = 5_000;

/// One decision about a suggested pair.
pub struct Decision<'a> {
    /// Name of the source schema (e.g. `hubspot.Contact`).
    pub source_object: &'a str,
    /// Name of the target schema.
    pub target_object: &'a str,
    /// Source field path.
    pub source_path: &'a str,
    /// Target field path.
    pub target_path: &'a str,
    /// Kept (`true`) or rejected.
    pub accepted: bool,
}

/// Counts one decision; returns the pair's totals.
pub async fn record_feedback(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    decision: Decision<'_>,
) -> Result<feedback::Model> {
    for (field, value) in [
        ("sourcePath", decision.source_path),
        ("targetPath", decision.target_path),
    ] {
        if value.trim().is_empty() || value.len() > 500 {
            return Err(Error::invalid_field(
                field,
                "a field path of 1 to 500 characters",
            ));
        }
    }
    let existing = MappingFeedback::find()
        .filter(feedback::Column::WorkspaceId.eq(workspace_id))
        .filter(feedback::Column::SourceObject.eq(decision.source_object))
        .filter(feedback::Column::TargetObject.eq(decision.target_object))
        .filter(feedback::Column::SourcePath.eq(decision.source_path))
        .filter(feedback::Column::TargetPath.eq(decision.target_path))
        .one(db)
        .await?;
    let now = Utc::now();
    let row = match existing {
        Some(row) => {
            let (accepted, rejected) = (row.accepted, row.rejected);
            let mut active: feedback::ActiveModel = row.into();
            if decision.accepted {
                active.accepted = Set(accepted.saturating_add(1));
            } else {
                active.rejected = Set(rejected.saturating_add(1));
            }
            active.updated_at = Set(now);
            active.update(db).await?
        }
        None => {
            feedback::ActiveModel {
                id: Set(uuid::Uuid::now_v7().to_string()),
                workspace_id: Set(workspace_id.to_owned()),
                source_object: Set(decision.source_object.to_owned()),
                target_object: Set(decision.target_object.to_owned()),
                source_path: Set(decision.source_path.to_owned()),
                target_path: Set(decision.target_path.to_owned()),
                accepted: Set(i32::from(decision.accepted)),
                rejected: Set(i32::from(!decision.accepted)),
                updated_at: Set(now),
            }
            .insert(db)
            .await?
        }
    };
    Ok(row)
}

/// The workspace's feedback in the suggester's terms (most recent decisions first).
pub async fn feedback_for(db: &impl ConnectionTrait, workspace_id: &str) -> Result<Feedback> {
    let rows = MappingFeedback::find()
        .filter(feedback::Column::WorkspaceId.eq(workspace_id))
        .order_by_desc(feedback::Column::UpdatedAt)
        .limit(MAX_FEEDBACK)
        .all(db)
        .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        for (accepted, count) in [(true, row.accepted), (false, row.rejected)] {
            if count > 0 {
                entries.push(FeedbackEntry {
                    source: row.source_path.clone(),
                    target: row.target_path.clone(),
                    accepted,
                    count: count.unsigned_abs(),
                });
            }
        }
    }
    Ok(Feedback { entries })
}
