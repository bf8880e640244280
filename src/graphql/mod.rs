//! The GraphQL API: the schema merged from one module per domain, and its transports.
//!
//! Only this module knows about GraphQL types; resolvers stay thin and call domain functions.

mod api_keys;
mod connections;
mod connectors;
mod events;
mod http;
mod insights;
mod mappings;
mod operation;
mod pagination;
mod records;
mod syncs;
mod viewer;
mod webhooks;
mod workspaces;
mod ws;

use async_graphql::{Context, MergedObject, MergedSubscription, Schema, SchemaBuilder};

pub use http::{graphql_get, graphql_post};
pub use ws::graphql_ws;

use crate::{Error, auth::Principal, config::Limits, error::GqlResultExt, state::AppState};

/// Every query, merged from the domain modules.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    viewer::ViewerQuery,
    api_keys::ApiKeysQuery,
    workspaces::WorkspacesQuery,
    mappings::MappingsQuery,
    connectors::ConnectorsQuery,
    connections::ConnectionsQuery,
    syncs::SyncsQuery,
    records::RecordsQuery,
    insights::InsightsQuery,
    webhooks::WebhooksQuery,
);

/// Every mutation, merged from the domain modules.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    api_keys::ApiKeysMutation,
    workspaces::WorkspacesMutation,
    mappings::MappingsMutation,
    connectors::ConnectorsMutation,
    connections::ConnectionsMutation,
    syncs::SyncsMutation,
    insights::InsightsMutation,
    webhooks::WebhooksMutation,
);

/// Every subscription, merged from the domain modules.
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(events::EventsSubscription, syncs::SyncsSubscription);

/// The served schema.
pub type PatchbaySchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Builds the schema served by the application.
pub fn build(state: AppState) -> PatchbaySchema {
    builder(&state.limits.clone()).data(state).finish()
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder(&Limits::default()).finish().sdl()
}

fn builder(limits: &Limits) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_depth(limits.max_query_depth)
    .limit_complexity(limits.max_query_complexity)
    .extension(operation::OperationGuard)
}

/// The gate before the engine: authentication and rate limiting, or the benchmark bypass.
async fn admit(
    server: &crate::server::ServerState,
    token: Option<&str>,
) -> Result<(Principal, Option<crate::auth::rate_limit::Decision>), Error> {
    if let Some(principal) = &server.bypass {
        return Ok((principal.clone(), None));
    }
    let (principal, decision) = crate::auth::admit(&server.app, token).await?;
    Ok((principal, Some(decision)))
}

/// The caller of the current operation.
fn principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    ctx.data_opt::<Principal>()
        .ok_or_else(|| Error::Unauthenticated("an API key is required".into()))
        .gql()
}

/// The application state.
fn app<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a AppState> {
    ctx.data_opt::<AppState>()
        .ok_or_else(|| {
            Error::internal(anyhow::anyhow!("application state missing from the schema"))
        })
        .gql()
}
