//! `viewer`: who the caller is.

use async_graphql::{Context, ID, Object, SimpleObject};

use super::{app, principal, workspaces::Workspace};
use crate::{Error, auth::store, error::GqlResultExt, workspaces};

#[derive(Default)]
pub struct ViewerQuery;

/// The API key making the request.
#[derive(SimpleObject)]
pub struct Viewer {
    /// The key's id.
    pub id: ID,
    /// The key's name.
    pub name: String,
    /// The visible start of the key, e.g. `pb_live_AbCdEfGh`.
    pub prefix: String,
    /// What the key may do, e.g. `*` or `syncs:write`.
    pub scopes: Vec<String>,
    /// The workspace the key belongs to.
    pub workspace: Workspace,
}

#[Object]
impl ViewerQuery {
    /// The API key making this request, with its workspace and scopes. Needs no scope.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        let principal = principal(ctx)?;
        let db = &app(ctx)?.db;
        let key = store::find(db, &principal.workspace_id, &principal.key_id)
            .await
            .gql()?
            .ok_or_else(|| Error::NotFound("API key".into()))
            .gql()?;
        let workspace = workspaces::find(db, &principal.workspace_id)
            .await
            .gql()?
            .ok_or_else(|| Error::NotFound("workspace".into()))
            .gql()?;
        Ok(Viewer {
            id: ID(key.id),
            name: key.name,
            prefix: key.prefix,
            scopes: principal.scopes.iter().map(ToString::to_string).collect(),
            workspace: workspace.into(),
        })
    }
}
