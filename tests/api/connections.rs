//! Connections: sealed credentials that never come back out, settings and their checks, the
//! SSRF guard on base-URL overrides, workspace isolation.

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes, spawn_app, spawn_app_with};

const CREATE: &str = "mutation($input: CreateConnectionInput!) { createConnection(input: $input) {
    id name connectorName environment settings credentialFields status baseUrl baseUrlOverride
    connector { name } } }";

async fn create(app: &TestApp, input: Value) -> Value {
    app.graphql(CREATE, json!({ "input": input })).await.1
}

#[tokio::test]
async fn credentials_are_sealed_and_never_returned() {
    let app = spawn_app().await;
    let secret = "sk_test_51SuperSecretValue";
    let body = create(
        &app,
        json!({ "connector": "stripe", "name": "Stripe EU", "environment": "SANDBOX",
        "credentials": { "token": secret } }),
    )
    .await;
    let connection = &body["data"]["createConnection"];
    assert_eq!(connection["credentialFields"], json!(["token"]), "{body}");
    assert_eq!(connection["status"], "ACTIVE");
    assert_eq!(connection["connector"]["name"], "stripe");
    assert!(
        connection["baseUrl"]
            .as_str()
            .unwrap()
            .starts_with("https://api.stripe.com"),
        "{body}"
    );
    assert!(!body.to_string().contains(secret));

    let id = connection["id"].as_str().unwrap().to_owned();
    let (_, body) = app.graphql("query($id: ID!) { connection(id: $id) { credentialFields settings } connections { edges { node { id } } } }", json!({ "id": id })).await;
    assert!(!body.to_string().contains(secret), "{body}");

    let stored = app.stored_text().await;
    assert!(
        stored.contains("Stripe EU"),
        "the dump holds the connection"
    );
    assert!(
        !stored.contains(secret),
        "the database never holds a credential in clear"
    );

    let row = patchbay::connections::find(&app.state.db, &app.workspace_id().await, &id)
        .await
        .unwrap()
        .unwrap();
    let opened = patchbay::connections::credentials_of(&app.state, &row).unwrap();
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&opened["token"]),
        secret,
        "the sealed value opens"
    );
    assert!(
        !format!("{:?}", opened["token"]).contains(secret),
        "secrets print redacted"
    );
}

#[tokio::test]
async fn settings_and_credentials_are_checked_against_the_connector() {
    let app = spawn_app().await;
    let cases = [
        (json!({ "connector": "nope", "name": "x" }), "connector"),
        (
            json!({ "connector": "stripe", "name": "x" }),
            "credentials.token",
        ),
        (
            json!({ "connector": "stripe", "name": "x", "credentials": { "token": "t", "password": "p" } }),
            "credentials.password",
        ),
        (
            json!({ "connector": "stripe", "name": "x", "credentials": { "token": "" } }),
            "credentials.token",
        ),
        (
            json!({ "connector": "stripe", "name": "x", "credentials": { "token": "t" }, "settings": { "colour": "red" } }),
            "settings.colour",
        ),
        (
            json!({ "connector": "shopify", "name": "x", "credentials": { "client_id": "a", "client_secret": "b" } }),
            "settings.shop",
        ),
        (
            json!({ "connector": "stripe", "name": "x", "credentials": "not an object" }),
            "credentials",
        ),
        (
            json!({ "connector": "stripe", "name": " ", "credentials": { "token": "t" } }),
            "name",
        ),
    ];
    for (input, field) in cases {
        let body = create(&app, input.clone()).await;
        assert_eq!(error_codes(&body), ["INVALID_INPUT"], "{input}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{input}: {body}"
        );
    }
    let body = create(
        &app,
        json!({ "connector": "shopify", "name": "shop", "settings": { "shop": "acme" },
        "credentials": { "client_id": "a", "client_secret": "b" } }),
    )
    .await;
    let shop = &body["data"]["createConnection"];
    assert_eq!(
        shop["status"], "PENDING_AUTHORIZATION",
        "OAuth waits for consent: {body}"
    );
    assert_eq!(
        shop["settings"]["api_version"], "2026-07",
        "defaults are filled"
    );
    assert_eq!(
        shop["baseUrl"],
        "https://acme.myshopify.com/admin/api/2026-07"
    );
}

#[tokio::test]
async fn base_url_overrides_to_private_networks_are_refused_unless_allowed() {
    let app = spawn_app_with(|config| config.allow_private_networks = false).await;
    for target in [
        "http://127.0.0.1:9000",
        "http://localhost:8080",
        "http://169.254.169.254/latest",
        "http://[::1]/",
        "http://10.0.0.7",
        "file:///etc/passwd",
    ] {
        let body = create(&app, json!({ "connector": "stripe", "name": target, "credentials": { "token": "t" }, "baseUrlOverride": target })).await;
        assert_eq!(error_codes(&body), ["INVALID_INPUT"], "{target}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "baseUrlOverride");
    }
    let body = create(&app, json!({ "connector": "stripe", "name": "public", "credentials": { "token": "t" }, "baseUrlOverride": "https://93.184.216.34/" })).await;
    assert_eq!(
        body["data"]["createConnection"]["baseUrl"], "https://93.184.216.34",
        "{body}"
    );

    let allowed = spawn_app().await;
    let body = create(&allowed, json!({ "connector": "stripe", "name": "local", "credentials": { "token": "t" }, "baseUrlOverride": "http://127.0.0.1:9000" })).await;
    assert_eq!(
        body["data"]["createConnection"]["baseUrlOverride"], "http://127.0.0.1:9000",
        "{body}"
    );
}

#[tokio::test]
async fn updates_merge_credentials_and_names_are_unique() {
    let app = spawn_app().await;
    let body = create(
        &app,
        json!({ "connector": "shopify", "name": "shop", "settings": { "shop": "acme" },
        "credentials": { "client_id": "a", "client_secret": "b" } }),
    )
    .await;
    let id = body["data"]["createConnection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let update = "mutation($id: ID!, $input: UpdateConnectionInput!) { updateConnection(id: $id, input: $input) {
        name credentialFields baseUrlOverride } }";
    let (_, body) = app
        .graphql(update, json!({ "id": id, "input": { "name": "Acme shop", "credentials": { "webhook_secret": "whs" }, "baseUrlOverride": "http://127.0.0.1:1" } }))
        .await;
    let updated = &body["data"]["updateConnection"];
    assert_eq!(updated["name"], "Acme shop", "{body}");
    assert_eq!(
        updated["credentialFields"],
        json!(["client_id", "client_secret", "webhook_secret"])
    );
    let (_, body) = app
        .graphql(
            update,
            json!({ "id": id, "input": { "clearBaseUrlOverride": true } }),
        )
        .await;
    assert!(
        body["data"]["updateConnection"]["baseUrlOverride"].is_null(),
        "{body}"
    );

    let body = create(
        &app,
        json!({ "connector": "stripe", "name": "Acme shop", "credentials": { "token": "t" } }),
    )
    .await;
    assert_eq!(error_codes(&body), ["CONFLICT"]);
}

#[tokio::test]
async fn a_connector_in_use_cannot_be_deleted() {
    let app = spawn_app().await;
    let mut definition: Value = serde_json::from_str(include_str!(
        "../../src/connectors/fixtures/github_like.json"
    ))
    .unwrap();
    definition["name"] = json!("acme_tracker");
    let (_, body) = app
        .graphql(
            "mutation($d: JSON!) { registerConnector(definition: $d) { name authType } }",
            json!({ "d": definition }),
        )
        .await;
    assert_eq!(
        body["data"]["registerConnector"]["name"], "acme_tracker",
        "{body}"
    );
    let (required, _) = {
        let d = patchbay::connectors::registry::parse(definition.clone()).unwrap();
        let (r, o) = patchbay::connections::credentials::credential_names(&d);
        (r.iter().map(|s| s.to_string()).collect::<Vec<_>>(), o)
    };
    let credentials: serde_json::Map<String, Value> =
        required.iter().map(|n| (n.clone(), json!("x"))).collect();
    let settings: serde_json::Map<String, Value> = definition["settings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s.get("default").is_none())
        .map(|s| (s["name"].as_str().unwrap().to_owned(), json!("acme")))
        .collect();
    let body = create(&app, json!({ "connector": "acme_tracker", "name": "tracker", "settings": settings, "credentials": credentials })).await;
    let id = body["data"]["createConnection"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let (_, body) = app
        .graphql(
            "mutation { deleteConnector(name: \"acme_tracker\") }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&body), ["CONFLICT"], "{body}");
    app.graphql(
        "mutation($id: ID!) { deleteConnection(id: $id) }",
        json!({ "id": id }),
    )
    .await;
    let (_, body) = app
        .graphql(
            "mutation { deleteConnector(name: \"acme_tracker\") }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["deleteConnector"], "acme_tracker", "{body}");
}

#[tokio::test]
async fn another_workspaces_connections_are_not_found() {
    let app = spawn_app().await;
    let body = create(
        &app,
        json!({ "connector": "stripe", "name": "mine", "credentials": { "token": "t" } }),
    )
    .await;
    let id = body["data"]["createConnection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = app.key_in_new_workspace("b").await;
    for query in [
        "query($id: ID!) { connection(id: $id) { id } }",
        "mutation($id: ID!) { updateConnection(id: $id, input: {name: \"stolen\"}) { id } }",
        "mutation($id: ID!) { deleteConnection(id: $id) }",
    ] {
        let (_, body) = app.graphql_as(&key, query, json!({ "id": id })).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{query}: {body}");
    }
    let (_, body) = app
        .graphql_as(&key, "{ connections { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(body["data"]["connections"]["edges"], json!([]));
    let (_, body) = app
        .graphql_as(&key, "mutation { createApiKey(input: {name: \"r\", scopes: [\"connections:read\"]}) { secret } }", json!({}))
        .await;
    let reader = body["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, body) = app.graphql_as(&reader, CREATE, json!({ "input": { "connector": "stripe", "name": "x", "credentials": { "token": "t" } } })).await;
    assert_eq!(error_codes(&body), ["FORBIDDEN"]);
}

#[tokio::test]
async fn rotating_the_master_key_reseals_every_credential() {
    let app = spawn_app().await;
    let body = create(&app, json!({ "connector": "stripe", "name": "rotating", "credentials": { "token": "sk_test_rotate_me" } })).await;
    let id = body["data"]["createConnection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, body) = app
        .graphql(
            "mutation { createWebhookSubscription(input: {url: \"http://127.0.0.1:9/hooks\", eventTypes: [\"*\"]}) { subscription { id } } }",
            json!({}),
        )
        .await;
    let subscription = body["data"]["createWebhookSubscription"]["subscription"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    app.graphql(
        "mutation($s: ID!) { rotateWebhookSecret(id: $s) { secret } }",
        json!({ "s": subscription }),
    )
    .await;
    let new_key = "17".repeat(32);
    // The CLI runs on a blocking thread: blocking this (single-threaded) runtime would freeze
    // the app's own tasks mid-transaction and leave the SQLite file locked for the CLI.
    let database_url = app.database_url.clone();
    let key_for_cli = new_key.clone();
    let output = tokio::task::spawn_blocking(move || {
        let data_dir = tempfile::tempdir().unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_patchbay"))
            .args(["keys", "rotate-master", "--new-key", &key_for_cli])
            .env("PATCHBAY_DATABASE_URL", database_url)
            .env("PATCHBAY_MASTER_KEY", "42".repeat(32))
            .env("PATCHBAY_DATA_DIR", data_dir.path())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("re-sealed the credentials of 1 connection"),
        "{stderr}"
    );

    let workspace = app.workspace_id().await;
    let row = patchbay::connections::find(&app.state.db, &workspace, &id)
        .await
        .unwrap()
        .unwrap();
    let sealed = row.credentials_sealed.clone().unwrap();
    let new_only = patchbay::crypto::Cipher::new(
        patchbay::crypto::MasterKey::from_hex(&secrecy::SecretString::from(new_key)).unwrap(),
        None,
    );
    assert!(new_only.is_current(&sealed));
    assert_eq!(
        new_only.open(&sealed, &id).unwrap(),
        br#"{"token":"sk_test_rotate_me"}"#
    );
    assert!(
        patchbay::connections::credentials_of(&app.state, &row).is_err(),
        "the old key alone no longer opens it"
    );
    assert!(!app.stored_text().await.contains("sk_test_rotate_me"));

    assert!(
        stderr.contains("re-sealed the secrets of 1 webhook subscription"),
        "{stderr}"
    );
    let hook = patchbay::webhooks::subscriptions::get(&app.state.db, &workspace, &subscription)
        .await
        .unwrap();
    let owner = format!("webhook:{subscription}");
    for sealed in [hook.secret, hook.previous_secret.unwrap()] {
        assert!(new_only.is_current(&sealed));
        assert!(
            new_only
                .open(&sealed, &owner)
                .unwrap()
                .starts_with(b"whsec_")
        );
    }
}

const TEST_CONNECTION: &str = "mutation($id: ID!) { testConnection(id: $id) {
    status health { ok status latencyMs error checkedAt } } }";

async fn stripe_connection(
    app: &TestApp,
    fake: &crate::support::stripe::FakeStripe,
    token: &str,
) -> String {
    let body = create(app, json!({ "connector": "stripe", "name": format!("fake stripe {}", token.len() + fake.url.len() + rand_suffix()),
        "credentials": { "token": token }, "baseUrlOverride": fake.url })).await;
    body["data"]["createConnection"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

#[tokio::test]
async fn testing_a_connection_calls_the_providers_check_with_the_credentials() {
    let app = spawn_app().await;
    let fake = crate::support::stripe::start().await;
    let good = stripe_connection(&app, &fake, crate::support::stripe::GOOD_KEY).await;
    let (_, body) = app.graphql(TEST_CONNECTION, json!({ "id": good })).await;
    let health = &body["data"]["testConnection"]["health"];
    assert_eq!(health["ok"], true, "{body}");
    assert_eq!(health["status"], 200);
    assert!(health["error"].is_null());

    let bad_key = "sk_test_51WrongKeyThatLeaks";
    let bad = stripe_connection(&app, &fake, bad_key).await;
    let (_, body) = app.graphql(TEST_CONNECTION, json!({ "id": bad })).await;
    let tested = &body["data"]["testConnection"];
    assert_eq!(tested["health"]["ok"], false, "{body}");
    assert_eq!(tested["health"]["status"], 401);
    assert_eq!(tested["status"], "ERROR");
    let error = tested["health"]["error"].as_str().unwrap();
    assert!(
        error.contains("Invalid API Key provided"),
        "the provider's message is kept: {error}"
    );
    assert!(
        !body.to_string().contains(bad_key),
        "the credential is scrubbed from the excerpt: {body}"
    );
    assert!(
        !app.stored_text().await.contains(bad_key),
        "nor stored in clear"
    );

    let (_, body) = app
        .graphql(
            "query($id: ID!) { connection(id: $id) { health { ok status } } }",
            json!({ "id": bad }),
        )
        .await;
    assert_eq!(
        body["data"]["connection"]["health"]["status"], 401,
        "health is recorded"
    );
}

#[tokio::test]
async fn rate_limits_and_5xx_bursts_are_retried_and_oversized_answers_refused() {
    use std::sync::atomic::Ordering;
    let app = spawn_app().await;
    let fake = crate::support::stripe::start().await;
    let id = stripe_connection(&app, &fake, crate::support::stripe::GOOD_KEY).await;

    fake.behaviour.unavailable.store(2, Ordering::SeqCst);
    fake.behaviour.rate_limited.store(1, Ordering::SeqCst);
    let before = fake.behaviour.requests.load(Ordering::SeqCst);
    let (_, body) = app.graphql(TEST_CONNECTION, json!({ "id": id })).await;
    assert_eq!(
        body["data"]["testConnection"]["health"]["ok"], true,
        "{body}"
    );
    assert_eq!(
        fake.behaviour.requests.load(Ordering::SeqCst) - before,
        4,
        "two 503s and a 429, then success"
    );
    assert!(
        body["data"]["testConnection"]["health"]["latencyMs"]
            .as_i64()
            .unwrap()
            >= 1000,
        "Retry-After: 1 was honoured"
    );

    fake.behaviour.unavailable.store(50, Ordering::SeqCst);
    let (_, body) = app.graphql(TEST_CONNECTION, json!({ "id": id })).await;
    let health = &body["data"]["testConnection"]["health"];
    assert_eq!(
        (health["ok"].clone(), health["status"].clone()),
        (json!(false), json!(503)),
        "{body}"
    );
    assert!(
        health["error"]
            .as_str()
            .unwrap()
            .contains("temporarily unavailable"),
        "{body}"
    );
    fake.behaviour.unavailable.store(0, Ordering::SeqCst);

    fake.behaviour.oversized.store(true, Ordering::SeqCst);
    let (_, body) = app.graphql(TEST_CONNECTION, json!({ "id": id })).await;
    let health = &body["data"]["testConnection"]["health"];
    assert_eq!(health["ok"], false, "{body}");
    assert!(
        health["error"].as_str().unwrap().contains("larger than"),
        "{body}"
    );
}

#[tokio::test]
async fn a_provider_past_the_timeout_is_an_upstream_error() {
    use std::sync::atomic::Ordering;
    let app = spawn_app_with(|config| {
        config.http_timeout = std::time::Duration::from_millis(500);
        config.http_retry.max_attempts = 2;
    })
    .await;
    let fake = crate::support::stripe::start().await;
    let id = stripe_connection(&app, &fake, crate::support::stripe::GOOD_KEY).await;
    fake.behaviour.slow.store(true, Ordering::SeqCst);
    let (_, body) = app.graphql(TEST_CONNECTION, json!({ "id": id })).await;
    let health = &body["data"]["testConnection"]["health"];
    assert_eq!(health["ok"], false, "{body}");
    assert_eq!(health["status"], Value::Null);
    assert!(
        health["error"].as_str().unwrap().contains("in time"),
        "{body}"
    );
    assert_eq!(
        fake.behaviour.requests.load(Ordering::SeqCst),
        2,
        "a timeout is retried within the attempt bound"
    );
}

#[tokio::test]
async fn a_spent_provider_quota_holds_the_connection_until_its_reset() {
    use std::sync::atomic::Ordering;
    let app = spawn_app().await;
    let fake = crate::support::stripe::start().await;
    let id = stripe_connection(&app, &fake, crate::support::stripe::GOOD_KEY).await;
    let sample =
        "query($c: ID!) { sampleRecords(connection: $c, stream: \"customers\", limit: 3) }";
    fake.behaviour.quota_spent.store(true, Ordering::SeqCst);
    let (_, body) = app.graphql(sample, json!({ "c": id })).await;
    assert_eq!(
        body["data"]["sampleRecords"].as_array().unwrap().len(),
        3,
        "{body}"
    );
    let before = fake.behaviour.requests.load(Ordering::SeqCst);
    let (_, body) = app.graphql(sample, json!({ "c": id })).await;
    assert_eq!(error_codes(&body), ["UPSTREAM_ERROR"], "{body}");
    assert!(body.to_string().contains("quota"), "{body}");
    assert_eq!(
        fake.behaviour.requests.load(Ordering::SeqCst),
        before,
        "nothing is sent before the reset"
    );
}

#[tokio::test]
async fn provider_hosts_on_private_networks_are_refused_at_connect_time() {
    use std::sync::atomic::Ordering;
    let app = spawn_app_with(|config| config.allow_private_networks = false).await;
    let fake = crate::support::stripe::start().await;
    let port = fake.url.rsplit(':').next().unwrap();
    for (name, base_url) in [
        ("by_name", format!("http://localhost:{port}")),
        ("by_address", format!("http://127.0.0.1:{port}")),
    ] {
        // A connector's own base URL is only known to be private when it is used.
        let mut definition: Value = serde_json::from_str(include_str!(
            "../../src/connectors/fixtures/stripe_like.json"
        ))
        .unwrap();
        definition["name"] = json!(name);
        definition["base_url"] = json!(base_url);
        let (_, body) = app
            .graphql(
                "mutation($d: JSON!) { registerConnector(definition: $d) { name } }",
                json!({ "d": definition }),
            )
            .await;
        assert_eq!(body["data"]["registerConnector"]["name"], name, "{body}");
        let body = create(
            &app,
            json!({ "connector": name, "name": name, "credentials": { "token": "sk_test_x" } }),
        )
        .await;
        let id = body["data"]["createConnection"]["id"].as_str().unwrap();
        let (_, body) = app
            .graphql(
                "query($c: ID!) { sampleRecords(connection: $c, stream: \"customers\") }",
                json!({ "c": id }),
            )
            .await;
        assert_eq!(error_codes(&body), ["INVALID_INPUT"], "{name}: {body}");
        assert!(
            body.to_string().contains("PATCHBAY_ALLOW_PRIVATE_NETWORKS"),
            "{body}"
        );
    }
    assert_eq!(fake.behaviour.requests.load(Ordering::SeqCst), 0);
}

fn rand_suffix() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

#[tokio::test]
async fn a_stream_is_read_page_after_page_through_the_http_layer() {
    let app = spawn_app().await;
    let fake = crate::support::stripe::start().await;
    let id = stripe_connection(&app, &fake, crate::support::stripe::GOOD_KEY).await;
    let query = "query($id: ID!, $limit: Int!) { sampleRecords(connection: $id, stream: \"customers\", limit: $limit) }";
    let (_, body) = app.graphql(query, json!({ "id": id, "limit": 200 })).await;
    let records = body["data"]["sampleRecords"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let expected: Vec<String> = (0..crate::support::stripe::CUSTOMERS)
        .map(|i| format!("cus_{i:03}"))
        .collect();
    assert_eq!(
        ids, expected,
        "every customer once, in order, across pages of 3"
    );

    let (_, body) = app.graphql(query, json!({ "id": id, "limit": 4 })).await;
    assert_eq!(body["data"]["sampleRecords"].as_array().unwrap().len(), 4);

    let (_, body) = app
        .graphql(
            "query($id: ID!) { suggestFieldMappings(source: {connection: $id, stream: \"customers\"}, target: {connector: \"hubspot\", stream: \"contacts\"}) { source target confidence reason } }",
            json!({ "id": id }),
        )
        .await;
    let email = body["data"]["suggestFieldMappings"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .find(|s| s["source"] == "email")
        .cloned()
        .unwrap_or_default();
    assert!(
        email["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("e-mail"),
        "live samples are evidence: {email}"
    );
}
