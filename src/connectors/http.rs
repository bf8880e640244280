//! The one HTTP layer every provider request goes through: the connection's base URL, the
//! definition's headers, credentials injected per auth kind, timeouts, a response size limit,
//! no redirects, and the retry policy of [`super::retry`] (backoff with jitter, `Retry-After`,
//! quota parking). Errors keep the status and a scrubbed excerpt of the provider's body.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant, SystemTime},
};

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::{
    definition::{ApiKeyLocation, Auth, Definition, Method, Request},
    paginate::{Body, PageRequest, PageResponse, Target},
    retry::{self, Attempt, Decision, FailureKind, Outcome, RetryPolicy},
    template,
};

/// Largest provider response read, in bytes.
pub const MAX_RESPONSE_BYTES: usize = 10 * 1024 * 1024;
/// Longest excerpt of a provider's error body kept for logs and errors.
pub const EXCERPT_BYTES: usize = 500;

/// What a request needs to know about its connection.
pub struct Endpoint<'a> {
    /// The connector's definition.
    pub definition: &'a Definition,
    /// Where requests go (override, or the definition's base URL filled with settings).
    pub base_url: String,
    /// The connection's settings, for header templates.
    pub settings: &'a BTreeMap<String, String>,
    /// The connection's credentials.
    pub credentials: &'a BTreeMap<String, SecretString>,
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
    /// The provider's quota is spent until this time: checkpoint and come back then.
    #[error("the provider's quota is exhausted until {until:?}")]
    Park {
        /// When to try again.
        until: SystemTime,
    },
    /// The request could not be built (a missing setting or credential, a bad URL).
    #[error("{0}")]
    Invalid(String),
}

/// The HTTP client shared by every connection of the process.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    policy: RetryPolicy,
}

impl HttpClient {
    /// A client with connect and total timeouts, gzip, and no redirects (a redirect could lead
    /// a request, and its credentials, to another host).
    pub fn new(policy: RetryPolicy) -> anyhow::Result<Self> {
        // The process uses rustls with ring (as sqlx does); install it once.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("patchbay/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, policy })
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
        let started = Instant::now();
        let mut number = 0;
        loop {
            number += 1;
            let attempt = Attempt {
                number,
                elapsed: started.elapsed(),
                refreshed: true, // static credentials: nothing to refresh (OAuth comes later)
                now: SystemTime::now(),
                random: rand::random(),
            };
            let (outcome, headers, body) =
                match self.build(endpoint, request, url.clone())?.send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let headers = lower_case_headers(response.headers());
                        let body = read_bounded(response, status).await?;
                        (Outcome::Status(status), headers, body)
                    }
                    Err(error) if error.is_timeout() => {
                        (Outcome::Timeout, BTreeMap::new(), Vec::new())
                    }
                    Err(_) => (Outcome::Connection, BTreeMap::new(), Vec::new()),
                };
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
                    return Ok(PageResponse {
                        status,
                        headers,
                        body,
                    });
                }
                Decision::RetryAfter(wait) => tokio::time::sleep(wait).await,
                Decision::Park { until } => return Err(HttpError::Park { until }),
                Decision::RefreshAndRetryOnce => {
                    return Err(self.failure(endpoint, FailureKind::Unauthorized, outcome, &body));
                }
                Decision::Fail(kind) => return Err(self.failure(endpoint, kind, outcome, &body)),
            }
        }
    }

    fn failure(
        &self,
        endpoint: &Endpoint<'_>,
        kind: FailureKind,
        outcome: Outcome,
        body: &[u8],
    ) -> HttpError {
        let secrets: Vec<&str> = endpoint
            .credentials
            .values()
            .map(|s| s.expose_secret())
            .collect();
        HttpError::Upstream {
            kind,
            status: match outcome {
                Outcome::Status(status) => Some(status),
                _ => None,
            },
            excerpt: match outcome {
                Outcome::Timeout => "the provider did not answer in time".to_owned(),
                Outcome::Connection => "the provider could not be reached".to_owned(),
                Outcome::Status(_) => retry::excerpt(body, EXCERPT_BYTES, &secrets),
            },
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
        let mut builder = self.client.request(method, url).query(&request.query);
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
