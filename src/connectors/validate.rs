//! Validation of connector definitions (pure): parsing that names the offending path, then the
//! semantic checks serde cannot express.
//!
//! Structural problems (unknown fields, missing required fields, wrong types, unknown kinds) come
//! from parsing: [`parse_json`], [`parse_yaml`] and [`from_value`] turn serde's first error into a
//! [`DefinitionError`] whose path names the field (`streams[2].pagination.cursor_path: required
//! when type is "cursor"`). [`validate`] then reports every semantic problem of a parsed
//! definition at once. [`load`] and [`load_json`] do both.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::definition::{
    Action, ActionKind, ApiKeyAuth, ApiKeyLocation, Auth, BasicAuth, BearerAuth, BodyFormat,
    BodyValue, CursorPagination, Definition, DeletedEndpoint, Deletes, FieldType, FullScan,
    HeaderValue, Incremental, LinkHeaderPagination, Method, NextUrlPagination, NoAuth,
    NoPagination, OAuth2AuthorizationCode, OAuth2ClientCredentials, OffsetPagination,
    PageNumberPagination, Pagination, ParamLocation, RateLimit, Request, SettingFormat, Since,
    SinceBodyField, SinceDeltaUrl, SinceFilter, SinceHeader, SinceQueryParam, Stream, TimeFormat,
    TokenPlacement, TokenResponse, ValueSource, WebhookSecret, Webhooks,
};
use super::path::JsonPath;
use super::template;

/// One problem in a definition: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[error("{}{message}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
pub struct DefinitionError {
    /// The offending location, e.g. `streams[2].pagination.cursor_path`; empty for the whole
    /// document.
    pub path: String,
    /// What is wrong, in a sentence fragment.
    pub message: String,
}

impl DefinitionError {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Parses a JSON document into a definition; structural errors name their path.
pub fn parse_json(text: &str) -> Result<Definition, Vec<DefinitionError>> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| vec![DefinitionError::new("", format!("invalid JSON: {e}"))])?;
    from_value(value)
}

/// Parses a YAML document into a definition; structural errors name their path.
pub fn parse_yaml(text: &str) -> Result<Definition, Vec<DefinitionError>> {
    let value: Value = serde_norway::from_str(text)
        .map_err(|e| vec![DefinitionError::new("", format!("invalid YAML: {e}"))])?;
    from_value(value)
}

/// Turns a JSON value into a definition; structural errors name their path.
pub fn from_value(value: Value) -> Result<Definition, Vec<DefinitionError>> {
    serde_path_to_error::deserialize::<_, Definition>(&value)
        .map_err(|error| vec![structural_error(&value, error)])
}

/// Parses then validates: the definition when it has no problem, else every problem found.
pub fn load(value: Value) -> Result<Definition, Vec<DefinitionError>> {
    let definition = from_value(value)?;
    let errors = validate(&definition);
    if errors.is_empty() {
        Ok(definition)
    } else {
        Err(errors)
    }
}

/// [`load`] for JSON text.
pub fn load_json(text: &str) -> Result<Definition, Vec<DefinitionError>> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| vec![DefinitionError::new("", format!("invalid JSON: {e}"))])?;
    load(value)
}

/// Every semantic problem of a parsed definition, in document order; empty when it is valid.
pub fn validate(definition: &Definition) -> Vec<DefinitionError> {
    let mut checker = Checker::new(definition);
    checker.definition();
    checker.errors
}

// ---------------------------------------------------------------------------------------------
// Structural errors from serde.

/// Fields holding internally tagged enums (`{"type": "cursor", …}`). Serde buffers their content
/// before choosing the variant, which hides the path inside them; [`variant_error`] recovers it.
const TAGGED_FIELDS: &[&str] = &[
    "auth",
    "pagination",
    "since",
    "deletes",
    "event_type",
    "event_id",
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn structural_error(
    root: &Value,
    error: serde_path_to_error::Error<serde_json::Error>,
) -> DefinitionError {
    let mut segs = segments(error.path());
    let mut message = error.inner().to_string();
    // Each round descends one tagged enum; nesting is shallow (deletes → pagination), so a few
    // rounds suffice and the bound guarantees termination.
    for _ in 0..8 {
        let Some(Seg::Key(field)) = segs.last() else {
            break;
        };
        let Some(node) = lookup(root, &segs) else {
            break;
        };
        let Some(tag) = node.get("type").and_then(Value::as_str) else {
            break;
        };
        let Some((inner, inner_message)) = variant_error(field, tag, node) else {
            break;
        };
        message = inner_message;
        if inner.is_empty() {
            break;
        }
        segs.extend(inner);
    }
    rewrite(root, segs, message)
}

/// Re-reads the payload of a tagged enum as its variant's struct, with path tracking.
fn variant_error(field: &str, tag: &str, node: &Value) -> Option<(Vec<Seg>, String)> {
    let mut payload = node.clone();
    payload.as_object_mut()?.remove("type");
    let p = &payload;
    match (field, tag) {
        ("auth", "oauth2_authorization_code") => track::<OAuth2AuthorizationCode>(p),
        ("auth", "oauth2_client_credentials") => track::<OAuth2ClientCredentials>(p),
        ("auth", "api_key") => track::<ApiKeyAuth>(p),
        ("auth", "basic") => track::<BasicAuth>(p),
        ("auth", "bearer") => track::<BearerAuth>(p),
        ("auth", "none") => track::<NoAuth>(p),
        ("pagination", "none") => track::<NoPagination>(p),
        ("pagination", "cursor") => track::<CursorPagination>(p),
        ("pagination", "next_url") => track::<NextUrlPagination>(p),
        ("pagination", "link_header") => track::<LinkHeaderPagination>(p),
        ("pagination", "offset") => track::<OffsetPagination>(p),
        ("pagination", "page_number") => track::<PageNumberPagination>(p),
        ("since", "query_param") => track::<SinceQueryParam>(p),
        ("since", "filter") => track::<SinceFilter>(p),
        ("since", "body_field") => track::<SinceBodyField>(p),
        ("since", "header") => track::<SinceHeader>(p),
        ("since", "delta_url") => track::<SinceDeltaUrl>(p),
        ("deletes", "endpoint") => track::<DeletedEndpoint>(p),
        ("deletes", "tombstone") => track::<super::definition::Tombstone>(p),
        ("deletes", "full_scan") => track::<FullScan>(p),
        ("event_type" | "event_id", "body") => track::<BodyValue>(p),
        ("event_type" | "event_id", "header") => track::<HeaderValue>(p),
        _ => None,
    }
}

fn track<T: DeserializeOwned>(value: &Value) -> Option<(Vec<Seg>, String)> {
    serde_path_to_error::deserialize::<_, T>(value)
        .err()
        .map(|e| (segments(e.path()), e.inner().to_string()))
}

fn segments(path: &serde_path_to_error::Path) -> Vec<Seg> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(Seg::Index(*index)),
            Segment::Map { key } => Some(Seg::Key(key.clone())),
            Segment::Enum { variant } => Some(Seg::Key(variant.clone())),
            Segment::Unknown => None,
        })
        .collect()
}

fn lookup<'v>(root: &'v Value, segs: &[Seg]) -> Option<&'v Value> {
    segs.iter().try_fold(root, |node, seg| match seg {
        Seg::Key(key) => node.get(key),
        Seg::Index(index) => node.get(index),
    })
}

/// The text between `prefix` and the next backtick, when `message` starts with `prefix`.
fn backticked<'m>(message: &'m str, prefix: &str) -> Option<(&'m str, &'m str)> {
    let rest = message.strip_prefix(prefix)?;
    let end = rest.find('`')?;
    Some((rest.get(..end)?, rest.get(end + 1..)?))
}

/// Moves "missing field `x`" and "unknown field `x`" onto the field's own path.
fn rewrite(root: &Value, mut segs: Vec<Seg>, message: String) -> DefinitionError {
    let message = if let Some((field, _)) = backticked(&message, "missing field `") {
        let kind = match segs.last() {
            Some(Seg::Key(key)) if TAGGED_FIELDS.contains(&key.as_str()) && field != "type" => {
                lookup(root, &segs)
                    .and_then(|node| node.get("type"))
                    .and_then(Value::as_str)
            }
            _ => None,
        };
        let message = match kind {
            Some(kind) => format!("required when type is \"{kind}\""),
            None => "required".to_owned(),
        };
        segs.push(Seg::Key(field.to_owned()));
        message
    } else if let Some((field, rest)) = backticked(&message, "unknown field `") {
        if segs.last() != Some(&Seg::Key(field.to_owned())) {
            segs.push(Seg::Key(field.to_owned()));
        }
        match rest.trim_start_matches(", ") {
            "there are no fields" => "unknown field; this object takes no fields".to_owned(),
            expected => format!("unknown field; {expected}"),
        }
    } else {
        message
    };
    DefinitionError::new(render_segments(&segs), message)
}

fn render_segments(segs: &[Seg]) -> String {
    let mut out = String::new();
    for seg in segs {
        match seg {
            Seg::Key(key) => out = join(&out, key),
            Seg::Index(index) => out = at(&out, *index),
        }
    }
    out
}

fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_owned()
    } else {
        format!("{base}.{key}")
    }
}

fn at(base: &str, index: usize) -> String {
    format!("{base}[{index}]")
}

// ---------------------------------------------------------------------------------------------
// Semantic checks.

/// Setting names that placeholders reserve for values Patchbay fills itself.
const RESERVED_NAMES: &[&str] = &["since", "offset", "limit", "page", "page_size", "record"];

/// Placeholders a webhook's `signed_payload` may use.
const SIGNED_PAYLOAD_PARTS: &[&str] = &["body", "timestamp", "method", "url"];

/// When a template is used, relative to the OAuth flow: settings filled by OAuth are not known
/// before the step that fills them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The authorization page: only settings the user supplies.
    Authorize,
    /// The token endpoint: also settings from the redirect's query.
    Token,
    /// API requests: every setting.
    Api,
}

/// Which settings an OAuth step fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fill {
    Callback,
    TokenResponse,
}

/// What a template's placeholders may refer to.
#[derive(Clone, Copy)]
struct Scope<'d> {
    stage: Stage,
    /// In a base URL or a request path: optional settings without a default cannot be used.
    in_url: bool,
    /// The pagination filling `{offset}`, `{limit}`, `{page}`, `{page_size}`.
    pagination: Option<&'d Pagination>,
    /// Whether `{since}` is filled (an incremental filter template).
    since: bool,
    /// In an action: the stream whose record fills `{record.<field>}`; `Some(None)` when that
    /// stream is unknown (already reported), so record placeholders are not checked further.
    record: Option<Option<&'d Stream>>,
}

impl Scope<'_> {
    fn api() -> Self {
        Scope {
            stage: Stage::Api,
            in_url: false,
            pagination: None,
            since: false,
            record: None,
        }
    }
}

struct Checker<'d> {
    def: &'d Definition,
    settings: BTreeMap<&'d str, &'d super::definition::Setting>,
    filled_by_oauth: BTreeMap<&'d str, Fill>,
    stream_names: BTreeSet<&'d str>,
    /// `base_url` with dummy values, when it is valid; request paths are checked against it.
    base_dummy: Option<String>,
    errors: Vec<DefinitionError>,
}

impl<'d> Checker<'d> {
    fn new(def: &'d Definition) -> Self {
        let mut filled_by_oauth = BTreeMap::new();
        if let Auth::Oauth2AuthorizationCode(oauth) = &def.auth {
            for name in oauth.settings_from_callback.keys() {
                filled_by_oauth.insert(name.as_str(), Fill::Callback);
            }
            for name in oauth.settings_from_token_response.keys() {
                filled_by_oauth.insert(name.as_str(), Fill::TokenResponse);
            }
        }
        Checker {
            def,
            settings: def.settings.iter().map(|s| (s.name.as_str(), s)).collect(),
            filled_by_oauth,
            stream_names: def.streams.iter().map(|s| s.name.as_str()).collect(),
            base_dummy: None,
            errors: Vec::new(),
        }
    }

    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(DefinitionError::new(path, message));
    }

    fn definition(&mut self) {
        let def = self.def;
        self.slug("name", &def.name);
        if def.display_name.trim().is_empty() {
            self.error("display_name", "must not be empty");
        }
        if let Some(docs_url) = &def.docs_url {
            self.absolute_url("docs_url", docs_url);
        }
        if !is_version(&def.version) {
            self.error("version", "must be `major.minor.patch`, e.g. `1.0.0`");
        }
        self.settings();
        let base_scope = Scope {
            in_url: true,
            ..Scope::api()
        };
        self.base_dummy = self.base_url("base_url", &def.base_url, base_scope);
        if let Some(sandbox) = &def.sandbox_base_url {
            self.base_url("sandbox_base_url", sandbox, base_scope);
        }
        self.auth();
        self.headers("headers", &def.headers, Scope::api());
        if let Some(limit) = &def.rate_limit {
            self.rate_limit("rate_limit", limit);
        }
        self.request("check", &def.check, Scope::api());
        if def.streams.is_empty() && def.actions.is_empty() {
            self.error("streams", "declare at least one stream or action");
        }
        let mut seen = BTreeSet::new();
        for (i, stream) in def.streams.iter().enumerate() {
            let path = at("streams", i);
            if !seen.insert(stream.name.as_str()) {
                self.error(
                    join(&path, "name"),
                    format!("duplicate stream name `{}`", stream.name),
                );
            }
            self.stream(&path, stream);
        }
        let mut seen = BTreeSet::new();
        for (i, action) in def.actions.iter().enumerate() {
            let path = at("actions", i);
            if !seen.insert(action.name.as_str()) {
                self.error(
                    join(&path, "name"),
                    format!("duplicate action name `{}`", action.name),
                );
            }
            self.action(&path, action);
        }
        if let Some(webhooks) = &def.webhooks {
            self.webhooks("webhooks", webhooks);
        }
    }

    // --- identity and settings ---------------------------------------------------------------

    fn slug(&mut self, path: &str, name: &str) {
        if !is_slug(name) {
            self.error(
                path,
                "must be lowercase letters, digits and `_`, starting with a letter (at most 64 characters)",
            );
        }
    }

    fn settings(&mut self) {
        let mut seen = BTreeSet::new();
        for (i, setting) in self.def.settings.iter().enumerate() {
            let path = at("settings", i);
            self.slug(&join(&path, "name"), &setting.name);
            if RESERVED_NAMES.contains(&setting.name.as_str()) {
                self.error(
                    join(&path, "name"),
                    format!("`{}` is reserved for a value Patchbay fills", setting.name),
                );
            }
            if !seen.insert(setting.name.as_str()) {
                self.error(
                    join(&path, "name"),
                    format!("duplicate setting `{}`", setting.name),
                );
            }
            if let (SettingFormat::Url, Some(default)) = (setting.format, &setting.default) {
                self.absolute_url(&join(&path, "default"), default);
            }
        }
    }

    fn base_url(&mut self, path: &str, template: &str, scope: Scope<'d>) -> Option<String> {
        let url = self.url_template(path, template, scope)?;
        match url::Url::parse(&url) {
            Ok(parsed) if parsed.query().is_some() || parsed.fragment().is_some() => {
                self.error(path, "must not have a query string or a fragment");
                None
            }
            Ok(_) => Some(url),
            Err(_) => None,
        }
    }

    /// Checks a URL template: placeholders resolve, and with dummy values it is an absolute
    /// http(s) URL. Returns the URL with dummies when it is valid.
    fn url_template(&mut self, path: &str, template: &str, scope: Scope<'d>) -> Option<String> {
        let rendered = self.template(path, template, scope)?;
        self.absolute_url(path, &rendered).then_some(rendered)
    }

    fn absolute_url(&mut self, path: &str, text: &str) -> bool {
        match url::Url::parse(text) {
            Ok(url) if !matches!(url.scheme(), "http" | "https") => {
                self.error(path, "must be an http or https URL");
                false
            }
            Ok(url) if url.host_str().is_none_or(str::is_empty) => {
                self.error(path, "must name a host");
                false
            }
            Ok(_) => true,
            Err(e) => {
                self.error(path, format!("not a valid absolute URL ({e})"));
                false
            }
        }
    }

    /// Checks a template's syntax and placeholders; returns it rendered with dummy values when
    /// every placeholder resolves.
    fn template(&mut self, path: &str, text: &str, scope: Scope<'d>) -> Option<String> {
        let names = match template::placeholders(text) {
            Ok(names) => names,
            Err(e) => {
                self.error(path, format!("invalid template: {e}"));
                return None;
            }
        };
        let mut ok = true;
        for name in names {
            if let Err(message) = self.placeholder(name, scope) {
                self.error(path, format!("placeholder `{{{name}}}` {message}"));
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        template::render(text, |name| self.placeholder(name, scope).ok()).ok()
    }

    /// The dummy value of a placeholder in a scope, or why nothing fills it.
    fn placeholder(&self, name: &str, scope: Scope<'d>) -> Result<String, String> {
        if name == "record" || name.starts_with("record.") {
            return match scope.record {
                None => Err("is only filled in actions".to_owned()),
                Some(None) => Ok("record".to_owned()),
                Some(Some(stream)) => {
                    let field = name.strip_prefix("record.").unwrap_or_default();
                    if field.is_empty() || record_field_declared(stream, field) {
                        Ok("record".to_owned())
                    } else {
                        Err(format!(
                            "names no declared field of stream `{}`",
                            stream.name
                        ))
                    }
                }
            };
        }
        match name {
            "since" if scope.since => return Ok("2024-01-01T00:00:00Z".to_owned()),
            "since" => return Err("is only filled in an incremental `filter` template".to_owned()),
            "offset" | "limit" => {
                return match scope.pagination {
                    Some(Pagination::Offset(_)) => Ok("1".to_owned()),
                    _ => Err("is only filled by offset pagination".to_owned()),
                };
            }
            "page" | "page_size" => {
                return match scope.pagination {
                    Some(Pagination::PageNumber(p))
                        if name == "page_size" && p.page_size.is_none() =>
                    {
                        Err("needs `pagination.page_size`".to_owned())
                    }
                    Some(Pagination::PageNumber(_)) => Ok("1".to_owned()),
                    _ => Err("is only filled by page_number pagination".to_owned()),
                };
            }
            _ => {}
        }
        let Some(setting) = self.settings.get(name) else {
            return Err("is not a declared setting".to_owned());
        };
        let fill = self.filled_by_oauth.get(name).copied();
        match (scope.stage, fill) {
            (Stage::Authorize, Some(Fill::Callback | Fill::TokenResponse))
            | (Stage::Token, Some(Fill::TokenResponse)) => {
                return Err("is filled by OAuth only after this step".to_owned());
            }
            _ => {}
        }
        if scope.in_url && fill.is_none() && !setting.required && setting.default.is_none() {
            return Err("uses an optional setting without a default".to_owned());
        }
        Ok(match setting.format {
            SettingFormat::Url => "https://setting.example".to_owned(),
            SettingFormat::Text => "setting".to_owned(),
        })
    }

    fn headers(&mut self, path: &str, headers: &BTreeMap<String, String>, scope: Scope<'d>) {
        for (name, value) in headers {
            let path = join(path, name);
            if !is_header_name(name) {
                self.error(&path, "not a valid header name");
            }
            self.template(&path, value, scope);
        }
    }

    fn query(&mut self, path: &str, query: &BTreeMap<String, String>, scope: Scope<'d>) {
        for (name, value) in query {
            let path = join(path, name);
            if name.is_empty() {
                self.error(&path, "query parameter names must not be empty");
            }
            self.template(&path, value, scope);
        }
    }

    fn rate_limit(&mut self, path: &str, limit: &RateLimit) {
        if limit.requests == 0 {
            self.error(join(path, "requests"), "must be at least 1");
        }
        if limit.burst == Some(0) {
            self.error(join(path, "burst"), "must be at least 1");
        }
    }

    fn json_path(&mut self, path: &str, text: &str) -> Option<JsonPath> {
        match JsonPath::parse(text) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                self.error(path, format!("invalid path: {e}"));
                None
            }
        }
    }

    fn optional_path(&mut self, path: &str, text: Option<&String>) {
        if let Some(text) = text {
            self.json_path(path, text);
        }
    }

    fn header_name(&mut self, path: &str, name: &str) {
        if !is_header_name(name) {
            self.error(path, "not a valid header name");
        }
    }

    fn not_empty(&mut self, path: &str, text: &str) {
        if text.trim().is_empty() {
            self.error(path, "must not be empty");
        }
    }

    // --- auth ----------------------------------------------------------------------------------

    fn auth(&mut self) {
        let def = self.def;
        let at_stage = |stage| Scope {
            stage,
            ..Scope::api()
        };
        match &def.auth {
            Auth::Oauth2AuthorizationCode(oauth) => {
                self.url_template(
                    "auth.authorize_url",
                    &oauth.authorize_url,
                    at_stage(Stage::Authorize),
                );
                self.url_template("auth.token_url", &oauth.token_url, at_stage(Stage::Token));
                if let Some(refresh) = &oauth.refresh_url {
                    self.url_template("auth.refresh_url", refresh, at_stage(Stage::Token));
                }
                self.scopes(&oauth.scopes, &oauth.scope_separator);
                self.params(
                    "auth.authorize_params",
                    &oauth.authorize_params,
                    at_stage(Stage::Authorize),
                );
                self.params(
                    "auth.token_params",
                    &oauth.token_params,
                    at_stage(Stage::Token),
                );
                self.token_response(&oauth.token_response);
                self.token_placement(&oauth.token_placement);
                for (name, source) in &oauth.settings_from_token_response {
                    let path = join("auth.settings_from_token_response", name);
                    self.oauth_filled_setting(&path, name);
                    self.json_path(&path, source);
                    if oauth.settings_from_callback.contains_key(name) {
                        self.error(&path, "also filled from the callback");
                    }
                }
                for (name, param) in &oauth.settings_from_callback {
                    let path = join("auth.settings_from_callback", name);
                    self.oauth_filled_setting(&path, name);
                    self.not_empty(&path, param);
                }
            }
            Auth::Oauth2ClientCredentials(oauth) => {
                self.url_template("auth.token_url", &oauth.token_url, at_stage(Stage::Token));
                self.scopes(&oauth.scopes, &oauth.scope_separator);
                self.params(
                    "auth.token_params",
                    &oauth.token_params,
                    at_stage(Stage::Token),
                );
                self.token_response(&oauth.token_response);
                self.token_placement(&oauth.token_placement);
            }
            Auth::ApiKey(key) => match key.location {
                ApiKeyLocation::Header => self.header_name("auth.name", &key.name),
                ApiKeyLocation::Query => self.not_empty("auth.name", &key.name),
            },
            Auth::Basic(_) | Auth::Bearer(_) | Auth::None(_) => {}
        }
    }

    fn scopes(&mut self, scopes: &[String], separator: &str) {
        if separator.is_empty() {
            self.error("auth.scope_separator", "must not be empty");
        }
        for (i, scope) in scopes.iter().enumerate() {
            if scope.is_empty() || scope.chars().any(char::is_whitespace) {
                self.error(at("auth.scopes", i), "must be non-empty without spaces");
            } else if !separator.is_empty() && scope.contains(separator) {
                self.error(at("auth.scopes", i), "contains the scope separator");
            }
        }
    }

    fn params(&mut self, path: &str, params: &BTreeMap<String, String>, scope: Scope<'d>) {
        for (name, value) in params {
            let path = join(path, name);
            if name.is_empty() {
                self.error(&path, "parameter names must not be empty");
            }
            self.template(&path, value, scope);
        }
    }

    fn token_response(&mut self, response: &TokenResponse) {
        let path = "auth.token_response";
        self.json_path(
            &join(path, "access_token_path"),
            &response.access_token_path,
        );
        self.json_path(
            &join(path, "refresh_token_path"),
            &response.refresh_token_path,
        );
        self.json_path(&join(path, "expires_in_path"), &response.expires_in_path);
        if response.default_expires_in_seconds == Some(0) {
            self.error(
                join(path, "default_expires_in_seconds"),
                "must be at least 1",
            );
        }
    }

    fn token_placement(&mut self, placement: &TokenPlacement) {
        self.header_name("auth.token_placement.header", &placement.header);
    }

    fn oauth_filled_setting(&mut self, path: &str, name: &str) {
        if !self.settings.contains_key(name) {
            self.error(path, format!("`{name}` is not a declared setting"));
        }
    }

    // --- requests --------------------------------------------------------------------------------

    fn request(&mut self, path: &str, request: &Request, scope: Scope<'d>) {
        let request_path = join(path, "path");
        if !request.path.starts_with('/') {
            self.error(&request_path, "must start with `/`");
        } else if request.path.contains(['?', '#']) {
            self.error(
                &request_path,
                "must not hold a query string or fragment (use `query`)",
            );
        } else if let Some(rendered) = self.template(
            &request_path,
            &request.path,
            Scope {
                in_url: true,
                ..scope
            },
        ) && let Some(base) = &self.base_dummy
        {
            let full = format!("{}{rendered}", base.trim_end_matches('/'));
            if let Err(e) = url::Url::parse(&full) {
                self.error(
                    &request_path,
                    format!("does not form a valid URL with base_url ({e})"),
                );
            }
        }
        self.query(&join(path, "query"), &request.query, scope);
        self.headers(&join(path, "headers"), &request.headers, scope);
        if let Some(body) = &request.body {
            let body_path = join(path, "body");
            if request.method == Method::Get {
                self.error(&body_path, "a GET request cannot have a body");
            }
            if request.body_format == BodyFormat::Form && !body.is_object() {
                self.error(&body_path, "a form body must be a JSON object");
            }
            self.body_template(&body_path, body, scope);
        }
    }

    fn body_template(&mut self, path: &str, body: &Value, scope: Scope<'d>) {
        match body {
            Value::String(text) => {
                self.template(path, text, scope);
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.body_template(&at(path, i), item, scope);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    self.body_template(&join(path, key), item, scope);
                }
            }
            _ => {}
        }
    }

    // --- streams ---------------------------------------------------------------------------------

    fn stream(&mut self, path: &str, stream: &'d Stream) {
        self.slug(&join(path, "name"), &stream.name);
        let scope = Scope {
            pagination: Some(&stream.pagination),
            ..Scope::api()
        };
        self.request(&join(path, "request"), &stream.request, scope);
        self.pagination(
            &join(path, "pagination"),
            &stream.pagination,
            &stream.request,
        );
        self.optional_path(&join(path, "record_path"), stream.record_path.as_ref());

        let mut declared = BTreeSet::new();
        for (i, field) in stream.fields.iter().enumerate() {
            let field_path = at(&join(path, "fields"), i);
            if let Some(parsed) = self.json_path(&join(&field_path, "path"), &field.path)
                && !declared.insert(parsed.to_string())
            {
                self.error(
                    join(&field_path, "path"),
                    format!("duplicate field `{}`", field.path),
                );
            }
            if field.time_format.is_some() && field.kind != FieldType::Datetime {
                self.error(
                    join(&field_path, "time_format"),
                    "only applies to `datetime` fields",
                );
            }
        }

        let pk_path = join(path, "primary_key");
        if stream.primary_key.is_empty() {
            self.error(&pk_path, "declare at least one field");
        }
        let mut seen = BTreeSet::new();
        for (i, key) in stream.primary_key.iter().enumerate() {
            let key_path = at(&pk_path, i);
            if let Some(parsed) = self.json_path(&key_path, key) {
                let canonical = parsed.to_string();
                if !declared.contains(&canonical) {
                    self.error(&key_path, format!("`{key}` is not a declared field"));
                } else if !seen.insert(canonical) {
                    self.error(&key_path, format!("`{key}` appears twice"));
                }
            }
        }

        if let Some(incremental) = &stream.incremental {
            self.incremental(&join(path, "incremental"), stream, incremental, &declared);
        }
        if let Some(deletes) = &stream.deletes {
            self.deletes(&join(path, "deletes"), stream, deletes, &declared);
        }
        if let Some(limit) = &stream.rate_limit {
            self.rate_limit(&join(path, "rate_limit"), limit);
        }
    }

    fn pagination(&mut self, path: &str, pagination: &Pagination, request: &Request) {
        let uses = |name: &str| request_uses(request, name);
        match pagination {
            Pagination::None(_) => {}
            Pagination::Cursor(cursor) => {
                self.json_path(&join(path, "cursor_path"), &cursor.cursor_path);
                let param_path = join(path, "cursor_param");
                match cursor.cursor_in {
                    ParamLocation::Query => self.not_empty(&param_path, &cursor.cursor_param),
                    ParamLocation::Body => {
                        self.json_path(&param_path, &cursor.cursor_param);
                        if !request.body.as_ref().is_some_and(Value::is_object) {
                            self.error(
                                join(path, "cursor_in"),
                                "the request has no JSON object body to send the cursor in",
                            );
                        }
                    }
                }
                self.optional_path(&join(path, "has_more_path"), cursor.has_more_path.as_ref());
            }
            Pagination::NextUrl(next) => {
                self.json_path(&join(path, "next_url_path"), &next.next_url_path);
            }
            Pagination::LinkHeader(link) => self.not_empty(&join(path, "rel"), &link.rel),
            Pagination::Offset(offset) => {
                if offset.limit == 0 {
                    self.error(join(path, "limit"), "must be at least 1");
                }
                self.param_or_placeholder(
                    path,
                    "offset_param",
                    offset.offset_param.as_ref(),
                    "offset",
                    uses("offset"),
                );
                self.param_or_placeholder(
                    path,
                    "limit_param",
                    offset.limit_param.as_ref(),
                    "limit",
                    uses("limit"),
                );
                self.optional_path(&join(path, "total_path"), offset.total_path.as_ref());
                self.optional_path(&join(path, "has_more_path"), offset.has_more_path.as_ref());
            }
            Pagination::PageNumber(page) => {
                self.param_or_placeholder(
                    path,
                    "page_param",
                    page.page_param.as_ref(),
                    "page",
                    uses("page"),
                );
                if let Some(param) = &page.page_size_param {
                    self.not_empty(&join(path, "page_size_param"), param);
                    if page.page_size.is_none() {
                        self.error(
                            join(path, "page_size"),
                            "required when page_size_param is set",
                        );
                    }
                }
                if page.page_size == Some(0) {
                    self.error(join(path, "page_size"), "must be at least 1");
                }
                if page.start_page > 1 {
                    self.error(join(path, "start_page"), "must be 0 or 1");
                }
                self.optional_path(
                    &join(path, "total_pages_path"),
                    page.total_pages_path.as_ref(),
                );
                self.optional_path(&join(path, "has_more_path"), page.has_more_path.as_ref());
            }
        }
    }

    fn param_or_placeholder(
        &mut self,
        path: &str,
        field: &str,
        param: Option<&String>,
        placeholder: &str,
        used: bool,
    ) {
        match param {
            Some(param) => self.not_empty(&join(path, field), param),
            None if !used => self.error(
                join(path, field),
                format!("required unless the request uses {{{placeholder}}}"),
            ),
            None => {}
        }
    }

    fn incremental(
        &mut self,
        path: &str,
        stream: &'d Stream,
        incremental: &'d Incremental,
        declared: &BTreeSet<String>,
    ) {
        let field_path = join(path, "cursor_field");
        if let Some(parsed) = self.json_path(&field_path, &incremental.cursor_field) {
            let canonical = parsed.to_string();
            if !declared.contains(&canonical) {
                self.error(
                    &field_path,
                    format!("`{}` is not a declared field", incremental.cursor_field),
                );
            } else if let Some(field) = stream
                .fields
                .iter()
                .find(|f| JsonPath::parse(&f.path).is_ok_and(|p| p.to_string() == canonical))
                && field.kind == FieldType::Datetime
            {
                let declared_format = field.time_format.unwrap_or(TimeFormat::Iso8601);
                if declared_format != incremental.format {
                    self.error(
                        join(path, "format"),
                        format!(
                            "differs from the time_format of field `{}` ({})",
                            field.path,
                            time_format_name(declared_format)
                        ),
                    );
                }
            }
        }
        self.since(
            &join(path, "since"),
            &incremental.since,
            &stream.request,
            &stream.pagination,
        );
    }

    fn since(&mut self, path: &str, since: &Since, request: &Request, pagination: &'d Pagination) {
        match since {
            Since::QueryParam(param) => self.not_empty(&join(path, "name"), &param.name),
            Since::Filter(filter) => {
                self.not_empty(&join(path, "param"), &filter.param);
                let template_path = join(path, "template");
                let scope = Scope {
                    pagination: Some(pagination),
                    since: true,
                    ..Scope::api()
                };
                if self
                    .template(&template_path, &filter.template, scope)
                    .is_some()
                {
                    let used = template::placeholders(&filter.template).unwrap_or_default();
                    if !used.contains(&"since") {
                        self.error(&template_path, "must use {since}");
                    }
                    // The filter replaces the request's own value of the parameter: it must keep
                    // the pagination placeholders that value relies on.
                    if let Some(replaced) = request.query.get(&filter.param) {
                        for name in template::placeholders(replaced).unwrap_or_default() {
                            let paging = matches!(name, "offset" | "limit" | "page" | "page_size");
                            if paging && !used.contains(&name) {
                                self.error(
                                    &template_path,
                                    format!(
                                        "must use {{{name}}} like the request's `{}` it replaces",
                                        filter.param
                                    ),
                                );
                            }
                        }
                    }
                }
            }
            Since::BodyField(field) => {
                self.json_path(&join(path, "path"), &field.path);
                if !request.body.as_ref().is_some_and(Value::is_object) {
                    self.error(
                        join(path, "path"),
                        "the request has no JSON object body to set it in",
                    );
                }
            }
            Since::Header(header) => self.header_name(&join(path, "name"), &header.name),
            Since::DeltaUrl(delta) => {
                self.json_path(&join(path, "path"), &delta.path);
            }
        }
    }

    fn deletes(
        &mut self,
        path: &str,
        stream: &'d Stream,
        deletes: &'d Deletes,
        declared: &BTreeSet<String>,
    ) {
        match deletes {
            Deletes::Endpoint(endpoint) => {
                let scope = Scope {
                    pagination: Some(&endpoint.pagination),
                    ..Scope::api()
                };
                self.request(&join(path, "request"), &endpoint.request, scope);
                self.pagination(
                    &join(path, "pagination"),
                    &endpoint.pagination,
                    &endpoint.request,
                );
                self.optional_path(&join(path, "record_path"), endpoint.record_path.as_ref());
                let pk_path = join(path, "primary_key");
                if endpoint.primary_key.len() != stream.primary_key.len() {
                    self.error(
                        &pk_path,
                        format!(
                            "must have as many paths as the stream's primary_key ({})",
                            stream.primary_key.len()
                        ),
                    );
                }
                for (i, key) in endpoint.primary_key.iter().enumerate() {
                    self.json_path(&at(&pk_path, i), key);
                }
                if let Some(since) = &endpoint.since {
                    let since_path = join(path, "since");
                    if since.format().is_none() && stream.incremental.is_none() {
                        self.error(
                            join(&since_path, "format"),
                            "required when the stream has no incremental cursor",
                        );
                    }
                    self.since(&since_path, since, &endpoint.request, &endpoint.pagination);
                }
            }
            Deletes::Tombstone(tombstone) => {
                let field_path = join(path, "field");
                if let Some(parsed) = self.json_path(&field_path, &tombstone.field)
                    && !declared.contains(&parsed.to_string())
                {
                    self.error(
                        &field_path,
                        format!("`{}` is not a declared field", tombstone.field),
                    );
                }
            }
            Deletes::FullScan(_) => {}
        }
    }

    // --- actions -------------------------------------------------------------------------------

    fn action(&mut self, path: &str, action: &'d Action) {
        self.slug(&join(path, "name"), &action.name);
        let stream = self.def.streams.iter().find(|s| s.name == action.stream);
        if stream.is_none() {
            self.error(
                join(path, "stream"),
                format!("unknown stream `{}`", action.stream),
            );
        }
        let scope = Scope {
            record: Some(stream),
            ..Scope::api()
        };
        self.request(&join(path, "request"), &action.request, scope);
        if action.kind == ActionKind::Create && action.id_path.is_none() {
            self.error(join(path, "id_path"), "required when kind is \"create\"");
        }
        self.optional_path(&join(path, "id_path"), action.id_path.as_ref());
        self.optional_path(&join(path, "record_path"), action.record_path.as_ref());
    }

    // --- webhooks ------------------------------------------------------------------------------

    fn webhooks(&mut self, path: &str, webhooks: &Webhooks) {
        let sig_path = join(path, "signature");
        let signature = &webhooks.signature;
        self.header_name(&join(&sig_path, "header"), &signature.header);
        let oauth = matches!(
            self.def.auth,
            Auth::Oauth2AuthorizationCode(_) | Auth::Oauth2ClientCredentials(_)
        );
        if signature.secret == WebhookSecret::ClientSecret && !oauth {
            self.error(
                join(&sig_path, "secret"),
                "`client_secret` needs an OAuth 2.0 auth type",
            );
        }
        if signature.prefix.as_deref() == Some("") {
            self.error(
                join(&sig_path, "prefix"),
                "must not be empty (omit it instead)",
            );
        }
        if let Some(key) = &signature.signature_key {
            self.not_empty(&join(&sig_path, "signature_key"), key);
        }
        let payload_path = join(&sig_path, "signed_payload");
        match template::placeholders(&signature.signed_payload) {
            Err(e) => self.error(&payload_path, format!("invalid template: {e}")),
            Ok(parts) => {
                for part in &parts {
                    if !SIGNED_PAYLOAD_PARTS.contains(part) {
                        self.error(
                            &payload_path,
                            format!("placeholder `{{{part}}}` is not one of {{body}}, {{timestamp}}, {{method}}, {{url}}"),
                        );
                    }
                }
                if !parts.contains(&"body") {
                    self.error(&payload_path, "must use {body}");
                }
                if parts.contains(&"timestamp") && signature.timestamp.is_none() {
                    self.error(
                        join(&sig_path, "timestamp"),
                        "required when signed_payload uses {timestamp}",
                    );
                }
            }
        }
        if let Some(timestamp) = &signature.timestamp {
            let ts_path = join(&sig_path, "timestamp");
            match (&timestamp.header, &timestamp.signature_key) {
                (None, None) => self.error(&ts_path, "set one of `header` and `signature_key`"),
                (Some(_), Some(_)) => {
                    self.error(&ts_path, "set only one of `header` and `signature_key`");
                }
                (Some(header), None) => self.header_name(&join(&ts_path, "header"), header),
                (None, Some(key)) => {
                    self.not_empty(&join(&ts_path, "signature_key"), key);
                    if signature.signature_key.is_none() {
                        self.error(
                            join(&ts_path, "signature_key"),
                            "needs a key=value signature header (set signature.signature_key)",
                        );
                    }
                }
            }
            if timestamp.tolerance_seconds == 0 {
                self.error(join(&ts_path, "tolerance_seconds"), "must be at least 1");
            }
        }
        self.value_source(&join(path, "event_type"), &webhooks.event_type);
        if let Some(source) = &webhooks.event_id {
            self.value_source(&join(path, "event_id"), source);
        }
        self.optional_path(&join(path, "record_path"), webhooks.record_path.as_ref());

        let events_path = join(path, "events");
        if webhooks.events.is_empty() {
            self.error(&events_path, "declare at least one event type");
        }
        let mut seen = BTreeSet::new();
        for (i, event) in webhooks.events.iter().enumerate() {
            let event_path = at(&events_path, i);
            let type_path = join(&event_path, "event_type");
            if event.event_type.trim().is_empty() {
                self.error(&type_path, "must not be empty");
            } else if !seen.insert(event.event_type.as_str()) {
                self.error(
                    &type_path,
                    format!("duplicate event type `{}`", event.event_type),
                );
            }
            if !self.stream_names.contains(event.stream.as_str()) {
                self.error(
                    join(&event_path, "stream"),
                    format!("unknown stream `{}`", event.stream),
                );
            }
            self.optional_path(
                &join(&event_path, "record_path"),
                event.record_path.as_ref(),
            );
        }
    }

    fn value_source(&mut self, path: &str, source: &ValueSource) {
        match source {
            ValueSource::Body(body) => {
                self.json_path(&join(path, "path"), &body.path);
            }
            ValueSource::Header(header) => self.header_name(&join(path, "name"), &header.name),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Small predicates.

/// Lowercase letters, digits and `_`, starting with a letter, at most 64 characters.
fn is_slug(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `major.minor.patch`, each a decimal number.
fn is_version(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// An RFC 9110 field name (a `token`).
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether any template of a request (path, query, headers, body) uses `{name}`.
fn request_uses(request: &Request, name: &str) -> bool {
    fn uses(text: &str, name: &str) -> bool {
        template::placeholders(text).is_ok_and(|names| names.contains(&name))
    }
    fn body_uses(body: &Value, name: &str) -> bool {
        match body {
            Value::String(text) => uses(text, name),
            Value::Array(items) => items.iter().any(|item| body_uses(item, name)),
            Value::Object(map) => map.values().any(|item| body_uses(item, name)),
            _ => false,
        }
    }
    uses(&request.path, name)
        || request.query.values().any(|v| uses(v, name))
        || request.headers.values().any(|v| uses(v, name))
        || request.body.as_ref().is_some_and(|b| body_uses(b, name))
}

/// Whether `{record.<field>}` names a declared field of the stream, or an object above one.
fn record_field_declared(stream: &Stream, field: &str) -> bool {
    let Ok(wanted) = JsonPath::parse(field) else {
        return false;
    };
    stream.fields.iter().any(|declared| {
        JsonPath::parse(&declared.path).is_ok_and(|path| path.0.starts_with(&wanted.0))
    })
}

fn time_format_name(format: TimeFormat) -> &'static str {
    match format {
        TimeFormat::Iso8601 => "iso8601",
        TimeFormat::UnixSeconds => "unix_seconds",
        TimeFormat::UnixMs => "unix_ms",
        TimeFormat::HttpDate => "http_date",
        TimeFormat::MsJsonDate => "ms_json_date",
    }
}
