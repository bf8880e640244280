//! `viewer`: who the caller is.

use async_graphql::{Context, ID, Object, SimpleObject};

use super::{app, principal, workspaces::Workspace};
use crate::{Error, error::GqlResultExt, workspaces};

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
        // The key row was read when the request was authenticated; no second read.
        let key = &principal.key;
        let workspace = workspaces::find(&app(ctx)?.db, &principal.workspace_id)
            .await
            .gql()?
            .ok_or_else(|| Error::NotFound("workspace".into()))
            .gql()?;
        Ok(Viewer {
            id: ID(key.id.clone()),
            name: key.name.clone(),
            prefix: key.prefix.clone(),
            scopes: principal.scopes.iter().map(ToString::to_string).collect(),
            workspace: workspace.into(),
        })
    }
}
