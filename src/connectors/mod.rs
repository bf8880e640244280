//! Connectors are data: the declarative definition model, its `{placeholder}` templates and
//! JSON paths, and its validation, all pure (no I/O, no clock, no network); the built-in
//! catalogue compiled in; and the registry that adds each workspace's own connectors.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

/// The built-in catalogue, compiled in.
pub mod catalog;
/// The definition model (serde types) and its generated JSON Schema.
pub mod definition;
/// The one HTTP layer: auth injection, timeouts, size limit, retries (I/O).
pub mod http;
/// OAuth 2.0: authorization URL, signed state, PKCE, token requests and responses (pure).
pub mod oauth;
/// The pagination state machine: the next request and the records of each page (pure).
pub mod paginate;
/// Paths into JSON documents (`data`, `QueryResponse.Customer`, `['@odata.nextLink']`).
pub mod path;
/// Built-in plus the workspace's registered connectors (database).
pub mod registry;
/// The retry policy: backoff with jitter, `Retry-After`, quota parking, error excerpts (pure).
pub mod retry;
/// `{placeholder}` templates: parsing, listing and rendering.
pub mod template;
/// Per-connection pacing: governor limiters and quotas learned from provider headers.
pub mod throttle;
/// Parsing with path-naming errors, and the semantic checks of a definition.
pub mod validate;

#[cfg(test)]
mod tests;
