//! An OAuth 2.0 provider with an API behind it, as QuickBooks, Xero or Salesforce behave:
//! an authorization page that redirects back with a code, a token endpoint (authorization
//! code with PKCE, refresh tokens that rotate on every use, client credentials) answering
//! RFC 6749 error bodies, short-lived access tokens, and an API that answers 401 to an
//! expired token. Switches let a test expire every token, revoke the grant, slow the token
//! endpoint down or make it fail.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The OAuth client registered with the fake.
pub const CLIENT_ID: &str = "fake-client-id";
/// Its secret.
pub const CLIENT_SECRET: &str = "fake-client-secret-0123456789";

/// Issued tokens and what the test can observe or switch.
#[derive(Default)]
pub struct Provider {
    codes: Mutex<HashMap<String, (String, Option<String>)>>,
    access_tokens: Mutex<HashSet<String>>,
    refresh_tokens: Mutex<HashSet<String>>,
    serial: AtomicU64,
    /// Lifetime of new access tokens, in seconds.
    pub lifetime_secs: AtomicU64,
    /// Delay of every token response, in milliseconds (widens race windows).
    pub token_delay_ms: AtomicU64,
    /// Answer this many next token requests with 503.
    pub token_unavailable: AtomicUsize,
    /// Code exchanges served.
    pub exchanges: AtomicUsize,
    /// Successful refreshes served.
    pub refreshes: AtomicUsize,
    /// Refresh requests refused with `invalid_grant`.
    pub refused_refreshes: AtomicUsize,
    /// Client-credentials tokens issued.
    pub machine_tokens: AtomicUsize,
    /// API requests answered 200.
    pub api_ok: AtomicUsize,
    /// API requests answered 401.
    pub api_unauthorized: AtomicUsize,
    /// The query of the last authorization request.
    pub last_authorize: Mutex<HashMap<String, String>>,
    /// Every token ever issued (to search for them where they must not be).
    pub issued: Mutex<Vec<String>>,
}

impl Provider {
    /// Every access token issued so far stops working (as if they had expired).
    pub fn expire_access_tokens(&self) {
        self.access_tokens.lock().unwrap().clear();
    }

    /// Every refresh token stops working (the user revoked the app).
    pub fn revoke_grant(&self) {
        self.refresh_tokens.lock().unwrap().clear();
        self.expire_access_tokens();
    }

    /// Issues tokens directly, as if a code had been exchanged earlier: (access, refresh).
    pub fn issue(&self) -> (String, String) {
        let serial = self.serial.fetch_add(1, Ordering::SeqCst);
        let access = format!("at-{serial}-{}", uuid::Uuid::new_v4().simple());
        let refresh = format!("rt-{serial}-{}", uuid::Uuid::new_v4().simple());
        self.access_tokens.lock().unwrap().insert(access.clone());
        self.refresh_tokens.lock().unwrap().insert(refresh.clone());
        self.issued
            .lock()
            .unwrap()
            .extend([access.clone(), refresh.clone()]);
        (access, refresh)
    }

    fn token_body(&self, access: String, refresh: Option<String>, base: &str) -> Value {
        let mut body = json!({
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.lifetime_secs.load(Ordering::SeqCst),
            "instance_url": base,
        });
        if let Some(refresh) = refresh {
            body["refresh_token"] = json!(refresh);
        }
        body
    }
}

/// A running fake provider.
pub struct FakeOAuth {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its state.
    pub provider: Arc<Provider>,
}

#[derive(Clone)]
struct AppState {
    provider: Arc<Provider>,
    base: String,
}

impl FakeOAuth {
    /// Starts the fake on a free port; access tokens live an hour unless changed.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let provider = Arc::new(Provider::default());
        provider.lifetime_secs.store(3600, Ordering::SeqCst);
        let router = Router::new()
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/api/me", get(me))
            .route("/api/items", get(items))
            .with_state(AppState {
                provider: provider.clone(),
                base: url.clone(),
            });
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { url, provider }
    }

    /// A connector definition for this fake: authorization code (PKCE, basic client auth)
    /// or client credentials.
    pub fn definition(&self, name: &str, client_credentials: bool) -> Value {
        let auth = if client_credentials {
            json!({"type": "oauth2_client_credentials", "token_url": format!("{}/token", self.url),
                   "scopes": ["items.read"]})
        } else {
            json!({"type": "oauth2_authorization_code",
                   "authorize_url": format!("{}/authorize", self.url),
                   "token_url": format!("{}/token", self.url),
                   "scopes": ["items.read", "offline_access"], "pkce": true, "client_auth": "basic",
                   "settings_from_token_response": {"instance_url": "instance_url"}})
        };
        json!({
            "name": name,
            "display_name": "Fake OAuth provider",
            "version": "1.0.0",
            "category": "crm",
            "base_url": "{instance_url}/api",
            "settings": [{"name": "instance_url", "format": "url", "required": !client_credentials,
                          "default": if client_credentials { json!(self.url) } else { Value::Null }}],
            "auth": auth,
            "check": {"path": "/me"},
            "streams": [{
                "name": "items",
                "request": {"path": "/items"},
                "record_path": "items",
                "primary_key": ["id"],
                "fields": [{"path": "id", "type": "string"}, {"path": "name", "type": "string"}]
            }]
        })
    }
}

async fn authorize(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    *state.provider.last_authorize.lock().unwrap() = query.clone();
    if query.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return (StatusCode::BAD_REQUEST, "unknown client").into_response();
    }
    let code = format!("code-{}", uuid::Uuid::new_v4().simple());
    let redirect = query.get("redirect_uri").cloned().unwrap_or_default();
    state.provider.codes.lock().unwrap().insert(
        code.clone(),
        (redirect.clone(), query.get("code_challenge").cloned()),
    );
    let state_param = query.get("state").cloned().unwrap_or_default();
    let mut location = url::Url::parse(&redirect).unwrap();
    location
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &state_param);
    Redirect::to(location.as_str()).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

fn client_ok(headers: &HeaderMap, form: &HashMap<String, String>) -> bool {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok());
    let expected = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    basic.as_deref() == Some(expected.as_str())
        || (form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
            && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET))
}

async fn token(State(state): State<AppState>, headers: HeaderMap, body: String) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let provider = &state.provider;
    let delay = provider.token_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if provider
        .token_unavailable
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return (StatusCode::SERVICE_UNAVAILABLE, "upstream maintenance").into_response();
    }
    if !client_ok(&headers, &form) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
    }
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = form.get("code").cloned().unwrap_or_default();
            let Some((redirect, challenge)) = provider.codes.lock().unwrap().remove(&code) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "authorization code is invalid or was already used",
                );
            };
            if form.get("redirect_uri") != Some(&redirect) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "redirect_uri mismatch",
                );
            }
            if let Some(challenge) = challenge {
                let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != challenge {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "PKCE verification failed",
                    );
                }
            }
            provider.exchanges.fetch_add(1, Ordering::SeqCst);
            let (access, refresh) = provider.issue();
            Json(provider.token_body(access, Some(refresh), &state.base)).into_response()
        }
        Some("refresh_token") => {
            let presented = form.get("refresh_token").cloned().unwrap_or_default();
            // Rotation: a refresh token works once.
            if !provider.refresh_tokens.lock().unwrap().remove(&presented) {
                provider.refused_refreshes.fetch_add(1, Ordering::SeqCst);
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Token is not valid or has expired",
                );
            }
            provider.refreshes.fetch_add(1, Ordering::SeqCst);
            let (access, refresh) = provider.issue();
            Json(provider.token_body(access, Some(refresh), &state.base)).into_response()
        }
        Some("client_credentials") => {
            provider.machine_tokens.fetch_add(1, Ordering::SeqCst);
            let (access, _) = provider.issue();
            Json(provider.token_body(access, None, &state.base)).into_response()
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type is not supported",
        ),
    }
}

/// `None` when the bearer token is valid, else the provider's 401.
fn refusal(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if state.provider.access_tokens.lock().unwrap().contains(token) {
        state.provider.api_ok.fetch_add(1, Ordering::SeqCst);
        None
    } else {
        state
            .provider
            .api_unauthorized
            .fetch_add(1, Ordering::SeqCst);
        Some((
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
            Json(
                json!({"error": "invalid_token", "error_description": "The access token expired"}),
            ),
        )
            .into_response())
    }
}

async fn me(State(state): State<AppState>, headers: HeaderMap) -> Response {
    refusal(&state, &headers).unwrap_or_else(|| Json(json!({"id": "user-1"})).into_response())
}

async fn items(State(state): State<AppState>, headers: HeaderMap) -> Response {
    refusal(&state, &headers).unwrap_or_else(|| {
        Json(json!({"items": [{"id": "1", "name": "one"}, {"id": "2", "name": "two"}]}))
            .into_response()
    })
}
