//! A Xero-like Accounting API for contacts: `GET /api.xro/2.0/Contacts?page=&pageSize=`
//! (`pageSize` at most 1,000, 100 by default) answering Xero's envelope with its `pagination`
//! block (`page`, `pageSize`, `pageCount`, `itemCount`) and the `Contacts` array; without
//! `page` it returns every contact and no `pagination`, as Xero does. Requests carry the OAuth
//! token as `Authorization: Bearer` and the organisation as `xero-tenant-id`; errors are
//! Xero's problem body `{"Type", "Title", "Status", "Detail", "Instance", "Extensions"}`.

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

/// The OAuth access token the fake accepts.
pub const ACCESS_TOKEN: &str =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjFDQUY4RTY2NzcyRDZEQzAyOEQ2NzI2RkQwMjYxNTgxNTcwRUZDMTkifQ.fake";
/// The organisation's tenant id.
pub const TENANT_ID: &str = "45e4708e-d862-4111-ab3a-dd8cd03913e1";

/// A running fake.
pub struct FakeXero {
    /// `http://127.0.0.1:PORT/api.xro/2.0` (Xero's `https://api.xero.com/api.xro/2.0`).
    pub url: String,
    /// The contacts' ids, in the order the fake serves them.
    pub ids: Vec<String>,
    /// Every request received.
    pub journal: Arc<Journal>,
}

struct Shared {
    contacts: Vec<Value>,
    journal: Arc<Journal>,
}

/// Starts a fake organisation holding `contacts` contacts, oldest update first.
pub async fn start(contacts: usize) -> FakeXero {
    let contacts: Vec<Value> = (0..contacts).map(contact).collect();
    let ids = contacts
        .iter()
        .map(|c| c["ContactID"].as_str().unwrap().to_owned())
        .collect();
    let journal = Arc::new(Journal::default());
    let shared = Arc::new(Shared {
        contacts,
        journal: journal.clone(),
    });
    let app = Router::new()
        .route("/api.xro/2.0/Contacts", get(contacts_list))
        .with_state(shared);
    let url = format!("{}/api.xro/2.0", super::serve(app).await);
    FakeXero { url, ids, journal }
}

fn contact(i: usize) -> Value {
    json!({
        "ContactID": format!("{:08x}-8a3c-4d1e-b2f4-{:012x}", 0xc0_0000 + i, i * 104_729),
        "ContactStatus": "ACTIVE",
        "Name": format!("Contact {i} Ltd"),
        "EmailAddress": format!("accounts{i}@example.com"),
        "IsSupplier": false,
        "IsCustomer": true,
        "UpdatedDateUTC": format!("/Date({}+0000)/", 1_714_564_800_000_u64 + i as u64 * 60_000),
    })
}

fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    (
        status,
        Json(
            json!({ "Type": null, "Title": title, "Status": status.as_u16(), "Detail": detail,
            "Instance": "0c3a8e0c-6f3e-4c51-9a4e-2b1f3d6e7a90", "Extensions": {} }),
        ),
    )
        .into_response()
}

async fn contacts_list(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    shared.journal.record(&method, &uri, None);
    if super::token(&headers, &["Bearer"]) != Some(ACCESS_TOKEN) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "AuthenticationUnsuccessful",
        );
    }
    if super::header(&headers, "xero-tenant-id") != TENANT_ID {
        return problem(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "AuthenticationUnsuccessful",
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
    let number = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let mut answer = json!({
        "Id": "6a8d3e21-5b2f-4c7e-8a1d-9f0b2c3d4e5f",
        "Status": "OK",
        "ProviderName": "Patchbay tests",
        "DateTimeUTC": "/Date(1714564800000)/",
    });
    let total = shared.contacts.len();
    match number("page") {
        None => answer["Contacts"] = Value::Array(shared.contacts.clone()),
        Some(page) => {
            let page = page.max(1);
            let size = number("pageSize").unwrap_or(100).clamp(1, 1000);
            let start = ((page - 1) * size).min(total);
            let end = (start + size).min(total);
            answer["pagination"] = json!({ "page": page, "pageSize": size,
                "pageCount": total.div_ceil(size), "itemCount": total });
            answer["Contacts"] = Value::Array(shared.contacts[start..end].to_vec());
        }
    }
    Json(answer).into_response()
}
