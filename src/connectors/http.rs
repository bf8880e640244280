//! The one HTTP layer every provider request goes through: the connection's base URL, the
//! definition's headers, credentials injected per auth kind, timeouts, a response size limit,
//! no redirects, and the retry policy of [`super::retry`] (backoff with jitter, `Retry-After`,
//! quota parking). Errors keep the status and a scrubbed excerpt of the provider's body.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::{
    definition::{ApiKeyLocation, Auth, Definition, Method, RateLimit, Request},
    oauth::{self, TokenFailure, TokenRequest},
    paginate::{Body, PageRequest, PageResponse, Target},
    retry::{self, Attempt, Decision, FailureKind, Outcome, RetryPolicy},
    template,
    throttle::{Admission, Throttle},
};
use crate::ssrf;

/// Largest provider response read, in bytes.
pub const MAX_RESPONSE_BYTES: usize = 10 * 1024 * 1024;
/// Longest excerpt of a provider's error body kept for logs and errors.
pub const EXCERPT_BYTES: usize = 500;

/// What a request needs to know about its connection.
pub struct Endpoint<'a> {
    /// The connection's id: its requests share one rate limiter and one learned quota.
    pub connection_id: &'a str,
    /// The connector's definition.
    pub definition: &'a Definition,
    /// Where requests go (override, or the definition's base URL filled with settings).
    pub base_url: String,
    /// The connection's settings, for header templates.
    pub settings: &'a BTreeMap<String, String>,
    /// The connection's credentials.
    pub credentials: &'a BTreeMap<String, SecretString>,
    /// The rate limit to keep (the stream's, else the definition's).
    pub rate_limit: Option<RateLimit>,
    /// Whether a 401 should come back as [`HttpError::TokenRefused`] so the caller can refresh
    /// the token and retry once (OAuth connections whose token was not just refreshed).
    pub refreshable: bool,
}

/// Why a provider request failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The provider answered with an error, or could not be reached, after the retries.
    #[error("{kind:?} from the provider{}: {excerpt}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Upstream {
        /// What went wrong.
        kind: FailureKind,
        /// The HTTP status, when there was an answer.
        status: Option<u16>,
        /// The provider's error body, bounded, with credentials scrubbed.
        excerpt: String,
    },
    /// The provider refused the access token (401): refresh it and retry once.
    #[error("the provider refused the access token (HTTP 401): {excerpt}")]
    TokenRefused {
        /// The provider's error body, bounded, with credentials scrubbed.
        excerpt: String,
    },
    /// The provider's quota is spent until this time: checkpoint and come back then.
    #[error("the provider's quota is exhausted until {}", httpdate::fmt_http_date(*until))]
    Park {
        /// When to try again.
        until: SystemTime,
    },
    /// The request could not be built (a missing setting or credential, a bad URL), or its
    /// target is a private address the operator does not allow.
    #[error("{0}")]
    Invalid(String),
}

/// A token endpoint's answer that is not a token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The endpoint refused the grant (4xx): see [`oauth::token_failure`].
    #[error("the token endpoint refused (HTTP {status}): {failure:?}")]
    Refused {
        /// Its status.
        status: u16,
        /// Revoked grant or another refusal, with the provider's message.
        failure: TokenFailure,
    },
    /// The endpoint could not be reached or failed (5xx, timeout): try again later.
    #[error(transparent)]
    Http(#[from] HttpError),
}

/// Timeouts and the network policy of the provider client.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// How long a TCP/TLS connection may take.
    pub connect_timeout: Duration,
    /// How long a whole request may take, body included.
    pub timeout: Duration,
    /// Whether providers may be reached on private networks (else checked at connect time).
    pub allow_private_networks: bool,
    /// Retries and quota parking.
    pub retry: RetryPolicy,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            allow_private_networks: false,
            retry: RetryPolicy::default(),
        }
    }
}

/// The HTTP client shared by every connection of the process.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    policy: RetryPolicy,
    allow_private_networks: bool,
    throttle: Arc<Throttle>,
}

/// What one round of [`HttpClient::execute`] ended with.
enum Executed {
    Done(PageResponse),
    /// A 401 the caller may answer by refreshing the token.
    Refused(Vec<u8>),
    Failed {
        kind: FailureKind,
        outcome: Outcome,
        body: Vec<u8>,
    },
}

impl HttpClient {
    /// A client with connect and total timeouts, gzip, no redirects (a redirect could lead a
    /// request, and its credentials, to another host), and — unless private networks are
    /// allowed — a resolver that refuses private addresses at connect time.
    pub fn new(options: HttpOptions) -> anyhow::Result<Self> {
        // The process uses rustls with ring (as sqlx does); install it once.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("patchbay/", env!("CARGO_PKG_VERSION")));
        if !options.allow_private_networks {
            builder = builder.dns_resolver(Arc::new(ssrf::PublicOnlyResolver));
        }
        Ok(Self {
            client: builder.build()?,
            policy: options.retry,
            allow_private_networks: options.allow_private_networks,
            throttle: Arc::new(Throttle::default()),
        })
    }

    /// The pacing state of every connection (for tests and for forgetting a deleted one).
    pub fn throttle(&self) -> &Throttle {
        &self.throttle
    }

    /// Sends a request with retries; returns the 2xx answer with its JSON body.
    pub async fn send(
        &self,
        endpoint: &Endpoint<'_>,
        request: &PageRequest,
    ) -> Result<PageResponse, HttpError> {
        let url = request
            .url(&endpoint.base_url)
            .map_err(|e| HttpError::Invalid(e.to_string()))?;
        same_origin(&url, &endpoint.base_url)?;
        let secrets: Vec<&str> = endpoint
            .credentials
            .values()
            .map(|s| s.expose_secret())
            .collect();
        let build = || self.build(endpoint, request, url.clone());
        let pace = Pace {
            connection_id: endpoint.connection_id,
            rate_limit: endpoint.rate_limit.as_ref(),
            refreshable: endpoint.refreshable,
        };
        match self.execute(&url, build, &pace).await? {
            Executed::Done(response) => Ok(response),
            Executed::Refused(body) => Err(HttpError::TokenRefused {
                excerpt: retry::excerpt(&body, EXCERPT_BYTES, &secrets),
            }),
            Executed::Failed {
                kind,
                outcome,
                body,
            } => Err(failure(kind, outcome, &body, &secrets)),
        }
    }

    /// Calls a token endpoint (code exchange, refresh, client credentials) with retries on
    /// transient failures; returns the token response's JSON.
    pub async fn token(
        &self,
        connection_id: &str,
        request: &TokenRequest,
    ) -> Result<Value, TokenError> {
        let url = ssrf::parse_url(&request.url, "token_url")
            .map_err(|e| HttpError::Invalid(e.to_string()))?;
        let secrets: Vec<&str> = request
            .form
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "grant_type" | "redirect_uri" | "scope"))
            .map(|(_, value)| value.as_str())
            .chain(request.basic.iter().map(|(_, secret)| secret.as_str()))
            .collect();
        let build = || {
            let mut builder = self
                .client
                .post(url.clone())
                .header(reqwest::header::ACCEPT, "application/json")
                .form(&request.form);
            if let Some((id, secret)) = &request.basic {
                builder = builder.basic_auth(id, Some(secret));
            }
            Ok(builder)
        };
        let pace = Pace {
            connection_id,
            rate_limit: None,
            refreshable: false,
        };
        // Token requests are never refreshable: a 401 is a refusal like any other 4xx.
        let (kind, outcome, body) = match self.execute(&url, build, &pace).await? {
            Executed::Done(response) => return Ok(response.body),
            Executed::Refused(body) => (FailureKind::Unauthorized, Outcome::Status(401), body),
            Executed::Failed {
                kind,
                outcome,
                body,
            } => (kind, outcome, body),
        };
        match outcome {
            Outcome::Status(status) if (400..500).contains(&status) && status != 429 => {
                let scrub = |text: &[u8]| retry::excerpt(text, EXCERPT_BYTES, &secrets);
                let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let failure = match oauth::token_failure(&json, &scrub(&body)) {
                    TokenFailure::Revoked(message) => {
                        TokenFailure::Revoked(scrub(message.as_bytes()))
                    }
                    TokenFailure::Rejected(message) => {
                        TokenFailure::Rejected(scrub(message.as_bytes()))
                    }
                };
                Err(TokenError::Refused { status, failure })
            }
            _ => Err(failure(kind, outcome, &body, &secrets).into()),
        }
    }

    /// Sends with pacing and retries until the policy says done, fail or park.
    async fn execute(
        &self,
        url: &url::Url,
        build: impl Fn() -> Result<reqwest::RequestBuilder, HttpError>,
        pace: &Pace<'_>,
    ) -> Result<Executed, HttpError> {
        if !self.allow_private_networks && ssrf::refuses_literal(url) {
            return Err(HttpError::Invalid(format!(
                "`{}` is a private, loopback or link-local address; an operator can allow such \
                 targets with PATCHBAY_ALLOW_PRIVATE_NETWORKS=true",
                url.host_str().unwrap_or_default()
            )));
        }
        let started = Instant::now();
        let mut number = 0;
        loop {
            self.wait_for_turn(pace).await?;
            number += 1;
            let attempt = Attempt {
                number,
                elapsed: started.elapsed(),
                refreshed: !pace.refreshable,
                now: SystemTime::now(),
                random: rand::random(),
            };
            let (outcome, headers, body) = match build()?.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = lower_case_headers(response.headers());
                    let body = read_bounded(response, status).await?;
                    (Outcome::Status(status), headers, body)
                }
                Err(error) if error.is_timeout() => (Outcome::Timeout, BTreeMap::new(), Vec::new()),
                Err(error) if ssrf::is_refusal(&error) => {
                    return Err(HttpError::Invalid(format!(
                        "{}; an operator can allow private targets with \
                         PATCHBAY_ALLOW_PRIVATE_NETWORKS=true",
                        ssrf::Refused(url.host_str().unwrap_or_default().to_owned())
                    )));
                }
                Err(_) => (Outcome::Connection, BTreeMap::new(), Vec::new()),
            };
            if let Some(until) = retry::exhausted_until(&headers, attempt.now) {
                self.throttle.hold_until(pace.connection_id, until);
            }
            match retry::classify(outcome, &headers, &attempt, &self.policy) {
                Decision::Done => {
                    let status = match outcome {
                        Outcome::Status(status) => status,
                        _ => 200,
                    };
                    let body = if body.is_empty() {
                        Value::Null
                    } else {
                        serde_json::from_slice(&body).map_err(|e| HttpError::Upstream {
                            kind: FailureKind::Unexpected(status),
                            status: Some(status),
                            excerpt: format!("the response is not JSON ({e})"),
                        })?
                    };
                    return Ok(Executed::Done(PageResponse {
                        status,
                        headers,
                        body,
                    }));
                }
                Decision::RetryAfter(wait) => tokio::time::sleep(wait).await,
                Decision::Park { until } => {
                    self.throttle.hold_until(pace.connection_id, until);
                    return Err(HttpError::Park { until });
                }
                Decision::RefreshAndRetryOnce => return Ok(Executed::Refused(body)),
                Decision::Fail(kind) => {
                    return Ok(Executed::Failed {
                        kind,
                        outcome,
                        body,
                    });
                }
            }
        }
    }

    /// Waits for the connection's limiter and learned quota; parks when the wait is long.
    async fn wait_for_turn(&self, pace: &Pace<'_>) -> Result<(), HttpError> {
        loop {
            let now = SystemTime::now();
            match self.throttle.admit(
                pace.connection_id,
                pace.rate_limit,
                now,
                self.policy.park_after,
            ) {
                Admission::Go => return Ok(()),
                Admission::Wait(wait) => tokio::time::sleep(wait).await,
                Admission::Park(until) => return Err(HttpError::Park { until }),
            }
        }
    }

    fn build(
        &self,
        endpoint: &Endpoint<'_>,
        request: &PageRequest,
        url: url::Url,
    ) -> Result<reqwest::RequestBuilder, HttpError> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        // `url` already carries the request's query (see `PageRequest::url`).
        let mut builder = self.client.request(method, url);
        for (name, value) in &endpoint.definition.headers {
            let value = template::render(value, |key| endpoint.settings.get(key).cloned())
                .map_err(|e| HttpError::Invalid(format!("header `{name}`: {e}")))?;
            builder = builder.header(name, value);
        }
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        builder = authorize(builder, endpoint)?;
        builder = match &request.body {
            Some(Body::Json(value)) => builder.json(value),
            Some(Body::Form(pairs)) => builder.form(pairs),
            None => builder,
        };
        Ok(builder.header(reqwest::header::ACCEPT, "application/json"))
    }
}

/// Refuses a request (a next-page link, typically) that leaves the connection's origin: the
/// credentials go only where the connection points.
fn same_origin(url: &url::Url, base_url: &str) -> Result<(), HttpError> {
    let base = url::Url::parse(base_url).map_err(|e| HttpError::Invalid(e.to_string()))?;
    if url.origin() == base.origin() {
        return Ok(());
    }
    Err(HttpError::Invalid(format!(
        "the provider pointed at another origin ({}); credentials are only sent to {}",
        url.origin().ascii_serialization(),
        base.origin().ascii_serialization()
    )))
}

/// Which connection a request paces with, and whether a 401 may be refreshed.
struct Pace<'a> {
    connection_id: &'a str,
    rate_limit: Option<&'a RateLimit>,
    refreshable: bool,
}

/// The error of a failed request: its status and a scrubbed excerpt of the body.
fn failure(kind: FailureKind, outcome: Outcome, body: &[u8], secrets: &[&str]) -> HttpError {
    HttpError::Upstream {
        kind,
        status: match outcome {
            Outcome::Status(status) => Some(status),
            _ => None,
        },
        excerpt: match outcome {
            Outcome::Timeout => "the provider did not answer in time".to_owned(),
            Outcome::Connection => "the provider could not be reached".to_owned(),
            Outcome::Status(_) => retry::excerpt(body, EXCERPT_BYTES, secrets),
        },
    }
}

/// Adds the connection's credentials the way the connector's auth kind says.
fn authorize(
    builder: reqwest::RequestBuilder,
    endpoint: &Endpoint<'_>,
) -> Result<reqwest::RequestBuilder, HttpError> {
    let credential = |name: &str| {
        endpoint
            .credentials
            .get(name)
            .map(|s| s.expose_secret().to_owned())
            .ok_or_else(|| HttpError::Invalid(format!("the connection has no `{name}` credential")))
    };
    Ok(match &endpoint.definition.auth {
        Auth::None(_) => builder,
        Auth::Bearer(_) => builder.bearer_auth(credential("token")?),
        Auth::Basic(_) => {
            builder.basic_auth(credential("username")?, Some(credential("password")?))
        }
        Auth::ApiKey(key) => {
            let value = format!(
                "{}{}",
                key.prefix.clone().unwrap_or_default(),
                credential("api_key")?
            );
            match key.location {
                ApiKeyLocation::Header => builder.header(&key.name, value),
                ApiKeyLocation::Query => builder.query(&[(&key.name, value)]),
            }
        }
        Auth::Oauth2AuthorizationCode(oauth) => {
            let token = credential("access_token")?;
            let placement = &oauth.token_placement;
            builder.header(&placement.header, format!("{}{token}", placement.prefix))
        }
        Auth::Oauth2ClientCredentials(_) => builder.bearer_auth(credential("access_token")?),
    })
}

/// The request of a definition's `check` (or any plain request) with settings filled in.
pub fn render_request(
    request: &Request,
    settings: &BTreeMap<String, String>,
) -> Result<PageRequest, HttpError> {
    let fill = |text: &str| {
        template::render(text, |name| settings.get(name).cloned())
            .map_err(|e| HttpError::Invalid(e.to_string()))
    };
    let mut query = Vec::new();
    for (name, value) in &request.query {
        query.push((name.clone(), fill(value)?));
    }
    let mut headers = BTreeMap::new();
    for (name, value) in &request.headers {
        headers.insert(name.clone(), fill(value)?);
    }
    let body = match &request.body {
        Some(template_body) => {
            let mut resolve = |name: &str| settings.get(name).map(|v| Value::String(v.clone()));
            let rendered = template::render_json(template_body, &mut resolve)
                .map_err(|e| HttpError::Invalid(e.to_string()))?;
            Some(Body::Json(rendered))
        }
        None => None,
    };
    Ok(PageRequest {
        method: request.method,
        target: Target::Path(fill(&request.path)?),
        query,
        headers,
        body,
    })
}

fn lower_case_headers(headers: &reqwest::header::HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        out.entry(name.as_str().to_ascii_lowercase())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(&value);
            })
            .or_insert(value);
    }
    out
}

/// Reads the body, refusing more than [`MAX_RESPONSE_BYTES`].
async fn read_bounded(mut response: reqwest::Response, status: u16) -> Result<Vec<u8>, HttpError> {
    let too_large = || HttpError::Upstream {
        kind: FailureKind::Unexpected(status),
        status: Some(status),
        excerpt: format!("the response is larger than {MAX_RESPONSE_BYTES} bytes"),
    };
    if response
        .content_length()
        .is_some_and(|len| len as usize > MAX_RESPONSE_BYTES)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(error) if error.is_timeout() => {
                return Err(HttpError::Upstream {
                    kind: FailureKind::Timeout,
                    status: None,
                    excerpt: "the provider did not finish its answer in time".to_owned(),
                });
            }
            Err(_) => {
                return Err(HttpError::Upstream {
                    kind: FailureKind::Connection,
                    status: None,
                    excerpt: "the connection broke while reading the answer".to_owned(),
                });
            }
        }
    }
}
