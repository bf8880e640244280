//! A GitHub-like REST API for one repository's issues: `GET /repos/{owner}/{repo}/issues`
//! with `page` and `per_page` (default 30, at most 100), a body that is the array itself, and
//! a `Link` header whose absolute URLs point at the fake itself, in GitHub's form
//! (`/repositories/{id}/issues?…&page=N`, relations `prev`, `next`, `last`, `first`), which the
//! fake serves too. Requests need a `User-Agent` (403 otherwise) and the OAuth token as
//! `Authorization: Bearer` or `token` (401 `Bad credentials` otherwise).

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
pub const ACCESS_TOKEN: &str = "gho_16C7e42F292c6912E7710c838347Ae178B4a";
/// The repository's owner.
pub const OWNER: &str = "octo-org";
/// The repository's name.
pub const REPO: &str = "hello-world";
/// The repository's numeric id, used in the `Link` URLs.
pub const REPO_ID: u64 = 1_296_269;

/// A running fake.
pub struct FakeGitHub {
    /// `http://127.0.0.1:PORT` (GitHub's `https://api.github.com`).
    pub url: String,
    /// The issues' ids, in the order the fake serves them.
    pub ids: Vec<u64>,
    /// Every request received.
    pub journal: Arc<Journal>,
}

struct Shared {
    url: String,
    issues: Vec<Value>,
    journal: Arc<Journal>,
}

/// Starts a fake repository with `issues` issues, oldest update first.
pub async fn start(issues: usize) -> FakeGitHub {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let issues: Vec<Value> = (0..issues).map(issue).collect();
    let ids = issues.iter().map(|i| i["id"].as_u64().unwrap()).collect();
    let journal = Arc::new(Journal::default());
    let shared = Arc::new(Shared {
        url: url.clone(),
        issues,
        journal: journal.clone(),
    });
    let app = Router::new()
        .route("/repos/{owner}/{repo}/issues", get(by_name))
        .route("/repositories/{id}/issues", get(by_id))
        .with_state(shared);
    tokio::spawn(async move { axum::serve(listener, app).await });
    FakeGitHub { url, ids, journal }
}

/// Issue `i` as the issues list returns it.
fn issue(i: usize) -> Value {
    let id = 1_000_000_000 + i as u64 * 7;
    json!({
        "id": id,
        "node_id": format!("I_kwDOAFake{i:05}"),
        "number": i + 1,
        "title": format!("Issue {}", i + 1),
        "state": if i.is_multiple_of(3) { "closed" } else { "open" },
        "locked": false,
        "user": { "login": "octocat", "id": 1 },
        "labels": [],
        "comments": 0,
        "created_at": "2024-04-01T09:00:00Z",
        "updated_at": format!("2024-05-{:02}T{:02}:00:00Z", 1 + i / 24, i % 24),
        "author_association": "MEMBER",
    })
}

fn refused(headers: &HeaderMap) -> Option<Response> {
    if super::header(headers, "user-agent").is_empty() {
        return Some(
            (
                StatusCode::FORBIDDEN,
                "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.",
            )
                .into_response(),
        );
    }
    (super::token(headers, &["Bearer", "token"]) != Some(ACCESS_TOKEN)).then(|| {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401" })),
        )
            .into_response()
    })
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "message": "Not Found",
            "documentation_url": "https://docs.github.com/rest/issues/issues#list-repository-issues", "status": "404" })),
    )
        .into_response()
}

async fn by_name(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    shared.journal.record(&method, &uri, None);
    if let Some(refused) = refused(&headers) {
        return refused;
    }
    if owner != OWNER || repo != REPO {
        return not_found();
    }
    page(&shared, &uri)
}

async fn by_id(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    shared.journal.record(&method, &uri, None);
    if let Some(refused) = refused(&headers) {
        return refused;
    }
    if id != REPO_ID.to_string() {
        return not_found();
    }
    page(&shared, &uri)
}

/// The page the query asks for, with its `Link` header.
fn page(shared: &Shared, uri: &Uri) -> Response {
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let number = |name: &str, default: usize| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(default)
    };
    let per_page = number("per_page", 30).clamp(1, 100);
    let page = number("page", 1).max(1);
    let last = shared.issues.len().div_ceil(per_page).max(1);
    let start = (page - 1).saturating_mul(per_page).min(shared.issues.len());
    let end = (start + per_page).min(shared.issues.len());
    let body = shared.issues.get(start..end).unwrap_or_default().to_vec();

    // GitHub keeps the request's parameters, sets `page`, and names the repository by id.
    let link_to = |n: usize| {
        let mut url =
            url::Url::parse(&format!("{}/repositories/{REPO_ID}/issues", shared.url)).unwrap();
        {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in query.iter().filter(|(name, _)| name != "page") {
                pairs.append_pair(name, value);
            }
            pairs.append_pair("page", &n.to_string());
        }
        url.to_string()
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!("<{}>; rel=\"prev\"", link_to(page - 1)));
    }
    if page < last {
        links.push(format!("<{}>; rel=\"next\"", link_to(page + 1)));
        links.push(format!("<{}>; rel=\"last\"", link_to(last)));
    }
    if page > 1 {
        links.push(format!("<{}>; rel=\"first\"", link_to(1)));
    }
    let mut response = Json(body).into_response();
    if !links.is_empty() {
        response
            .headers_mut()
            .insert("link", links.join(", ").parse().unwrap());
    }
    response
}
