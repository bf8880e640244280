//! Webhooks: subscriptions, the outbox dispatcher and delivery worker, inbound verification;
//! the pure cores (event types, filters, retry schedules, signatures) have no I/O.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

/// Sending deliveries: claims with a lease, signed POSTs, attempts, retries, disabling.
pub mod deliver;
/// Reading and replaying deliveries.
pub mod deliveries;
/// From the outbox to one delivery per matching subscription.
pub mod dispatch;
/// Event-type patterns of a subscription (`record.updated`, `sync.*`, `*`) and their validation.
pub mod event_types;
/// The JSON filter language a subscription uses to select events by their content.
pub mod filter;
/// Verification of providers' webhook signatures: Stripe, GitHub, Shopify, Slack, HubSpot, generic.
pub mod inbound;
/// `POST /webhooks/in/{connection}`: verified provider events become record changes.
pub mod receive;
/// Deleting finished deliveries and dispatched events after the retention period.
pub mod retention;
/// Retry schedules with jitter, and the policy that disables a failing subscription.
pub mod retry;
/// Server-wide delivery settings.
pub mod settings;
/// Standard Webhooks signing and verification of outbound deliveries, and the `whsec_` secret.
pub mod signature;
/// Subscriptions: create, update, rotate the secret, delete.
pub mod subscriptions;
