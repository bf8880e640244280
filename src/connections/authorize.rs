//! The OAuth 2.0 authorization code flow of a connection: `startOAuth` gives the provider's
//! authorization page with a signed, expiring `state` (and a PKCE challenge when the
//! definition asks); the provider redirects the person to `GET /oauth/callback`, which checks
//! the state, exchanges the code, and stores the tokens sealed.

use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use serde_json::Value;

use crate::{
    Error, Result,
    connectors::{
        definition::{Auth, OAuth2AuthorizationCode},
        http::TokenError,
        oauth::{self, Client, Grant, StateClaims, StateError},
    },
    entities::connection::{self as entity, Entity as Connections},
    state::AppState,
};

/// The purpose the state-signing key is derived for from the master key.
const STATE_KEY: &str = "patchbay/oauth-state/v1";

/// Where to send the person, and what the provider will send back.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// The provider's authorization page, with every parameter set.
    pub authorize_url: String,
    /// The redirect URI registered with the provider must be exactly this.
    pub redirect_uri: String,
    /// When the state stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// The redirect URI of this server.
pub fn redirect_uri(state: &AppState) -> String {
    format!("{}/oauth/callback", state.public_url)
}

/// Starts authorizing a connection whose connector uses the authorization code grant.
pub async fn start(state: &AppState, workspace_id: &str, id: &str) -> Result<Authorization> {
    let (row, entry) = super::find_with_connector(state, workspace_id, id).await?;
    let code_flow = code_flow(&entry.definition.auth)?;
    let credentials = super::open(state, &row)?;
    let client_id = credentials
        .get("client_id")
        .ok_or_else(|| Error::invalid_field("credentials.client_id", "required"))?;
    let mut nonce = [0u8; 16];
    rand::rng().fill_bytes(&mut nonce);
    let now = Utc::now();
    let claims = StateClaims::new(&row.id, workspace_id, now, URL_SAFE_NO_PAD.encode(nonce));
    let key = state.cipher.derive_key(STATE_KEY);
    let challenge = code_flow
        .pkce
        .then(|| oauth::pkce_challenge(&claims.pkce_verifier(&key)));
    let redirect_uri = redirect_uri(state);
    let url = oauth::authorize_url(
        code_flow,
        &super::settings_of(&row),
        client_id,
        &redirect_uri,
        &claims.sign(&key),
        challenge.as_deref(),
    )
    .map_err(Error::invalid)?;
    Ok(Authorization {
        authorize_url: url.to_string(),
        redirect_uri,
        expires_at: DateTime::from_timestamp(claims.expires_at, 0).unwrap_or(now),
    })
}

/// Completes an authorization from the redirect's query parameters; returns the connection.
pub async fn complete(state: &AppState, query: &BTreeMap<String, String>) -> Result<entity::Model> {
    let key = state.cipher.derive_key(STATE_KEY);
    let claims = StateClaims::verify(
        query.get("state").map(String::as_str).unwrap_or_default(),
        &key,
        Utc::now(),
    )
    .map_err(|e: StateError| Error::invalid_field("state", e.to_string()))?;
    if let Some(error) = query.get("error") {
        let description = query
            .get("error_description")
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        return Err(Error::invalid(format!(
            "the provider did not authorize the connection ({error}{description})"
        )));
    }
    let code = query
        .get("code")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::invalid_field("code", "the redirect carries no code"))?;
    let (row, entry) =
        super::find_with_connector(state, &claims.workspace_id, &claims.connection_id).await?;
    let code_flow = code_flow(&entry.definition.auth)?;
    let mut settings = super::settings_of(&row);
    let callback = serde_json::to_value(query).unwrap_or(Value::Null);
    settings.extend(oauth::settings_from(
        &callback,
        &code_flow.settings_from_callback,
    ));
    let mut secrets = super::open(state, &row)?;
    let secret = |name: &str| secrets.get(name).cloned().unwrap_or_default();
    let (client_id, client_secret) = (secret("client_id"), secret("client_secret"));
    let redirect_uri = redirect_uri(state);
    let verifier = code_flow.pkce.then(|| claims.pkce_verifier(&key));
    let request = oauth::token_request(
        &code_flow.token_url,
        &code_flow.token_params,
        &Client {
            id: &client_id,
            secret: &client_secret,
            auth: code_flow.client_auth,
        },
        &Grant::Code {
            code,
            redirect_uri: &redirect_uri,
            verifier: verifier.as_deref(),
        },
        &settings,
    )
    .map_err(Error::invalid)?;
    let body = state
        .http
        .token(&row.id, &request)
        .await
        .map_err(|error| match error {
            TokenError::Refused { failure, .. } => Error::Upstream(format!(
                "the provider refused the authorization code ({failure:?})"
            )),
            TokenError::Http(error) => Error::Upstream(error.to_string()),
        })?;
    let tokens = oauth::parse_tokens(&body, &code_flow.token_response, Utc::now())
        .map_err(Error::Upstream)?;
    settings.extend(oauth::settings_from(
        &body,
        &code_flow.settings_from_token_response,
    ));
    secrets.insert("access_token".into(), tokens.access_token);
    if let Some(refresh_token) = tokens.refresh_token {
        secrets.insert("refresh_token".into(), refresh_token);
    }
    store(state, &row, &secrets, &settings, tokens.expires_at).await
}

async fn store(
    state: &AppState,
    row: &entity::Model,
    secrets: &BTreeMap<String, String>,
    settings: &BTreeMap<String, String>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<entity::Model> {
    Connections::update_many()
        .col_expr(
            entity::Column::CredentialsSealed,
            Expr::value(super::seal(state, secrets, &row.id)?),
        )
        .col_expr(
            entity::Column::CredentialFields,
            Expr::value(super::field_names(secrets)),
        )
        .col_expr(
            entity::Column::CredentialsVersion,
            Expr::col(entity::Column::CredentialsVersion).add(1),
        )
        .col_expr(
            entity::Column::Settings,
            Expr::value(serde_json::to_string(settings).map_err(Error::internal)?),
        )
        .col_expr(entity::Column::TokenExpiresAt, Expr::value(expires_at))
        .col_expr(entity::Column::Status, Expr::value("active"))
        .col_expr(entity::Column::StatusReason, Expr::value(None::<String>))
        .col_expr(entity::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(entity::Column::Id.eq(row.id.as_str()))
        .exec(&state.db)
        .await?;
    Connections::find_by_id(row.id.as_str())
        .one(&state.db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("connection `{}`", row.id)))
}

fn code_flow(auth: &Auth) -> Result<&OAuth2AuthorizationCode> {
    match auth {
        Auth::Oauth2AuthorizationCode(code) => Ok(code),
        _ => Err(Error::invalid_field(
            "connection",
            "its connector does not use the OAuth authorization code flow",
        )),
    }
}
