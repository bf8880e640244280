//! Database entities (sea-orm). API types live in `graphql`; nothing here derives GraphQL.

pub mod alert;
pub mod api_key;
pub mod connection;
pub mod connector;
pub mod field_mapping;
pub mod inbound_webhook_event;
pub mod mapping_feedback;
pub mod outbox_event;
pub mod record;
pub mod sync;
pub mod sync_log;
pub mod sync_run;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_subscription;
pub mod workspace;
