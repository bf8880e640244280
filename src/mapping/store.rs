//! Persistence of mapping feedback (and, with the transforms, of mapping templates).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{
    suggest::{Feedback, FeedbackEntry},
    transform::FieldRule,
};
use crate::{
    Error, Result,
    entities::{
        field_mapping::{self as mapping, Entity as FieldMappings},
        mapping_feedback::{self as feedback, Entity as MappingFeedback},
    },
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

/// Most rules in one mapping template.
pub const MAX_RULES: usize = 500;

/// What a mapping template is made of.
pub struct NewMapping {
    /// Unique name in the workspace.
    pub name: String,
    /// Name of the source object, e.g. `hubspot.Contact`.
    pub source_object: String,
    /// Name of the target object.
    pub target_object: String,
    /// The field rules, applied in order.
    pub rules: Vec<FieldRule>,
}

/// Changes to a mapping template; `None` keeps the current value.
#[derive(Default)]
pub struct MappingChanges {
    /// New name.
    pub name: Option<String>,
    /// New source object name.
    pub source_object: Option<String>,
    /// New target object name.
    pub target_object: Option<String>,
    /// New rules (replacing all).
    pub rules: Option<Vec<FieldRule>>,
}

/// Checks a template's rules: count, paths, and `[]` pairing; errors name `rules[i]`.
pub fn check_rules(rules: &[FieldRule]) -> Result<()> {
    if rules.is_empty() {
        return Err(Error::invalid_field(
            "rules",
            "a mapping needs at least one rule",
        ));
    }
    if rules.len() > MAX_RULES {
        return Err(Error::invalid_field(
            "rules",
            format!("at most {MAX_RULES} rules"),
        ));
    }
    for (i, rule) in rules.iter().enumerate() {
        rule.check()
            .map_err(|e| Error::invalid_field(format!("rules[{i}]"), e.to_string()))?;
    }
    Ok(())
}

fn check_names(name: &str, source_object: &str, target_object: &str) -> Result<()> {
    for (field, value) in [
        ("name", name),
        ("sourceObject", source_object),
        ("targetObject", target_object),
    ] {
        if value.trim().is_empty() || value.chars().count() > 200 {
            return Err(Error::invalid_field(field, "use 1 to 200 characters"));
        }
    }
    Ok(())
}

/// The rules stored in a template row.
pub fn rules_of(row: &mapping::Model) -> Result<Vec<FieldRule>> {
    serde_json::from_str(&row.rules).map_err(Error::internal)
}

/// Creates a mapping template; names are unique per workspace.
pub async fn create_mapping(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    new: NewMapping,
) -> Result<mapping::Model> {
    check_names(&new.name, &new.source_object, &new.target_object)?;
    check_rules(&new.rules)?;
    let now = Utc::now();
    let row = mapping::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        workspace_id: Set(workspace_id.to_owned()),
        name: Set(new.name.trim().to_owned()),
        source_object: Set(new.source_object),
        target_object: Set(new.target_object),
        rules: Set(serde_json::to_string(&new.rules).map_err(Error::internal)?),
        created_at: Set(now),
        updated_at: Set(now),
    };
    row.insert(db)
        .await
        .map_err(|e| duplicate_name(e, &new.name))
}

/// The template with this id in this workspace.
pub async fn find_mapping(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    id: &str,
) -> Result<Option<mapping::Model>> {
    Ok(FieldMappings::find_by_id(id)
        .filter(mapping::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?)
}

/// One page of the workspace's templates, in creation order.
pub async fn list_mappings(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<mapping::Model>> {
    let mut query = FieldMappings::find()
        .filter(mapping::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(mapping::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(mapping::Column::Id.gt(after));
    }
    Ok(query.all(db).await?)
}

/// Applies changes to a template.
pub async fn update_mapping(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    id: &str,
    changes: MappingChanges,
) -> Result<mapping::Model> {
    let row = find_mapping(db, workspace_id, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("field mapping `{id}`")))?;
    let name = changes.name.unwrap_or_else(|| row.name.clone());
    let source_object = changes
        .source_object
        .unwrap_or_else(|| row.source_object.clone());
    let target_object = changes
        .target_object
        .unwrap_or_else(|| row.target_object.clone());
    check_names(&name, &source_object, &target_object)?;
    let mut active: mapping::ActiveModel = row.into();
    if let Some(rules) = changes.rules {
        check_rules(&rules)?;
        active.rules = Set(serde_json::to_string(&rules).map_err(Error::internal)?);
    }
    active.name = Set(name.trim().to_owned());
    active.source_object = Set(source_object);
    active.target_object = Set(target_object);
    active.updated_at = Set(Utc::now());
    active
        .update(db)
        .await
        .map_err(|e| duplicate_name(e, &name))
}

/// Deletes a template of this workspace.
pub async fn delete_mapping(db: &impl ConnectionTrait, workspace_id: &str, id: &str) -> Result<()> {
    let deleted = FieldMappings::delete_many()
        .filter(mapping::Column::Id.eq(id))
        .filter(mapping::Column::WorkspaceId.eq(workspace_id))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(Error::NotFound(format!("field mapping `{id}`")));
    }
    Ok(())
}

fn duplicate_name(error: sea_orm::DbErr, name: &str) -> Error {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            Error::Conflict(format!("a field mapping named `{name}` already exists"))
        }
        _ => error.into(),
    }
}
