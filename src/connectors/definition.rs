//! The declarative connector definition: the data one generic engine executes.
//!
//! A connector is a JSON (or YAML) document of these types. Every struct denies unknown fields and
//! every field carries a doc comment: the comments become the user's documentation through the
//! JSON Schema that [`json_schema`] generates, so the docs, the schema and the parser cannot drift.
//!
//! Conventions shared by all fields:
//! - **Templates** are strings with `{placeholder}`s (see [`super::template`]). A bare name
//!   (`{shop}`) is a connection setting declared in [`Definition::settings`]; `{record.<field>}`
//!   (and `{record}` for the whole record) is the record an action writes; `{offset}`, `{limit}`,
//!   `{page}` and `{page_size}` are filled by pagination; `{since}` by an incremental filter.
//!   `{{` and `}}` are literal braces.
//! - **Paths** point into JSON documents (see [`super::path`]): `data`, `QueryResponse.Customer`,
//!   `items[0].id`, `['@odata.nextLink']`.
//! - Request paths are relative to the base URL and start with `/`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A connector: an external service described as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct Definition {
    /// Unique identifier: lowercase letters, digits and `_`, starting with a letter
    /// (e.g. `stripe`, `microsoft_teams`).
    pub name: String,
    /// Name shown to people (e.g. `Stripe`, `Microsoft Teams`).
    pub display_name: String,
    /// The kind of service, used to group and filter connectors.
    pub category: Category,
    /// One or two sentences on what the connector reads and writes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Link to the provider's API reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_url: Option<String>,
    /// Version of this definition, `major.minor.patch`; bump it when the definition changes.
    pub version: String,
    /// Production base URL, prefixed to every request path; a template over the connection's
    /// settings (e.g. `https://{shop}.myshopify.com/admin/api/2024-10`, `{instance_url}/services/data/v61.0`).
    /// It has no query string and no fragment.
    pub base_url: String,
    /// Base URL of the provider's sandbox, used by connections in the sandbox environment; same
    /// rules as `base_url`. When absent, sandbox connections use `base_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_base_url: Option<String>,
    /// Values each connection supplies (or OAuth fills in), usable as `{name}` placeholders in
    /// URLs, paths, query values, headers and bodies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<Setting>,
    /// How requests are authenticated.
    pub auth: Auth,
    /// Headers sent with every request to the provider (e.g. `Stripe-Version`, `Notion-Version`,
    /// `xero-tenant-id: {tenant_id}`); values are templates over the settings.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The provider's default rate limit, enforced per connection; a stream's own limit applies
    /// on top of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// A cheap authenticated request that `testConnection` sends; any 2xx answer means the
    /// connection works.
    pub check: Request,
    /// The record types the connector reads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub streams: Vec<Stream>,
    /// The writes the connector performs (create, update, delete a record).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
    /// Events the provider pushes to Patchbay, and how to verify and read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<Webhooks>,
}

/// The kind of service a connector talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Payments and billing (Stripe, PayPal).
    Payments,
    /// Accounting and bookkeeping (QuickBooks Online, Xero).
    Accounting,
    /// Customer relationship management (Salesforce, HubSpot).
    Crm,
    /// Electronic signatures (DocuSign, Adobe Sign).
    ESignature,
    /// Chat and team messaging (Slack, Microsoft Teams).
    Messaging,
    /// E-mail (Gmail, Outlook).
    Email,
    /// Social networks (LinkedIn).
    Social,
    /// Online stores (Shopify).
    Commerce,
    /// Developer tools (GitHub).
    DevTools,
    /// Anything else.
    Other,
}

/// A value a connection supplies, such as a shop's domain or a tenant id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct Setting {
    /// Name used in placeholders (`{shop}`): lowercase letters, digits and `_`, starting with a
    /// letter. `since`, `offset`, `limit`, `page`, `page_size` and `record` are reserved.
    pub name: String,
    /// Label shown in the console's connection form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Help text: what the value is and where to find it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What kind of value it is; a `url` setting may start a URL template.
    #[serde(default)]
    pub format: SettingFormat,
    /// Whether a connection must give a value (unless `default` provides one). An optional
    /// setting without a default cannot appear in a base URL or a path; a query parameter or
    /// header that uses it is left out when it is unset.
    #[serde(default = "default_true")]
    pub required: bool,
    /// Value used when the connection gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// An example value shown as a hint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

/// The kind of value a setting holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettingFormat {
    /// Free text, such as an account id or a subdomain.
    #[default]
    Text,
    /// An absolute `http`/`https` URL, such as Salesforce's instance URL.
    Url,
}

/// How requests are authenticated; `type` names the scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Auth {
    /// OAuth 2.0 authorization code grant, with refresh.
    Oauth2AuthorizationCode(OAuth2AuthorizationCode),
    /// OAuth 2.0 client credentials grant (machine to machine).
    Oauth2ClientCredentials(OAuth2ClientCredentials),
    /// A static API key sent in a header or a query parameter; credential `api_key`.
    ApiKey(ApiKeyAuth),
    /// HTTP basic authentication; credentials `username` and `password`.
    Basic(BasicAuth),
    /// `Authorization: Bearer <token>` with a static token; credential `token`.
    Bearer(BearerAuth),
    /// No authentication.
    None(NoAuth),
}

/// OAuth 2.0 authorization code grant. The connection's credentials are `client_id` and
/// `client_secret`; the tokens come from the exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct OAuth2AuthorizationCode {
    /// The provider's authorization page; a template over settings the user supplies.
    pub authorize_url: String,
    /// The token endpoint (code exchange and refresh); a template over settings.
    pub token_url: String,
    /// The token endpoint used for refresh when it differs from `token_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_url: Option<String>,
    /// Scopes requested.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// How scopes are joined in the `scope` parameter (a space by the standard; `,` for Slack).
    #[serde(default = "default_scope_separator")]
    pub scope_separator: String,
    /// Whether to use PKCE (`code_challenge` with S256).
    #[serde(default)]
    pub pkce: bool,
    /// Extra query parameters for the authorization page (e.g. `access_type: offline`,
    /// `prompt: consent`); values are templates over settings.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub authorize_params: BTreeMap<String, String>,
    /// Extra form parameters for token requests; values are templates over settings.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub token_params: BTreeMap<String, String>,
    /// How the client id and secret are sent to the token endpoint.
    #[serde(default)]
    pub client_auth: ClientAuth,
    /// Where the tokens and their lifetime are in the token response.
    #[serde(default)]
    pub token_response: TokenResponse,
    /// How the access token is sent with API requests.
    #[serde(default)]
    pub token_placement: TokenPlacement,
    /// Settings filled from the token response: setting name → path in the response
    /// (Salesforce: `instance_url` → `instance_url`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings_from_token_response: BTreeMap<String, String>,
    /// Settings filled from the query parameters of the redirect back to Patchbay: setting
    /// name → parameter (QuickBooks: `realm_id` → `realmId`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings_from_callback: BTreeMap<String, String>,
}

/// OAuth 2.0 client credentials grant. The connection's credentials are `client_id` and
/// `client_secret`; tokens are fetched and cached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct OAuth2ClientCredentials {
    /// The token endpoint; a template over settings.
    pub token_url: String,
    /// Scopes requested.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// How scopes are joined in the `scope` parameter.
    #[serde(default = "default_scope_separator")]
    pub scope_separator: String,
    /// Extra form parameters for the token request (e.g. `audience`); values are templates over
    /// settings.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub token_params: BTreeMap<String, String>,
    /// How the client id and secret are sent to the token endpoint.
    #[serde(default)]
    pub client_auth: ClientAuth,
    /// Where the token and its lifetime are in the token response.
    #[serde(default)]
    pub token_response: TokenResponse,
    /// How the access token is sent with API requests.
    #[serde(default)]
    pub token_placement: TokenPlacement,
}

/// How the OAuth client authenticates to the token endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// `client_id` and `client_secret` as form fields of the request body.
    #[default]
    Body,
    /// An HTTP basic `Authorization` header (QuickBooks, Xero).
    Basic,
}

/// Where the tokens are in a token response. A value missing from the response is simply
/// absent (e.g. a provider that issues no refresh token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct TokenResponse {
    /// Path of the access token.
    #[serde(default = "default_access_token_path")]
    pub access_token_path: String,
    /// Path of the refresh token; a new one in a refresh response replaces the stored one
    /// (providers that rotate refresh tokens).
    #[serde(default = "default_refresh_token_path")]
    pub refresh_token_path: String,
    /// Path of the lifetime in seconds.
    #[serde(default = "default_expires_in_path")]
    pub expires_in_path: String,
    /// Lifetime assumed when the response gives none (Salesforce sends no `expires_in`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_expires_in_seconds: Option<u64>,
}

impl Default for TokenResponse {
    fn default() -> Self {
        Self {
            access_token_path: default_access_token_path(),
            refresh_token_path: default_refresh_token_path(),
            expires_in_path: default_expires_in_path(),
            default_expires_in_seconds: None,
        }
    }
}

/// How an OAuth access token is sent with API requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct TokenPlacement {
    /// Header carrying the token (Shopify: `X-Shopify-Access-Token`).
    #[serde(default = "default_authorization_header")]
    pub header: String,
    /// Text before the token in that header; empty for none.
    #[serde(default = "default_bearer_prefix")]
    pub prefix: String,
}

impl Default for TokenPlacement {
    fn default() -> Self {
        Self {
            header: default_authorization_header(),
            prefix: default_bearer_prefix(),
        }
    }
}

/// A static API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct ApiKeyAuth {
    /// Where the key goes.
    #[serde(rename = "in")]
    pub location: ApiKeyLocation,
    /// Name of the header or query parameter (e.g. `X-API-Key`, `api_key`).
    pub name: String,
    /// Text before the key (e.g. `Bearer `, `Token token=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// Where an API key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyLocation {
    /// In a request header.
    Header,
    /// In a query parameter.
    Query,
}

/// HTTP basic authentication with the connection's `username` and `password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct BasicAuth {}

/// A static bearer token (`Authorization: Bearer <token>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct BearerAuth {}

/// No authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct NoAuth {}

/// An HTTP request relative to the base URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct Request {
    /// HTTP method.
    #[serde(default)]
    pub method: Method,
    /// Path template appended to the base URL, starting with `/` (e.g. `/v1/customers`,
    /// `/repos/{owner}/{repo}/issues`).
    pub path: String,
    /// Query parameters: name → value template.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// Request headers: name → value template.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Body template: any JSON; every string in it is a template, and a string that is exactly
    /// one placeholder keeps the value's JSON type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// How the body is encoded.
    #[serde(default)]
    pub body_format: BodyFormat,
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `GET`.
    #[default]
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

/// How a request body is encoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BodyFormat {
    /// `application/json`.
    #[default]
    Json,
    /// `application/x-www-form-urlencoded` (Stripe); the body must be an object, nested
    /// objects are written as `a[b]=…`.
    Form,
}

/// A record type the connector reads (customers, invoices, messages, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct Stream {
    /// Identifier, unique in the connector: lowercase letters, digits and `_` (e.g. `customers`,
    /// `payment_intents`).
    pub name: String,
    /// Name shown to people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// What the records are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The request for the first page.
    pub request: Request,
    /// How to get the following pages.
    #[serde(default, skip_serializing_if = "Pagination::is_none")]
    pub pagination: Pagination,
    /// Path of the records array in the response body (`data`, `results`, `value`,
    /// `QueryResponse.Customer`); omit when the body is the array itself. An object found there
    /// is read as one record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_path: Option<String>,
    /// Paths of the fields that identify a record (usually `["id"]`); each must be a declared
    /// field.
    pub primary_key: Vec<String>,
    /// How to read only what changed since the last run; absent for full reads only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental: Option<Incremental>,
    /// How records deleted at the provider are detected; absent when they are not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletes: Option<Deletes>,
    /// The record's fields (path and type), used by mapping suggestions; must include the
    /// primary key and the incremental cursor field.
    pub fields: Vec<Field>,
    /// A rate limit for this stream's endpoint, on top of the provider's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
}

/// How a stream's pages follow each other; `type` names the scheme. Every scheme also stops on
/// a page without records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Pagination {
    /// One request returns everything.
    None(NoPagination),
    /// The response carries a cursor that the next request sends back.
    Cursor(CursorPagination),
    /// The response carries the full URL of the next page.
    NextUrl(NextUrlPagination),
    /// The `Link` response header carries the next page's URL (RFC 8288).
    LinkHeader(LinkHeaderPagination),
    /// Offset and limit.
    Offset(OffsetPagination),
    /// Page number and page size.
    PageNumber(PageNumberPagination),
}

impl Default for Pagination {
    fn default() -> Self {
        Self::None(NoPagination {})
    }
}

impl Pagination {
    /// Whether this is [`Pagination::None`].
    pub fn is_none(&self) -> bool {
        matches!(self, Self::None(_))
    }

    /// The wire name of the scheme, as written in `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::None(_) => "none",
            Self::Cursor(_) => "cursor",
            Self::NextUrl(_) => "next_url",
            Self::LinkHeader(_) => "link_header",
            Self::Offset(_) => "offset",
            Self::PageNumber(_) => "page_number",
        }
    }
}

/// No pagination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct NoPagination {}

/// Cursor pagination: Stripe (`starting_after` = last record's `id`, `has_more`), Slack
/// (`response_metadata.next_cursor`), HubSpot (`paging.next.after`), Gmail (`nextPageToken`).
/// Stops when the cursor is missing, null or empty, or `has_more_path` is false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct CursorPagination {
    /// Path of the next cursor: in the response body, or in the page's last record when
    /// `cursor_source` is `last_record`.
    pub cursor_path: String,
    /// Where `cursor_path` is read.
    #[serde(default)]
    pub cursor_source: CursorSource,
    /// Name of the query parameter (or path of the body field) the cursor is sent in
    /// (`starting_after`, `cursor`, `after`, `pageToken`).
    pub cursor_param: String,
    /// Whether the cursor is sent in the query string or the JSON body.
    #[serde(default)]
    pub cursor_in: ParamLocation,
    /// Path of a boolean that is false on the last page (`has_more`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more_path: Option<String>,
}

/// Where a pagination cursor is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CursorSource {
    /// From the response body.
    #[default]
    Response,
    /// From the last record of the page (Stripe's `starting_after`).
    LastRecord,
}

/// Where a value is sent in a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParamLocation {
    /// As a query parameter.
    #[default]
    Query,
    /// As a field of the JSON body (given as a path).
    Body,
}

/// Next-URL pagination: Salesforce `nextRecordsUrl`, Microsoft Graph `@odata.nextLink`.
/// A relative URL is resolved against the base URL. Stops when the URL is missing, null or empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct NextUrlPagination {
    /// Path of the next page's URL in the response body (`nextRecordsUrl`, `['@odata.nextLink']`).
    pub next_url_path: String,
}

/// `Link` header pagination (GitHub, Shopify). Stops when there is no link with this relation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct LinkHeaderPagination {
    /// The link relation to follow.
    #[serde(default = "default_next_rel")]
    pub rel: String,
}

/// Offset pagination (LinkedIn `start`/`count`, QuickBooks `STARTPOSITION`/`MAXRESULTS` inside
/// the query text). The offset advances by the number of records received. Stops on a page
/// shorter than `limit`, when the offset reaches the total at `total_path`, or when
/// `has_more_path` is false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct OffsetPagination {
    /// Query parameter carrying the offset; omit when the request uses `{offset}` itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_param: Option<String>,
    /// Query parameter carrying the page size; omit when the request uses `{limit}` itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_param: Option<String>,
    /// Records requested per page.
    pub limit: u32,
    /// Offset of the first record (0, or 1 for QuickBooks' `STARTPOSITION`).
    #[serde(default)]
    pub start: u64,
    /// Path of the total number of records, when the response gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_path: Option<String>,
    /// Path of a boolean that is false on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more_path: Option<String>,
}

/// Page-number pagination (Xero `page`). Stops on a page shorter than `page_size` (when given),
/// after the page count at `total_pages_path`, or when `has_more_path` is false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct PageNumberPagination {
    /// Query parameter carrying the page number; omit when the request uses `{page}` itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_param: Option<String>,
    /// Query parameter carrying the page size; requires `page_size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size_param: Option<String>,
    /// Records per page, requested with `page_size_param` or `{page_size}`, or the provider's
    /// fixed size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// Number of the first page: 0 or 1.
    #[serde(default = "default_start_page")]
    pub start_page: u64,
    /// Path of the total number of pages, when the response gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_pages_path: Option<String>,
    /// Path of a boolean that is false on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more_path: Option<String>,
}

/// Incremental reads: only records changed since the stored cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct Incremental {
    /// Path of the field that orders changes (`updated_at`, `properties.hs_lastmodifieddate`,
    /// `SystemModstamp`); must be a declared field. The stored cursor is the highest value seen.
    pub cursor_field: String,
    /// How the cursor field's values are written.
    pub format: TimeFormat,
    /// How to ask the provider for records changed since the cursor.
    pub since: Since,
    /// Whether records arrive in ascending order of the cursor field. When they do, the cursor
    /// is saved after every page; otherwise only when a run completes.
    #[serde(default)]
    pub ordered: bool,
    /// Seconds subtracted from the stored cursor when asking for changes, so records updated
    /// while a run was reading are not missed (content hashes make the overlap free).
    #[serde(default)]
    pub overlap_seconds: u64,
}

/// A way of writing a point in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    /// ISO 8601 / RFC 3339 (`2024-05-01T12:00:00Z`).
    Iso8601,
    /// Seconds since the Unix epoch.
    UnixSeconds,
    /// Milliseconds since the Unix epoch.
    UnixMs,
    /// HTTP date (`Wed, 01 May 2024 12:00:00 GMT`), as in `If-Modified-Since`.
    HttpDate,
    /// Microsoft JSON date (`/Date(1714564800000+0000)/`), as Xero writes it.
    MsJsonDate,
}

/// How a request asks for records changed since a point in time; `type` names the way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Since {
    /// A query parameter carrying the time (GitHub `since`, Shopify `updated_at_min`).
    QueryParam(SinceQueryParam),
    /// A query parameter set to a filter expression containing `{since}` (Salesforce SOQL,
    /// Microsoft Graph `$filter`, QuickBooks query); it replaces the request's own value of
    /// that parameter on incremental runs.
    Filter(SinceFilter),
    /// A field of the JSON body set to the time (HubSpot search filters).
    BodyField(SinceBodyField),
    /// A request header carrying the time (Xero `If-Modified-Since`).
    Header(SinceHeader),
    /// The last page of a run carries a URL returning the changes since that run (Microsoft
    /// Graph `@odata.deltaLink`); it is stored and requested on the next run instead of the
    /// stream's request. The cursor field then only records progress.
    DeltaUrl(SinceDeltaUrl),
}

impl Since {
    /// The format the time is sent in, when it differs from the cursor field's.
    pub fn format(&self) -> Option<TimeFormat> {
        match self {
            Self::QueryParam(s) => s.format,
            Self::Filter(s) => s.format,
            Self::BodyField(s) => s.format,
            Self::Header(s) => s.format,
            Self::DeltaUrl(_) => None,
        }
    }
}

/// Changes since, as a query parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct SinceQueryParam {
    /// The parameter's name.
    pub name: String,
    /// Format of the value sent; defaults to the cursor field's format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TimeFormat>,
}

/// Changes since, as a filter expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct SinceFilter {
    /// The query parameter that carries the expression (`q`, `$filter`, `query`).
    pub param: String,
    /// The expression, a template that uses `{since}` and may use settings (e.g.
    /// `SELECT Id, Name, SystemModstamp FROM Account WHERE SystemModstamp > {since} ORDER BY SystemModstamp`).
    pub template: String,
    /// Format of `{since}`; defaults to the cursor field's format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TimeFormat>,
}

/// Changes since, as a body field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct SinceBodyField {
    /// Path of the field in the request body (e.g. `filterGroups[0].filters[0].value`).
    pub path: String,
    /// Format of the value sent; defaults to the cursor field's format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TimeFormat>,
}

/// Changes since, as a header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct SinceHeader {
    /// The header's name (`If-Modified-Since`).
    pub name: String,
    /// Format of the value sent; defaults to the cursor field's format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TimeFormat>,
}

/// Changes since, as a delta URL handed out by the previous run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct SinceDeltaUrl {
    /// Path of the delta URL in the last page's body (`['@odata.deltaLink']`).
    pub path: String,
}

/// How deleted records are detected; `type` names the way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Deletes {
    /// A separate endpoint lists deleted records (Salesforce `getDeleted`).
    Endpoint(Box<DeletedEndpoint>),
    /// Deleted records still come back, marked by a field (`IsDeleted`, `@removed`, `status:
    /// ARCHIVED`).
    Tombstone(Tombstone),
    /// Records missing from a complete full read are marked deleted.
    FullScan(FullScan),
}

/// An endpoint listing deleted records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct DeletedEndpoint {
    /// The request for the first page.
    pub request: Request,
    /// How to get the following pages.
    #[serde(default, skip_serializing_if = "Pagination::is_none")]
    pub pagination: Pagination,
    /// Path of the deleted items array in the response; omit when the body is the array.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_path: Option<String>,
    /// Paths, in each deleted item, of the values of the stream's primary key, in the same order.
    pub primary_key: Vec<String>,
    /// How to ask only for deletions since the last run; absent to list them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Since>,
}

/// A field marking deleted records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct Tombstone {
    /// Path of the marker; must be a declared field.
    pub field: String,
    /// The value that means deleted; when absent, any value other than null and `false` does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// Deletion by comparing a complete full read with the stored records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FullScan {}

/// A field of a record, for mapping suggestions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct Field {
    /// Path of the field in a record (`email`, `properties.firstname`, `BillAddr.PostalCode`).
    pub path: String,
    /// The field's type.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// What the field holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How a `datetime` field is written; ISO 8601 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_format: Option<TimeFormat>,
    /// An example value, which helps mapping suggestions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<Value>,
}

/// The type of a record field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// Any number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A calendar date (`2024-05-01`).
    Date,
    /// A point in time, written as `time_format` says.
    Datetime,
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
}

/// A rate limit: at most `requests` per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct RateLimit {
    /// Requests allowed in each period; at least 1.
    pub requests: u32,
    /// The period.
    pub per: RatePeriod,
    /// Requests allowed at once after an idle period; defaults to `requests`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
}

/// The period of a rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RatePeriod {
    /// One second.
    Second,
    /// One minute.
    Minute,
    /// One hour.
    Hour,
    /// One day.
    Day,
}

/// A write to the provider: create, update or delete a record of a stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct Action {
    /// Identifier, unique in the connector (e.g. `create_customer`).
    pub name: String,
    /// What the action does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it creates, updates or deletes.
    pub kind: ActionKind,
    /// The stream whose records it writes; `{record.<field>}` placeholders must be its declared
    /// fields.
    pub stream: String,
    /// The request; its templates may use settings and `{record.<field>}` / `{record}`.
    pub request: Request,
    /// Path of the new record's id in the response; required for `create`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_path: Option<String>,
    /// Path of the written record in the response, when the provider returns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_path: Option<String>,
}

/// What an action does to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Creates a record.
    Create,
    /// Updates a record.
    Update,
    /// Deletes a record.
    Delete,
}

/// Inbound webhooks: how to verify a delivery and turn it into record changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct Webhooks {
    /// How deliveries are signed.
    pub signature: WebhookSignature,
    /// Where the event type is.
    pub event_type: ValueSource,
    /// Where the provider's event id is, used to ignore repeated deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<ValueSource>,
    /// Path of the record in an event (Stripe `data.object`); omit when the event is the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_path: Option<String>,
    /// Whether a delivery's body is an array of events (HubSpot) rather than one event.
    #[serde(default)]
    pub batch: bool,
    /// Which stream each event type feeds.
    pub events: Vec<WebhookEvent>,
}

/// Where a value of a webhook delivery is; `type` names the place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ValueSource {
    /// In the JSON body (of the event, in a batch).
    Body(BodyValue),
    /// In a request header (GitHub `X-GitHub-Event`, Shopify `X-Shopify-Topic`).
    Header(HeaderValue),
}

/// A value in the JSON body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct BodyValue {
    /// Its path.
    pub path: String,
}

/// A value in a header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct HeaderValue {
    /// The header's name.
    pub name: String,
}

/// How a webhook delivery is signed. The expected signature is the HMAC of `signed_payload`
/// with the secret, encoded as `encoding`, compared in constant time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct WebhookSignature {
    /// The MAC algorithm.
    pub algorithm: SignatureAlgorithm,
    /// Header carrying the signature (`X-Hub-Signature-256`, `Stripe-Signature`).
    pub header: String,
    /// How the signature is encoded.
    pub encoding: SignatureEncoding,
    /// Text before the signature in the header (`sha256=`, `v0=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// When the header is a comma-separated list of `key=value` pairs (Stripe's
    /// `t=…,v1=…`): the key of the signature (`v1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_key: Option<String>,
    /// What is signed: a template over `{body}` (the raw body), `{timestamp}`, `{method}` and
    /// `{url}` (Stripe `{timestamp}.{body}`, Slack `v0:{timestamp}:{body}`).
    #[serde(default = "default_signed_payload")]
    pub signed_payload: String,
    /// Where the delivery's timestamp is, checked against replays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<WebhookTimestamp>,
    /// Which secret signs deliveries.
    #[serde(default)]
    pub secret: WebhookSecret,
}

/// A webhook signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureAlgorithm {
    /// HMAC with SHA-256.
    HmacSha256,
}

/// How a signature is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureEncoding {
    /// Lowercase hexadecimal.
    Hex,
    /// Standard base64.
    Base64,
}

/// Which secret signs webhook deliveries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookSecret {
    /// The connection's `webhook_secret` credential.
    #[default]
    WebhookSecret,
    /// The OAuth client secret (Shopify, HubSpot).
    ClientSecret,
}

/// The timestamp of a webhook delivery. Exactly one of `header` and `signature_key` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct WebhookTimestamp {
    /// Header carrying it (`X-Slack-Request-Timestamp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// Key of it in a `key=value` signature header (Stripe `t`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_key: Option<String>,
    /// How it is written.
    #[serde(default = "default_webhook_time_format")]
    pub format: TimeFormat,
    /// Largest accepted difference from the current time, in seconds.
    #[serde(default = "default_tolerance_seconds")]
    pub tolerance_seconds: u64,
}

/// An event type and the stream it feeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct WebhookEvent {
    /// The provider's event type (`customer.updated`, `issues`).
    pub event_type: String,
    /// The stream whose record changes.
    pub stream: String,
    /// Whether the event writes or deletes the record.
    #[serde(default)]
    pub change: RecordChange,
    /// Path of the record in this event type, overriding the webhooks' `record_path` (GitHub:
    /// `issue`, `pull_request`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_path: Option<String>,
}

/// What a webhook event does to its record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordChange {
    /// Creates or updates the record.
    #[default]
    Upsert,
    /// Marks the record deleted.
    Delete,
}

/// The JSON Schema of a connector definition, generated from these types.
pub fn json_schema() -> Value {
    schemars::schema_for!(Definition).into()
}

impl Definition {
    /// The stream with this name.
    pub fn stream(&self, name: &str) -> Option<&Stream> {
        self.streams.iter().find(|stream| stream.name == name)
    }
}

fn default_true() -> bool {
    true
}

fn default_scope_separator() -> String {
    " ".to_owned()
}

fn default_access_token_path() -> String {
    "access_token".to_owned()
}

fn default_refresh_token_path() -> String {
    "refresh_token".to_owned()
}

fn default_expires_in_path() -> String {
    "expires_in".to_owned()
}

fn default_authorization_header() -> String {
    "Authorization".to_owned()
}

fn default_bearer_prefix() -> String {
    "Bearer ".to_owned()
}

fn default_next_rel() -> String {
    "next".to_owned()
}

fn default_start_page() -> u64 {
    1
}

fn default_signed_payload() -> String {
    "{body}".to_owned()
}

fn default_webhook_time_format() -> TimeFormat {
    TimeFormat::UnixSeconds
}

fn default_tolerance_seconds() -> u64 {
    300
}
