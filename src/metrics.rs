//! Prometheus metrics, one registry per application (tests run many side by side).

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

/// Labels of an HTTP request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// The matched route template, e.g. `/graphql`.
    pub route: String,
    /// The HTTP method.
    pub method: String,
    /// The response status code.
    pub status: u16,
}

/// Labels of a latency observation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The matched route template.
    pub route: String,
}

/// Labels of a GraphQL operation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    /// `query`, `mutation`, `subscription` or `unknown` (unparseable).
    pub operation: String,
}

/// Labels of a GraphQL error.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// The error's `extensions.code`.
    pub code: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The application's metrics and the registry that renders them.
pub struct Metrics {
    registry: Registry,
    /// `patchbay_http_requests_total`.
    pub http_requests: Family<HttpLabels, Counter>,
    /// `patchbay_http_request_duration_seconds`.
    pub http_duration: HistogramFamily,
    /// `patchbay_graphql_operations_total`.
    pub graphql_operations: Family<OperationLabels, Counter>,
    /// `patchbay_graphql_errors_total`.
    pub graphql_errors: Family<ErrorLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric in a fresh registry.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("patchbay");
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, method and status",
            http_requests.clone(),
        );
        let http_duration: HistogramFamily =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0005, 2.0, 16)));
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            http_duration.clone(),
        );
        let graphql_operations = Family::<OperationLabels, Counter>::default();
        registry.register(
            "graphql_operations",
            "GraphQL operations executed, by type",
            graphql_operations.clone(),
        );
        let graphql_errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "graphql_errors",
            "GraphQL errors returned, by extensions.code",
            graphql_errors.clone(),
        );
        Self {
            registry,
            http_requests,
            http_duration,
            graphql_operations,
            graphql_errors,
        }
    }

    /// The Prometheus (OpenMetrics) text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }

    /// Counts one GraphQL error by code.
    pub fn graphql_error(&self, code: &str) {
        self.graphql_errors
            .get_or_create(&ErrorLabels {
                code: code.to_owned(),
            })
            .inc();
    }
}
