//! Patchbay: a self-hostable integration gateway with one GraphQL API in front of SaaS tools.
//!
//! This file is the map of the crate: every module with one line on what it holds.

/// Who is calling: API keys (format, hashing, scopes), the principal, authentication.
pub mod auth;
/// First start of an empty database: the `default` workspace and its admin key.
pub mod bootstrap;
/// The command line: `serve`, `migrate`, `keys`, `sync run`, `schema`, `version`, offline tools.
pub mod cli;
/// Configuration from flags and `PATCHBAY_*` environment variables.
pub mod config;
/// Connections: authenticated sessions with a connector, credentials sealed.
pub mod connections;
/// Connectors as data: the definition model, validation, the built-in catalogue, the registry.
pub mod connectors;
/// The browser console: the offline GraphiQL playground and its embedded assets.
pub mod console;
/// The master key and the cryptographic helpers built on it.
pub mod crypto;
/// Connecting to SQLite or PostgreSQL, migrations, backend-specific corners.
pub mod db;
/// Database entities (sea-orm); no GraphQL types here.
pub mod entities;
/// The crate error type and its stable codes.
pub mod error;
/// The GraphQL schema, its HTTP and WebSocket transports, one module per domain.
pub mod graphql;
/// Failure-pattern mining, explanations and sync health (pure cores).
pub mod insights;
/// Field mappings: the suggestion engine (pure core).
pub mod mapping;
/// Prometheus metrics: HTTP requests, latency, GraphQL operations and errors.
pub mod metrics;
/// The HTTP application: routes, middleware, graceful shutdown.
pub mod server;
/// The SSRF guard for URLs users give: no private, loopback or metadata targets.
pub mod ssrf;
/// Shared application state handed to every handler and resolver.
pub mod state;
/// Inbound syncs: configs, runs, the engine, leased scheduling, records, sync health.
pub mod sync;
/// Logging with `tracing`: pretty or JSON.
pub mod telemetry;
/// Webhooks: the pure cores (signatures, filters, event types, retries, inbound verification).
pub mod webhooks;
/// Workspaces, the tenants every object belongs to.
pub mod workspaces;

pub use error::{Error, Result};
