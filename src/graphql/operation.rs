//! A schema extension that sees each parsed operation: it counts operations by type and
//! refuses mutations sent with `GET` (GraphQL over HTTP: `GET` must be safe).

use std::sync::{Arc, Mutex};

use async_graphql::{
    Request, ServerError, ServerResult, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
    },
    parser::types::{DocumentOperations, ExecutableDocument, OperationType},
};

use crate::state::AppState;

/// Marks a request that arrived with `GET`.
pub struct ViaGet;

/// Stable code of a mutation sent with `GET`.
pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";

pub(super) struct OperationGuard;

impl ExtensionFactory for OperationGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Guard::default())
    }
}

#[derive(Default)]
struct Guard {
    operation_name: Mutex<Option<String>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Guard {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if let Ok(mut name) = self.operation_name.lock() {
            name.clone_from(&request.operation_name);
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let parsed = next.run(ctx, query, variables).await;
        let name = self.operation_name.lock().ok().and_then(|n| n.clone());
        let kind = parsed
            .as_ref()
            .ok()
            .and_then(|doc| operation_type(doc, name.as_deref()));
        if let Some(state) = ctx.data_opt::<AppState>() {
            let label = match kind {
                Some(OperationType::Query) => "query",
                Some(OperationType::Mutation) => "mutation",
                Some(OperationType::Subscription) => "subscription",
                None => "unknown",
            };
            state
                .metrics
                .graphql_operations
                .get_or_create(&crate::metrics::OperationLabels {
                    operation: label.to_owned(),
                })
                .inc();
        }
        if kind == Some(OperationType::Mutation) && ctx.data_opt::<ViaGet>().is_some() {
            let mut error = ServerError::new("mutations must be sent with POST", None);
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", METHOD_NOT_ALLOWED);
            return Err(error);
        }
        parsed
    }
}

/// The type of the operation that will run: the named one, or the only one.
fn operation_type(doc: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, op)| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        _ => None,
    }
}
