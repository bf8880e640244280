//! A HubSpot-like CRM v3 API for contacts: the search endpoint
//! (`POST /crm/v3/objects/contacts/search`, cursor `after` in the JSON body) and the list
//! endpoint (`GET /crm/v3/objects/contacts?limit=&after=`). Both answer
//! `{"results": [...], "paging": {"next": {"after": "…"}}}`, with no `paging` on the last page,
//! take an OAuth access token as `Authorization: Bearer`, and answer errors with HubSpot's
//! `{"status": "error", "message", "correlationId", "category"}` body.
//!
//! HubSpot caps `limit` at 200 (search) and 100 (list); the fake serves pages of at most
//! `page_size` records, chosen by the test, so a few dozen contacts span several pages.

use std::sync::Arc;

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};

use super::Journal;

/// The OAuth access token the fake accepts.
pub const ACCESS_TOKEN: &str =
    "CJSP5qf1KhICAQEYs-gDIIGOBii1hQIyGQAf3xBKmlwHjX7OIpuIFEavB2-qYAGQsF4";

/// A running fake.
pub struct FakeHubSpot {
    /// `http://127.0.0.1:PORT` (HubSpot's `https://api.hubapi.com`).
    pub url: String,
    /// The contacts' ids, in the order the fake serves them.
    pub ids: Vec<String>,
    /// Every request received.
    pub journal: Arc<Journal>,
}

struct Shared {
    url: String,
    contacts: Vec<Value>,
    page_size: usize,
    journal: Arc<Journal>,
}

/// Starts a fake portal holding `contacts` contacts, served `page_size` at a time at most.
pub async fn start(contacts: usize, page_size: usize) -> FakeHubSpot {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let contacts: Vec<Value> = (0..contacts).map(contact).collect();
    let ids = contacts
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    let journal = Arc::new(Journal::default());
    let shared = Arc::new(Shared {
        url: url.clone(),
        contacts,
        page_size,
        journal: journal.clone(),
    });
    let app = Router::new()
        .route("/crm/v3/objects/contacts", get(list))
        .route("/crm/v3/objects/contacts/search", post(search))
        .with_state(shared);
    tokio::spawn(async move { axum::serve(listener, app).await });
    FakeHubSpot { url, ids, journal }
}

/// Contact `i`, as the CRM v3 API returns it; ids are numeric strings, oldest change first.
fn contact(i: usize) -> Value {
    let id = (51 + i * 50).to_string();
    let modified = format!("2024-05-{:02}T{:02}:00:00.000Z", 1 + i / 24, i % 24);
    json!({
        "id": id,
        "properties": {
            "createdate": "2024-04-01T09:00:00.000Z",
            "email": format!("contact{i}@example.com"),
            "firstname": format!("First{i}"),
            "lastname": "Example",
            "hs_object_id": id,
            "lastmodifieddate": modified,
        },
        "createdAt": "2024-04-01T09:00:00.000Z",
        "updatedAt": modified,
        "archived": false,
    })
}

fn error(status: StatusCode, category: &str, message: &str) -> Response {
    (
        status,
        Json(json!({
            "status": "error",
            "message": message,
            "correlationId": "3d1ad2ff-ba6c-4e51-9b6c-0d2a4f0e9a11",
            "category": category,
        })),
    )
        .into_response()
}

fn unauthorized(headers: &HeaderMap) -> Option<Response> {
    (super::token(headers, &["Bearer"]) != Some(ACCESS_TOKEN)).then(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
        )
    })
}

/// `POST /crm/v3/objects/contacts/search`: `after` is the offset, as a string.
async fn search(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    shared.journal.record(&method, &uri, parsed.clone());
    if let Some(refused) = unauthorized(&headers) {
        return refused;
    }
    let Some(body) = parsed.filter(Value::is_object) else {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "Invalid input JSON on line 1, column 1: Cannot build PublicObjectSearchRequest",
        );
    };
    let limit = match &body["limit"] {
        Value::Null => 10,
        Value::Number(n) => n.as_u64().unwrap_or(0) as usize,
        _ => 0,
    };
    if !(1..=200).contains(&limit) {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "limit must be between 1 and 200",
        );
    }
    let start = match &body["after"] {
        Value::Null => Some(0),
        Value::String(after) => after.parse::<usize>().ok(),
        Value::Number(after) => after.as_u64().map(|a| a as usize),
        _ => None,
    };
    let Some(start) = start else {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "after must be a numeric offset",
        );
    };
    let end = (start + limit.min(shared.page_size)).min(shared.contacts.len());
    let results = shared.contacts.get(start..end).unwrap_or_default().to_vec();
    let mut answer = json!({ "total": shared.contacts.len(), "results": results });
    if end < shared.contacts.len() {
        answer["paging"] = json!({ "next": { "after": end.to_string() } });
    }
    Json(answer).into_response()
}

/// `GET /crm/v3/objects/contacts?limit=&after=`: `after` is the id of the next contact.
async fn list(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    shared.journal.record(&method, &uri, None);
    if let Some(refused) = unauthorized(&headers) {
        return refused;
    }
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let param = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let limit = match param("limit") {
        None => 10,
        Some(limit) => match limit.parse::<usize>() {
            Ok(limit) if (1..=100).contains(&limit) => limit,
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "VALIDATION_ERROR",
                    "limit must be between 1 and 100",
                );
            }
        },
    };
    let start = match param("after") {
        None => 0,
        Some(after) => match shared.contacts.iter().position(|c| c["id"] == after) {
            Some(at) => at,
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "VALIDATION_ERROR",
                    &format!("Invalid after cursor: {after}"),
                );
            }
        },
    };
    let end = (start + limit.min(shared.page_size)).min(shared.contacts.len());
    let results = shared.contacts.get(start..end).unwrap_or_default().to_vec();
    let mut answer = json!({ "results": results });
    if let Some(next) = shared.contacts.get(end) {
        let after = next["id"].as_str().unwrap_or_default();
        answer["paging"] = json!({ "next": {
            "after": after,
            "link": format!("{}/crm/v3/objects/contacts?limit={limit}&after={after}", shared.url),
        } });
    }
    Json(answer).into_response()
}
