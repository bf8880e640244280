//! A CRM-like contacts API for syncs: cursor pages ordered by id, an `updated_since` filter,
//! bearer auth, and switches a test flips: change or remove contacts at the provider, fail with
//! 500 from a page on, hang from a page on (to kill a run mid-way), or spend the quota once on a
//! page (429 with `Retry-After`).

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
};

use axum::{
    Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// The token the fake accepts.
pub const TOKEN: &str = "crm_test_token_0123456789";

/// One contact.
#[derive(Clone)]
pub struct Contact {
    /// `c00001`…
    pub id: String,
    /// Changes when the contact is touched.
    pub name: String,
    /// Numeric, except for every tenth contact (`n/a`), to exercise failing mappings.
    pub score: String,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The fake's data and switches.
#[derive(Default)]
pub struct Crm {
    /// The contacts, in id order.
    pub contacts: Mutex<Vec<Contact>>,
    /// Page requests answered (any status).
    pub requests: AtomicUsize,
    /// The `cursor` of every page request, in order (`""` for the first page).
    pub cursors: Mutex<Vec<String>>,
    /// Answer pages numbered at least this (1-based) with 500; 0 = never.
    pub fail_from_page: AtomicUsize,
    /// Hang on pages numbered at least this; 0 = never.
    pub hang_from_page: AtomicUsize,
    /// Answer this page number once with 429 and `Retry-After: 2`; 0 = never.
    pub quota_on_page: AtomicUsize,
    quota_spent: AtomicBool,
    serial: AtomicU64,
    /// Contacts removed, and when (for the deleted-records endpoint).
    pub removed: Mutex<Vec<(String, DateTime<Utc>)>>,
}

impl Crm {
    /// Changes `count` contacts, spread over the list: a new name, `updated_at` = now.
    pub fn touch(&self, count: usize) -> Vec<String> {
        let mut contacts = self.contacts.lock().unwrap();
        let step = (contacts.len() / count.max(1)).max(1);
        let now = Utc::now();
        let serial = self.serial.fetch_add(1, Ordering::SeqCst);
        contacts
            .iter_mut()
            .step_by(step)
            .take(count)
            .map(|c| {
                c.name = format!("{} (edit {serial})", c.name);
                c.updated_at = now;
                c.id.clone()
            })
            .collect()
    }

    /// Removes `count` contacts, spread over the list; returns their ids.
    pub fn remove(&self, count: usize) -> Vec<String> {
        let mut contacts = self.contacts.lock().unwrap();
        let step = (contacts.len() / count.max(1)).max(1);
        let removed: Vec<String> = contacts
            .iter()
            .step_by(step)
            .take(count)
            .map(|c| c.id.clone())
            .collect();
        contacts.retain(|c| !removed.contains(&c.id));
        let now = Utc::now();
        self.removed
            .lock()
            .unwrap()
            .extend(removed.iter().map(|id| (id.clone(), now)));
        removed
    }
}

/// A running fake.
pub struct FakeCrm {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its data and switches.
    pub crm: Arc<Crm>,
}

impl FakeCrm {
    /// Starts a fake holding `count` contacts, last changed a day ago, a second apart.
    pub async fn start(count: usize) -> Self {
        let base = Utc::now() - chrono::Duration::days(1);
        let contacts = (1..=count)
            .map(|i| Contact {
                id: format!("c{i:05}"),
                name: format!("Contact {i}"),
                score: if i % 10 == 0 {
                    "n/a".into()
                } else {
                    (i * 7 % 100).to_string()
                },
                updated_at: base + chrono::Duration::seconds(i as i64),
            })
            .collect();
        let crm = Arc::new(Crm {
            contacts: Mutex::new(contacts),
            ..Crm::default()
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = Router::new()
            .route("/contacts", get(list_contacts))
            .route("/contacts/deleted", get(list_deleted))
            .with_state(crm.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { url, crm }
    }

    /// The same connector, with deletions read from `/contacts/deleted?since=` instead of a
    /// full-scan diff.
    pub fn definition_with_deleted_endpoint(name: &str, page_size: usize) -> Value {
        let mut definition = Self::definition(name, page_size);
        definition["streams"][0]["deletes"] = json!({
            "type": "endpoint",
            "request": {"path": "/contacts/deleted"},
            "record_path": "deleted",
            "primary_key": ["id"],
            "since": {"type": "query_param", "name": "since"}
        });
        definition
    }

    /// A connector definition for this fake: incremental on `updated_at`, full-scan deletes.
    pub fn definition(name: &str, page_size: usize) -> Value {
        json!({
            "name": name,
            "display_name": "Fake CRM",
            "version": "1.0.0",
            "category": "crm",
            "base_url": "https://crm.example.com",
            "auth": {"type": "bearer"},
            "check": {"path": "/contacts", "query": {"limit": "1"}},
            "streams": [{
                "name": "contacts",
                "request": {"path": "/contacts", "query": {"limit": page_size.to_string()}},
                "pagination": {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"},
                "record_path": "data",
                "primary_key": ["id"],
                "incremental": {"cursor_field": "updated_at", "format": "iso8601",
                                "since": {"type": "query_param", "name": "updated_since"}},
                "deletes": {"type": "full_scan"},
                "fields": [
                    {"path": "id", "type": "string"},
                    {"path": "name", "type": "string"},
                    {"path": "score", "type": "string"},
                    {"path": "updated_at", "type": "datetime"}
                ]
            }]
        })
    }
}

/// `GET /contacts/deleted?since=`: ids removed at or after `since`.
async fn list_deleted(
    State(crm): State<Arc<Crm>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let since = query
        .get("since")
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|s| s.to_utc());
    let deleted: Vec<Value> = crm
        .removed
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, at)| since.is_none_or(|since| *at >= since))
        .map(|(id, at)| json!({"id": id, "deleted_at": at.to_rfc3339()}))
        .collect();
    Json(json!({"deleted": deleted})).into_response()
}

async fn list_contacts(
    State(crm): State<Arc<Crm>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    crm.requests.fetch_add(1, Ordering::SeqCst);
    // Like many APIs, refuse a parameter given twice.
    let names: Vec<String> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .map(|(name, _)| name.into_owned())
            .collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != names.len() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"status": "error", "category": "VALIDATION_ERROR",
                        "message": format!("duplicate query parameters: {names:?}")})),
        )
            .into_response();
    }
    let authorized = headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {TOKEN}"));
    if !authorized {
        return (
            StatusCode::UNAUTHORIZED,
            Json(
                json!({"status": "error", "category": "INVALID_AUTHENTICATION",
                        "message": "Authentication credentials not found."}),
            ),
        )
            .into_response();
    }
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(100);
    let cursor = query.get("cursor").cloned().unwrap_or_default();
    crm.cursors.lock().unwrap().push(cursor.clone());
    let since = query
        .get("updated_since")
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|s| s.to_utc());
    let (page, next, number) = {
        let contacts = crm.contacts.lock().unwrap();
        let matching: Vec<&Contact> = contacts
            .iter()
            .filter(|c| since.is_none_or(|since| c.updated_at >= since))
            .collect();
        let start = matching.iter().take_while(|c| c.id <= cursor).count();
        let page: Vec<Value> = matching
            .iter()
            .skip(start)
            .take(limit)
            .map(|c| {
                json!({"id": c.id, "name": c.name, "score": c.score,
                       "updated_at": c.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)})
            })
            .collect();
        let next = (start + page.len() < matching.len())
            .then(|| page.last().map(|c| c["id"].clone()))
            .flatten();
        (page, next, start / limit.max(1) + 1)
    };
    let from = |switch: &AtomicUsize| {
        let k = switch.load(Ordering::SeqCst);
        k > 0 && number >= k
    };
    if from(&crm.hang_from_page) {
        std::future::pending::<()>().await;
    }
    if from(&crm.fail_from_page) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"status": "error", "category": "INTERNAL_ERROR",
                        "message": "Something went wrong on our side."})),
        )
            .into_response();
    }
    if crm.quota_on_page.load(Ordering::SeqCst) == number
        && !crm.quota_spent.swap(true, Ordering::SeqCst)
    {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "2")],
            Json(json!({"status": "error", "category": "RATE_LIMITS",
                        "message": "You have reached your daily limit."})),
        )
            .into_response();
    }
    Json(json!({"data": page, "next_cursor": next})).into_response()
}
