//! A Stripe-like API: bearer secret keys, Stripe's error body shapes, and switches a test
//! flips to make it rate-limit, fail with 5xx bursts, or answer with an oversized body.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use axum::{
    Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;

/// The secret key the fake accepts.
pub const GOOD_KEY: &str = "sk_test_51GoodFakeKey";

/// Behaviour switches and counters shared with the test.
#[derive(Default)]
pub struct Behaviour {
    /// Answer this many next requests with 503.
    pub unavailable: AtomicUsize,
    /// Answer this many next requests with 429 and `Retry-After: 1`.
    pub rate_limited: AtomicUsize,
    /// Answer with a body over 10 MiB.
    pub oversized: AtomicBool,
    /// Answer `/v1/account` after 3 s (past a short client timeout).
    pub slow: AtomicBool,
    /// Answer `/v1/customers` with a spent hourly quota: `X-RateLimit-Remaining: 0` and a reset
    /// an hour away.
    pub quota_spent: AtomicBool,
    /// Requests received.
    pub requests: AtomicUsize,
}

/// A running fake; `url` is its base URL.
pub struct FakeStripe {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its switches.
    pub behaviour: Arc<Behaviour>,
}

/// Starts a fake Stripe on a random port.
pub async fn start() -> FakeStripe {
    let behaviour = Arc::new(Behaviour::default());
    let app = Router::new()
        .route("/v1/account", get(account))
        .route("/v1/customers", get(customers))
        .with_state(behaviour.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    FakeStripe { url, behaviour }
}

fn take(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

async fn account(State(behaviour): State<Arc<Behaviour>>, headers: HeaderMap) -> Response {
    behaviour.requests.fetch_add(1, Ordering::SeqCst);
    if behaviour.slow.load(Ordering::SeqCst) {
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    }
    if take(&behaviour.unavailable) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": { "type": "api_error", "message": "The service is temporarily unavailable." } })),
        )
            .into_response();
    }
    if take(&behaviour.rate_limited) {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            Json(json!({ "error": { "type": "rate_limit_error", "message": "Too many requests made to the API too quickly." } })),
        )
            .into_response();
    }
    let presented = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    if presented != GOOD_KEY {
        // Stripe echoes a masked form of the key; this fake echoes it whole, to prove the
        // HTTP layer scrubs what a careless provider sends back.
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": { "type": "invalid_request_error",
                "message": format!("Invalid API Key provided: {presented}") } })),
        )
            .into_response();
    }
    if behaviour.oversized.load(Ordering::SeqCst) {
        let padding = "x".repeat(11 * 1024 * 1024);
        return Json(json!({ "id": "acct_1", "padding": padding })).into_response();
    }
    Json(json!({ "id": "acct_1NXgkP2eZvKYlo2C", "object": "account", "country": "IE" }))
        .into_response()
}

/// How many customers the fake holds: `cus_000` (newest) to `cus_009`.
pub const CUSTOMERS: usize = 10;

/// `GET /v1/customers?limit=&starting_after=`: newest first, Stripe's list envelope.
async fn customers(
    State(behaviour): State<Arc<Behaviour>>,
    headers: HeaderMap,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    behaviour.requests.fetch_add(1, Ordering::SeqCst);
    let authorized = headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {GOOD_KEY}"));
    if !authorized {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": { "type": "invalid_request_error", "message": "Invalid API Key provided" } }))).into_response();
    }
    // Pages of 3 whatever the caller asks, as Stripe caps `limit`.
    let limit = query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(10)
        .min(3);
    let all: Vec<serde_json::Value> = (0..CUSTOMERS)
        .map(|i| json!({ "id": format!("cus_{i:03}"), "object": "customer", "email": format!("user{i}@example.com"),
            "name": format!("Customer {i}"), "created": 1_700_000_000 - i as i64 * 60, "address": { "city": "Dublin", "postal_code": "D02" } }))
        .collect();
    let start = match query.get("starting_after") {
        Some(after) => all
            .iter()
            .position(|c| c["id"] == after.as_str())
            .map_or(all.len(), |p| p + 1),
        None => 0,
    };
    let page: Vec<_> = all.iter().skip(start).take(limit).cloned().collect();
    let has_more = start + page.len() < all.len();
    let body = Json(
        json!({ "object": "list", "url": "/v1/customers", "has_more": has_more, "data": page }),
    );
    if behaviour.quota_spent.load(Ordering::SeqCst) {
        let reset = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600;
        let headers = [
            ("x-ratelimit-limit", "1000".to_owned()),
            ("x-ratelimit-remaining", "0".to_owned()),
            ("x-ratelimit-reset", reset.to_string()),
        ];
        return (headers, body).into_response();
    }
    body.into_response()
}
