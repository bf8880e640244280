//! Pagination end to end: a connection against a fake provider, `sampleRecords(limit: 200)`
//! read live through the HTTP layer, page after page. Every test checks that each record comes
//! back exactly once and in the provider's order, and that the fake received exactly the page
//! requests expected: none fetched twice, none skipped, no request after the last page unless
//! the pagination kind cannot know it was the last.
//!
//! Catalogue connectors are used wherever one pages that way (HubSpot, Salesforce, GitHub,
//! DocuSign, Xero), so the fakes also check that the catalogue asks what the real APIs expect;
//! the other cases register a small definition of their own.

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes, spawn_app};
use crate::support::{docusign, github, gmail, hubspot, offset_api, page_api, salesforce, xero};

const CREATE: &str =
    "mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status } }";
const SAMPLE: &str =
    "query($c: ID!, $s: String!) { sampleRecords(connection: $c, stream: $s, limit: 200) }";

/// Creates a connection; returns its id.
async fn connect(app: &TestApp, input: Value) -> String {
    let (_, body) = app.graphql(CREATE, json!({ "input": input })).await;
    let connection = &body["data"]["createConnection"];
    assert_eq!(connection["status"], "ACTIVE", "{body}");
    connection["id"]
        .as_str()
        .unwrap_or_else(|| panic!("connection created: {body}"))
        .to_owned()
}

/// The records `sampleRecords(limit: 200)` returns; panics on an error.
async fn sample(app: &TestApp, connection: &str, stream: &str) -> Vec<Value> {
    let (_, body) = app
        .graphql(SAMPLE, json!({ "c": connection, "s": stream }))
        .await;
    body["data"]["sampleRecords"]
        .as_array()
        .unwrap_or_else(|| panic!("records read: {body}"))
        .clone()
}

/// The error `sampleRecords` answers with: its code and its message.
async fn sample_error(app: &TestApp, connection: &str, stream: &str) -> (String, String) {
    let (_, body) = app
        .graphql(SAMPLE, json!({ "c": connection, "s": stream }))
        .await;
    assert!(body["data"].is_null(), "the read fails: {body}");
    let code = error_codes(&body).first().cloned().unwrap_or_default();
    let message = body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (code, message)
}

/// The value at `key` of every record, as text (a number as its digits).
fn ids(records: &[Value], key: &str) -> Vec<String> {
    records
        .iter()
        .map(|record| match &record[key] {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            other => panic!("record without a scalar `{key}` ({other}): {record}"),
        })
        .collect()
}

fn texts<T: ToString>(values: &[T]) -> Vec<String> {
    values.iter().map(ToString::to_string).collect()
}

fn some(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some((*v).to_owned())).collect()
}

/// Registers a connector definition in the admin key's workspace.
async fn register(app: &TestApp, definition: Value) {
    let (_, body) = app
        .graphql(
            "mutation($d: JSON!) { registerConnector(definition: $d) { name } }",
            json!({ "d": definition }),
        )
        .await;
    assert_eq!(
        body["data"]["registerConnector"]["name"], definition["name"],
        "registered: {body}"
    );
}

/// OAuth client credentials plus an access token already obtained.
fn oauth(access_token: &str) -> Value {
    json!({ "client_id": "fake-client-id", "client_secret": "fake-client-secret", "access_token": access_token })
}

// --- cursor: HubSpot ----------------------------------------------------------------------------

async fn hubspot_connection(app: &TestApp, fake: &hubspot::FakeHubSpot, token: &str) -> String {
    connect(
        app,
        json!({ "connector": "hubspot", "name": "hubspot", "credentials": oauth(token),
            "baseUrlOverride": fake.url }),
    )
    .await
}

#[tokio::test]
async fn cursor_in_the_body_hubspot_search_reads_every_contact_once() {
    let app = spawn_app().await;
    let fake = hubspot::start(37, 10).await;
    let connection = hubspot_connection(&app, &fake, hubspot::ACCESS_TOKEN).await;

    let records = sample(&app, &connection, "contacts").await;
    assert_eq!(ids(&records, "id"), fake.ids);

    let requests = fake.journal.all();
    assert_eq!(requests.len(), 4, "pages of 10, 10, 10 and 7: {requests:?}");
    let afters: Vec<Value> = requests
        .iter()
        .map(|r| r.body.as_ref().unwrap()["after"].clone())
        .collect();
    assert_eq!(afters, [json!(null), json!("10"), json!("20"), json!("30")]);
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/crm/v3/objects/contacts/search");
        let body = request.body.as_ref().unwrap();
        assert_eq!(body["limit"], 200, "{body}");
        assert_eq!(
            body["sorts"][0]["propertyName"], "lastmodifieddate",
            "the search keeps its filters and sorts on every page: {body}"
        );
        assert_eq!(body["filterGroups"][0]["filters"][0]["value"], "0");
    }
}

#[tokio::test]
async fn cursor_in_the_body_stops_on_a_full_last_page_without_paging() {
    let app = spawn_app().await;
    let fake = hubspot::start(30, 10).await;
    let connection = hubspot_connection(&app, &fake, hubspot::ACCESS_TOKEN).await;

    let records = sample(&app, &connection, "contacts").await;
    assert_eq!(ids(&records, "id"), fake.ids);
    assert_eq!(fake.journal.count(), 3, "{:?}", fake.journal.all());
}

/// HubSpot's list API, with a private app token: the cursor goes in the query string.
fn hubspot_list_definition() -> Value {
    json!({
        "name": "hubspot_contacts_list",
        "display_name": "HubSpot contacts (list API)",
        "category": "crm",
        "version": "1.0.0",
        "base_url": "https://api.hubapi.com",
        "auth": { "type": "bearer" },
        "check": { "path": "/crm/v3/objects/contacts", "query": { "limit": "1" } },
        "streams": [{
            "name": "contacts",
            "request": { "path": "/crm/v3/objects/contacts", "query": { "limit": "10" } },
            "pagination": { "type": "cursor", "cursor_path": "paging.next.after", "cursor_param": "after" },
            "record_path": "results",
            "primary_key": ["id"],
            "fields": [
                { "path": "id", "type": "string" },
                { "path": "properties.email", "type": "string" }
            ]
        }]
    })
}

async fn hubspot_list_connection(app: &TestApp, fake: &hubspot::FakeHubSpot) -> String {
    register(app, hubspot_list_definition()).await;
    connect(
        app,
        json!({ "connector": "hubspot_contacts_list", "name": "hubspot list",
            "credentials": { "token": hubspot::ACCESS_TOKEN }, "baseUrlOverride": fake.url }),
    )
    .await
}

#[tokio::test]
async fn cursor_in_the_query_hubspot_list_reads_every_contact_once() {
    let app = spawn_app().await;
    let fake = hubspot::start(37, 100).await;
    let connection = hubspot_list_connection(&app, &fake).await;

    let records = sample(&app, &connection, "contacts").await;
    assert_eq!(ids(&records, "id"), fake.ids);
    assert_eq!(
        fake.journal.params("after"),
        [
            None,
            Some(fake.ids[10].clone()),
            Some(fake.ids[20].clone()),
            Some(fake.ids[30].clone())
        ]
    );
    assert_eq!(fake.journal.params("limit"), some(&["10"; 4]));
}

#[tokio::test]
async fn cursor_in_the_query_stops_on_a_full_last_page_without_paging() {
    let app = spawn_app().await;
    let fake = hubspot::start(30, 100).await;
    let connection = hubspot_list_connection(&app, &fake).await;

    let records = sample(&app, &connection, "contacts").await;
    assert_eq!(ids(&records, "id"), fake.ids);
    assert_eq!(fake.journal.count(), 3, "{:?}", fake.journal.all());
}

#[tokio::test]
async fn cursor_an_empty_portal_takes_one_request() {
    let app = spawn_app().await;
    let fake = hubspot::start(0, 10).await;
    let connection = hubspot_connection(&app, &fake, hubspot::ACCESS_TOKEN).await;

    assert_eq!(
        sample(&app, &connection, "contacts").await,
        Vec::<Value>::new()
    );
    assert_eq!(fake.journal.count(), 1);
}

// --- cursor: Gmail ------------------------------------------------------------------------------

async fn gmail_connection(app: &TestApp, fake: &gmail::FakeGmail) -> String {
    connect(
        app,
        json!({ "connector": "gmail", "name": "gmail", "credentials": oauth(gmail::ACCESS_TOKEN),
            "baseUrlOverride": fake.url }),
    )
    .await
}

#[tokio::test]
async fn cursor_gmail_follows_next_page_tokens() {
    let app = spawn_app().await;
    let fake = gmail::start(37, 10).await;
    let connection = gmail_connection(&app, &fake).await;

    let records = sample(&app, &connection, "messages").await;
    assert_eq!(ids(&records, "id"), fake.ids);
    assert_eq!(
        fake.journal.params("pageToken"),
        [
            None,
            Some(gmail::token_for(10)),
            Some(gmail::token_for(20)),
            Some(gmail::token_for(30))
        ]
    );
    assert_eq!(fake.journal.params("maxResults"), some(&["500"; 4]));
    assert_eq!(
        fake.journal.params("q"),
        [None::<String>, None, None, None],
        "an unset optional setting leaves its parameter out"
    );
}

#[tokio::test]
async fn cursor_an_empty_mailbox_takes_one_request() {
    let app = spawn_app().await;
    let fake = gmail::start(0, 10).await;
    let connection = gmail_connection(&app, &fake).await;

    assert_eq!(
        sample(&app, &connection, "messages").await,
        Vec::<Value>::new()
    );
    assert_eq!(fake.journal.count(), 1);
}

// --- next_url: Salesforce -----------------------------------------------------------------------

async fn salesforce_connection(
    app: &TestApp,
    fake: &salesforce::FakeSalesforce,
    token: &str,
) -> String {
    // No override: the catalogue's base URL `{instance_url}/services/data/v{api_version}`.
    connect(
        app,
        json!({ "connector": "salesforce", "name": "salesforce",
            "settings": { "instance_url": fake.url }, "credentials": oauth(token) }),
    )
    .await
}

#[tokio::test]
async fn next_url_salesforce_follows_relative_next_records_urls() {
    let app = spawn_app().await;
    let fake = salesforce::start(37, 10).await;
    let connection = salesforce_connection(&app, &fake, salesforce::ACCESS_TOKEN).await;

    let records = sample(&app, &connection, "accounts").await;
    assert_eq!(ids(&records, "Id"), fake.ids);

    assert_eq!(
        fake.journal.paths(),
        [
            "/services/data/v62.0/queryAll",
            "/services/data/v62.0/queryAll/01gFk00000Loc7AAA-10",
            "/services/data/v62.0/queryAll/01gFk00000Loc7AAA-20",
            "/services/data/v62.0/queryAll/01gFk00000Loc7AAA-30",
        ]
    );
    let requests = fake.journal.all();
    let soql = requests[0].param("q").unwrap();
    assert!(
        soql.starts_with("SELECT Id, Name") && soql.contains("FROM Account"),
        "{soql}"
    );
    assert!(
        requests[1..].iter().all(|r| r.query.is_empty()),
        "a nextRecordsUrl is requested as given: {requests:?}"
    );
}

#[tokio::test]
async fn next_url_an_org_without_accounts_takes_one_request() {
    let app = spawn_app().await;
    let fake = salesforce::start(0, 10).await;
    let connection = salesforce_connection(&app, &fake, salesforce::ACCESS_TOKEN).await;

    assert_eq!(
        sample(&app, &connection, "accounts").await,
        Vec::<Value>::new()
    );
    assert_eq!(fake.journal.count(), 1);
}

#[tokio::test]
async fn next_url_a_batch_that_fills_the_last_page_ends_with_done() {
    let app = spawn_app().await;
    let fake = salesforce::start(30, 10).await;
    let connection = salesforce_connection(&app, &fake, salesforce::ACCESS_TOKEN).await;

    let records = sample(&app, &connection, "accounts").await;
    assert_eq!(ids(&records, "Id"), fake.ids);
    assert_eq!(fake.journal.count(), 3);
}

// --- link_header: GitHub ------------------------------------------------------------------------

async fn github_connection(app: &TestApp, fake: &github::FakeGitHub, token: &str) -> String {
    connect(
        app,
        json!({ "connector": "github", "name": "github",
            "settings": { "owner": github::OWNER, "repo": github::REPO },
            "credentials": oauth(token), "baseUrlOverride": fake.url }),
    )
    .await
}

#[tokio::test]
async fn link_header_github_follows_absolute_next_links() {
    let app = spawn_app().await;
    // GitHub serves at most 100 per page and the catalogue asks for 100.
    let fake = github::start(130).await;
    let connection = github_connection(&app, &fake, github::ACCESS_TOKEN).await;

    let records = sample(&app, &connection, "issues").await;
    assert_eq!(ids(&records, "id"), texts(&fake.ids));

    assert_eq!(
        fake.journal.paths(),
        [
            "/repos/octo-org/hello-world/issues".to_owned(),
            format!("/repositories/{}/issues", github::REPO_ID),
        ]
    );
    assert_eq!(fake.journal.params("page"), [None, Some("2".to_owned())]);
    assert_eq!(fake.journal.params("per_page"), some(&["100", "100"]));
    assert_eq!(fake.journal.params("state"), some(&["all", "all"]));
}

#[tokio::test]
async fn link_header_a_single_page_without_link_takes_one_request() {
    let app = spawn_app().await;
    let fake = github::start(100).await;
    let connection = github_connection(&app, &fake, github::ACCESS_TOKEN).await;

    let records = sample(&app, &connection, "issues").await;
    assert_eq!(ids(&records, "id"), texts(&fake.ids));
    assert_eq!(fake.journal.count(), 1);
}

#[tokio::test]
async fn link_header_an_empty_repository_takes_one_request() {
    let app = spawn_app().await;
    let fake = github::start(0).await;
    let connection = github_connection(&app, &fake, github::ACCESS_TOKEN).await;

    assert_eq!(
        sample(&app, &connection, "issues").await,
        Vec::<Value>::new()
    );
    assert_eq!(fake.journal.count(), 1);
}

// --- offset: DocuSign (with a total) and a generic API (with and without one) --------------------

async fn docusign_connection(app: &TestApp, fake: &docusign::FakeDocuSign, token: &str) -> String {
    // No override: the catalogue's base URL `{base_uri}/restapi`.
    connect(
        app,
        json!({ "connector": "docusign", "name": "docusign",
            "settings": { "base_uri": fake.url, "account_id": docusign::ACCOUNT_ID },
            "credentials": oauth(token) }),
    )
    .await
}

#[tokio::test]
async fn offset_docusign_reads_every_envelope_once() {
    let app = spawn_app().await;
    // The catalogue asks for 100 envelopes a page.
    let fake = docusign::start(130).await;
    let connection = docusign_connection(&app, &fake, docusign::ACCESS_TOKEN).await;

    let records = sample(&app, &connection, "envelopes").await;
    assert_eq!(ids(&records, "envelopeId"), fake.ids);
    assert_eq!(fake.journal.params("start_position"), some(&["0", "100"]));
    assert_eq!(fake.journal.params("count"), some(&["100", "100"]));
    assert_eq!(
        fake.journal.params("from_date"),
        some(&["2000-01-01", "2000-01-01"])
    );
    assert_eq!(
        fake.journal.paths(),
        vec![format!("/restapi/v2.1/accounts/{}/envelopes", docusign::ACCOUNT_ID); 2]
    );
}

#[tokio::test]
async fn offset_docusign_stops_at_the_total_when_the_last_page_is_full() {
    let app = spawn_app().await;
    let fake = docusign::start(100).await;
    let connection = docusign_connection(&app, &fake, docusign::ACCESS_TOKEN).await;

    let records = sample(&app, &connection, "envelopes").await;
    assert_eq!(ids(&records, "envelopeId"), fake.ids);
    assert_eq!(
        fake.journal.params("start_position"),
        some(&["0"]),
        "totalSetSize says 100: no request for an empty page"
    );
}

#[tokio::test]
async fn offset_docusign_an_account_without_envelopes_takes_one_request() {
    let app = spawn_app().await;
    let fake = docusign::start(0).await;
    let connection = docusign_connection(&app, &fake, docusign::ACCESS_TOKEN).await;

    assert_eq!(
        sample(&app, &connection, "envelopes").await,
        Vec::<Value>::new()
    );
    assert_eq!(fake.journal.count(), 1);
}

/// A generic offset/limit API read 7 at a time, with or without its `total`.
fn offset_definition(with_total: bool) -> Value {
    let mut pagination =
        json!({ "type": "offset", "offset_param": "offset", "limit_param": "limit", "limit": 7 });
    if with_total {
        pagination["total_path"] = json!("total");
    }
    json!({
        "name": "offset_records",
        "display_name": "Offset records",
        "category": "other",
        "version": "1.0.0",
        "base_url": "https://api.example.com",
        "auth": { "type": "bearer" },
        "check": { "path": "/v1/records", "query": { "limit": "1" } },
        "streams": [{
            "name": "records",
            "request": { "path": "/v1/records" },
            "pagination": pagination,
            "record_path": "data",
            "primary_key": ["id"],
            "fields": [{ "path": "id", "type": "string" }, { "path": "name", "type": "string" }]
        }]
    })
}

async fn offset_connection(
    app: &TestApp,
    fake: &offset_api::FakeOffsetApi,
    with_total: bool,
) -> String {
    register(app, offset_definition(with_total)).await;
    connect(
        app,
        json!({ "connector": "offset_records", "name": "offset records",
            "credentials": { "token": offset_api::TOKEN }, "baseUrlOverride": fake.url }),
    )
    .await
}

#[tokio::test]
async fn offset_stops_on_a_short_page() {
    let app = spawn_app().await;
    let fake = offset_api::start(30).await;
    let connection = offset_connection(&app, &fake, false).await;

    let records = sample(&app, &connection, "records").await;
    assert_eq!(ids(&records, "id"), fake.ids);
    assert_eq!(
        fake.journal.params("offset"),
        some(&["0", "7", "14", "21", "28"])
    );
    assert_eq!(fake.journal.params("limit"), some(&["7"; 5]));
}

#[tokio::test]
async fn offset_without_a_total_needs_one_empty_page_when_the_last_is_full() {
    let app = spawn_app().await;
    let fake = offset_api::start(28).await;
    let connection = offset_connection(&app, &fake, false).await;

    let records = sample(&app, &connection, "records").await;
    assert_eq!(ids(&records, "id"), fake.ids);
    assert_eq!(
        fake.journal.params("offset"),
        some(&["0", "7", "14", "21", "28"]),
        "nothing tells a full last page from a full middle one but the empty page after it"
    );
}

#[tokio::test]
async fn offset_with_a_total_stops_after_a_full_last_page() {
    let app = spawn_app().await;
    let fake = offset_api::start(28).await;
    let connection = offset_connection(&app, &fake, true).await;

    let records = sample(&app, &connection, "records").await;
    assert_eq!(ids(&records, "id"), fake.ids);
    assert_eq!(fake.journal.params("offset"), some(&["0", "7", "14", "21"]));
}

#[tokio::test]
async fn offset_an_empty_collection_takes_one_request() {
    let app = spawn_app().await;
    let fake = offset_api::start(0).await;
    let connection = offset_connection(&app, &fake, true).await;

    assert_eq!(
        sample(&app, &connection, "records").await,
        Vec::<Value>::new()
    );
    assert_eq!(fake.journal.params("offset"), some(&["0"]));
}

// --- page_number: Xero and a generic API ---------------------------------------------------------

async fn xero_connection(app: &TestApp, fake: &xero::FakeXero, token: &str) -> String {
    connect(
        app,
        json!({ "connector": "xero", "name": "xero", "settings": { "tenant_id": xero::TENANT_ID },
            "credentials": oauth(token), "baseUrlOverride": fake.url }),
    )
    .await
}

#[tokio::test]
async fn page_number_xero_reads_every_contact_in_one_page() {
    let app = spawn_app().await;
    // The catalogue asks for Xero's largest page, 1,000 contacts: a sample is one page.
    let fake = xero::start(30).await;
    let connection = xero_connection(&app, &fake, xero::ACCESS_TOKEN).await;

    let records = sample(&app, &connection, "contacts").await;
    assert_eq!(ids(&records, "ContactID"), fake.ids);
    let requests = fake.journal.all();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].path, "/api.xro/2.0/Contacts");
    assert_eq!(requests[0].param("page"), Some("1"));
    assert_eq!(requests[0].param("pageSize"), Some("1000"));
    assert_eq!(requests[0].param("order"), Some("UpdatedDateUTC ASC"));
}

#[tokio::test]
async fn page_number_an_organisation_without_contacts_takes_one_request() {
    let app = spawn_app().await;
    let fake = xero::start(0).await;
    let connection = xero_connection(&app, &fake, xero::ACCESS_TOKEN).await;

    assert_eq!(
        sample(&app, &connection, "contacts").await,
        Vec::<Value>::new()
    );
    assert_eq!(fake.journal.count(), 1);
}

/// A generic page-number API: `page_size` asks 7 a page (a short page is the last), and
/// `total_pages` reads the page count; without `page_size` the provider's default (25) applies.
fn page_definition(page_size: Option<u32>, with_total: bool) -> Value {
    let mut pagination = json!({ "type": "page_number", "page_param": "page", "start_page": 1 });
    if let Some(size) = page_size {
        pagination["page_size_param"] = json!("per_page");
        pagination["page_size"] = json!(size);
    }
    if with_total {
        pagination["total_pages_path"] = json!("total_pages");
    }
    json!({
        "name": "paged_items",
        "display_name": "Paged items",
        "category": "other",
        "version": "1.0.0",
        "base_url": "https://api.example.com",
        "auth": { "type": "bearer" },
        "check": { "path": "/api/items" },
        "streams": [{
            "name": "items",
            "request": { "path": "/api/items" },
            "pagination": pagination,
            "record_path": "items",
            "primary_key": ["id"],
            "fields": [{ "path": "id", "type": "integer" }, { "path": "title", "type": "string" }]
        }]
    })
}

async fn page_connection(
    app: &TestApp,
    fake: &page_api::FakePageApi,
    page_size: Option<u32>,
    with_total: bool,
) -> String {
    register(app, page_definition(page_size, with_total)).await;
    connect(
        app,
        json!({ "connector": "paged_items", "name": "paged items",
            "credentials": { "token": page_api::TOKEN }, "baseUrlOverride": fake.url }),
    )
    .await
}

#[tokio::test]
async fn page_number_stops_on_a_short_page() {
    let app = spawn_app().await;
    let fake = page_api::start(30).await;
    let connection = page_connection(&app, &fake, Some(7), false).await;

    let records = sample(&app, &connection, "items").await;
    assert_eq!(ids(&records, "id"), texts(&fake.ids));
    assert_eq!(
        fake.journal.params("page"),
        some(&["1", "2", "3", "4", "5"])
    );
    assert_eq!(fake.journal.params("per_page"), some(&["7"; 5]));
}

#[tokio::test]
async fn page_number_without_a_total_needs_one_empty_page_when_the_last_is_full() {
    let app = spawn_app().await;
    let fake = page_api::start(28).await;
    let connection = page_connection(&app, &fake, Some(7), false).await;

    let records = sample(&app, &connection, "items").await;
    assert_eq!(ids(&records, "id"), texts(&fake.ids));
    assert_eq!(
        fake.journal.params("page"),
        some(&["1", "2", "3", "4", "5"])
    );
}

#[tokio::test]
async fn page_number_with_a_page_count_stops_after_a_full_last_page() {
    let app = spawn_app().await;
    let fake = page_api::start(28).await;
    let connection = page_connection(&app, &fake, Some(7), true).await;

    let records = sample(&app, &connection, "items").await;
    assert_eq!(ids(&records, "id"), texts(&fake.ids));
    assert_eq!(fake.journal.params("page"), some(&["1", "2", "3", "4"]));
}

#[tokio::test]
async fn page_number_with_only_a_page_count_stops_at_it() {
    let app = spawn_app().await;
    // 50 items at the provider's 25 a page: two full pages, and the page count says two.
    let fake = page_api::start(50).await;
    let connection = page_connection(&app, &fake, None, true).await;

    let records = sample(&app, &connection, "items").await;
    assert_eq!(ids(&records, "id"), texts(&fake.ids));
    assert_eq!(fake.journal.params("page"), some(&["1", "2"]));
    assert_eq!(fake.journal.params("per_page"), [None::<String>, None]);
}

#[tokio::test]
async fn page_number_an_empty_collection_takes_one_request() {
    let app = spawn_app().await;
    let fake = page_api::start(0).await;
    let connection = page_connection(&app, &fake, Some(7), true).await;

    assert_eq!(
        sample(&app, &connection, "items").await,
        Vec::<Value>::new()
    );
    assert_eq!(fake.journal.params("page"), some(&["1"]));
}

// --- credentials ---------------------------------------------------------------------------------

/// A refused token fails the read at once (a 401 is not retried) with the provider's own
/// error, and the token never comes back in the error.
#[tokio::test]
async fn a_refused_token_fails_the_read_with_the_providers_error() {
    let app = spawn_app().await;
    let wrong = "wrong-token-that-must-not-leak-0123456789";

    let hubspot = hubspot::start(5, 10).await;
    let id = hubspot_connection(&app, &hubspot, wrong).await;
    let (code, message) = sample_error(&app, &id, "contacts").await;
    assert_eq!(code, "UPSTREAM_ERROR", "{message}");
    assert!(message.contains("INVALID_AUTHENTICATION"), "{message}");
    assert!(!message.contains(wrong), "{message}");
    assert_eq!(hubspot.journal.count(), 1);

    let salesforce = salesforce::start(5, 10).await;
    let body = app
        .graphql(
            CREATE,
            json!({ "input": { "connector": "salesforce", "name": "salesforce",
            "settings": { "instance_url": salesforce.url }, "credentials": oauth(wrong) } }),
        )
        .await
        .1;
    let id = body["data"]["createConnection"]["id"].as_str().unwrap();
    let (code, message) = sample_error(&app, id, "accounts").await;
    assert_eq!(code, "UPSTREAM_ERROR", "{message}");
    assert!(message.contains("INVALID_SESSION_ID"), "{message}");
    assert!(!message.contains(wrong), "{message}");
    assert_eq!(salesforce.journal.count(), 1);

    let github = github::start(5).await;
    let body = app
        .graphql(
            CREATE,
            json!({ "input": { "connector": "github", "name": "github",
            "settings": { "owner": github::OWNER, "repo": github::REPO },
            "credentials": oauth(wrong), "baseUrlOverride": github.url } }),
        )
        .await
        .1;
    let id = body["data"]["createConnection"]["id"].as_str().unwrap();
    let (code, message) = sample_error(&app, id, "issues").await;
    assert_eq!(code, "UPSTREAM_ERROR", "{message}");
    assert!(message.contains("Bad credentials"), "{message}");
    assert_eq!(github.journal.count(), 1);

    let docusign = docusign::start(5).await;
    let body = app
        .graphql(
            CREATE,
            json!({ "input": { "connector": "docusign", "name": "docusign",
            "settings": { "base_uri": docusign.url, "account_id": docusign::ACCOUNT_ID },
            "credentials": oauth(wrong) } }),
        )
        .await
        .1;
    let id = body["data"]["createConnection"]["id"].as_str().unwrap();
    let (code, message) = sample_error(&app, id, "envelopes").await;
    assert_eq!(code, "UPSTREAM_ERROR", "{message}");
    assert!(message.contains("AUTHORIZATION_INVALID_TOKEN"), "{message}");
    assert_eq!(docusign.journal.count(), 1);

    let xero = xero::start(5).await;
    let body = app
        .graphql(
            CREATE,
            json!({ "input": { "connector": "xero", "name": "xero",
            "settings": { "tenant_id": xero::TENANT_ID }, "credentials": oauth(wrong),
            "baseUrlOverride": xero.url } }),
        )
        .await
        .1;
    let id = body["data"]["createConnection"]["id"].as_str().unwrap();
    let (code, message) = sample_error(&app, id, "contacts").await;
    assert_eq!(code, "UPSTREAM_ERROR", "{message}");
    assert!(message.contains("AuthenticationUnsuccessful"), "{message}");
    assert_eq!(xero.journal.count(), 1);
}

// --- next pages on another origin ----------------------------------------------------------------

/// A provider's answer names the next page's URL; one on another origin (here another port)
/// must not be sent the connection's token, as the HTTP layer refuses redirects for that very
/// reason.
#[tokio::test]
async fn a_next_url_on_another_origin_never_receives_the_token() {
    use std::sync::{Arc, Mutex};

    use axum::{Json, Router, http::HeaderMap, routing::get};

    let app = spawn_app().await;
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let foreign = {
        let seen = seen.clone();
        crate::support::serve(Router::new().fallback(move |headers: HeaderMap| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(
                    crate::support::header(&headers, "authorization").to_owned(),
                );
                Json(json!({ "totalSize": 2, "done": true, "records": [{ "Id": "001Fk0000000001AAA" }] }))
            }
        }))
        .await
    };
    let next = format!("{foreign}/services/data/v62.0/query/01gFk00000Loc7AAA-1");
    let provider = crate::support::serve(Router::new().route(
        "/services/data/v62.0/queryAll",
        get(move || {
            let next = next.clone();
            async move {
                Json(
                    json!({ "totalSize": 2, "done": false, "nextRecordsUrl": next,
                    "records": [{ "Id": "001Fk0000000000AAA" }] }),
                )
            }
        }),
    ))
    .await;
    let connection = connect(
        &app,
        json!({ "connector": "salesforce", "name": "salesforce",
            "settings": { "instance_url": provider }, "credentials": oauth(salesforce::ACCESS_TOKEN) }),
    )
    .await;

    // The page on another origin is refused; it never receives the token.
    let (_, body) = app
        .graphql(SAMPLE, json!({ "c": connection, "s": "accounts" }))
        .await;
    assert_eq!(error_codes(&body), ["INVALID_INPUT"], "{body}");
    assert!(body.to_string().contains("another origin"), "{body}");
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .all(|auth| !auth.contains(salesforce::ACCESS_TOKEN)),
        "the other origin received the token: {seen:?}"
    );
}
