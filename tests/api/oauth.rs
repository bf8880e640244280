//! OAuth 2.0 connections against a fake provider that rotates refresh tokens: the
//! authorization code flow with PKCE and a signed state, refresh before expiry and once on a
//! 401, single-flight refresh across concurrent requests and across processes, `invalid_grant`
//! → `NEEDS_REAUTH`, transient token failures, client credentials.

use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, error_codes, spawn_app, spawn_sibling},
    support::oauth::{CLIENT_ID, CLIENT_SECRET, FakeOAuth},
};

const REGISTER: &str = "mutation($d: JSON!) { registerConnector(definition: $d) { name } }";
const CREATE: &str = "mutation($input: CreateConnectionInput!) { createConnection(input: $input) {
    id status credentialFields } }";
const SAMPLE: &str =
    "query($c: ID!) { sampleRecords(connection: $c, stream: \"items\", limit: 10) }";
const CONNECTION: &str = "query($id: ID!) { connection(id: $id) {
    status statusReason credentialFields settings tokenExpiresAt } }";

/// Registers the fake's connector and creates a connection; `tokens` are (access, refresh)
/// as if authorized earlier.
async fn connect(
    app: &TestApp,
    fake: &FakeOAuth,
    client_credentials: bool,
    tokens: Option<(String, String)>,
) -> String {
    let (_, body) = app
        .graphql(
            REGISTER,
            json!({ "d": fake.definition("fake_oauth", client_credentials) }),
        )
        .await;
    assert_eq!(
        body["data"]["registerConnector"]["name"], "fake_oauth",
        "{body}"
    );
    let mut credentials = json!({ "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET });
    let mut settings = json!({});
    if let Some((access, refresh)) = tokens {
        credentials["access_token"] = json!(access);
        credentials["refresh_token"] = json!(refresh);
        settings["instance_url"] = json!(fake.url);
    }
    let (_, body) = app
        .graphql(
            CREATE,
            json!({ "input": { "connector": "fake_oauth", "name": "Fake", "environment": "PRODUCTION",
                "settings": settings, "credentials": credentials } }),
        )
        .await;
    body["data"]["createConnection"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

async fn sample(app: &TestApp, key: &str, id: &str) -> Value {
    app.graphql_as(key, SAMPLE, json!({ "c": id })).await.1
}

fn item_ids(body: &Value) -> Vec<String> {
    body["data"]["sampleRecords"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn connection(app: &TestApp, id: &str) -> Value {
    let (_, body) = app.graphql(CONNECTION, json!({ "id": id })).await;
    body["data"]["connection"].clone()
}

#[tokio::test]
async fn the_authorization_code_flow_connects_with_pkce_and_a_signed_state() {
    let app = spawn_app().await;
    let fake = FakeOAuth::start().await;
    let id = connect(&app, &fake, false, None).await;
    assert_eq!(
        connection(&app, &id).await["status"],
        "PENDING_AUTHORIZATION"
    );

    let (_, body) = app
        .graphql(
            "mutation($c: ID!) { startOAuth(connection: $c) { authorizeUrl redirectUri expiresAt } }",
            json!({ "c": id }),
        )
        .await;
    let started = &body["data"]["startOAuth"];
    let redirect_uri = format!("{}/oauth/callback", app.address);
    assert_eq!(started["redirectUri"], redirect_uri.as_str(), "{body}");
    let authorize_url = started["authorizeUrl"].as_str().unwrap();
    assert!(authorize_url.starts_with(&format!("{}/authorize?", fake.url)));

    // The person's browser: the provider's page redirects back to Patchbay with a code.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = browser.get(authorize_url).send().await.unwrap();
    assert!(answer.status().is_redirection());
    let sent = fake.provider.last_authorize.lock().unwrap().clone();
    assert_eq!(sent["client_id"], CLIENT_ID);
    assert_eq!(sent["redirect_uri"], redirect_uri);
    assert_eq!(sent["code_challenge_method"], "S256");
    assert_eq!(sent["code_challenge"].len(), 43);
    assert_eq!(sent["scope"], "items.read offline_access");
    let callback = answer.headers()["location"].to_str().unwrap().to_owned();

    // A state altered on the way is refused, and changes nothing.
    let forged = callback.replace("state=", "state=x");
    let refused = browser.get(&forged).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("INVALID_INPUT"));
    assert_eq!(fake.provider.exchanges.load(Ordering::SeqCst), 0);

    let page = browser.get(&callback).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Connected"));
    assert_eq!(fake.provider.exchanges.load(Ordering::SeqCst), 1);

    let node = connection(&app, &id).await;
    assert_eq!(node["status"], "ACTIVE", "{node}");
    assert_eq!(
        node["credentialFields"],
        json!([
            "access_token",
            "client_id",
            "client_secret",
            "refresh_token"
        ])
    );
    assert_eq!(node["settings"]["instance_url"], fake.url.as_str());
    assert!(node["tokenExpiresAt"].is_string());
    assert_eq!(item_ids(&sample(&app, &app.api_key, &id).await), ["1", "2"]);

    // The code works once: a replayed redirect is refused and the connection stays usable.
    let replay = browser.get(&callback).send().await.unwrap();
    assert_eq!(replay.status(), 502);
    assert!(replay.text().await.unwrap().contains("UPSTREAM_ERROR"));
    assert_eq!(connection(&app, &id).await["status"], "ACTIVE");

    // No token in clear in the database or in any answer.
    let stored = app.stored_text().await;
    let answers = format!("{node}{body}");
    for token in fake.provider.issued.lock().unwrap().iter() {
        assert!(
            !stored.contains(token.as_str()),
            "a token is stored in clear"
        );
        assert!(!answers.contains(token.as_str()));
    }
}

#[tokio::test]
async fn start_oauth_needs_an_authorization_code_connector() {
    let app = spawn_app().await;
    let fake = FakeOAuth::start().await;
    let id = connect(&app, &fake, true, None).await;
    let (_, body) = app
        .graphql(
            "mutation($c: ID!) { startOAuth(connection: $c) { authorizeUrl } }",
            json!({ "c": id }),
        )
        .await;
    assert_eq!(error_codes(&body), ["INVALID_INPUT"], "{body}");
    let page = app.get("/oauth/callback?code=abc&state=nonsense").await;
    assert_eq!(page.status(), 400);
}

#[tokio::test]
async fn a_refused_token_is_refreshed_once_and_the_rotated_refresh_token_kept() {
    let app = spawn_app().await;
    let fake = FakeOAuth::start().await;
    let id = connect(&app, &fake, false, Some(fake.provider.issue())).await;
    let provider = &fake.provider;

    assert_eq!(item_ids(&sample(&app, &app.api_key, &id).await), ["1", "2"]);
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 0);

    provider.expire_access_tokens();
    assert_eq!(item_ids(&sample(&app, &app.api_key, &id).await), ["1", "2"]);
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(provider.api_unauthorized.load(Ordering::SeqCst), 1);

    // The refresh token was rotated: only the stored new one works now.
    provider.expire_access_tokens();
    assert_eq!(item_ids(&sample(&app, &app.api_key, &id).await), ["1", "2"]);
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 2);
    assert_eq!(provider.refused_refreshes.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_it_is_used() {
    let app = spawn_app().await;
    let fake = FakeOAuth::start().await;
    let provider = &fake.provider;
    // Tokens living 30 s are always inside the 60 s margin.
    provider.lifetime_secs.store(30, Ordering::SeqCst);
    let id = connect(&app, &fake, false, Some(provider.issue())).await;
    provider.expire_access_tokens();
    sample(&app, &app.api_key, &id).await;
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 1);
    let unauthorized = provider.api_unauthorized.load(Ordering::SeqCst);
    assert_eq!(item_ids(&sample(&app, &app.api_key, &id).await), ["1", "2"]);
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 2);
    assert_eq!(
        provider.api_unauthorized.load(Ordering::SeqCst),
        unauthorized,
        "the expiring token was replaced before it was sent"
    );
}

#[tokio::test]
async fn fifty_concurrent_requests_hitting_401_cause_exactly_one_refresh() {
    let app = spawn_app().await;
    let fake = FakeOAuth::start().await;
    let provider = &fake.provider;
    let id = connect(&app, &fake, false, Some(provider.issue())).await;
    provider.token_delay_ms.store(200, Ordering::SeqCst);
    provider.expire_access_tokens();
    let requests = (0..50).map(|_| sample(&app, &app.api_key, &id));
    for body in futures_util::future::join_all(requests).await {
        assert_eq!(item_ids(&body), ["1", "2"]);
    }
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(provider.refused_refreshes.load(Ordering::SeqCst), 0);
    assert_eq!(connection(&app, &id).await["status"], "ACTIVE");
}

#[tokio::test]
async fn two_processes_refreshing_at_once_refresh_once() {
    let app = spawn_app().await;
    let sibling = spawn_sibling(&app).await;
    let fake = FakeOAuth::start().await;
    let provider = &fake.provider;
    let id = connect(&app, &fake, false, Some(provider.issue())).await;
    provider.token_delay_ms.store(300, Ordering::SeqCst);
    provider.expire_access_tokens();
    let requests = (0..20).map(|i| {
        let target = if i % 2 == 0 { &app } else { &sibling };
        sample(target, &app.api_key, &id)
    });
    for body in futures_util::future::join_all(requests).await {
        assert_eq!(item_ids(&body), ["1", "2"]);
    }
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(provider.refused_refreshes.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_revoked_grant_marks_the_connection_needs_reauth() {
    let app = spawn_app().await;
    let fake = FakeOAuth::start().await;
    let provider = &fake.provider;
    let id = connect(&app, &fake, false, Some(provider.issue())).await;
    provider.revoke_grant();
    let body = sample(&app, &app.api_key, &id).await;
    assert_eq!(error_codes(&body), ["UPSTREAM_ERROR"], "{body}");
    let node = connection(&app, &id).await;
    assert_eq!(node["status"], "NEEDS_REAUTH", "{node}");
    assert!(
        node["statusReason"]
            .as_str()
            .unwrap()
            .contains("invalid_grant"),
        "{node}"
    );
    // A connection that needs a person does not hammer the token endpoint.
    let body = sample(&app, &app.api_key, &id).await;
    assert_eq!(error_codes(&body), ["UPSTREAM_ERROR"]);
    assert_eq!(provider.refused_refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_token_endpoint_outage_leaves_the_connection_as_it_was() {
    let app = spawn_app().await;
    let fake = FakeOAuth::start().await;
    let provider = &fake.provider;
    let id = connect(&app, &fake, false, Some(provider.issue())).await;
    provider.expire_access_tokens();
    provider.token_unavailable.store(100, Ordering::SeqCst);
    let body = sample(&app, &app.api_key, &id).await;
    assert_eq!(error_codes(&body), ["UPSTREAM_ERROR"], "{body}");
    assert_eq!(connection(&app, &id).await["status"], "ACTIVE");

    provider.token_unavailable.store(0, Ordering::SeqCst);
    assert_eq!(item_ids(&sample(&app, &app.api_key, &id).await), ["1", "2"]);
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn client_credentials_fetch_a_token_and_reuse_it() {
    let app = spawn_app().await;
    let fake = FakeOAuth::start().await;
    let provider = &fake.provider;
    let id = connect(&app, &fake, true, None).await;
    assert_eq!(item_ids(&sample(&app, &app.api_key, &id).await), ["1", "2"]);
    assert_eq!(item_ids(&sample(&app, &app.api_key, &id).await), ["1", "2"]);
    assert_eq!(provider.machine_tokens.load(Ordering::SeqCst), 1);
    assert!(
        connection(&app, &id).await["credentialFields"]
            .as_array()
            .unwrap()
            .contains(&json!("access_token"))
    );
    provider.expire_access_tokens();
    assert_eq!(item_ids(&sample(&app, &app.api_key, &id).await), ["1", "2"]);
    assert_eq!(provider.machine_tokens.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn no_token_or_client_secret_reaches_the_debug_logs_of_the_real_binary() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = crate::helpers::fresh_database_url(&dir).await;
    let data_dir = tempfile::tempdir().unwrap();
    let (path, url) = (data_dir.path().to_owned(), database_url.clone());
    let child = tokio::task::spawn_blocking(move || {
        crate::cli::serve_with(
            &path,
            Some(&url),
            &[("PATCHBAY_ALLOW_PRIVATE_NETWORKS", "true")],
        )
    })
    .await
    .unwrap();
    let mut remote = spawn_app().await;
    remote.address = format!("http://127.0.0.1:{}", child.port);
    remote.api_key = crate::cli::keys_in(&child.stdout_text())
        .into_iter()
        .next()
        .unwrap();
    let fake = FakeOAuth::start().await;
    let id = connect(&remote, &fake, false, Some(fake.provider.issue())).await;
    fake.provider.expire_access_tokens();
    assert_eq!(
        item_ids(&sample(&remote, &remote.api_key, &id).await),
        ["1", "2"]
    );
    fake.provider.revoke_grant();
    sample(&remote, &remote.api_key, &id).await;
    assert_eq!(fake.provider.refreshes.load(Ordering::SeqCst), 1);
    let (_, logs) = tokio::task::spawn_blocking(move || child.stop())
        .await
        .unwrap();
    assert!(
        logs.contains("token refresh refused"),
        "the refusal is logged"
    );
    for secret in fake
        .provider
        .issued
        .lock()
        .unwrap()
        .iter()
        .map(String::as_str)
        .chain([CLIENT_SECRET])
    {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
}
