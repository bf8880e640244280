//! Connectors: the built-in catalogue plus the workspace's own, registered at run time.
//! Scope `connectors:read` to browse, `connectors:write` to register, change or delete.

use async_graphql::{Context, ID, Json, Object, SimpleObject, connection::Connection};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{app, pagination, principal};
use crate::{
    Error,
    auth::{Resource, Scope},
    connectors::{
        definition::{self, Definition},
        registry::{self, Entry},
    },
    error::GqlResultExt,
};

#[derive(Default)]
pub struct ConnectorsQuery;

#[derive(Default)]
pub struct ConnectorsMutation;

/// An external service Patchbay can talk to, described as data.
#[derive(SimpleObject)]
pub struct Connector {
    /// Unique slug, e.g. `stripe`.
    pub name: String,
    /// Human name, e.g. `Stripe`.
    pub display_name: String,
    /// `payments`, `accounting`, `crm`, `e_signature`, `messaging`, `email`, `social`,
    /// `commerce`, `dev_tools` or `other`.
    pub category: String,
    /// What it connects to.
    pub description: String,
    /// The provider's API documentation.
    pub docs_url: Option<String>,
    /// Version of the definition.
    pub version: String,
    /// Shipped with Patchbay, or registered by this workspace.
    pub built_in: bool,
    /// How it authenticates: `oauth2_authorization_code`, `oauth2_client_credentials`,
    /// `api_key`, `basic`, `bearer` or `none`.
    pub auth_type: String,
    /// The API's base URL (may hold `{setting}` placeholders).
    pub base_url: String,
    /// The record types it can read.
    pub streams: Vec<ConnectorStream>,
    /// What it can write.
    pub actions: Vec<ConnectorAction>,
    /// Whether it receives signed webhooks.
    pub has_webhooks: bool,
    /// When a custom connector was registered or last changed.
    pub updated_at: Option<DateTime<Utc>>,
    /// The whole definition, to copy and adapt.
    pub definition: Json<Value>,
}

/// A record type a connector reads.
#[derive(SimpleObject)]
pub struct ConnectorStream {
    /// Stream name, e.g. `customers`.
    pub name: String,
    /// Paths of the primary key.
    pub primary_key: Vec<String>,
    /// Whether it can fetch only what changed since the last sync.
    pub incremental: bool,
    /// Its declared fields (used by mapping suggestions).
    pub fields: Vec<ConnectorField>,
}

/// A declared field of a stream.
#[derive(SimpleObject)]
pub struct ConnectorField {
    /// Dotted path.
    pub path: String,
    /// `string`, `integer`, `number`, `boolean`, `date`, `datetime`, `object` or `array`.
    #[graphql(name = "type")]
    pub field_type: String,
}

/// Something a connector can write.
#[derive(SimpleObject)]
pub struct ConnectorAction {
    /// Action name, e.g. `create_customer`.
    pub name: String,
    /// `create`, `update` or `delete`.
    pub kind: String,
    /// The stream whose records it writes.
    pub stream: String,
}

/// One problem of a connector definition.
#[derive(SimpleObject)]
pub struct DefinitionError {
    /// Where: e.g. `streams[2].pagination.cursor_path`; empty for the whole document.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

#[Object]
impl ConnectorsQuery {
    /// Connectors this workspace can use (built-in and its own), by name. Filter by
    /// `category` or a `search` in names and descriptions. Needs `connectors:read`.
    async fn connectors(
        &self,
        ctx: &Context<'_>,
        category: Option<String>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Connector>> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Connectors)).gql()?;
        let size = pagination::page_size(first).gql()?;
        let search = search.map(|s| s.to_lowercase());
        let entries = registry::list(&app(ctx)?.db, &caller.workspace_id)
            .await
            .gql()?;
        let matching: Vec<Connector> = entries
            .into_iter()
            .filter(|e| {
                after
                    .as_deref()
                    .is_none_or(|a| e.definition.name.as_str() > a)
            })
            .map(to_graphql)
            .filter(|c| {
                category
                    .as_deref()
                    .is_none_or(|wanted| c.category == wanted)
            })
            .filter(|c| {
                search.as_deref().is_none_or(|s| {
                    [&c.name, &c.display_name, &c.description]
                        .iter()
                        .any(|text| text.to_lowercase().contains(s))
                })
            })
            .take(usize::try_from(size + 1).unwrap_or(usize::MAX))
            .collect();
        Ok(pagination::connection(
            matching,
            size,
            after.is_some(),
            |c| c.name.clone(),
        ))
    }

    /// One connector by name: built-in, or this workspace's own. Needs `connectors:read`.
    async fn connector(&self, ctx: &Context<'_>, name: String) -> async_graphql::Result<Connector> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Connectors)).gql()?;
        registry::find(&app(ctx)?.db, &caller.workspace_id, &name)
            .await
            .gql()?
            .map(to_graphql)
            .ok_or_else(|| Error::NotFound(format!("connector `{name}`")))
            .gql()
    }

    /// The JSON Schema of connector definitions (generated from the model), for editors.
    /// Needs `connectors:read`.
    async fn connector_definition_schema(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Json<Value>> {
        principal(ctx)?
            .require(Scope::Read(Resource::Connectors))
            .gql()?;
        Ok(Json(definition::json_schema()))
    }

    /// Checks a definition without saving it: every problem with its path; empty when valid.
    /// Needs `connectors:read`.
    async fn validate_connector_definition(
        &self,
        ctx: &Context<'_>,
        definition: Json<Value>,
    ) -> async_graphql::Result<Vec<DefinitionError>> {
        principal(ctx)?
            .require(Scope::Read(Resource::Connectors))
            .gql()?;
        Ok(match registry::parse(definition.0) {
            Ok(_) => Vec::new(),
            Err(Error::InvalidDefinition(errors)) => errors
                .into_iter()
                .map(|e| DefinitionError {
                    path: e.path,
                    message: e.message,
                })
                .collect(),
            Err(other) => return Err(other).gql(),
        })
    }
}

#[Object]
impl ConnectorsMutation {
    /// Registers a connector from its definition (a JSON object, or JSON/YAML text); usable at
    /// once, no rebuild. Visible only in this workspace. Needs `connectors:write`.
    async fn register_connector(
        &self,
        ctx: &Context<'_>,
        definition: Json<Value>,
    ) -> async_graphql::Result<Connector> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Connectors)).gql()?;
        let definition = registry::parse(definition.0).gql()?;
        let entry = registry::register(&app(ctx)?.db, &caller.workspace_id, definition)
            .await
            .gql()?;
        Ok(to_graphql(entry))
    }

    /// Replaces a custom connector's definition (its name stays). Needs `connectors:write`.
    async fn update_connector(
        &self,
        ctx: &Context<'_>,
        name: String,
        definition: Json<Value>,
    ) -> async_graphql::Result<Connector> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Connectors)).gql()?;
        let definition = registry::parse(definition.0).gql()?;
        let entry = registry::update(&app(ctx)?.db, &caller.workspace_id, &name, definition)
            .await
            .gql()?;
        Ok(to_graphql(entry))
    }

    /// Deletes a custom connector; returns its name. Needs `connectors:write`.
    async fn delete_connector(&self, ctx: &Context<'_>, name: String) -> async_graphql::Result<ID> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Connectors)).gql()?;
        registry::delete(&app(ctx)?.db, &caller.workspace_id, &name)
            .await
            .gql()?;
        Ok(ID(name))
    }
}

/// The string serde writes for a unit enum value (`e_signature`, `create`, `datetime`).
pub(super) fn tag<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

pub(super) fn to_graphql(entry: Entry) -> Connector {
    let d: &Definition = &entry.definition;
    let definition_json = serde_json::to_value(d).unwrap_or(Value::Null);
    Connector {
        name: d.name.clone(),
        display_name: d.display_name.clone(),
        category: tag(&d.category),
        description: d.description.clone(),
        docs_url: d.docs_url.clone(),
        version: d.version.clone(),
        built_in: entry.built_in,
        auth_type: definition_json["auth"]["type"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        base_url: d.base_url.clone(),
        streams: d
            .streams
            .iter()
            .map(|s| ConnectorStream {
                name: s.name.clone(),
                primary_key: s.primary_key.clone(),
                incremental: s.incremental.is_some(),
                fields: s
                    .fields
                    .iter()
                    .map(|f| ConnectorField {
                        path: f.path.clone(),
                        field_type: tag(&f.kind),
                    })
                    .collect(),
            })
            .collect(),
        actions: d
            .actions
            .iter()
            .map(|a| ConnectorAction {
                name: a.name.clone(),
                kind: tag(&a.kind),
                stream: a.stream.clone(),
            })
            .collect(),
        has_webhooks: d.webhooks.is_some(),
        updated_at: entry.updated_at,
        definition: Json(definition_json),
    }
}
