//! Webhooks: the pure cores (no I/O) of outbound deliveries and inbound verification.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

/// Event-type patterns of a subscription (`record.updated`, `sync.*`, `*`) and their validation.
pub mod event_types;
/// The JSON filter language a subscription uses to select events by their content.
pub mod filter;
/// Verification of providers' webhook signatures: Stripe, GitHub, Shopify, Slack, HubSpot, generic.
pub mod inbound;
/// Retry schedules with jitter, and the policy that disables a failing subscription.
pub mod retry;
/// Standard Webhooks signing and verification of outbound deliveries, and the `whsec_` secret.
pub mod signature;
