//! `events`: a live feed of what happens in the caller's workspace.

use async_graphql::{Context, Json, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::{app, principal};
use crate::{
    auth::{Resource, Scope, scopes},
    state::Event,
};

#[derive(Default)]
pub struct EventsSubscription;

/// Something that happened in the workspace.
#[derive(SimpleObject)]
pub struct WorkspaceEvent {
    /// Dotted type, e.g. `sync.succeeded`.
    #[graphql(name = "type")]
    pub event_type: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The event's payload.
    pub data: Json<serde_json::Value>,
}

#[Subscription]
impl EventsSubscription {
    /// Events of the caller's workspace as they happen. `types` filters by type; `sync.*`
    /// matches a family. Only events of resources the key can read are delivered.
    async fn events(
        &self,
        ctx: &Context<'_>,
        types: Option<Vec<String>>,
    ) -> async_graphql::Result<impl Stream<Item = WorkspaceEvent> + use<>> {
        let principal = principal(ctx)?.clone();
        let receiver = app(ctx)?.events.subscribe();
        let types = types.unwrap_or_default();
        Ok(futures_util::stream::unfold(
            receiver,
            move |mut receiver| {
                let principal = principal.clone();
                let types = types.clone();
                async move {
                    loop {
                        match receiver.recv().await {
                            Ok(event)
                                if event.workspace_id == principal.workspace_id
                                    && scopes::grants(
                                        &principal.scopes,
                                        Scope::Read(resource_of(&event.event_type)),
                                    )
                                    && matches_types(&types, &event.event_type) =>
                            {
                                return Some((to_graphql(event), receiver));
                            }
                            Ok(_) | Err(RecvError::Lagged(_)) => continue,
                            Err(RecvError::Closed) => return None,
                        }
                    }
                }
            },
        ))
    }
}

fn to_graphql(event: Event) -> WorkspaceEvent {
    WorkspaceEvent {
        event_type: event.event_type,
        at: event.at,
        data: Json(event.data),
    }
}

/// The resource whose read scope an event type needs.
fn resource_of(event_type: &str) -> Resource {
    match event_type.split('.').next().unwrap_or_default() {
        "record" => Resource::Records,
        "sync" => Resource::Syncs,
        "connection" => Resource::Connections,
        "connector" => Resource::Connectors,
        "webhook" => Resource::Webhooks,
        "mapping" => Resource::Mappings,
        "insight" => Resource::Insights,
        "key" => Resource::Keys,
        _ => Resource::Workspaces,
    }
}

/// Empty filters match everything; `family.*` matches `family.anything`.
fn matches_types(filters: &[String], event_type: &str) -> bool {
    filters.is_empty()
        || filters
            .iter()
            .any(|filter| match filter.strip_suffix(".*") {
                Some(family) => event_type
                    .strip_prefix(family)
                    .is_some_and(|rest| rest.starts_with('.')),
                None => filter == event_type,
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_filters_match_exact_types_and_families() {
        let cases = [
            (vec![], "sync.failed", true),
            (vec!["sync.*"], "sync.failed", true),
            (vec!["sync.*"], "syncs.failed", false),
            (vec!["record.updated"], "record.updated", true),
            (vec!["record.updated"], "record.created", false),
        ];
        for (filters, event_type, expected) in cases {
            let filters: Vec<String> = filters.into_iter().map(String::from).collect();
            assert_eq!(
                matches_types(&filters, event_type),
                expected,
                "{filters:?} {event_type}"
            );
        }
    }
}
