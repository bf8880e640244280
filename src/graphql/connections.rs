//! Connections: authenticated sessions with a connector, one per account. Credentials go in
//! and never come out: responses only say which credential fields are set.
//! Scope `connections:read` / `connections:write`.

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, Json, Object, SimpleObject,
    connection::Connection,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{app, connectors::Connector, pagination, principal};
use crate::{
    Error,
    auth::{Resource, Scope},
    connections::{self, ConnectionChanges, Environment as Env, NewConnection, credentials},
    connectors::registry,
    entities::connection as entity,
    error::GqlResultExt,
};

#[derive(Default)]
pub struct ConnectionsQuery;

#[derive(Default)]
pub struct ConnectionsMutation;

/// Which of the provider's environments a connection talks to.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Environment {
    /// The provider's sandbox.
    Sandbox,
    /// The live API.
    Production,
}

/// Whether a connection can be used.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ConnectionStatus {
    /// Ready.
    Active,
    /// Waiting for the user to complete the provider's OAuth consent.
    PendingAuthorization,
    /// The provider revoked access; reconnect.
    NeedsReauth,
    /// The last check failed.
    Error,
}

/// An authenticated session with a connector.
#[derive(SimpleObject)]
#[graphql(complex, name = "Connection")]
pub struct ConnectionNode {
    /// Stable identifier.
    pub id: ID,
    /// Unique name in the workspace.
    pub name: String,
    /// The connector's name.
    pub connector_name: String,
    /// Sandbox or production.
    pub environment: Environment,
    /// The connector's settings (not secret).
    pub settings: Json<Value>,
    /// Which credentials are set (their values are never returned).
    pub credential_fields: Vec<String>,
    /// Whether it can be used.
    pub status: ConnectionStatus,
    /// Why it needs attention (e.g. the provider's `invalid_grant` message), when it does.
    pub status_reason: Option<String>,
    /// The base URL override, if any.
    pub base_url_override: Option<String>,
    /// When the current access token expires (OAuth).
    pub token_expires_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// What the last `testConnection` saw; null before the first check.
    pub health: Option<ConnectionHealth>,
    #[graphql(skip)]
    pub workspace_id: String,
}

#[ComplexObject]
impl ConnectionNode {
    /// The connector it uses.
    async fn connector(&self, ctx: &Context<'_>) -> async_graphql::Result<Connector> {
        principal(ctx)?
            .require(Scope::Read(Resource::Connectors))
            .gql()?;
        let entry = registry::find(&app(ctx)?.db, &self.workspace_id, &self.connector_name)
            .await
            .gql()?
            .ok_or_else(|| Error::NotFound(format!("connector `{}`", self.connector_name)))
            .gql()?;
        Ok(super::connectors::to_graphql(entry))
    }

    /// Where requests go: the override, else the connector's (sandbox) base URL filled with
    /// the settings; null while a setting the OAuth flow fills is missing.
    async fn base_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let entry = registry::find(&app(ctx)?.db, &self.workspace_id, &self.connector_name)
            .await
            .gql()?;
        let settings = serde_json::from_value(self.settings.0.clone()).unwrap_or_default();
        Ok(entry.and_then(|e| {
            credentials::base_url(
                &e.definition,
                self.environment == Environment::Sandbox,
                &settings,
                self.base_url_override.as_deref(),
            )
        }))
    }
}

/// The outcome of a connection's last check request.
#[derive(SimpleObject)]
pub struct ConnectionHealth {
    /// Whether the provider accepted the connection's credentials.
    pub ok: bool,
    /// The provider's HTTP status, when it answered.
    pub status: Option<i32>,
    /// How long the check took, retries included.
    pub latency_ms: Option<i32>,
    /// The provider's error (an excerpt, credentials scrubbed).
    pub error: Option<String>,
    /// When the check ran.
    pub checked_at: DateTime<Utc>,
}

/// A new connection.
#[derive(InputObject)]
pub struct CreateConnectionInput {
    /// The connector's name, e.g. `stripe`.
    pub connector: String,
    /// Unique name in the workspace, e.g. `Stripe (EU)`.
    pub name: String,
    /// Sandbox or production.
    #[graphql(default_with = "Environment::Production")]
    pub environment: Environment,
    /// The connector's settings, e.g. `{"shop": "acme"}`.
    pub settings: Option<Json<Value>>,
    /// Secrets for the connector's auth: `{"api_key": …}`, `{"client_id": …, "client_secret": …}`,
    /// `{"username": …, "password": …}` or `{"token": …}`; plus `webhook_secret`. Stored sealed.
    pub credentials: Option<Json<Value>>,
    /// Another base URL (sandbox hosts, self-hosted services); private addresses are refused
    /// unless the operator allows them.
    pub base_url_override: Option<String>,
}

/// Changes to a connection; credentials given are merged into the stored ones.
#[derive(InputObject)]
pub struct UpdateConnectionInput {
    /// New name.
    pub name: Option<String>,
    /// New settings (replacing all).
    pub settings: Option<Json<Value>>,
    /// Credentials to set or replace.
    pub credentials: Option<Json<Value>>,
    /// New base URL override.
    pub base_url_override: Option<String>,
    /// Remove the base URL override.
    #[graphql(default)]
    pub clear_base_url_override: bool,
}

#[Object]
impl ConnectionsQuery {
    /// The workspace's connections, optionally of one connector. Needs `connections:read`.
    async fn connections(
        &self,
        ctx: &Context<'_>,
        connector: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ConnectionNode>> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Connections)).gql()?;
        let size = pagination::page_size(first).gql()?;
        let rows = connections::list_page(
            &app(ctx)?.db,
            &caller.workspace_id,
            connector.as_deref(),
            after.as_deref(),
            size + 1,
        )
        .await
        .gql()?;
        let nodes = rows.into_iter().map(to_graphql).collect();
        Ok(pagination::connection(nodes, size, after.is_some(), |c| {
            c.id.to_string()
        }))
    }

    /// Up to `limit` (default 20, at most 200) records of a stream, read live from the
    /// provider through the connection, page after page. Needs `records:read`.
    async fn sample_records(
        &self,
        ctx: &Context<'_>,
        connection: ID,
        stream: String,
        #[graphql(default = 20)] limit: i32,
    ) -> async_graphql::Result<Vec<Json<Value>>> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Records)).gql()?;
        if !(1..=200).contains(&limit) {
            return Err(Error::invalid_field("limit", "must be between 1 and 200")).gql();
        }
        let records = connections::sample_records(
            app(ctx)?,
            &caller.workspace_id,
            &connection,
            &stream,
            limit.unsigned_abs() as usize,
        )
        .await
        .gql()?;
        Ok(records.into_iter().map(Json).collect())
    }

    /// One connection. Needs `connections:read`.
    async fn connection(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ConnectionNode> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Connections)).gql()?;
        connections::find(&app(ctx)?.db, &caller.workspace_id, &id)
            .await
            .gql()?
            .map(to_graphql)
            .ok_or_else(|| Error::NotFound(format!("connection `{}`", id.as_str())))
            .gql()
    }
}

/// Where to send a person to authorize a connection.
#[derive(SimpleObject)]
pub struct OAuthAuthorization {
    /// The provider's authorization page: open it in a browser.
    pub authorize_url: String,
    /// Where the provider sends the person back; register exactly this URI with the provider.
    pub redirect_uri: String,
    /// When this authorization stops being accepted.
    pub expires_at: DateTime<Utc>,
}

#[Object]
impl ConnectionsMutation {
    /// Starts the OAuth authorization code flow of a connection: returns the provider's
    /// authorization page with a signed, expiring `state` (and a PKCE challenge when the
    /// connector asks). The provider redirects to `GET /oauth/callback`, which stores the
    /// tokens. Needs `connections:write`.
    #[graphql(name = "startOAuth")]
    async fn start_oauth(
        &self,
        ctx: &Context<'_>,
        connection: ID,
    ) -> async_graphql::Result<OAuthAuthorization> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Connections)).gql()?;
        let started = connections::authorize::start(app(ctx)?, &caller.workspace_id, &connection)
            .await
            .gql()?;
        Ok(OAuthAuthorization {
            authorize_url: started.authorize_url,
            redirect_uri: started.redirect_uri,
            expires_at: started.expires_at,
        })
    }

    /// Creates a connection; its credentials are sealed and never returned. Needs
    /// `connections:write`.
    async fn create_connection(
        &self,
        ctx: &Context<'_>,
        input: CreateConnectionInput,
    ) -> async_graphql::Result<ConnectionNode> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Connections)).gql()?;
        let new = NewConnection {
            connector: input.connector,
            name: input.name,
            environment: match input.environment {
                Environment::Sandbox => Env::Sandbox,
                Environment::Production => Env::Production,
            },
            settings: object("settings", input.settings).gql()?,
            credentials: object("credentials", input.credentials).gql()?,
            base_url_override: input.base_url_override,
        };
        let row = connections::create(app(ctx)?, &caller.workspace_id, new)
            .await
            .gql()?;
        Ok(to_graphql(row))
    }

    /// Changes a connection. Needs `connections:write`.
    async fn update_connection(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateConnectionInput,
    ) -> async_graphql::Result<ConnectionNode> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Connections)).gql()?;
        let changes = ConnectionChanges {
            name: input.name,
            settings: input
                .settings
                .map(|s| object("settings", Some(s)))
                .transpose()
                .gql()?,
            credentials: input
                .credentials
                .map(|c| object("credentials", Some(c)))
                .transpose()
                .gql()?,
            base_url_override: if input.clear_base_url_override {
                Some(None)
            } else {
                input.base_url_override.map(Some)
            },
        };
        let row = connections::update(app(ctx)?, &caller.workspace_id, &id, changes)
            .await
            .gql()?;
        Ok(to_graphql(row))
    }

    /// Calls the connector's check request with the connection's credentials (retries
    /// included) and records its health: ok, HTTP status, latency, the provider's error.
    /// Needs `connections:write`.
    async fn test_connection(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ConnectionNode> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Connections)).gql()?;
        let row = connections::test(app(ctx)?, &caller.workspace_id, &id)
            .await
            .gql()?;
        Ok(to_graphql(row))
    }

    /// Deletes a connection; returns its id. Needs `connections:write`.
    async fn delete_connection(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Connections)).gql()?;
        let app = app(ctx)?;
        connections::delete(&app.db, &caller.workspace_id, &id)
            .await
            .gql()?;
        app.http.throttle().forget(&id);
        Ok(id)
    }
}

/// A JSON object argument, or an empty one.
fn object(field: &str, value: Option<Json<Value>>) -> crate::Result<Map<String, Value>> {
    match value.map(|Json(v)| v) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(Error::invalid_field(field, "must be a JSON object")),
    }
}

fn to_graphql(row: entity::Model) -> ConnectionNode {
    let settings_map = connections::settings_of(&row);
    ConnectionNode {
        id: ID(row.id.clone()),
        credential_fields: connections::credential_fields_of(&row),
        settings: Json(serde_json::to_value(&settings_map).unwrap_or(Value::Null)),
        environment: if row.environment == "sandbox" {
            Environment::Sandbox
        } else {
            Environment::Production
        },
        status: match row.status.as_str() {
            "pending_authorization" => ConnectionStatus::PendingAuthorization,
            "needs_reauth" => ConnectionStatus::NeedsReauth,
            "error" => ConnectionStatus::Error,
            _ => ConnectionStatus::Active,
        },
        status_reason: row.status_reason.clone(),
        name: row.name,
        connector_name: row.connector_name,
        base_url_override: row.base_url_override,
        token_expires_at: row.token_expires_at,
        health: row.last_checked_at.map(|checked_at| ConnectionHealth {
            ok: row.last_check_ok.unwrap_or(false),
            status: row.last_check_status,
            latency_ms: row.last_check_latency_ms,
            error: row.last_check_error.clone(),
            checked_at,
        }),
        created_at: row.created_at,
        updated_at: row.updated_at,
        workspace_id: row.workspace_id,
    }
}
