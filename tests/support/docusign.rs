//! A DocuSign-like eSignature REST API v2.1 envelope list (listStatusChanges):
//! `GET /restapi/v2.1/accounts/{accountId}/envelopes?from_date=&start_position=&count=`
//! answering `{"resultSetSize", "startPosition", "endPosition", "totalSetSize", "nextUri",
//! "previousUri", "envelopes"}`, the counts written as strings as DocuSign does. Like DocuSign,
//! it leaves the `envelopes` array out when there is none, and refuses a list without
//! `from_date`. Requests carry the OAuth token as `Authorization: Bearer`; errors are
//! DocuSign's `{"errorCode", "message"}`.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};

use super::Journal;

/// The OAuth access token the fake accepts.
pub const ACCESS_TOKEN: &str = "eyJ0eXAiOiJNVCIsImFsZyI6IlJTMjU2In0.FakeDocuSignAccessToken";
/// The API account id.
pub const ACCOUNT_ID: &str = "8e8a9f6b-1c2d-4e5f-9a0b-1c2d3e4f5a6b";

/// A running fake.
pub struct FakeDocuSign {
    /// `http://127.0.0.1:PORT`: the account's base URI (without `/restapi`).
    pub url: String,
    /// The envelopes' ids, in the order the fake serves them.
    pub ids: Vec<String>,
    /// Every request received.
    pub journal: Arc<Journal>,
}

struct Shared {
    envelopes: Vec<Value>,
    journal: Arc<Journal>,
}

/// Starts a fake account holding `envelopes` envelopes.
pub async fn start(envelopes: usize) -> FakeDocuSign {
    let envelopes: Vec<Value> = (0..envelopes).map(envelope).collect();
    let ids = envelopes
        .iter()
        .map(|e| e["envelopeId"].as_str().unwrap().to_owned())
        .collect();
    let journal = Arc::new(Journal::default());
    let shared = Arc::new(Shared {
        envelopes,
        journal: journal.clone(),
    });
    let app = Router::new()
        .route(
            "/restapi/v2.1/accounts/{account_id}/envelopes",
            get(list_status_changes),
        )
        .with_state(shared);
    let url = super::serve(app).await;
    FakeDocuSign { url, ids, journal }
}

fn envelope(i: usize) -> Value {
    let id = format!("{:08x}-4f2a-4c1e-9d3b-{:012x}", 0x5e00_0000 + i, i * 7919);
    json!({
        "envelopeId": id,
        "status": if i.is_multiple_of(4) { "sent" } else { "completed" },
        "emailSubject": format!("Please sign contract {i}"),
        "createdDateTime": "2024-04-01T09:00:00.0000000Z",
        "statusChangedDateTime": format!("2024-05-{:02}T{:02}:00:00.0000000Z", 1 + i / 24, i % 24),
        "envelopeUri": format!("/envelopes/{id}"),
    })
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "errorCode": code, "message": message })),
    )
        .into_response()
}

async fn list_status_changes(
    State(shared): State<Arc<Shared>>,
    Path(account_id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    shared.journal.record(&method, &uri, None);
    if super::token(&headers, &["Bearer"]) != Some(ACCESS_TOKEN) {
        return error(
            StatusCode::UNAUTHORIZED,
            "AUTHORIZATION_INVALID_TOKEN",
            "The access token provided is expired, revoked or malformed. Authentication for System Application failed.",
        );
    }
    if account_id != ACCOUNT_ID {
        return error(
            StatusCode::BAD_REQUEST,
            "USER_LACKS_MEMBERSHIP",
            "The UserID does not have a valid membership in this Account.",
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
    let param = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    if param("from_date").is_none_or(|d| d.is_empty()) {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST_PARAMETER",
            "The request contained at least one invalid parameter. Query parameter 'from_date' must be set to a valid DateTime, or 'envelope_ids' or 'transaction_ids' must be specified.",
        );
    }
    let number = |name: &str, default: usize| match param(name) {
        None => Some(default),
        Some(value) => value.parse::<usize>().ok(),
    };
    let (Some(start), Some(count)) = (number("start_position", 0), number("count", 1000)) else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST_PARAMETER",
            "The request contained at least one invalid parameter. Invalid value specified for start_position or count.",
        );
    };
    let total = shared.envelopes.len();
    let begin = start.min(total);
    let end = (start + count).min(total);
    let page = shared
        .envelopes
        .get(begin..end)
        .unwrap_or_default()
        .to_vec();
    let next_uri = if end < total {
        format!(
            "/accounts/{ACCOUNT_ID}/envelopes?start_position={end}&count={count}&from_date={}",
            param("from_date").unwrap_or_default()
        )
    } else {
        String::new()
    };
    let mut answer = json!({
        "resultSetSize": page.len().to_string(),
        "startPosition": start.to_string(),
        "endPosition": (end as i64 - 1).max(start as i64 - 1).to_string(),
        "totalSetSize": total.to_string(),
        "nextUri": next_uri,
        "previousUri": "",
    });
    if !page.is_empty() {
        answer["envelopes"] = Value::Array(page);
    }
    Json(answer).into_response()
}
