//! The crate error type. Every variant maps to one fixed `extensions.code` and HTTP status.
//!
//! Callers see the code and a safe message; internal causes are logged with their whole chain
//! (inside the request's span, so the log line carries the request id) and never sent out.

use async_graphql::ErrorExtensions;
use axum::http::StatusCode;

/// The result type of Patchbay's domain functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong, in the terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No credential, or one that is malformed, unknown, revoked or expired.
    #[error("{0}")]
    Unauthenticated(String),
    /// A valid credential without the scope this operation needs.
    #[error("{0}")]
    Forbidden(String),
    /// Too many requests for this key; retry after the given number of seconds.
    #[error("rate limit of {limit} requests per minute exceeded; retry after {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a request will be accepted again.
        retry_after_secs: u64,
        /// The key's limit, in requests per minute.
        limit: u32,
    },
    /// The object does not exist in the caller's workspace.
    #[error("{0} not found")]
    NotFound(String),
    /// The input is invalid; `field` names the offending part when known.
    #[error("{message}")]
    InvalidInput {
        /// What is wrong, in plain words.
        message: String,
        /// Path of the offending input, e.g. `input.scopes[1]`.
        field: Option<String>,
    },
    /// A connector definition with problems; every one names its path.
    #[error("the connector definition is invalid: {}", summary(.0))]
    InvalidDefinition(Vec<crate::connectors::validate::DefinitionError>),
    /// The operation conflicts with the current state (e.g. a duplicate name).
    #[error("{0}")]
    Conflict(String),
    /// An external provider failed; the message is the provider's, with secrets removed.
    #[error("upstream error: {0}")]
    Upstream(String),
    /// A bug or an infrastructure failure; details are only in the logs.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Error {
    /// Invalid input without a specific field.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidInput {
            message: message.into(),
            field: None,
        }
    }

    /// Invalid input naming the offending field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// Wraps any failure as an internal error.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    /// The stable, SCREAMING_SNAKE code callers match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::NotFound(_) => "NOT_FOUND",
            Self::InvalidInput { .. } | Self::InvalidDefinition(_) => "INVALID_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::Upstream(_) => "UPSTREAM_ERROR",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The HTTP status used when this error rejects a whole request.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::InvalidInput { .. } | Self::InvalidDefinition(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message shown to callers; internal details are replaced by a generic sentence.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => INTERNAL_MESSAGE.to_owned(),
            other => other.to_string(),
        }
    }

    /// Logs internal causes with their chain; other errors are the caller's and stay quiet.
    pub fn log(&self) {
        if let Self::Internal(source) = self {
            tracing::error!(error.chain = format!("{source:#}"), "internal error");
        }
    }
}

fn summary(errors: &[crate::connectors::validate::DefinitionError]) -> String {
    match errors {
        [] => "no details".to_owned(),
        [only] => only.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

/// What callers read instead of an internal error's details.
pub const INTERNAL_MESSAGE: &str =
    "internal error; the server logged the details under this request id";

impl From<sea_orm::DbErr> for Error {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Internal(error.into())
    }
}

impl From<sea_orm::TransactionError<Error>> for Error {
    fn from(error: sea_orm::TransactionError<Error>) -> Self {
        match error {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(inner) => inner,
        }
    }
}

impl ErrorExtensions for Error {
    fn extend(&self) -> async_graphql::Error {
        self.log();
        async_graphql::Error::new(self.public_message()).extend_with(|_, extensions| {
            extensions.set("code", self.code());
            match self {
                Self::InvalidInput {
                    field: Some(field), ..
                } => extensions.set("field", field.as_str()),
                Self::RateLimited {
                    retry_after_secs, ..
                } => extensions.set("retryAfter", *retry_after_secs),
                Self::InvalidDefinition(errors) => {
                    if let Some(first) = errors.first() {
                        extensions.set("path", first.path.as_str());
                    }
                    let all: Vec<async_graphql::Value> = errors
                        .iter()
                        .map(|e| {
                            async_graphql::Value::from_json(serde_json::json!({
                                "path": e.path, "message": e.message
                            }))
                            .unwrap_or_default()
                        })
                        .collect();
                    extensions.set("errors", all);
                }
                _ => {}
            }
        })
    }
}

/// Turns a domain result into a GraphQL result carrying the error's code.
pub trait GqlResultExt<T> {
    /// Converts the error with [`ErrorExtensions::extend`].
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResultExt<T> for Result<T> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|error| error.extend())
    }
}
