//! A generic offset/limit API, as many REST APIs page:
//! `GET /v1/records?offset=&limit=` (`limit` at most 100, 20 by default) answering
//! `{"data": [...], "total": N, "offset": …, "limit": …}`. Requests carry a static token as
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
pub const TOKEN: &str = "ofs_live_4eC39HqLyjWDarjtT1zdp7dc";

/// A running fake.
pub struct FakeOffsetApi {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The records' ids, in the order the fake serves them.
    pub ids: Vec<String>,
    /// Every request received.
    pub journal: Arc<Journal>,
}

struct Shared {
    records: Vec<Value>,
    journal: Arc<Journal>,
}

/// Starts a fake holding `records` records.
pub async fn start(records: usize) -> FakeOffsetApi {
    let records: Vec<Value> = (0..records)
        .map(|i| json!({ "id": format!("rec_{i:04}"), "name": format!("Record {i}") }))
        .collect();
    let ids = records
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let journal = Arc::new(Journal::default());
    let shared = Arc::new(Shared {
        records,
        journal: journal.clone(),
    });
    let app = Router::new()
        .route("/v1/records", get(list))
        .with_state(shared);
    let url = super::serve(app).await;
    FakeOffsetApi { url, ids, journal }
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
    let (Some(offset), Some(limit)) = (number("offset", 0), number("limit", 20)) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "offset and limit must be whole numbers.",
        );
    };
    if !(1..=100).contains(&limit) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "limit must be between 1 and 100.",
        );
    }
    let total = shared.records.len();
    let start = offset.min(total);
    let end = (offset + limit).min(total);
    Json(json!({ "data": shared.records[start..end], "total": total, "offset": offset, "limit": limit }))
        .into_response()
}
