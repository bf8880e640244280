//! A Salesforce-like REST query API: `GET /services/data/vXX.X/query?q=` and `…/queryAll?q=`
//! answer `{"totalSize", "done", "nextRecordsUrl", "records"}`, where `nextRecordsUrl` is a
//! relative URL (`/services/data/v62.0/queryAll/01gFk00000Loc7AAA-2000`) that the client
//! requests for the following batch; the last batch has `done: true` and no `nextRecordsUrl`.
//! Requests carry the session (OAuth access token) as `Authorization: Bearer` (or `OAuth`);
//! errors are Salesforce's array of `{"message", "errorCode"}`.
//!
//! Salesforce picks the batch size (2,000 by default, fewer for wide rows); the test picks it
//! here, so a few dozen records span several batches.

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

/// The OAuth access token (session id) the fake accepts.
pub const ACCESS_TOKEN: &str = "00DFk000000FakeOrg!AQ4AQFakeSalesforceSessionToken.0123456789";
/// The prefix of the query locators the fake hands out.
const LOCATOR: &str = "01gFk00000Loc7AAA";

/// A running fake.
pub struct FakeSalesforce {
    /// `http://127.0.0.1:PORT`: the org's instance URL.
    pub url: String,
    /// The accounts' ids, in the order the fake serves them.
    pub ids: Vec<String>,
    /// Every request received.
    pub journal: Arc<Journal>,
}

struct Shared {
    accounts: Vec<Value>,
    batch_size: usize,
    journal: Arc<Journal>,
}

/// Starts a fake org holding `accounts` accounts, answered `batch_size` per batch.
pub async fn start(accounts: usize, batch_size: usize) -> FakeSalesforce {
    let accounts: Vec<Value> = (0..accounts).map(account).collect();
    let ids = accounts
        .iter()
        .map(|a| a["Id"].as_str().unwrap().to_owned())
        .collect();
    let journal = Arc::new(Journal::default());
    let shared = Arc::new(Shared {
        accounts,
        batch_size,
        journal: journal.clone(),
    });
    let app = Router::new()
        .route("/services/data/{version}/query", get(query))
        .route("/services/data/{version}/queryAll", get(query))
        .route("/services/data/{version}/query/{locator}", get(more))
        .route("/services/data/{version}/queryAll/{locator}", get(more))
        .with_state(shared);
    let url = super::serve(app).await;
    FakeSalesforce { url, ids, journal }
}

/// Account `i` as a SOQL query returns it: 18-character ids, `attributes` first.
fn account(i: usize) -> Value {
    let id = format!("001Fk{i:010}AAA");
    json!({
        "attributes": { "type": "Account", "url": format!("/services/data/v62.0/sobjects/Account/{id}") },
        "Id": id,
        "Name": format!("Account {i}"),
        "Industry": "Manufacturing",
        "SystemModstamp": format!("2024-05-{:02}T{:02}:00:00.000+0000", 1 + i / 24, i % 24),
        "IsDeleted": false,
    })
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!([{ "message": message, "errorCode": code }])),
    )
        .into_response()
}

/// Checks the session and the API version; returns the refusal to send, if any.
fn checked(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    version: &str,
) -> Option<Response> {
    shared.journal.record(method, uri, None);
    if super::token(headers, &["Bearer", "OAuth"]) != Some(ACCESS_TOKEN) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
        ));
    }
    let known = version
        .strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .is_some_and(|(major, minor)| {
            major.parse::<u32>().is_ok_and(|m| (20..=64).contains(&m)) && minor == "0"
        });
    if !known {
        return Some(error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        ));
    }
    None
}

/// One batch from `start`; `endpoint` is `/services/data/vXX.X/query` or `…/queryAll`, which
/// the next batch's locator URL keeps.
fn batch(shared: &Shared, endpoint: &str, start: usize) -> Response {
    let end = (start + shared.batch_size).min(shared.accounts.len());
    let records = shared.accounts.get(start..end).unwrap_or_default().to_vec();
    let done = end >= shared.accounts.len();
    let mut answer =
        json!({ "totalSize": shared.accounts.len(), "done": done, "records": records });
    if !done {
        answer["nextRecordsUrl"] = json!(format!("{endpoint}/{LOCATOR}-{end}"));
    }
    Json(answer).into_response()
}

/// `GET …/query?q=SELECT … FROM Account …`.
async fn query(
    State(shared): State<Arc<Shared>>,
    Path(version): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = checked(&shared, &method, &uri, &headers, &version) {
        return refused;
    }
    let soql = uri
        .query()
        .and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(n, _)| n == "q")
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default();
    let words: Vec<&str> = soql.split_whitespace().collect();
    if !words
        .first()
        .is_some_and(|w| w.eq_ignore_ascii_case("SELECT"))
    {
        return error(
            StatusCode::BAD_REQUEST,
            "MALFORMED_QUERY",
            &format!("unexpected token: '{}'", words.first().unwrap_or(&"")),
        );
    }
    let object = words
        .iter()
        .position(|w| w.eq_ignore_ascii_case("FROM"))
        .and_then(|at| words.get(at + 1))
        .copied()
        .unwrap_or_default();
    if object != "Account" {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_TYPE",
            &format!("sObject type '{object}' is not supported."),
        );
    }
    batch(&shared, uri.path().trim_end_matches('/'), 0)
}

/// `GET …/query/01g…-N`: the batch starting at record N.
async fn more(
    State(shared): State<Arc<Shared>>,
    Path((version, locator)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = checked(&shared, &method, &uri, &headers, &version) {
        return refused;
    }
    let start = locator
        .strip_prefix(LOCATOR)
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n < shared.accounts.len());
    match start {
        Some(start) => batch(
            &shared,
            uri.path()
                .rsplit_once('/')
                .map_or("", |(endpoint, _)| endpoint),
            start,
        ),
        None => error(
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY_LOCATOR",
            "invalid query locator",
        ),
    }
}
