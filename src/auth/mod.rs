//! Who is calling. An API key in a header (or in graphql-ws `connection_init`) becomes a
//! [`Principal`]: the key, its workspace and its scopes. Every resolver asks the principal.

pub mod api_key;
pub mod cache;
pub mod rate_limit;
pub mod scopes;
pub mod store;
pub mod usage;

use std::sync::Arc;

use axum::http::HeaderMap;
use chrono::Utc;
use sea_orm::ConnectionTrait;

use crate::{Error, Result, entities::api_key as key_entity};
pub use scopes::{Resource, Scope};

/// The authenticated caller of one request.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The API key's id.
    pub key_id: String,
    /// The workspace the key belongs to; the caller sees nothing outside it.
    pub workspace_id: String,
    /// What the key may do.
    pub scopes: Vec<Scope>,
    /// The key's row as read when the request was authenticated.
    pub key: Arc<key_entity::Model>,
}

impl Principal {
    /// Fails with `FORBIDDEN` unless one of the key's scopes grants `needed`.
    pub fn require(&self, needed: Scope) -> Result<()> {
        if scopes::grants(&self.scopes, needed) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "this API key lacks the scope `{needed}`"
            )))
        }
    }
}

/// The API key a request presents: `Authorization: Bearer …` or `X-API-Key: …`.
pub fn token_from_headers(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return bearer(value);
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The token of an `Authorization` value of the `Bearer` scheme.
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Authenticates a presented key and counts the request against the key's rate limit:
/// the gate every GraphQL request (HTTP or WebSocket) passes before the engine runs.
pub async fn admit(
    state: &crate::state::AppState,
    token: Option<&str>,
) -> Result<(Principal, rate_limit::Decision)> {
    let principal = authenticate(&state.db, Some(&state.key_cache), token).await?;
    let per_minute = principal
        .key
        .rate_limit_per_minute
        .map_or(state.limits.default_rate_limit_per_minute, |v| {
            v.unsigned_abs()
        });
    let burst = principal.key.rate_limit_burst.map(i32::unsigned_abs);
    let limit = rate_limit::Limit::new(per_minute, burst);
    match state.limiter.check(&principal.key_id, limit) {
        rate_limit::Decision::Limited {
            limit,
            retry_after_secs,
        } => Err(Error::RateLimited {
            retry_after_secs,
            limit,
        }),
        allowed => {
            state.usage.record(&principal.key_id);
            Ok((principal, allowed))
        }
    }
}

/// Resolves a presented key to its principal, or `UNAUTHENTICATED`.
///
/// The format and checksum are checked first, so a mistyped key costs no database read; a
/// key found in `cache` costs none either (see [`cache`] for why that stays correct).
pub async fn authenticate(
    db: &impl ConnectionTrait,
    cache: Option<&cache::KeyCache>,
    token: Option<&str>,
) -> Result<Principal> {
    let token = token.ok_or_else(|| {
        Error::Unauthenticated(
            "an API key is required: send `Authorization: Bearer pb_…` or `X-API-Key: pb_…`".into(),
        )
    })?;
    let hash = api_key::parse(token)
        .map_err(|e| Error::Unauthenticated(format!("malformed API key: {e}")))?;
    let cached = cache.and_then(|c| c.get(&hash));
    let from_cache = cached.is_some();
    let (key, matched) = match cached {
        Some(hit) => hit,
        None => store::find_by_hash(db, &hash)
            .await?
            .map(|(key, matched)| (Arc::new(key), matched))
            .ok_or_else(|| Error::Unauthenticated("unknown API key".into()))?,
    };
    let now = Utc::now();
    if key.revoked_at.is_some() {
        return Err(Error::Unauthenticated("this API key was revoked".into()));
    }
    if key.expires_at.is_some_and(|at| at <= now) {
        return Err(Error::Unauthenticated("this API key has expired".into()));
    }
    if matched == store::Matched::Previous && key.previous_valid_until.is_none_or(|at| at <= now) {
        return Err(Error::Unauthenticated(
            "this API key was rotated and its grace period is over".into(),
        ));
    }
    let principal = Principal {
        scopes: scopes::parse_stored(&key.scopes)?,
        key_id: key.id.clone(),
        workspace_id: key.workspace_id.clone(),
        key: key.clone(),
    };
    if let Some(cache) = cache.filter(|_| !from_cache) {
        cache.insert(&hash, key, matched);
    }
    Ok(principal)
}
