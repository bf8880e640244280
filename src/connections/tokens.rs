//! OAuth tokens of a live connection: sending with a token refreshed before it expires and
//! once on a 401, and refreshing safely.
//!
//! Providers that rotate refresh tokens on use (QuickBooks, Xero, Salesforce with rotation)
//! lose the connection when two refreshes race, so a refresh is single-flight per connection:
//! in the process by a mutex, across processes by a lease on the connection row taken before
//! the provider is called. Whoever waits re-reads the row afterwards and uses the tokens the
//! other refresh stored. New tokens (a rotated refresh token included) are stored, with a
//! compare-and-swap on `credentials_version`, before the new access token is used.
//! `invalid_grant` that still holds after a re-read marks the connection `needs_reauth` with
//! the provider's message; transient failures (5xx, timeouts) leave it as it was.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, Weak},
    time::Duration,
};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, sea_query::Expr};
use secrecy::ExposeSecret;

use super::Live;
use crate::{
    Error, Result,
    connectors::{
        definition::{Auth, RateLimit},
        http::{HttpError, TokenError},
        oauth::{self, Client, Grant, TokenFailure, Tokens},
        paginate::{PageRequest, PageResponse},
        retry::FailureKind,
    },
    entities::connection::{self as entity, Entity as Connections},
    state::AppState,
};

/// A token is refreshed when it expires within this margin.
pub const EXPIRY_MARGIN: chrono::Duration = chrono::Duration::seconds(60);
/// How long a process may hold a connection's refresh lease.
const LEASE: chrono::Duration = chrono::Duration::seconds(30);
/// How often a process waiting for another's refresh re-reads the row.
const POLL: Duration = Duration::from_millis(50);

/// One refresh at a time per connection in this process.
#[derive(Default)]
pub struct RefreshGuards(Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>);

impl RefreshGuards {
    fn guard(&self, connection_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut guards = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(guard) = guards.get(connection_id).and_then(Weak::upgrade) {
            return guard;
        }
        guards.retain(|_, weak| weak.strong_count() > 0);
        let guard = Arc::new(tokio::sync::Mutex::new(()));
        guards.insert(connection_id.to_owned(), Arc::downgrade(&guard));
        guard
    }
}

impl Live {
    /// Sends a request through the HTTP layer: for OAuth connections the access token is
    /// refreshed first when it is missing or about to expire, and once more on a 401.
    pub async fn send(
        &mut self,
        state: &AppState,
        request: &PageRequest,
        rate_limit: Option<RateLimit>,
    ) -> std::result::Result<PageResponse, HttpError> {
        let oauth = self.is_oauth();
        if self.row.status == "needs_reauth" {
            return Err(needs_reauth(self.row.status_reason.as_deref()));
        }
        if oauth && self.can_refresh() && self.token_due(Utc::now()) {
            self.refresh(state).await?;
        }
        let first = state
            .http
            .send(&self.paced(rate_limit, oauth), request)
            .await;
        match first {
            Err(HttpError::TokenRefused { excerpt }) if !self.can_refresh() => {
                Err(HttpError::Upstream {
                    kind: FailureKind::Unauthorized,
                    status: Some(401),
                    excerpt,
                })
            }
            Err(HttpError::TokenRefused { .. }) => {
                self.refresh(state).await?;
                state
                    .http
                    .send(&self.paced(rate_limit, false), request)
                    .await
            }
            other => other,
        }
    }

    /// The endpoint with a stream's rate limit (else the definition's) and whether a 401 may
    /// be answered by a refresh.
    fn paced(
        &self,
        rate_limit: Option<RateLimit>,
        refreshable: bool,
    ) -> crate::connectors::http::Endpoint<'_> {
        let mut endpoint = self.endpoint();
        endpoint.rate_limit = rate_limit.or(endpoint.rate_limit);
        endpoint.refreshable = refreshable;
        endpoint
    }

    fn is_oauth(&self) -> bool {
        matches!(
            self.entry.definition.auth,
            Auth::Oauth2AuthorizationCode(_) | Auth::Oauth2ClientCredentials(_)
        )
    }

    /// Whether a new token can be had without a person: client credentials, or a refresh token.
    fn can_refresh(&self) -> bool {
        match self.entry.definition.auth {
            Auth::Oauth2ClientCredentials(_) => true,
            Auth::Oauth2AuthorizationCode(_) => self.credentials.contains_key("refresh_token"),
            _ => false,
        }
    }

    fn token_due(&self, now: DateTime<Utc>) -> bool {
        !self.credentials.contains_key("access_token")
            || self
                .row
                .token_expires_at
                .is_some_and(|expires| expires <= now + EXPIRY_MARGIN)
    }

    /// Replaces the connection's tokens with fresh ones, or adopts those another request or
    /// process has just stored.
    pub async fn refresh(&mut self, state: &AppState) -> std::result::Result<(), HttpError> {
        let seen = self.row.credentials_version;
        let guard = state.refreshes.guard(&self.row.id);
        let _in_process = guard.lock().await;
        let waited_since = std::time::Instant::now();
        loop {
            let row = self.reload(state).await?;
            if row.credentials_version != seen {
                return self.adopt(state, row);
            }
            if take_lease(state, &row.id).await.map_err(internal)? {
                break;
            }
            if waited_since.elapsed() > LEASE.to_std().unwrap_or(Duration::from_secs(30)) * 2 {
                return Err(upstream(
                    FailureKind::Timeout,
                    "another process is still refreshing the token".into(),
                ));
            }
            tokio::time::sleep(POLL).await;
        }
        let outcome = self.call_token_endpoint(state).await;
        let stored = match outcome {
            Ok(tokens) => self.store(state, seen, &tokens).await,
            Err(TokenError::Refused { status, failure }) => {
                let row = self.reload(state).await?;
                if row.credentials_version != seen {
                    release_lease(state, &row.id).await;
                    return self.adopt(state, row);
                }
                let (new_status, message) = match failure {
                    TokenFailure::Revoked(message) => ("needs_reauth", message),
                    TokenFailure::Rejected(message) => ("error", message),
                };
                mark(state, &row.id, new_status, &message).await;
                Err(HttpError::Upstream {
                    kind: FailureKind::Unauthorized,
                    status: Some(status),
                    excerpt: format!(
                        "the provider refused to refresh the token ({message}); authorize the \
                         connection again"
                    ),
                })
            }
            Err(TokenError::Http(error)) => Err(error),
        };
        release_lease(state, &self.row.id).await;
        stored
    }

    /// Calls the token endpoint: refresh token grant, or client credentials.
    async fn call_token_endpoint(
        &self,
        state: &AppState,
    ) -> std::result::Result<Tokens, TokenError> {
        let secret = |name: &str| {
            self.credentials
                .get(name)
                .map(|s| s.expose_secret().to_owned())
                .unwrap_or_default()
        };
        let (client_id, client_secret) = (secret("client_id"), secret("client_secret"));
        let refresh_token = secret("refresh_token");
        let request = match &self.entry.definition.auth {
            Auth::Oauth2AuthorizationCode(code) => {
                if refresh_token.is_empty() {
                    return Err(TokenError::Refused {
                        status: 401,
                        failure: TokenFailure::Revoked(
                            if self.credentials.contains_key("access_token") {
                                "the access token expired and there is no refresh token"
                            } else {
                                "the connection has not been authorized yet (startOAuth)"
                            }
                            .into(),
                        ),
                    });
                }
                oauth::token_request(
                    code.refresh_url.as_deref().unwrap_or(&code.token_url),
                    &code.token_params,
                    &Client {
                        id: &client_id,
                        secret: &client_secret,
                        auth: code.client_auth,
                    },
                    &Grant::Refresh {
                        refresh_token: &refresh_token,
                    },
                    &self.settings,
                )
            }
            Auth::Oauth2ClientCredentials(machine) => oauth::token_request(
                &machine.token_url,
                &machine.token_params,
                &Client {
                    id: &client_id,
                    secret: &client_secret,
                    auth: machine.client_auth,
                },
                &Grant::ClientCredentials {
                    scopes: &machine.scopes,
                    separator: &machine.scope_separator,
                },
                &self.settings,
            ),
            _ => return Err(HttpError::Invalid("the connection has no OAuth token".into()).into()),
        }
        .map_err(|e| TokenError::Http(HttpError::Invalid(e)))?;
        let body = state.http.token(&self.row.id, &request).await?;
        oauth::parse_tokens(
            &body,
            token_response(&self.entry.definition.auth),
            Utc::now(),
        )
        .map_err(|message| TokenError::Http(upstream(FailureKind::Unexpected(200), message)))
    }

    /// Stores new tokens if nobody stored others since `seen`; then uses the stored ones.
    async fn store(
        &mut self,
        state: &AppState,
        seen: i32,
        tokens: &Tokens,
    ) -> std::result::Result<(), HttpError> {
        let mut secrets = super::open(state, &self.row).map_err(internal)?;
        secrets.insert("access_token".into(), tokens.access_token.clone());
        if let Some(refresh_token) = &tokens.refresh_token {
            secrets.insert("refresh_token".into(), refresh_token.clone());
        }
        let sealed = super::seal(state, &secrets, &self.row.id).map_err(internal)?;
        let updated = Connections::update_many()
            .col_expr(entity::Column::CredentialsSealed, Expr::value(sealed))
            .col_expr(
                entity::Column::CredentialFields,
                Expr::value(super::field_names(&secrets)),
            )
            .col_expr(entity::Column::CredentialsVersion, Expr::value(seen + 1))
            .col_expr(
                entity::Column::TokenExpiresAt,
                Expr::value(tokens.expires_at),
            )
            .col_expr(entity::Column::Status, Expr::value("active"))
            .col_expr(entity::Column::StatusReason, Expr::value(None::<String>))
            .col_expr(entity::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(entity::Column::Id.eq(self.row.id.as_str()))
            .filter(entity::Column::CredentialsVersion.eq(seen))
            .exec(&state.db)
            .await
            .map_err(|e| internal(e.into()))?;
        if updated.rows_affected == 0 {
            tracing::warn!(
                connection = %self.row.id,
                "another process stored tokens while this one refreshed; using theirs"
            );
        }
        let row = self.reload(state).await?;
        self.adopt(state, row)
    }

    async fn reload(&self, state: &AppState) -> std::result::Result<entity::Model, HttpError> {
        Connections::find_by_id(self.row.id.as_str())
            .one(&state.db)
            .await
            .map_err(|e| internal(e.into()))?
            .ok_or_else(|| HttpError::Invalid("the connection was deleted".into()))
    }

    /// Uses the credentials (and settings) of a freshly read row.
    fn adopt(
        &mut self,
        state: &AppState,
        row: entity::Model,
    ) -> std::result::Result<(), HttpError> {
        if row.status == "needs_reauth" || !self.token_usable(&row) {
            return Err(needs_reauth(row.status_reason.as_deref()));
        }
        self.credentials = super::credentials_of(state, &row).map_err(internal)?;
        self.settings = super::settings_of(&row);
        self.row = row;
        Ok(())
    }

    fn token_usable(&self, row: &entity::Model) -> bool {
        super::credential_fields_of(row)
            .iter()
            .any(|name| name == "access_token")
    }
}

/// Where a definition's token responses keep their tokens.
fn token_response(auth: &Auth) -> &crate::connectors::definition::TokenResponse {
    static DEFAULT: std::sync::LazyLock<crate::connectors::definition::TokenResponse> =
        std::sync::LazyLock::new(Default::default);
    match auth {
        Auth::Oauth2AuthorizationCode(code) => &code.token_response,
        Auth::Oauth2ClientCredentials(machine) => &machine.token_response,
        _ => &DEFAULT,
    }
}

/// Takes the connection's refresh lease unless another process holds a live one.
async fn take_lease(state: &AppState, id: &str) -> Result<bool> {
    let now = Utc::now();
    let taken = Connections::update_many()
        .col_expr(
            entity::Column::RefreshLockedBy,
            Expr::value(state.instance_id.to_string()),
        )
        .col_expr(entity::Column::RefreshLockedUntil, Expr::value(now + LEASE))
        .filter(entity::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(entity::Column::RefreshLockedUntil.is_null())
                .add(entity::Column::RefreshLockedUntil.lt(now))
                .add(entity::Column::RefreshLockedBy.eq(state.instance_id.as_ref())),
        )
        .exec(&state.db)
        .await?;
    Ok(taken.rows_affected == 1)
}

async fn release_lease(state: &AppState, id: &str) {
    let released = Connections::update_many()
        .col_expr(entity::Column::RefreshLockedBy, Expr::value(None::<String>))
        .col_expr(
            entity::Column::RefreshLockedUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .filter(entity::Column::Id.eq(id))
        .filter(entity::Column::RefreshLockedBy.eq(state.instance_id.as_ref()))
        .exec(&state.db)
        .await;
    if let Err(error) = released {
        // The lease expires on its own.
        Error::from(error).log();
    }
}

/// Records that a connection needs a person, with the provider's message.
async fn mark(state: &AppState, id: &str, status: &str, reason: &str) {
    let marked = Connections::update_many()
        .col_expr(entity::Column::Status, Expr::value(status))
        .col_expr(entity::Column::StatusReason, Expr::value(reason))
        .col_expr(entity::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(entity::Column::Id.eq(id))
        .exec(&state.db)
        .await;
    match marked {
        Ok(_) => tracing::warn!(connection = %id, %status, %reason, "token refresh refused"),
        Err(error) => Error::from(error).log(),
    }
}

/// The error of a connection that a person must authorize again.
fn needs_reauth(reason: Option<&str>) -> HttpError {
    upstream(
        FailureKind::Unauthorized,
        format!(
            "the connection needs to be authorized again ({})",
            reason.unwrap_or("the provider refused its token")
        ),
    )
}

fn upstream(kind: FailureKind, excerpt: String) -> HttpError {
    HttpError::Upstream {
        kind,
        status: None,
        excerpt,
    }
}

fn internal(error: Error) -> HttpError {
    error.log();
    upstream(
        FailureKind::Connection,
        "an internal error interrupted the token refresh".into(),
    )
}
