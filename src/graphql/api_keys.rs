//! API keys: list, create (secret shown once), revoke, rotate. Scope `keys:read|write`.

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject, connection::Connection,
};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;

use super::{
    app,
    pagination::{self, connection},
    principal,
    workspaces::Workspace,
};
use crate::{
    Error,
    auth::{
        Resource, Scope,
        api_key::KeyKind,
        scopes,
        store::{self, NewKey},
    },
    entities::api_key,
    error::GqlResultExt,
    state::AppState,
    workspaces,
};

#[derive(Default)]
pub struct ApiKeysQuery;

#[derive(Default)]
pub struct ApiKeysMutation;

/// Whether a key can be used.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ApiKeyStatus {
    /// It authenticates.
    Active,
    /// It was revoked.
    Revoked,
    /// Its expiry has passed.
    Expired,
}

/// An API key. The secret itself is never shown after creation or rotation.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ApiKey {
    /// Stable identifier.
    pub id: ID,
    /// A human name.
    pub name: String,
    /// The visible start of the key, e.g. `pb_live_AbCdEfGh`.
    pub prefix: String,
    /// What the key may do.
    pub scopes: Vec<String>,
    /// Whether the key can be used now.
    pub status: ApiKeyStatus,
    /// Requests per minute (the server default unless set on the key).
    pub rate_limit_per_minute: i32,
    /// Requests allowed at once before the per-minute rate applies.
    pub rate_limit_burst: i32,
    /// When the key stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When its secret was last rotated.
    pub rotated_at: Option<DateTime<Utc>>,
    /// Until when the secret before the last rotation is still accepted.
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
    /// Requests authenticated with this key (flushed in batches; this process's recent
    /// requests included).
    pub usage_count: i64,
    /// Last request authenticated with this key.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub workspace_id: String,
}

#[ComplexObject]
impl ApiKey {
    /// The workspace the key belongs to.
    async fn workspace(&self, ctx: &Context<'_>) -> async_graphql::Result<Workspace> {
        let caller = principal(ctx)?;
        if caller.workspace_id != self.workspace_id {
            caller.require(Scope::Read(Resource::Workspaces)).gql()?;
        }
        workspaces::find(&app(ctx)?.db, &self.workspace_id)
            .await
            .gql()?
            .map(Workspace::from)
            .ok_or_else(|| Error::NotFound("workspace".into()))
            .gql()
    }
}

/// A key and its secret, returned once by `createApiKey` and `rotateApiKey`.
#[derive(SimpleObject)]
pub struct ApiKeyWithSecret {
    /// The key.
    pub api_key: ApiKey,
    /// The whole key (`pb_live_…`): shown this once, never again. Store it now.
    pub secret: String,
}

/// What a new key is made of.
#[derive(InputObject)]
pub struct CreateApiKeyInput {
    /// A name to recognise the key by.
    pub name: String,
    /// Scopes: `*`, `resource:read` or `resource:write` for connectors, connections, syncs,
    /// records, mappings, insights, webhooks, keys, workspaces. You can only grant what you hold.
    pub scopes: Vec<String>,
    /// Requests per minute; the server default when absent.
    pub rate_limit_per_minute: Option<i32>,
    /// Requests allowed at once; equal to the per-minute limit when absent.
    pub rate_limit_burst: Option<i32>,
    /// When the key stops working; never when absent.
    pub expires_at: Option<DateTime<Utc>>,
    /// Another workspace to create the key in (needs `workspaces:write`).
    pub workspace_id: Option<ID>,
    /// Create a `pb_test_` key instead of a `pb_live_` one.
    #[graphql(default)]
    pub test: bool,
}

#[Object]
impl ApiKeysQuery {
    /// The workspace's API keys, oldest first. Needs `keys:read`.
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ApiKey>> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Keys)).gql()?;
        let state = app(ctx)?;
        let size = pagination::page_size(first).gql()?;
        let rows = store::list_page(&state.db, &caller.workspace_id, after.as_deref(), size + 1)
            .await
            .gql()?;
        let keys = rows.into_iter().map(|row| to_graphql(row, state)).collect();
        Ok(connection(keys, size, after.is_some(), |key| {
            key.id.to_string()
        }))
    }

    /// One API key of the workspace. Needs `keys:read`.
    async fn api_key(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ApiKey> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Keys)).gql()?;
        let state = app(ctx)?;
        store::find(&state.db, &caller.workspace_id, &id)
            .await
            .gql()?
            .map(|row| to_graphql(row, state))
            .ok_or_else(|| Error::NotFound(format!("API key `{}`", id.as_str())))
            .gql()
    }
}

#[Object]
impl ApiKeysMutation {
    /// Creates a key and returns its secret once. Needs `keys:write` (and `workspaces:write`
    /// for another workspace); a key cannot grant scopes it does not hold.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> async_graphql::Result<ApiKeyWithSecret> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Keys)).gql()?;
        let state = app(ctx)?;
        let workspace_id = match input.workspace_id {
            Some(id) if id.as_str() != caller.workspace_id => {
                caller.require(Scope::Write(Resource::Workspaces)).gql()?;
                workspaces::find(&state.db, &id)
                    .await
                    .gql()?
                    .ok_or_else(|| Error::NotFound(format!("workspace `{}`", id.as_str())))
                    .gql()?
                    .id
            }
            _ => caller.workspace_id.clone(),
        };
        let wanted = scopes::parse_all(&input.scopes).gql()?;
        if let Some(scope) = wanted
            .iter()
            .find(|s| !scopes::may_grant(&caller.scopes, &[**s]))
        {
            return Err(Error::Forbidden(format!(
                "you cannot grant the scope `{scope}`: your key does not hold it"
            )))
            .gql();
        }
        let (row, secret) = store::create(
            &state.db,
            NewKey {
                workspace_id,
                name: input.name,
                scopes: wanted,
                rate_limit_per_minute: input.rate_limit_per_minute,
                rate_limit_burst: input.rate_limit_burst,
                expires_at: input.expires_at,
                kind: if input.test {
                    KeyKind::Test
                } else {
                    KeyKind::Live
                },
            },
        )
        .await
        .gql()?;
        Ok(ApiKeyWithSecret {
            api_key: to_graphql(row, state),
            secret: secret.expose_secret().to_owned(),
        })
    }

    /// Revokes a key: it fails from its next request on, on every process. Needs `keys:write`.
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ApiKey> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Keys)).gql()?;
        let state = app(ctx)?;
        let row = store::revoke(&state.db, Some(&caller.workspace_id), &id)
            .await
            .gql()?;
        state.key_cache.invalidate(std::slice::from_ref(&row.id));
        Ok(to_graphql(row, state))
    }

    /// Gives a key a new secret, returned once. The old secret keeps working for
    /// `gracePeriodSeconds` (0: stops now; at most 30 days). Needs `keys:write`.
    async fn rotate_api_key(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = 0)] grace_period_seconds: i32,
    ) -> async_graphql::Result<ApiKeyWithSecret> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Keys)).gql()?;
        let state = app(ctx)?;
        let grace = chrono::Duration::seconds(grace_period_seconds.into());
        let (row, secret) = store::rotate(&state.db, &caller.workspace_id, &id, grace)
            .await
            .gql()?;
        state.key_cache.invalidate(std::slice::from_ref(&row.id));
        Ok(ApiKeyWithSecret {
            api_key: to_graphql(row, state),
            secret: secret.expose_secret().to_owned(),
        })
    }
}

/// The API view of a key row, with this process's unflushed usage added.
pub fn to_graphql(row: api_key::Model, state: &AppState) -> ApiKey {
    let now = Utc::now();
    let status = if row.revoked_at.is_some() {
        ApiKeyStatus::Revoked
    } else if row.expires_at.is_some_and(|at| at <= now) {
        ApiKeyStatus::Expired
    } else {
        ApiKeyStatus::Active
    };
    let pending = state.usage.pending(&row.id);
    let default_limit =
        i32::try_from(state.limits.default_rate_limit_per_minute).unwrap_or(i32::MAX);
    let per_minute = row.rate_limit_per_minute.unwrap_or(default_limit);
    ApiKey {
        id: ID(row.id),
        name: row.name,
        prefix: row.prefix,
        scopes: scopes::parse_stored(&row.scopes)
            .map(|s| s.iter().map(ToString::to_string).collect())
            .unwrap_or_default(),
        status,
        rate_limit_per_minute: per_minute,
        rate_limit_burst: row.rate_limit_burst.unwrap_or(per_minute),
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
        rotated_at: row.rotated_at,
        previous_secret_valid_until: row.previous_valid_until.filter(|at| *at > now),
        usage_count: row.usage_count + pending.map_or(0, |p| p.count as i64),
        last_used_at: pending.map(|p| p.last_used).or(row.last_used_at),
        created_at: row.created_at,
        workspace_id: row.workspace_id,
    }
}
