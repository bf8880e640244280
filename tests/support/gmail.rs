//! A Gmail-like API v1 message list: `GET /gmail/v1/users/me/messages?maxResults=&pageToken=`
//! answering `{"messages": [{"id", "threadId"}], "nextPageToken", "resultSizeEstimate"}`, with
//! no `nextPageToken` on the last page and, as Gmail does, no `messages` key at all when there
//! is no message (`{"resultSizeEstimate": 0}`). Requests carry the OAuth token as
//! `Authorization: Bearer`; errors are Google's `{"error": {"code", "message", "errors",
//! "status"}}`.
//!
//! Gmail honours `maxResults` up to 500; the fake serves pages of at most `page_size`, chosen
//! by the test, so a few dozen messages span several pages.

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
pub const ACCESS_TOKEN: &str = "ya29.a0AfB_byFakeGmailAccessToken0123456789";

/// A running fake.
pub struct FakeGmail {
    /// `http://127.0.0.1:PORT` (Gmail's `https://gmail.googleapis.com`).
    pub url: String,
    /// The messages' ids, in the order the fake serves them.
    pub ids: Vec<String>,
    /// Every request received.
    pub journal: Arc<Journal>,
}

struct Shared {
    messages: Vec<Value>,
    page_size: usize,
    journal: Arc<Journal>,
}

/// Starts a fake mailbox holding `messages` messages, newest first, `page_size` a page at most.
pub async fn start(messages: usize, page_size: usize) -> FakeGmail {
    let messages: Vec<Value> = (0..messages)
        .map(|i| json!({ "id": format!("18f{:013x}", 0xa000_0000_u64 - i as u64 * 977), "threadId": format!("18f{:013x}", 0xa000_0000_u64 - (i / 2) as u64 * 977) }))
        .collect();
    let ids = messages
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    let journal = Arc::new(Journal::default());
    let shared = Arc::new(Shared {
        messages,
        page_size,
        journal: journal.clone(),
    });
    let app = Router::new()
        .route("/gmail/v1/users/me/messages", get(list))
        .with_state(shared);
    let url = super::serve(app).await;
    FakeGmail { url, ids, journal }
}

fn error(status: StatusCode, reason: &str, message: &str, google_status: &str) -> Response {
    (
        status,
        Json(json!({ "error": {
            "code": status.as_u16(),
            "message": message,
            "errors": [{ "message": message, "domain": "global", "reason": reason }],
            "status": google_status,
        } })),
    )
        .into_response()
}

/// Page tokens are opaque to the client; the fake's encode the offset.
fn page_token(offset: usize) -> String {
    format!("0{:x}9", offset * 4_096 + 17)
}

fn offset_of(token: &str) -> Option<usize> {
    let hex = token.strip_prefix('0')?.strip_suffix('9')?;
    let value = usize::from_str_radix(hex, 16).ok()?;
    (value >= 17 && (value - 17) % 4_096 == 0).then(|| (value - 17) / 4_096)
}

async fn list(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    shared.journal.record(&method, &uri, None);
    if super::token(&headers, &["Bearer"]) != Some(ACCESS_TOKEN) {
        return error(
            StatusCode::UNAUTHORIZED,
            "authError",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "UNAUTHENTICATED",
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
    let max_results = match param("maxResults").map(|m| m.parse::<usize>()) {
        None => 100,
        Some(Ok(max)) if (1..=500).contains(&max) => max,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalidArgument",
                "Invalid maxResults",
                "INVALID_ARGUMENT",
            );
        }
    };
    let start = match param("pageToken") {
        None => 0,
        Some(token) => match offset_of(&token) {
            Some(offset) => offset,
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalidArgument",
                    "Invalid pageToken",
                    "INVALID_ARGUMENT",
                );
            }
        },
    };
    let total = shared.messages.len();
    let begin = start.min(total);
    let end = (start + max_results.min(shared.page_size)).min(total);
    let mut answer = json!({});
    if begin < end {
        answer["messages"] = Value::Array(shared.messages[begin..end].to_vec());
    }
    if end < total {
        answer["nextPageToken"] = json!(page_token(end));
    }
    answer["resultSizeEstimate"] = json!(total);
    Json(answer).into_response()
}

/// The page token the fake hands out for the page starting at `offset`.
pub fn token_for(offset: usize) -> String {
    page_token(offset)
}
