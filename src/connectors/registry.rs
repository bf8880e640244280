//! The connectors a workspace can use: the built-in catalogue plus its own, registered at run
//! time and stored in `connectors`. A custom connector is visible only in its workspace.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;

use super::{catalog, definition::Definition, validate};
use crate::{
    Error, Result,
    entities::connector::{self as entity, Entity as Connectors},
};

/// A connector as the workspace sees it.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The definition.
    pub definition: Arc<Definition>,
    /// Shipped with Patchbay (`true`) or registered by the workspace.
    pub built_in: bool,
    /// When a custom connector was registered or last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Reads a definition given as a JSON object, or as JSON or YAML text, and validates it.
pub fn parse(value: Value) -> Result<Definition> {
    let loaded = match value {
        Value::String(text) if text.trim_start().starts_with('{') => validate::load_json(&text),
        Value::String(text) => validate::parse_yaml(&text).and_then(|definition| {
            let errors = validate::validate(&definition);
            if errors.is_empty() {
                Ok(definition)
            } else {
                Err(errors)
            }
        }),
        other => validate::load(other),
    };
    loaded.map_err(Error::InvalidDefinition)
}

/// The connector with this name: built-in first, then the workspace's own.
pub async fn find(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    name: &str,
) -> Result<Option<Entry>> {
    if let Some(definition) = catalog::built_in(name) {
        return Ok(Some(Entry {
            definition,
            built_in: true,
            updated_at: None,
        }));
    }
    let row = Connectors::find()
        .filter(entity::Column::WorkspaceId.eq(workspace_id))
        .filter(entity::Column::Name.eq(name))
        .one(db)
        .await?;
    row.map(to_entry).transpose()
}

/// Every connector the workspace can use, sorted by name.
pub async fn list(db: &impl ConnectionTrait, workspace_id: &str) -> Result<Vec<Entry>> {
    let mut entries: Vec<Entry> = catalog::built_ins()
        .iter()
        .map(|definition| Entry {
            definition: definition.clone(),
            built_in: true,
            updated_at: None,
        })
        .collect();
    let rows = Connectors::find()
        .filter(entity::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(entity::Column::Name)
        .all(db)
        .await?;
    for row in rows {
        entries.push(to_entry(row)?);
    }
    entries.sort_by(|a, b| a.definition.name.cmp(&b.definition.name));
    Ok(entries)
}

/// Registers a custom connector; its name must not be taken by a built-in or another one.
pub async fn register(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    definition: Definition,
) -> Result<Entry> {
    if catalog::built_in(&definition.name).is_some() {
        return Err(Error::Conflict(format!(
            "`{}` is a built-in connector; register yours under another name",
            definition.name
        )));
    }
    let now = Utc::now();
    let row = entity::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        workspace_id: Set(workspace_id.to_owned()),
        name: Set(definition.name.clone()),
        definition: Set(serde_json::to_string(&definition).map_err(Error::internal)?),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|error| match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Error::Conflict(format!(
            "a connector named `{}` already exists",
            definition.name
        )),
        _ => error.into(),
    })?;
    to_entry(row)
}

/// Replaces a custom connector's definition; the name cannot change.
pub async fn update(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    name: &str,
    definition: Definition,
) -> Result<Entry> {
    if definition.name != name {
        return Err(Error::invalid_field(
            "definition.name",
            format!("must stay `{name}`; register a new connector to rename"),
        ));
    }
    let row = custom_row(db, workspace_id, name).await?;
    let mut active: entity::ActiveModel = row.into();
    active.definition = Set(serde_json::to_string(&definition).map_err(Error::internal)?);
    active.updated_at = Set(Utc::now());
    to_entry(active.update(db).await?)
}

/// Deletes a custom connector; refused while connections use it.
pub async fn delete(db: &impl ConnectionTrait, workspace_id: &str, name: &str) -> Result<()> {
    let row = custom_row(db, workspace_id, name).await?;
    let users = crate::connections::count_using(db, workspace_id, name).await?;
    if users > 0 {
        return Err(Error::Conflict(format!(
            "{users} connection(s) use `{name}`; delete them first"
        )));
    }
    Connectors::delete_by_id(row.id).exec(db).await?;
    Ok(())
}

async fn custom_row(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    name: &str,
) -> Result<entity::Model> {
    if catalog::built_in(name).is_some() {
        return Err(Error::Forbidden(format!(
            "`{name}` is built in and cannot be changed"
        )));
    }
    Connectors::find()
        .filter(entity::Column::WorkspaceId.eq(workspace_id))
        .filter(entity::Column::Name.eq(name))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("connector `{name}`")))
}

fn to_entry(row: entity::Model) -> Result<Entry> {
    let definition: Definition = serde_json::from_str(&row.definition).map_err(Error::internal)?;
    Ok(Entry {
        definition: Arc::new(definition),
        built_in: false,
        updated_at: Some(row.updated_at),
    })
}
