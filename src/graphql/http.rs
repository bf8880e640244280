//! GraphQL over HTTP: `POST /graphql` and `GET /graphql`, answering
//! `application/graphql-response+json` or `application/json` as the client accepts.
//!
//! Every rejection is a GraphQL-shaped body `{"errors": [{message, extensions: {code, requestId}}]}`
//! with a stable code, so clients handle one error format whatever went wrong.

use async_graphql::{BatchRequest, BatchResponse, ServerError};
use axum::{
    body::Body,
    extract::{RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::operation::{METHOD_NOT_ALLOWED, ViaGet};
use crate::{
    Error,
    auth::{Principal, rate_limit::Decision},
    error::INTERNAL_MESSAGE,
    server::ServerState,
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// Codes of rejections that happen before or around execution.
pub mod codes {
    /// The body exceeds `PATCHBAY_MAX_BODY_BYTES`.
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    /// The request is not a well-formed GraphQL request (JSON, GraphQL syntax, validation).
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// The selection nests deeper than `PATCHBAY_MAX_QUERY_DEPTH`.
    pub const QUERY_TOO_DEEP: &str = "QUERY_TOO_DEEP";
    /// The query costs more than `PATCHBAY_MAX_QUERY_COMPLEXITY`.
    pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
}

/// `POST /graphql` with a JSON body: one operation or a batch.
pub async fn graphql_post(
    State(server): State<ServerState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut call = Call::new(&headers);
    let principal = match call.admit(&server, &headers).await {
        Ok(principal) => principal,
        Err(rejection) => return rejection,
    };
    if let Some(content_type) = headers.get(header::CONTENT_TYPE)
        && !is_json(content_type)
    {
        return call.reject(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            codes::BAD_REQUEST,
            "send the request as `Content-Type: application/json`".into(),
        );
    }
    let max = server.app.limits.max_body_bytes;
    let too_large = || {
        call.reject(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::PAYLOAD_TOO_LARGE,
            format!("the request body exceeds the limit of {max} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > max) {
        return too_large();
    }
    let Ok(bytes) = axum::body::to_bytes(body, max).await else {
        return too_large();
    };
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(batch) => batch,
        Err(error) => {
            return call.reject(
                StatusCode::BAD_REQUEST,
                codes::BAD_REQUEST,
                format!(
                    "the body is not a GraphQL request (`{{\"query\": …, \"variables\": …}}` or a list of them): {error}"
                ),
            );
        }
    };
    call.execute(&server, principal, batch, false).await
}

/// `GET /graphql?query=…&variables=…`: queries only.
pub async fn graphql_get(
    State(server): State<ServerState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let mut call = Call::new(&headers);
    let principal = match call.admit(&server, &headers).await {
        Ok(principal) => principal,
        Err(rejection) => return rejection,
    };
    let request = match async_graphql::http::parse_query_string(query.as_deref().unwrap_or("")) {
        Ok(request) if !request.query.is_empty() => request,
        Ok(_) => {
            return call.reject(
                StatusCode::BAD_REQUEST,
                codes::BAD_REQUEST,
                "a `query` parameter is required".into(),
            );
        }
        Err(error) => {
            return call.reject(
                StatusCode::BAD_REQUEST,
                codes::BAD_REQUEST,
                format!("the query string is not a GraphQL request: {error}"),
            );
        }
    };
    call.execute(&server, principal, BatchRequest::Single(request), true)
        .await
}

/// What one HTTP call needs to answer: its request id, the format the client accepts, and
/// the rate-limit state to report.
struct Call {
    request_id: String,
    modern: bool,
    rate: Option<Decision>,
}

impl Call {
    fn new(headers: &HeaderMap) -> Self {
        Self {
            request_id: headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            modern: headers
                .get_all(header::ACCEPT)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| v.contains(GRAPHQL_RESPONSE_JSON)),
            rate: None,
        }
    }

    /// Authenticates and rate-limits the caller before the body is read: an unauthenticated
    /// or throttled call costs no parsing.
    async fn admit(
        &mut self,
        server: &ServerState,
        headers: &HeaderMap,
    ) -> Result<Principal, Response> {
        let (principal, decision) = super::admit(server, crate::auth::token_from_headers(headers))
            .await
            .map_err(|error| self.reject_error(&error))?;
        self.rate = decision;
        Ok(principal)
    }

    async fn execute(
        &self,
        server: &ServerState,
        principal: Principal,
        batch: BatchRequest,
        via_get: bool,
    ) -> Response {
        let max_batch = server.app.limits.max_batch_size;
        let prepare = |request: async_graphql::Request| {
            let request = request.data(principal.clone());
            if via_get {
                request.data(ViaGet)
            } else {
                request
            }
        };
        if batch.iter().any(|request| request.query.trim().is_empty()) {
            return self.reject(
                StatusCode::BAD_REQUEST,
                codes::BAD_REQUEST,
                "every request needs a non-empty `query`".into(),
            );
        }
        let batch = match batch {
            BatchRequest::Single(request) => BatchRequest::Single(prepare(request)),
            BatchRequest::Batch(requests) if requests.len() > max_batch => {
                return self.reject(
                    StatusCode::BAD_REQUEST,
                    codes::BAD_REQUEST,
                    format!(
                        "a batch may hold at most {max_batch} operations; this one has {}",
                        requests.len()
                    ),
                );
            }
            BatchRequest::Batch(requests) if requests.is_empty() => {
                return self.reject(
                    StatusCode::BAD_REQUEST,
                    codes::BAD_REQUEST,
                    "the batch is empty".into(),
                );
            }
            BatchRequest::Batch(requests) => {
                BatchRequest::Batch(requests.into_iter().map(prepare).collect())
            }
        };
        let mut response = server.schema.execute_batch(batch).await;
        let status = match &mut response {
            BatchResponse::Single(single) => {
                self.finish_errors(server, &mut single.errors);
                self.status_of(&single.errors)
            }
            BatchResponse::Batch(many) => {
                for single in many.iter_mut() {
                    self.finish_errors(server, &mut single.errors);
                }
                StatusCode::OK
            }
        };
        let body = match serde_json::to_vec(&response) {
            Ok(body) => body,
            Err(error) => {
                Error::internal(error).log();
                return self.reject(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    INTERNAL_MESSAGE.into(),
                );
            }
        };
        self.respond(status, body)
    }

    /// Gives every error a stable code and the request id, and counts it.
    fn finish_errors(&self, server: &ServerState, errors: &mut [ServerError]) {
        for error in errors {
            let existing = error
                .extensions
                .as_ref()
                .and_then(|e| e.get("code"))
                .and_then(|code| match code {
                    async_graphql::Value::String(code) => Some(code.clone()),
                    _ => None,
                });
            let code = existing.unwrap_or_else(|| classify(error).to_owned());
            if code == "INTERNAL" {
                error.message = INTERNAL_MESSAGE.to_owned();
            }
            server.app.metrics.graphql_error(&code);
            let extensions = error.extensions.get_or_insert_with(Default::default);
            extensions.set("code", code);
            extensions.set("requestId", self.request_id.as_str());
        }
    }

    /// The status of a single response: GraphQL over HTTP says a request that failed before
    /// execution (no `path` on any error) is a 4xx for `application/graphql-response+json`.
    fn status_of(&self, errors: &[ServerError]) -> StatusCode {
        let code_of = |e: &ServerError| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        if errors
            .iter()
            .any(|e| code_of(e).contains(METHOD_NOT_ALLOWED))
        {
            return StatusCode::METHOD_NOT_ALLOWED;
        }
        let request_error = !errors.is_empty() && errors.iter().all(|e| e.path.is_empty());
        if self.modern && request_error {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        }
    }

    fn reject(&self, status: StatusCode, code: &str, message: String) -> Response {
        self.reject_with(status, code, message, serde_json::Map::new())
    }

    /// A rejection whose error carries `extra` extensions beside the code and request id.
    fn reject_with(
        &self,
        status: StatusCode,
        code: &str,
        message: String,
        mut extra: serde_json::Map<String, serde_json::Value>,
    ) -> Response {
        extra.insert("code".into(), code.into());
        extra.insert("requestId".into(), self.request_id.as_str().into());
        let body = json!({ "errors": [{ "message": message, "extensions": extra }] });
        let mut response = self.respond(status, body.to_string().into_bytes());
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"patchbay\""),
            );
        }
        response
    }

    /// Rejects the whole call with a crate error, adding `Retry-After` and `RateLimit-*`
    /// headers to a rate-limit rejection.
    fn reject_error(&self, error: &Error) -> Response {
        error.log();
        let throttled = match error {
            Error::RateLimited {
                retry_after_secs,
                limit,
            } => Some((*retry_after_secs, *limit)),
            _ => None,
        };
        let mut extra = serde_json::Map::new();
        if let Some((retry_after, _)) = throttled {
            extra.insert("retryAfter".into(), retry_after.into());
        }
        let mut response =
            self.reject_with(error.status(), error.code(), error.public_message(), extra);
        if let Some((retry_after, limit)) = throttled {
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, retry_after.into());
            headers.insert("ratelimit-limit", limit.into());
            headers.insert("ratelimit-remaining", 0.into());
            headers.insert("ratelimit-reset", retry_after.into());
        }
        response
    }

    fn respond(&self, status: StatusCode, body: Vec<u8>) -> Response {
        let content_type = if self.modern {
            "application/graphql-response+json; charset=utf-8"
        } else {
            "application/json"
        };
        let mut response = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
        if let Some(Decision::Allowed {
            limit,
            remaining,
            reset_secs,
        }) = self.rate
        {
            let headers = response.headers_mut();
            headers.insert("ratelimit-limit", limit.into());
            headers.insert("ratelimit-remaining", remaining.into());
            headers.insert("ratelimit-reset", reset_secs.into());
        }
        response
    }
}

/// A code for errors raised by the GraphQL engine itself (parsing, validation, limits).
fn classify(error: &ServerError) -> &'static str {
    match error.message.as_str() {
        "Query is nested too deep." => codes::QUERY_TOO_DEEP,
        "Query is too complex." => codes::QUERY_TOO_COMPLEX,
        _ if error.path.is_empty() => codes::BAD_REQUEST,
        _ => "INTERNAL",
    }
}

fn is_json(content_type: &HeaderValue) -> bool {
    content_type
        .to_str()
        .map(|v| {
            let essence = v.split(';').next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case("application/json")
                || essence.eq_ignore_ascii_case("application/graphql-response+json")
        })
        .unwrap_or(false)
}
