//! A generic page-number API: `GET /api/items?page=&per_page=` (pages from 1, `per_page` at
//! most 100, 25 by default) answering `{"items": [...], "page", "per_page", "total_pages",
//! "total_count"}`; a page past the last is empty. Requests carry a static token as
//! `Authorization: Bearer`; errors are `{"error": {"code", "message"}}`.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};

use super::Journal;

/// The API token the fake accepts.
pub const TOKEN: &str = "pg_live_9fJ2kQ7xL1mN4bV8cZ3wR6tY";

/// A running fake.
pub struct FakePageApi {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The items' ids, in the order the fake serves them.
    pub ids: Vec<u64>,
    /// Every request received.
    pub journal: Arc<Journal>,
}

struct Shared {
    items: Vec<Value>,
    journal: Arc<Journal>,
}

/// Starts a fake holding `items` items.
pub async fn start(items: usize) -> FakePageApi {
    let items: Vec<Value> = (0..items)
        .map(|i| json!({ "id": 5000 + i as u64 * 3, "title": format!("Item {i}") }))
        .collect();
    let ids = items.iter().map(|i| i["id"].as_u64().unwrap()).collect();
    let journal = Arc::new(Journal::default());
    let shared = Arc::new(Shared {
        items,
        journal: journal.clone(),
    });
    let app = Router::new()
        .route("/api/items", get(list))
        .with_state(shared);
    let url = super::serve(app).await;
    FakePageApi { url, ids, journal }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

async fn list(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    shared.journal.record(&method, &uri, None);
    if super::token(&headers, &["Bearer"]) != Some(TOKEN) {
        return error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing or invalid API token.",
        );
    }
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let number = |name: &str, default: usize| match query.iter().find(|(n, _)| n == name) {
        None => Some(default),
        Some((_, v)) => v.parse::<usize>().ok(),
    };
    let (Some(page), Some(per_page)) = (number("page", 1), number("per_page", 25)) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "page and per_page must be whole numbers.",
        );
    };
    if page == 0 || !(1..=100).contains(&per_page) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "page starts at 1 and per_page must be between 1 and 100.",
        );
    }
    let total = shared.items.len();
    let start = ((page - 1) * per_page).min(total);
    let end = (start + per_page).min(total);
    Json(
        json!({ "items": shared.items[start..end], "page": page, "per_page": per_page,
        "total_pages": total.div_ceil(per_page), "total_count": total }),
    )
    .into_response()
}
