//! Connections: a workspace's authenticated sessions with a connector. Credentials are sealed
//! with the master key (the connection id as associated data) and never leave in clear: not in
//! the database, not in responses, not in logs.

pub mod authorize;
pub mod credentials;
pub mod tokens;

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::{
    Error, Result,
    connectors::{definition::Auth, registry},
    entities::connection::{self as entity, Entity as Connections},
    ssrf,
    state::AppState,
};

/// Which of the provider's environments a connection talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    /// The provider's sandbox (its `sandbox_base_url` when the definition has one).
    Sandbox,
    /// The live API.
    Production,
}

impl Environment {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::Production => "production",
        }
    }
}

/// What a new connection is made of.
pub struct NewConnection {
    /// The connector's name (built-in or the workspace's own).
    pub connector: String,
    /// Unique name in the workspace.
    pub name: String,
    /// Sandbox or production.
    pub environment: Environment,
    /// The connector's settings (`shop`, `instance_url`, …).
    pub settings: Map<String, Value>,
    /// Secrets: `api_key`, `client_id`/`client_secret`, `username`/`password`, `token`, …
    pub credentials: Map<String, Value>,
    /// Another base URL (self-hosted services, sandboxes, test servers).
    pub base_url_override: Option<String>,
}

/// Changes to a connection; credentials given are merged into the stored ones.
#[derive(Default)]
pub struct ConnectionChanges {
    /// New name.
    pub name: Option<String>,
    /// New settings (replacing all).
    pub settings: Option<Map<String, Value>>,
    /// Credentials to set or replace.
    pub credentials: Option<Map<String, Value>>,
    /// New override; `Some(None)` removes it.
    pub base_url_override: Option<Option<String>>,
}

/// Creates a connection with sealed credentials.
pub async fn create(
    state: &AppState,
    workspace_id: &str,
    new: NewConnection,
) -> Result<entity::Model> {
    let name = checked_name(&new.name)?;
    let entry = registry::find(&state.db, workspace_id, &new.connector)
        .await?
        .ok_or_else(|| {
            Error::invalid_field(
                "connector",
                format!("no connector named `{}`", new.connector),
            )
        })?;
    let definition = &entry.definition;
    let settings = credentials::resolve_settings(definition, &new.settings)?;
    let secrets = credentials::check_credentials(definition, &new.credentials, true)?;
    let base_url_override = checked_override(state, new.base_url_override).await?;
    let id = uuid::Uuid::now_v7().to_string();
    let pending = matches!(definition.auth, Auth::Oauth2AuthorizationCode(_))
        && !secrets.contains_key("access_token");
    let now = Utc::now();
    let row = entity::ActiveModel {
        credentials_sealed: Set(seal(state, &secrets, &id)?),
        credential_fields: Set(field_names(&secrets)),
        id: Set(id),
        workspace_id: Set(workspace_id.to_owned()),
        connector_name: Set(definition.name.clone()),
        name: Set(name),
        environment: Set(new.environment.as_str().to_owned()),
        settings: Set(serde_json::to_string(&settings).map_err(Error::internal)?),
        credentials_version: Set(0),
        base_url_override: Set(base_url_override),
        status: Set(if pending {
            "pending_authorization"
        } else {
            "active"
        }
        .to_owned()),
        token_expires_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        last_checked_at: Set(None),
        last_check_ok: Set(None),
        last_check_status: Set(None),
        last_check_latency_ms: Set(None),
        last_check_error: Set(None),
        refresh_locked_by: Set(None),
        refresh_locked_until: Set(None),
        status_reason: Set(None),
    };
    row.insert(&state.db)
        .await
        .map_err(|e| duplicate(e, &new.name))
}

/// Applies changes to a connection of this workspace.
pub async fn update(
    state: &AppState,
    workspace_id: &str,
    id: &str,
    changes: ConnectionChanges,
) -> Result<entity::Model> {
    let (row, entry) = find_with_connector(state, workspace_id, id).await?;
    let mut active: entity::ActiveModel = row.clone().into();
    if let Some(name) = &changes.name {
        active.name = Set(checked_name(name)?);
    }
    if let Some(settings) = &changes.settings {
        let settings = credentials::resolve_settings(&entry.definition, settings)?;
        active.settings = Set(serde_json::to_string(&settings).map_err(Error::internal)?);
    }
    if let Some(given) = &changes.credentials {
        let mut secrets = open(state, &row)?;
        secrets.extend(credentials::check_credentials(
            &entry.definition,
            given,
            false,
        )?);
        active.credentials_sealed = Set(seal(state, &secrets, &row.id)?);
        active.credential_fields = Set(field_names(&secrets));
        active.credentials_version = Set(row.credentials_version + 1);
    }
    if let Some(override_url) = changes.base_url_override {
        active.base_url_override = Set(checked_override(state, override_url).await?);
    }
    active.updated_at = Set(Utc::now());
    let name = changes.name.unwrap_or(row.name);
    active
        .update(&state.db)
        .await
        .map_err(|e| duplicate(e, &name))
}

/// Deletes a connection of this workspace.
pub async fn delete(db: &impl ConnectionTrait, workspace_id: &str, id: &str) -> Result<()> {
    let deleted = Connections::delete_many()
        .filter(entity::Column::Id.eq(id))
        .filter(entity::Column::WorkspaceId.eq(workspace_id))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(Error::NotFound(format!("connection `{id}`")));
    }
    Ok(())
}

/// The connection with this id in this workspace.
pub async fn find(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    id: &str,
) -> Result<Option<entity::Model>> {
    Ok(Connections::find_by_id(id)
        .filter(entity::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?)
}

/// One page of the workspace's connections, optionally of one connector.
pub async fn list_page(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    connector: Option<&str>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<entity::Model>> {
    let mut query = Connections::find()
        .filter(entity::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(entity::Column::Id)
        .limit(limit);
    if let Some(connector) = connector {
        query = query.filter(entity::Column::ConnectorName.eq(connector));
    }
    if let Some(after) = after {
        query = query.filter(entity::Column::Id.gt(after));
    }
    Ok(query.all(db).await?)
}

/// How many of the workspace's connections use this connector.
pub async fn count_using(
    db: &impl ConnectionTrait,
    workspace_id: &str,
    connector: &str,
) -> Result<u64> {
    Ok(Connections::find()
        .filter(entity::Column::WorkspaceId.eq(workspace_id))
        .filter(entity::Column::ConnectorName.eq(connector))
        .count(db)
        .await?)
}

/// Re-seals every connection's credentials still sealed with an older master key (master key
/// rotation); returns how many were re-sealed. Each row is checked and updated on its own, so
/// an interrupted rotation can simply be run again.
pub async fn reseal_all(
    db: &impl ConnectionTrait,
    cipher: &crate::crypto::Cipher,
) -> Result<usize> {
    let rows = Connections::find()
        .filter(entity::Column::CredentialsSealed.is_not_null())
        .all(db)
        .await?;
    let mut resealed = 0;
    for row in rows {
        let Some(sealed) = &row.credentials_sealed else {
            continue;
        };
        let Some(resealed_value) = cipher.reseal(sealed, &row.id).map_err(|e| {
            Error::internal(anyhow::anyhow!(
                "cannot open the credentials of connection {}: {e}",
                row.id
            ))
        })?
        else {
            continue;
        };
        let updated = Connections::update_many()
            .col_expr(
                entity::Column::CredentialsSealed,
                sea_orm::sea_query::Expr::value(resealed_value),
            )
            .filter(entity::Column::Id.eq(row.id.as_str()))
            .filter(entity::Column::CredentialsSealed.eq(sealed.as_str()))
            .exec(db)
            .await?;
        resealed += usize::try_from(updated.rows_affected).unwrap_or(0);
    }
    Ok(resealed)
}

/// A connection of this workspace and its connector.
pub(crate) async fn find_with_connector(
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<(entity::Model, registry::Entry)> {
    let row = find(&state.db, workspace_id, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("connection `{id}`")))?;
    let entry = registry::find(&state.db, workspace_id, &row.connector_name)
        .await?
        .ok_or_else(|| {
            Error::Conflict(format!(
                "the connector `{}` no longer exists",
                row.connector_name
            ))
        })?;
    Ok((row, entry))
}

/// A connection ready to call its provider: its row, its connector, and what requests need.
pub struct Live {
    /// The connection row.
    pub row: entity::Model,
    /// Its connector.
    pub entry: registry::Entry,
    /// Its settings, defaults filled.
    pub settings: BTreeMap<String, String>,
    /// Its credentials, opened.
    pub credentials: BTreeMap<String, SecretString>,
    /// Where its requests go.
    pub base_url: String,
}

impl Live {
    /// Loads a connection of this workspace with its connector, settings, credentials and base URL.
    pub async fn load(state: &AppState, workspace_id: &str, id: &str) -> Result<Self> {
        let (row, entry) = find_with_connector(state, workspace_id, id).await?;
        let settings = settings_of(&row);
        let credentials = credentials_of(state, &row)?;
        let base_url = credentials::base_url(
            &entry.definition,
            row.environment == "sandbox",
            &settings,
            row.base_url_override.as_deref(),
        )
        .ok_or_else(|| {
            Error::Conflict(
                "the connection's base URL needs settings the OAuth flow has not filled yet".into(),
            )
        })?;
        Ok(Self {
            row,
            entry,
            settings,
            credentials,
            base_url,
        })
    }

    /// What the HTTP layer needs to send a request for this connection.
    pub fn endpoint(&self) -> crate::connectors::http::Endpoint<'_> {
        crate::connectors::http::Endpoint {
            connection_id: &self.row.id,
            definition: &self.entry.definition,
            base_url: self.base_url.clone(),
            settings: &self.settings,
            credentials: &self.credentials,
            rate_limit: self.entry.definition.rate_limit,
            refreshable: false,
        }
    }
}

/// Calls the connector's check request with the connection's credentials and records the
/// outcome (ok, HTTP status, latency, the provider's error) on the connection.
pub async fn test(state: &AppState, workspace_id: &str, id: &str) -> Result<entity::Model> {
    use crate::connectors::http::{self, HttpError};
    let mut live = Live::load(state, workspace_id, id).await?;
    let started = std::time::Instant::now();
    let outcome = match http::render_request(&live.entry.definition.check, &live.settings) {
        Ok(request) => live
            .send(state, &request, None)
            .await
            .map(|response| response.status),
        Err(error) => Err(error),
    };
    let latency = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let (ok, status, error) = match outcome {
        Ok(status) => (true, Some(i32::from(status)), None),
        Err(HttpError::Upstream {
            status, excerpt, ..
        }) => (false, status.map(i32::from), Some(excerpt)),
        Err(other) => (false, None, Some(other.to_string())),
    };
    let mut active: entity::ActiveModel = live.row.clone().into();
    active.last_checked_at = Set(Some(Utc::now()));
    active.last_check_ok = Set(Some(ok));
    active.last_check_status = Set(status);
    active.last_check_latency_ms = Set(Some(latency));
    active.last_check_error = Set(error);
    if ok {
        active.status = Set("active".to_owned());
    } else if status == Some(401) || status == Some(403) {
        active.status = Set("error".to_owned());
    }
    Ok(active.update(&state.db).await?)
}

/// Reads up to `max` records of a stream through the HTTP layer, page after page (for a
/// sample in the mapping studio; syncs read with checkpoints).
pub async fn sample_records(
    state: &AppState,
    workspace_id: &str,
    id: &str,
    stream_name: &str,
    max: usize,
) -> Result<Vec<Value>> {
    use crate::connectors::{http::HttpError, paginate::Paginator};
    let mut live = Live::load(state, workspace_id, id).await?;
    let stream = live
        .entry
        .definition
        .stream(stream_name)
        .cloned()
        .ok_or_else(|| {
            Error::invalid_field(
                "stream",
                format!(
                    "`{}` has no stream `{stream_name}`",
                    live.row.connector_name
                ),
            )
        })?;
    let upstream = |error: HttpError| match error {
        HttpError::Invalid(message) => Error::invalid(message),
        other => Error::Upstream(other.to_string()),
    };
    let mut paginator =
        Paginator::new(&stream, &live.settings, None).map_err(|e| Error::invalid(e.to_string()))?;
    let mut request = paginator
        .first_request()
        .map_err(|e| Error::invalid(e.to_string()))?;
    let mut records = Vec::new();
    loop {
        let response = live
            .send(state, &request, stream.rate_limit)
            .await
            .map_err(upstream)?;
        let page = paginator
            .next(&response)
            .map_err(|e| Error::Upstream(e.to_string()))?;
        records.extend(page.records);
        match page.next {
            Some(next) if records.len() < max => request = next,
            _ => break,
        }
    }
    records.truncate(max);
    Ok(records)
}

/// The connection's settings.
pub fn settings_of(row: &entity::Model) -> BTreeMap<String, String> {
    serde_json::from_str(&row.settings).unwrap_or_default()
}

/// The names of the credentials set (never their values).
pub fn credential_fields_of(row: &entity::Model) -> Vec<String> {
    serde_json::from_str(&row.credential_fields).unwrap_or_default()
}

/// Opens the connection's credentials as typed secrets; only the HTTP layer needs them.
pub fn credentials_of(
    state: &AppState,
    row: &entity::Model,
) -> Result<BTreeMap<String, SecretString>> {
    Ok(open(state, row)?
        .into_iter()
        .map(|(name, value)| (name, SecretString::from(value)))
        .collect())
}

fn open(state: &AppState, row: &entity::Model) -> Result<BTreeMap<String, String>> {
    let Some(sealed) = &row.credentials_sealed else {
        return Ok(BTreeMap::new());
    };
    let plain = state.cipher.open(sealed, &row.id).map_err(|e| {
        Error::internal(anyhow::anyhow!(
            "cannot open the credentials of connection {}: {e}",
            row.id
        ))
    })?;
    serde_json::from_slice(&plain).map_err(Error::internal)
}

fn seal(state: &AppState, secrets: &BTreeMap<String, String>, id: &str) -> Result<Option<String>> {
    if secrets.is_empty() {
        return Ok(None);
    }
    let plain = serde_json::to_vec(secrets).map_err(Error::internal)?;
    Ok(Some(state.cipher.seal(&plain, id)))
}

fn field_names(secrets: &BTreeMap<String, String>) -> String {
    serde_json::to_string(&secrets.keys().collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

fn checked_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid_field("name", "use 1 to 100 characters"));
    }
    Ok(name.to_owned())
}

async fn checked_override(state: &AppState, url: Option<String>) -> Result<Option<String>> {
    match url {
        None => Ok(None),
        Some(url) => Ok(Some(
            ssrf::check_url(&url, "baseUrlOverride", state.allow_private_networks)
                .await?
                .to_string()
                .trim_end_matches('/')
                .to_owned(),
        )),
    }
}

fn duplicate(error: sea_orm::DbErr, name: &str) -> Error {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            Error::Conflict(format!("a connection named `{name}` already exists"))
        }
        _ => error.into(),
    }
}
