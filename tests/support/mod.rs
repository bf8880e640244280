//! Fake providers: real axum servers on loopback that behave like the providers' APIs.

pub mod crm;
pub mod docusign;
pub mod github;
pub mod gmail;
pub mod hubspot;
pub mod oauth;
pub mod offset_api;
pub mod page_api;
pub mod receiver;
pub mod salesforce;
pub mod stripe;
pub mod xero;

use std::sync::Mutex;

use axum::{
    Router,
    http::{HeaderMap, Method, Uri},
};
use serde_json::Value;

/// One request a fake received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The JSON body, if any.
    pub body: Option<Value>,
}

impl Received {
    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every request a fake received, in order (including the refused ones).
#[derive(Debug, Default)]
pub struct Journal(Mutex<Vec<Received>>);

impl Journal {
    /// Notes a request.
    pub fn record(&self, method: &Method, uri: &Uri, body: Option<Value>) {
        let query = uri
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        self.0.lock().unwrap().push(Received {
            method: method.to_string(),
            path: uri.path().to_owned(),
            query,
            body,
        });
    }

    /// The requests received so far.
    pub fn all(&self) -> Vec<Received> {
        self.0.lock().unwrap().clone()
    }

    /// How many requests were received.
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The value of one query parameter in every request (`None` where it was absent).
    pub fn params(&self, name: &str) -> Vec<Option<String>> {
        self.all()
            .iter()
            .map(|r| r.param(name).map(str::to_owned))
            .collect()
    }

    /// The paths requested, in order.
    pub fn paths(&self) -> Vec<String> {
        self.all().into_iter().map(|r| r.path).collect()
    }
}

/// Serves `app` on a random loopback port; returns `http://127.0.0.1:PORT`.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// The value of a header as text (empty when absent or not text).
pub fn header<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The token of an `Authorization: <scheme> <token>` header, for any of `schemes`
/// (case-insensitive, as RFC 9110 says of auth schemes).
pub fn token<'h>(headers: &'h HeaderMap, schemes: &[&str]) -> Option<&'h str> {
    let value = header(headers, "authorization");
    let (scheme, token) = value.split_once(' ')?;
    schemes
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
        .then_some(token.trim())
}
