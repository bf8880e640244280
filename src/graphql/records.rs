//! `records`: what syncs stored, keyed by (connection, model, external id).

use async_graphql::{Context, ID, Json, Object, SimpleObject, connection::Connection};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{app, pagination, principal};
use crate::{
    auth::{Resource, Scope},
    entities::record as entity,
    error::GqlResultExt,
    sync::queries::{self, RecordFilter},
};

#[derive(Default)]
pub struct RecordsQuery;

/// A synced record.
#[derive(SimpleObject)]
pub struct Record {
    /// Patchbay's id.
    pub id: ID,
    /// The connection it came through.
    pub connection_id: ID,
    /// Its model (the connector stream).
    pub model: String,
    /// Its id at the provider.
    pub external_id: String,
    /// The record (after the sync's mapping, when it has one).
    pub data: Json<Value>,
    /// SHA-256 of its canonical JSON.
    pub hash: String,
    /// When a sync first stored it.
    pub first_seen_at: DateTime<Utc>,
    /// When a sync last read it.
    pub last_seen_at: DateTime<Utc>,
    /// When its content last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was found deleted at the provider; it is kept, never dropped.
    pub deleted_at: Option<DateTime<Utc>>,
    /// The run that last changed it.
    pub last_changed_run_id: ID,
}

#[Object]
impl RecordsQuery {
    /// A connection's records of one model, in the order they were first stored. Needs
    /// `records:read`.
    #[allow(clippy::too_many_arguments)]
    async fn records(
        &self,
        ctx: &Context<'_>,
        connection: ID,
        model: String,
        updated_since: Option<DateTime<Utc>>,
        #[graphql(default)] include_deleted: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Record>> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Records)).gql()?;
        let size = pagination::page_size(first).gql()?;
        let filter = RecordFilter {
            connection_id: &connection,
            model: &model,
            updated_since,
            include_deleted,
        };
        let rows = queries::records_page(
            &app(ctx)?.db,
            &caller.workspace_id,
            &filter,
            after.as_deref(),
            size + 1,
        )
        .await
        .gql()?;
        let nodes = rows.into_iter().map(to_graphql).collect();
        Ok(pagination::connection(nodes, size, after.is_some(), |r| {
            r.id.to_string()
        }))
    }

    /// One record. Needs `records:read`.
    async fn record(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Record> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Records)).gql()?;
        let row = queries::record(&app(ctx)?.db, &caller.workspace_id, &id)
            .await
            .gql()?;
        Ok(to_graphql(row))
    }
}

fn to_graphql(row: entity::Model) -> Record {
    Record {
        id: ID(row.id),
        connection_id: ID(row.connection_id),
        model: row.model,
        external_id: row.external_id,
        data: Json(serde_json::from_str(&row.data).unwrap_or(Value::Null)),
        hash: row.hash,
        first_seen_at: row.first_seen_at,
        last_seen_at: row.last_seen_at,
        updated_at: row.updated_at,
        deleted_at: row.deleted_at,
        last_changed_run_id: ID(row.last_changed_run_id),
    }
}
