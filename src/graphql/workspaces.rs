//! GraphQL types of workspaces.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};

use crate::entities::workspace;

/// A tenant: every object belongs to exactly one workspace.
#[derive(SimpleObject)]
pub struct Workspace {
    /// Stable identifier.
    pub id: ID,
    /// URL-safe unique name, e.g. `default`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<workspace::Model> for Workspace {
    fn from(row: workspace::Model) -> Self {
        Self {
            id: ID(row.id),
            slug: row.slug,
            name: row.name,
            created_at: row.created_at,
        }
    }
}
