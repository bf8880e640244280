//! Server-wide settings of outbound webhook delivery.

use std::time::Duration;

use chrono::TimeDelta;

use super::retry::{DisablePolicy, RetrySchedule};

/// How the delivery worker behaves.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Delays between attempts when a subscription has no schedule of its own.
    pub retry_schedule: RetrySchedule,
    /// When a continuously failing subscription is disabled.
    pub disable: DisablePolicy,
    /// Deliveries in flight at once in this process.
    pub concurrency: usize,
    /// How long a claimed delivery is held; a crashed process's deliveries wait this long.
    pub lease: Duration,
    /// How often to look for new events and due retries when nothing wakes the worker.
    pub poll: Duration,
    /// How long one attempt may take, response included.
    pub timeout: Duration,
    /// Largest body accepted on `POST /webhooks/in/{connection}`.
    pub inbound_max_bytes: usize,
    /// How long finished deliveries and dispatched events are kept; `None`: forever.
    pub retention: Option<TimeDelta>,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            retry_schedule: RetrySchedule::default(),
            disable: DisablePolicy::default(),
            concurrency: 16,
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(500),
            timeout: Duration::from_secs(15),
            inbound_max_bytes: 1024 * 1024,
            retention: Some(TimeDelta::days(30)),
        }
    }
}

impl WebhookSettings {
    /// The lease as a chrono duration.
    pub(crate) fn lease_delta(&self) -> TimeDelta {
        TimeDelta::from_std(self.lease).unwrap_or(TimeDelta::seconds(60))
    }
}
