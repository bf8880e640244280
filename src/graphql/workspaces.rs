//! Workspaces: the caller's own, or all of them for an admin with `workspaces:*`.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject, connection::Connection};
use chrono::{DateTime, Utc};

use super::{
    app,
    pagination::{self, connection},
    principal,
};
use crate::{
    auth::{Resource, Scope, scopes},
    entities::workspace,
    error::GqlResultExt,
    workspaces,
};

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

#[derive(Default)]
pub struct WorkspacesQuery;

#[derive(Default)]
pub struct WorkspacesMutation;

/// A new workspace.
#[derive(InputObject)]
pub struct CreateWorkspaceInput {
    /// Unique, URL-safe: 1 to 63 lowercase letters, digits and dashes.
    pub slug: String,
    /// Display name.
    pub name: String,
}

#[Object]
impl WorkspacesQuery {
    /// Workspaces the key can see: its own, or every one with `workspaces:read`.
    async fn workspaces(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Workspace>> {
        let caller = principal(ctx)?;
        let size = pagination::page_size(first).gql()?;
        let only = if scopes::grants(&caller.scopes, Scope::Read(Resource::Workspaces)) {
            None
        } else {
            Some(caller.workspace_id.as_str())
        };
        let rows = workspaces::list_page(&app(ctx)?.db, only, after.as_deref(), size + 1)
            .await
            .gql()?;
        let rows = rows.into_iter().map(Workspace::from).collect();
        Ok(connection(rows, size, after.is_some(), |w| {
            w.id.to_string()
        }))
    }
}

#[Object]
impl WorkspacesMutation {
    /// Creates a workspace. Needs `workspaces:write`; give it a first key with
    /// `createApiKey(input: {workspaceId: …})`.
    async fn create_workspace(
        &self,
        ctx: &Context<'_>,
        input: CreateWorkspaceInput,
    ) -> async_graphql::Result<Workspace> {
        principal(ctx)?
            .require(Scope::Write(Resource::Workspaces))
            .gql()?;
        workspaces::create(&app(ctx)?.db, &input.slug, &input.name)
            .await
            .map(Workspace::from)
            .gql()
    }
}
