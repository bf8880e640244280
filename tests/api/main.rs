//! Patchbay's integration tests: one binary, a real server on port 0 per test, a fresh
//! database per test (SQLite file, or a fresh PostgreSQL database when
//! `PATCHBAY_TEST_DATABASE_URL` is set). Set `TEST_LOG=1` to see the server's logs.

mod api_keys;
mod auth;
mod cli;
mod connections;
mod connectors;
mod console;
mod graphql_http;
mod helpers;
mod insights;
mod mappings;
mod oauth;
mod observability;
mod pagination;
mod schema;
mod shutdown;
#[path = "../support/mod.rs"]
mod support;
mod syncs;
mod webhooks;
mod websocket;
