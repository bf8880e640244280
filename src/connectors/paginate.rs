//! Pagination as a pure state machine: which request to send next, which records a page holds,
//! when to stop, and what to checkpoint. No I/O and no clock; the HTTP layer sends the requests.
//!
//! The engine builds a [`Paginator`] for a stream, sends [`Paginator::first_request`], feeds each
//! answer to [`Paginator::next`] and gets a [`Page`]: the records, the next request (none on the
//! last page), the checkpoint to resume from ([`Page::cursor`]) and the highest incremental
//! cursor value of the page. Every kind of [`Pagination`] stops on a page without records, and a
//! provider that hands out the same cursor, URL or page twice is reported instead of being
//! followed for ever.

use std::collections::{BTreeMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::{Map, Value};
use url::Url;

use super::definition::{
    BodyFormat, CursorSource, Incremental, Method, Pagination, ParamLocation, Request, Since,
    Stream, TimeFormat,
};
use super::path::{JsonPath, PathError, Segment};
use super::template::{self, RenderError};

/// A connection's setting values by name, defaults already applied. An optional setting without
/// a value is simply absent: query parameters and headers that use it are left out.
pub type Settings = BTreeMap<String, String>;

/// Pages a paginator follows before it reports [`PaginateError::TooManyPages`].
pub const DEFAULT_MAX_PAGES: u64 = 100_000;

/// What to send for one page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    /// The HTTP method.
    pub method: Method,
    /// Where to send it.
    pub target: Target,
    /// Query parameters, in order, not yet percent-encoded; added to any query the target has.
    pub query: Vec<(String, String)>,
    /// Request headers of the stream (the definition's and the auth headers come on top).
    pub headers: BTreeMap<String, String>,
    /// The body, already rendered.
    pub body: Option<Body>,
}

/// Where a page request goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A path (possibly with a query string) appended to the connection's base URL.
    Path(String),
    /// An absolute URL, or a reference resolved against the base URL as RFC 3986 says
    /// (Salesforce's `/services/data/v61.0/query/01g…-2000`).
    Url(String),
}

/// A rendered request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// `application/json`.
    Json(Value),
    /// `application/x-www-form-urlencoded` pairs, nested objects flattened as `a[b]`.
    Form(Vec<(String, String)>),
}

/// A provider's answer to a [`PageRequest`], as the HTTP layer received it.
#[derive(Debug, Clone, PartialEq)]
pub struct PageResponse {
    /// The HTTP status; only 2xx answers are pages.
    pub status: u16,
    /// Response headers with lower-case names; repeated headers joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The parsed JSON body.
    pub body: Value,
}

/// One page read.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The page's records, in the provider's order.
    pub records: Vec<Value>,
    /// The request for the following page; `None` on the last page.
    pub next: Option<PageRequest>,
    /// The checkpoint to store with this page: [`Paginator::resume`] continues from it with
    /// `next`. `None` on the last page. It is the provider's cursor or URL tagged with the
    /// pagination kind (`cursor:…`, `url:…`, `path:…`, `offset:N`, `page:N`).
    pub cursor: Option<String>,
    /// The highest value of the stream's incremental cursor field among the records, as the
    /// provider wrote it (values that do not parse in the field's format are skipped).
    pub max_cursor_value: Option<String>,
    /// The delta URL the page carries, for a stream whose incremental reads use one
    /// ([`Since::DeltaUrl`]); store it when the run completes.
    pub delta_url: Option<String>,
}

/// Why a page could not be read or the next one could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaginateError {
    /// A path of the definition does not parse (validation should have caught it).
    #[error("`{field}` is not a valid path ({source})")]
    InvalidPath {
        /// The definition field holding it.
        field: &'static str,
        /// Its parse error.
        source: PathError,
    },
    /// A template of the request cannot be filled.
    #[error("cannot render the request's {part}: {source}")]
    Render {
        /// Which part of the request (`path`, `body`).
        part: &'static str,
        /// Why.
        source: RenderError,
    },
    /// The answer is not a 2xx page.
    #[error("the provider answered {0}, not a page")]
    Status(u16),
    /// The records path is missing from an answer that is not an empty result.
    #[error("the response has no records at `{path}`")]
    RecordPathMissing {
        /// The stream's `record_path`.
        path: String,
    },
    /// The records path holds something other than an array or an object.
    #[error("the response holds {found} at `{path}`, not an array of records")]
    NotRecords {
        /// The stream's `record_path`, or `(body)`.
        path: String,
        /// What it holds (`a string`, `a number`).
        found: &'static str,
    },
    /// A pagination value (cursor, URL, total) has the wrong type.
    #[error("the response holds {found} at `{path}`, expected {expected}")]
    BadValue {
        /// The path of the value.
        path: String,
        /// What it holds.
        found: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// The provider handed out a cursor, URL or page it had already given: following it would
    /// never end.
    #[error("pagination loops: the provider repeated {0}")]
    Loop(String),
    /// More pages than the paginator's limit.
    #[error("more than {0} pages")]
    TooManyPages(u64),
    /// A checkpoint that this stream's pagination did not write.
    #[error("checkpoint `{cursor}` does not fit {kind} pagination")]
    BadCheckpoint {
        /// The checkpoint.
        cursor: String,
        /// The stream's pagination kind.
        kind: &'static str,
    },
    /// A URL that cannot be built or resolved.
    #[error("invalid URL `{url}`: {reason}")]
    BadUrl {
        /// The URL or reference.
        url: String,
        /// Why.
        reason: String,
    },
    /// A stored incremental cursor that does not parse in the stream's time format.
    #[error("`{value}` is not a {format:?} time")]
    BadTime {
        /// The value.
        value: String,
        /// The expected format.
        format: TimeFormat,
    },
    /// [`Paginator::next`] after the last page.
    #[error("pagination already finished")]
    Finished,
}

impl PaginateError {
    /// The crate error code: `INVALID_INPUT` when the definition or a checkpoint is at fault,
    /// `UPSTREAM_ERROR` when the provider's answers are.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidPath { .. }
            | Self::Render { .. }
            | Self::BadCheckpoint { .. }
            | Self::BadTime { .. } => "INVALID_INPUT",
            Self::Finished => "INTERNAL",
            _ => "UPSTREAM_ERROR",
        }
    }
}

/// The pagination state machine of one stream read.
#[derive(Debug, Clone)]
pub struct Paginator {
    request: Request,
    pagination: Pagination,
    settings: Settings,
    since: Option<String>,
    incremental: Option<Incremental>,
    record_path: Option<JsonPath>,
    paths: Paths,
    position: Position,
    pages: u64,
    max_pages: u64,
    /// Hashes of the positions already requested, to detect loops.
    seen: HashSet<u64>,
    /// Hash of the previous page's records, to detect a provider ignoring the pagination.
    last_page: Option<u64>,
    finished: bool,
}

/// The pagination paths of a stream, parsed once.
#[derive(Debug, Clone, Default)]
struct Paths {
    cursor: Option<JsonPath>,
    cursor_param: Option<JsonPath>,
    has_more: Option<JsonPath>,
    next_url: Option<JsonPath>,
    total: Option<JsonPath>,
    cursor_field: Option<JsonPath>,
    since_body: Option<JsonPath>,
    delta_url: Option<JsonPath>,
}

/// Which page comes next.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Position {
    /// The stream's own request (or the stored delta URL).
    First,
    /// The stream's request with this cursor.
    Cursor(String),
    /// A URL handed out by the provider.
    Target(Target),
    /// Offset pagination at this offset.
    Offset(u64),
    /// Page-number pagination at this page.
    Page(u64),
}

impl Paginator {
    /// A paginator for `stream` from its first page. `since` is the value sent as "changed
    /// since" on an incremental run (see [`since_value`]; for [`Since::DeltaUrl`] the stored
    /// delta URL), `None` for a full read.
    pub fn new(
        stream: &Stream,
        settings: &Settings,
        since: Option<String>,
    ) -> Result<Self, PaginateError> {
        let paths = Paths::of(stream)?;
        let record_path = parse_optional("record_path", stream.record_path.as_deref())?;
        let position = match &stream.pagination {
            Pagination::Offset(offset) => Position::Offset(offset.start),
            Pagination::PageNumber(page) => Position::Page(page.start_page),
            _ => Position::First,
        };
        let since = since.filter(|value| !value.is_empty());
        Ok(Self {
            request: stream.request.clone(),
            pagination: stream.pagination.clone(),
            settings: settings.clone(),
            since,
            incremental: stream.incremental.clone(),
            record_path,
            paths,
            position,
            pages: 0,
            max_pages: DEFAULT_MAX_PAGES,
            seen: HashSet::new(),
            last_page: None,
            finished: false,
        })
    }

    /// A paginator that continues a run from the checkpoint ([`Page::cursor`]) of its last
    /// committed page. Pass the same `since` as the interrupted run.
    pub fn resume(
        stream: &Stream,
        settings: &Settings,
        since: Option<String>,
        saved_page_cursor: &str,
    ) -> Result<Self, PaginateError> {
        let mut paginator = Self::new(stream, settings, since)?;
        let position = Position::decode(saved_page_cursor, &paginator.pagination)?;
        paginator.seen.insert(hash_of(&position));
        paginator.position = position;
        Ok(paginator)
    }

    /// Sets the number of pages after which [`Paginator::next`] fails with
    /// [`PaginateError::TooManyPages`] (default [`DEFAULT_MAX_PAGES`]).
    #[must_use]
    pub fn with_max_pages(mut self, max_pages: u64) -> Self {
        self.max_pages = max_pages;
        self
    }

    /// The request for the first page (or, after [`Paginator::resume`], the page after the
    /// checkpoint).
    pub fn first_request(&self) -> Result<PageRequest, PaginateError> {
        self.request_at(&self.position)
    }

    /// Reads one page from the answer to the last request and works out the next request.
    pub fn next(&mut self, response: &PageResponse) -> Result<Page, PaginateError> {
        let mut page = self.read(response)?;
        page.records = extract(&response.body, self.record_path.as_ref())?;
        Ok(page)
    }

    /// [`Paginator::next`], taking the records out of the answer instead of copying them.
    pub fn next_owned(&mut self, mut response: PageResponse) -> Result<Page, PaginateError> {
        let mut page = self.read(&response)?;
        page.records = take_records(&mut response.body, self.record_path.as_ref());
        Ok(page)
    }

    /// Everything [`Paginator::next`] reads from an answer but the records themselves (left
    /// empty in the page).
    fn read(&mut self, response: &PageResponse) -> Result<Page, PaginateError> {
        if self.finished {
            return Err(PaginateError::Finished);
        }
        if !(200..300).contains(&response.status) {
            return Err(PaginateError::Status(response.status));
        }
        let records = records_in(&response.body, self.record_path.as_ref())?;
        self.pages += 1;
        let position = self.advance(response, records)?;
        if let Some(position) = &position
            && !self.seen.insert(hash_of(position))
        {
            return Err(PaginateError::Loop(position.describe()));
        }
        // A provider that ignores the offset, page or cursor sent keeps answering the same page.
        if !records.is_empty() {
            let hash = hash_records(records);
            if self.last_page == Some(hash) {
                return Err(PaginateError::Loop("the same page of records".to_owned()));
            }
            self.last_page = Some(hash);
        }
        let max_cursor_value = match (&self.incremental, &self.paths.cursor_field) {
            (Some(incremental), Some(field)) => {
                max_cursor_value(records, field, incremental.format)
            }
            _ => None,
        };
        let delta_url = self
            .paths
            .delta_url
            .as_ref()
            .and_then(|path| path.lookup(&response.body))
            .and_then(Value::as_str)
            .filter(|url| !url.is_empty())
            .map(str::to_owned);

        let Some(position) = position else {
            self.finished = true;
            return Ok(Page {
                records: Vec::new(),
                next: None,
                cursor: None,
                max_cursor_value,
                delta_url,
            });
        };
        if self.pages >= self.max_pages {
            return Err(PaginateError::TooManyPages(self.max_pages));
        }
        let next = self.request_at(&position)?;
        let cursor = position.encode();
        self.position = position;
        Ok(Page {
            records: Vec::new(),
            next: Some(next),
            cursor,
            max_cursor_value,
            delta_url,
        })
    }

    /// Pages read so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Whether the last page has been read.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The position after this page, or `None` when it is the last.
    fn advance(
        &self,
        response: &PageResponse,
        records: &[Value],
    ) -> Result<Option<Position>, PaginateError> {
        if records.is_empty() {
            return Ok(None);
        }
        let body = &response.body;
        if let Some(path) = &self.paths.has_more
            && is_false(path.lookup(body))
        {
            return Ok(None);
        }
        Ok(match &self.pagination {
            Pagination::None(_) => None,
            Pagination::Cursor(cursor) => {
                let Some(path) = &self.paths.cursor else {
                    return Ok(None);
                };
                let source = match cursor.cursor_source {
                    CursorSource::Response => Some(body),
                    CursorSource::LastRecord => records.last(),
                };
                scalar_text(source.and_then(|v| path.lookup(v)), path, "a string cursor")?
                    .map(Position::Cursor)
            }
            Pagination::NextUrl(_) => {
                let Some(path) = &self.paths.next_url else {
                    return Ok(None);
                };
                scalar_text(path.lookup(body), path, "a URL")?
                    .map(|url| Position::Target(Target::Url(url)))
            }
            Pagination::LinkHeader(link) => {
                let header = response.headers.get("link").map_or("", String::as_str);
                match find_link(&parse_link_header(header), &link.rel) {
                    Some(reference) => {
                        let current = self.current_target()?;
                        Some(Position::Target(follow(&current, reference)?))
                    }
                    None => None,
                }
            }
            Pagination::Offset(offset) => {
                let Position::Offset(at) = self.position else {
                    return Ok(None);
                };
                let received = records.len() as u64;
                let next = at.saturating_add(received);
                let total = self.total(body)?;
                let short = received < u64::from(offset.limit);
                let reached = total.is_some_and(|total| next.saturating_sub(offset.start) >= total);
                (!short && !reached).then_some(Position::Offset(next))
            }
            Pagination::PageNumber(page) => {
                let Position::Page(at) = self.position else {
                    return Ok(None);
                };
                let short = page
                    .page_size
                    .is_some_and(|size| (records.len() as u64) < u64::from(size));
                let read = at.saturating_sub(page.start_page).saturating_add(1);
                let reached = self.total(body)?.is_some_and(|total| read >= total);
                (!short && !reached).then_some(Position::Page(at.saturating_add(1)))
            }
        })
    }

    /// The total (records or pages) the body announces, if the stream declares where.
    fn total(&self, body: &Value) -> Result<Option<u64>, PaginateError> {
        let Some(path) = &self.paths.total else {
            return Ok(None);
        };
        match path.lookup(body) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
            Some(Value::String(s)) if s.trim().parse::<u64>().is_ok() => Ok(s.trim().parse().ok()),
            Some(other) => Err(PaginateError::BadValue {
                path: path.to_string(),
                found: kind_of(other),
                expected: "a whole number",
            }),
        }
    }

    /// The target of the request at the current position.
    fn current_target(&self) -> Result<Target, PaginateError> {
        match &self.position {
            Position::Target(target) => Ok(target.clone()),
            _ => Ok(self.request_at(&self.position)?.target),
        }
    }

    /// Builds the request for a position.
    fn request_at(&self, position: &Position) -> Result<PageRequest, PaginateError> {
        let vars = self.page_vars(position);
        let text_value = |name: &str| -> Option<String> {
            match name {
                "since" => self.since.clone(),
                _ => vars
                    .iter()
                    .find(|(var, _)| *var == name)
                    .map(|(_, n)| n.to_string())
                    .or_else(|| self.settings.get(name).cloned()),
            }
        };

        let mut headers = BTreeMap::new();
        for (name, value) in &self.request.headers {
            if let Ok(value) = template::render(value, text_value) {
                headers.insert(name.clone(), value);
            }
        }

        // A URL handed out by the provider already holds the query; the body and headers stay.
        let (target, mut query) = match position {
            Position::Target(target) => (target.clone(), Vec::new()),
            _ => {
                let path = template::render(&self.request.path, text_value).map_err(|source| {
                    PaginateError::Render {
                        part: "path",
                        source,
                    }
                })?;
                let mut query = Vec::new();
                for (name, value) in &self.request.query {
                    if let Ok(value) = template::render(value, text_value) {
                        query.push((name.clone(), value));
                    }
                }
                (Target::Path(path), query)
            }
        };
        // A URL handed out by the provider already carries the filter.
        let from_stream_request = !matches!(position, Position::Target(_));

        let mut body = match &self.request.body {
            Some(template) => Some(
                template::render_json(template, &mut |name| match name {
                    "since" => self.since.clone().map(Value::String),
                    _ => vars
                        .iter()
                        .find(|(var, _)| *var == name)
                        .map(|(_, n)| Value::from(*n))
                        .or_else(|| self.settings.get(name).cloned().map(Value::String)),
                })
                .map_err(|source| PaginateError::Render {
                    part: "body",
                    source,
                })?,
            ),
            None => None,
        };

        // "Changed since": a query parameter, a filter expression, a header or a body field; a
        // delta URL replaces the stream's request altogether.
        if let (Some(incremental), Some(since)) = (&self.incremental, &self.since) {
            match &incremental.since {
                Since::QueryParam(param) if from_stream_request => {
                    set_query(&mut query, &param.name, since.clone());
                }
                Since::Filter(filter) if from_stream_request => {
                    let value =
                        template::render(&filter.template, text_value).map_err(|source| {
                            PaginateError::Render {
                                part: "incremental filter",
                                source,
                            }
                        })?;
                    set_query(&mut query, &filter.param, value);
                }
                Since::Header(header) => {
                    headers.insert(header.name.clone(), since.clone());
                }
                Since::BodyField(_) => {
                    if let (Some(path), Some(body)) = (&self.paths.since_body, body.as_mut()) {
                        set_path(body, path, Value::String(since.clone()));
                    }
                }
                Since::DeltaUrl(_) if matches!(position, Position::First) => {
                    return Ok(PageRequest {
                        method: Method::Get,
                        target: Target::Url(since.clone()),
                        query: Vec::new(),
                        headers,
                        body: None,
                    });
                }
                _ => {}
            }
        }

        match (&self.pagination, position) {
            (Pagination::Cursor(cursor), Position::Cursor(value)) => match cursor.cursor_in {
                ParamLocation::Query => set_query(&mut query, &cursor.cursor_param, value.clone()),
                ParamLocation::Body => {
                    if let Some(path) = &self.paths.cursor_param {
                        let body = body.get_or_insert_with(|| Value::Object(Map::new()));
                        set_path(body, path, Value::String(value.clone()));
                    }
                }
            },
            (Pagination::Offset(offset), Position::Offset(at)) => {
                if let Some(param) = &offset.offset_param {
                    set_query(&mut query, param, at.to_string());
                }
                if let Some(param) = &offset.limit_param {
                    set_query(&mut query, param, offset.limit.to_string());
                }
            }
            (Pagination::PageNumber(page), Position::Page(at)) => {
                if let Some(param) = &page.page_param {
                    set_query(&mut query, param, at.to_string());
                }
                if let (Some(param), Some(size)) = (&page.page_size_param, page.page_size) {
                    set_query(&mut query, param, size.to_string());
                }
            }
            _ => {}
        }

        let body = body.map(|body| match self.request.body_format {
            BodyFormat::Json => Body::Json(body),
            BodyFormat::Form => Body::Form(form_pairs(&body)),
        });
        Ok(PageRequest {
            method: self.request.method,
            target,
            query,
            headers,
            body,
        })
    }

    /// The pagination placeholders a position fills.
    fn page_vars(&self, position: &Position) -> Vec<(&'static str, u64)> {
        match (&self.pagination, position) {
            (Pagination::Offset(offset), Position::Offset(at)) => {
                vec![("offset", *at), ("limit", u64::from(offset.limit))]
            }
            (Pagination::PageNumber(page), Position::Page(at)) => {
                let mut vars = vec![("page", *at)];
                if let Some(size) = page.page_size {
                    vars.push(("page_size", u64::from(size)));
                }
                vars
            }
            _ => Vec::new(),
        }
    }
}

impl Paths {
    fn of(stream: &Stream) -> Result<Self, PaginateError> {
        let mut paths = Paths::default();
        match &stream.pagination {
            Pagination::None(_) | Pagination::LinkHeader(_) => {}
            Pagination::Cursor(cursor) => {
                paths.cursor = Some(parse("cursor_path", &cursor.cursor_path)?);
                if cursor.cursor_in == ParamLocation::Body {
                    paths.cursor_param = Some(parse("cursor_param", &cursor.cursor_param)?);
                }
                paths.has_more = parse_optional("has_more_path", cursor.has_more_path.as_deref())?;
            }
            Pagination::NextUrl(next) => {
                paths.next_url = Some(parse("next_url_path", &next.next_url_path)?);
            }
            Pagination::Offset(offset) => {
                paths.total = parse_optional("total_path", offset.total_path.as_deref())?;
                paths.has_more = parse_optional("has_more_path", offset.has_more_path.as_deref())?;
            }
            Pagination::PageNumber(page) => {
                paths.total = parse_optional("total_pages_path", page.total_pages_path.as_deref())?;
                paths.has_more = parse_optional("has_more_path", page.has_more_path.as_deref())?;
            }
        }
        if let Some(incremental) = &stream.incremental {
            paths.cursor_field = Some(parse("cursor_field", &incremental.cursor_field)?);
            match &incremental.since {
                Since::BodyField(field) => {
                    paths.since_body = Some(parse("since.path", &field.path)?)
                }
                Since::DeltaUrl(delta) => paths.delta_url = Some(parse("since.path", &delta.path)?),
                _ => {}
            }
        }
        Ok(paths)
    }
}

impl Position {
    /// The checkpoint text of the position; `None` for the first page.
    fn encode(&self) -> Option<String> {
        Some(match self {
            Self::First => return None,
            Self::Cursor(cursor) => format!("cursor:{cursor}"),
            Self::Target(Target::Url(url)) => format!("url:{url}"),
            Self::Target(Target::Path(path)) => format!("path:{path}"),
            Self::Offset(offset) => format!("offset:{offset}"),
            Self::Page(page) => format!("page:{page}"),
        })
    }

    /// Reads a checkpoint written by [`Position::encode`] for this pagination.
    fn decode(text: &str, pagination: &Pagination) -> Result<Self, PaginateError> {
        let bad = || PaginateError::BadCheckpoint {
            cursor: text.to_owned(),
            kind: pagination.kind(),
        };
        let (kind, value) = text.split_once(':').ok_or_else(bad)?;
        let position = match (pagination, kind) {
            (Pagination::Cursor(_), "cursor") if !value.is_empty() => {
                Self::Cursor(value.to_owned())
            }
            (Pagination::NextUrl(_) | Pagination::LinkHeader(_), "url") if !value.is_empty() => {
                Self::Target(Target::Url(value.to_owned()))
            }
            (Pagination::LinkHeader(_), "path") if value.starts_with('/') => {
                Self::Target(Target::Path(value.to_owned()))
            }
            (Pagination::Offset(_), "offset") => Self::Offset(value.parse().map_err(|_| bad())?),
            (Pagination::PageNumber(_), "page") => Self::Page(value.parse().map_err(|_| bad())?),
            _ => return Err(bad()),
        };
        Ok(position)
    }

    /// The position as named in a loop error.
    fn describe(&self) -> String {
        let text = self.encode().unwrap_or_default();
        format!("`{}`", truncate(&text, 120))
    }
}

impl PageRequest {
    /// The full URL of the request against the connection's base URL, query included.
    pub fn url(&self, base_url: &str) -> Result<Url, PaginateError> {
        let bad = |url: &str, e: url::ParseError| PaginateError::BadUrl {
            url: url.to_owned(),
            reason: e.to_string(),
        };
        let mut url = match &self.target {
            Target::Path(path) => {
                let full = format!("{}{path}", base_url.trim_end_matches('/'));
                Url::parse(&full).map_err(|e| bad(&full, e))?
            }
            Target::Url(reference) => Url::parse(base_url)
                .and_then(|base| base.join(reference))
                .map_err(|e| bad(reference, e))?,
        };
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        Ok(url)
    }
}

// --- Records ----------------------------------------------------------------------------------

/// The records of a response body at `record_path` (the body itself when `None`). An array
/// gives its elements and an object is one record. A path missing from an empty result (`{}`,
/// a QuickBooks `{"QueryResponse": {}}`, a Gmail `{"resultSizeEstimate": 0}`) or holding `null`
/// is an empty page; a path missing from anything else (or from an error body), or holding a
/// string, number or boolean, is an error naming it.
pub fn extract(body: &Value, record_path: Option<&JsonPath>) -> Result<Vec<Value>, PaginateError> {
    records_in(body, record_path).map(<[Value]>::to_vec)
}

/// The records [`extract`] gives, borrowed from the body.
fn records_in<'v>(
    body: &'v Value,
    record_path: Option<&JsonPath>,
) -> Result<&'v [Value], PaginateError> {
    let shown = || record_path.map_or_else(|| "(body)".to_owned(), JsonPath::to_string);
    let found = match record_path {
        None => body,
        Some(path) => match lookup_or_stop(body, path) {
            Ok(value) => value,
            Err(stop) if is_empty_result(stop, std::ptr::eq(stop, body)) => return Ok(&[]),
            Err(_) => return Err(PaginateError::RecordPathMissing { path: shown() }),
        },
    };
    match found {
        Value::Array(items) => Ok(items),
        Value::Object(_) => Ok(std::slice::from_ref(found)),
        Value::Null => Ok(&[]),
        other => Err(PaginateError::NotRecords {
            path: shown(),
            found: kind_of(other),
        }),
    }
}

/// Moves the records [`extract`] gives out of a body it has accepted.
fn take_records(body: &mut Value, record_path: Option<&JsonPath>) -> Vec<Value> {
    let found = match record_path {
        None => Some(body),
        Some(path) => path
            .0
            .iter()
            .try_fold(body, |current, segment| match segment {
                Segment::Key(key) => current.get_mut(key),
                Segment::Index(index) => current.get_mut(*index),
            }),
    };
    match found {
        Some(Value::Array(items)) => std::mem::take(items),
        Some(found @ Value::Object(_)) => vec![found.take()],
        _ => Vec::new(),
    }
}

/// The value at `path`, or the deepest value the walk reached before a step was missing.
fn lookup_or_stop<'v>(body: &'v Value, path: &JsonPath) -> Result<&'v Value, &'v Value> {
    let mut current = body;
    for segment in &path.0 {
        let next = match segment {
            Segment::Key(key) => current.get(key),
            Segment::Index(index) => current.get(index),
        };
        match next {
            Some(next) => current = next,
            None => return Err(current),
        }
    }
    Ok(current)
}

/// Whether the value where a record path stopped is an empty result: `null`, an empty object
/// or array, or an object holding only scalars such as counts and timestamps (Gmail's
/// `{"resultSizeEstimate": 0}`, DocuSign's counts without `envelopes`) — unless, at the root,
/// it reads as an error that came with a 2xx (Slack's `{"ok": false, "error": "…"}`).
fn is_empty_result(stop: &Value, at_root: bool) -> bool {
    match stop {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) if at_root && says_error(map) => false,
        Value::Object(map) => map.values().all(|v| !v.is_array() && !v.is_object()),
        _ => false,
    }
}

/// Whether a body reports an error: an `error`/`errors`/`fault` member, or `ok`/`success`
/// set to `false`.
fn says_error(map: &serde_json::Map<String, Value>) -> bool {
    ["error", "errors", "error_description", "fault"]
        .iter()
        .any(|key| map.contains_key(*key))
        || ["ok", "success"]
            .iter()
            .any(|key| map.get(*key) == Some(&Value::Bool(false)))
}

// --- Link header ------------------------------------------------------------------------------

/// One link of a `Link` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The target URI reference, as written between `<` and `>`.
    pub target: String,
    /// The parameters, names lower-cased, values unquoted, in order.
    pub params: Vec<(String, String)>,
}

impl Link {
    /// The first value of a parameter (RFC 8288 ignores later occurrences).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the link has relation type `rel` (`rel` may list several, space-separated;
    /// compared case-insensitively).
    pub fn has_rel(&self, rel: &str) -> bool {
        self.param("rel").is_some_and(|rels| {
            rels.split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case(rel))
        })
    }
}

/// Parses a `Link` header (RFC 8288): `<uri>; rel="next"; title="a, b", <uri2>; rel=last`.
/// Commas and semicolons inside `<…>` and quoted strings do not split; a malformed link is
/// skipped and parsing resumes at the next one.
pub fn parse_link_header(value: &str) -> Vec<Link> {
    let chars: Vec<char> = value.chars().collect();
    let mut links = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        skip(&chars, &mut at, |c| c == ',' || c.is_whitespace());
        if at >= chars.len() {
            break;
        }
        match parse_link(&chars, &mut at) {
            Some(link) => links.push(link),
            None => skip_to_next_link(&chars, &mut at),
        }
    }
    links
}

/// The target of the first link with relation `rel`.
pub fn find_link<'l>(links: &'l [Link], rel: &str) -> Option<&'l str> {
    links
        .iter()
        .find(|link| link.has_rel(rel))
        .map(|link| link.target.as_str())
        .filter(|target| !target.is_empty())
}

fn parse_link(chars: &[char], at: &mut usize) -> Option<Link> {
    if chars.get(*at) != Some(&'<') {
        return None;
    }
    let close = chars.iter().skip(*at + 1).position(|&c| c == '>')? + *at + 1;
    let target: String = chars.get(*at + 1..close)?.iter().collect();
    *at = close + 1;
    let mut params = Vec::new();
    loop {
        skip(chars, at, char::is_whitespace);
        match chars.get(*at) {
            None | Some(',') => break,
            Some(';') => *at += 1,
            Some(_) => return None,
        }
        skip(chars, at, char::is_whitespace);
        let name = take_while(chars, at, |c| {
            !matches!(c, '=' | ';' | ',') && !c.is_whitespace()
        });
        skip(chars, at, char::is_whitespace);
        let value = if chars.get(*at) == Some(&'=') {
            *at += 1;
            skip(chars, at, char::is_whitespace);
            if chars.get(*at) == Some(&'"') {
                quoted(chars, at)?
            } else {
                take_while(chars, at, |c| !matches!(c, ';' | ',') && !c.is_whitespace())
            }
        } else {
            String::new()
        };
        if !name.is_empty() {
            params.push((name.to_ascii_lowercase(), value));
        }
    }
    Some(Link {
        target: target.trim().to_owned(),
        params,
    })
}

/// A quoted string starting at `at` (which holds `"`), with `\` escapes resolved.
fn quoted(chars: &[char], at: &mut usize) -> Option<String> {
    let mut out = String::new();
    *at += 1;
    loop {
        let c = *chars.get(*at)?;
        *at += 1;
        match c {
            '"' => return Some(out),
            '\\' => {
                out.push(*chars.get(*at)?);
                *at += 1;
            }
            c => out.push(c),
        }
    }
}

/// Moves past the current (malformed) link: to the next comma outside `<…>` and quotes.
fn skip_to_next_link(chars: &[char], at: &mut usize) {
    let (mut in_angle, mut in_quote) = (false, false);
    while let Some(&c) = chars.get(*at) {
        *at += 1;
        match c {
            '<' if !in_quote => in_angle = true,
            '>' if !in_quote => in_angle = false,
            '"' if !in_angle => in_quote = !in_quote,
            '\\' if in_quote => *at += 1,
            ',' if !in_angle && !in_quote => return,
            _ => {}
        }
    }
}

fn skip(chars: &[char], at: &mut usize, what: impl Fn(char) -> bool) {
    while chars.get(*at).is_some_and(|&c| what(c)) {
        *at += 1;
    }
}

fn take_while(chars: &[char], at: &mut usize, what: impl Fn(char) -> bool) -> String {
    let start = *at;
    skip(chars, at, what);
    chars.get(start..*at).unwrap_or_default().iter().collect()
}

/// The target of a reference found in a `Link` header of the answer to `current`: an absolute
/// or path-absolute reference stands alone; any other is resolved against the current request's
/// URL, keeping it relative to the base URL when the current request was.
fn follow(current: &Target, reference: &str) -> Result<Target, PaginateError> {
    const PLACEHOLDER_ORIGIN: &str = "http://patchbay.invalid";
    if Url::parse(reference).is_ok() || reference.starts_with('/') {
        return Ok(Target::Url(reference.to_owned()));
    }
    let bad = |e: url::ParseError| PaginateError::BadUrl {
        url: reference.to_owned(),
        reason: e.to_string(),
    };
    match current {
        Target::Url(url) if Url::parse(url).is_ok() => {
            let joined = Url::parse(url)
                .and_then(|u| u.join(reference))
                .map_err(bad)?;
            Ok(Target::Url(joined.to_string()))
        }
        Target::Url(path) | Target::Path(path) => {
            let joined = Url::parse(&format!("{PLACEHOLDER_ORIGIN}{path}"))
                .and_then(|u| u.join(reference))
                .map_err(bad)?;
            let mut relative = joined.path().to_owned();
            if let Some(query) = joined.query() {
                relative.push('?');
                relative.push_str(query);
            }
            Ok(match current {
                Target::Path(_) => Target::Path(relative),
                Target::Url(_) => Target::Url(relative),
            })
        }
    }
}

// --- Incremental cursor values ----------------------------------------------------------------

/// The highest value at `field` among `records` in `format`, as the provider wrote it (a
/// number as its JSON text). Values missing or not parsing in `format` are skipped.
pub fn max_cursor_value(records: &[Value], field: &JsonPath, format: TimeFormat) -> Option<String> {
    records
        .iter()
        .filter_map(|record| {
            let value = field.lookup(record)?;
            Some((Timestamp::parse(value, format)?, value))
        })
        .max_by_key(|(time, _)| *time)
        .map(|(_, value)| template::value_text(value))
}

/// Whether cursor value `candidate` is later than `current` in `format`; a value that does not
/// parse is never later, and anything parsable is later than an unparsable `current`.
pub fn is_later(candidate: &str, current: &str, format: TimeFormat) -> bool {
    match (
        Timestamp::parse_str(candidate, format),
        Timestamp::parse_str(current, format),
    ) {
        (Some(candidate), Some(current)) => candidate > current,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// The "changed since" value to send for a stored cursor: the overlap subtracted and the
/// value written in the `since` format (the cursor field's when it names none). For
/// [`Since::DeltaUrl`] the stored value is the delta URL and is returned as is.
pub fn since_value(incremental: &Incremental, stored: &str) -> Result<String, PaginateError> {
    if matches!(incremental.since, Since::DeltaUrl(_)) {
        return Ok(stored.to_owned());
    }
    let time =
        Timestamp::parse_str(stored, incremental.format).ok_or_else(|| PaginateError::BadTime {
            value: stored.to_owned(),
            format: incremental.format,
        })?;
    let overlap = i64::try_from(incremental.overlap_seconds).unwrap_or(i64::MAX);
    let since = Timestamp {
        secs: time.secs.saturating_sub(overlap),
        nanos: time.nanos,
    };
    let format = incremental.since.format().unwrap_or(incremental.format);
    // Whole seconds, rounded down, so the value suits SOQL and other strict parsers.
    let since = match format {
        TimeFormat::UnixMs | TimeFormat::MsJsonDate => since,
        _ => Timestamp {
            secs: since.secs,
            nanos: 0,
        },
    };
    Ok(since.format(format))
}

/// A point in time, to seconds and nanoseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Whole seconds since the epoch (negative before 1970).
    pub secs: i64,
    /// Nanoseconds into that second.
    pub nanos: u32,
}

impl Timestamp {
    /// Reads a JSON value written in `format`: a string, or a number for the Unix formats.
    pub fn parse(value: &Value, format: TimeFormat) -> Option<Self> {
        match value {
            Value::String(text) => Self::parse_str(text, format),
            Value::Number(number) => match format {
                TimeFormat::UnixSeconds | TimeFormat::UnixMs => {
                    Self::parse_str(&number.to_string(), format)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Reads text written in `format`.
    pub fn parse_str(text: &str, format: TimeFormat) -> Option<Self> {
        let text = text.trim();
        match format {
            TimeFormat::Iso8601 => parse_iso8601(text),
            TimeFormat::UnixSeconds => parse_decimal(text, 1),
            TimeFormat::UnixMs => parse_decimal(text, 1000),
            TimeFormat::HttpDate => {
                let time = httpdate::parse_http_date(text).ok()?;
                let since = time.duration_since(std::time::UNIX_EPOCH).ok()?;
                Some(Self {
                    secs: i64::try_from(since.as_secs()).ok()?,
                    nanos: 0,
                })
            }
            TimeFormat::MsJsonDate => {
                let inner = text.strip_prefix("/Date(")?.strip_suffix(")/")?;
                // The offset after the milliseconds only tells the writer's zone.
                let end = inner
                    .char_indices()
                    .skip(1)
                    .find(|(_, c)| *c == '+' || *c == '-')
                    .map_or(inner.len(), |(i, _)| i);
                parse_decimal(inner.get(..end)?, 1000)
            }
        }
    }

    /// Writes the time in `format` (ISO 8601 in UTC with `Z`).
    pub fn format(self, format: TimeFormat) -> String {
        let millis = i128::from(self.secs) * 1000 + i128::from(self.nanos / 1_000_000);
        match format {
            TimeFormat::Iso8601 => {
                let (date, (h, m, s)) = self.civil();
                let fraction = match self.nanos {
                    0 => String::new(),
                    n if n % 1_000_000 == 0 => format!(".{:03}", n / 1_000_000),
                    n => format!(".{n:09}"),
                };
                format!("{}T{h:02}:{m:02}:{s:02}{fraction}Z", date_text(date))
            }
            TimeFormat::UnixSeconds => self.secs.to_string(),
            TimeFormat::UnixMs => millis.to_string(),
            TimeFormat::HttpDate => {
                const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
                const MONTHS: [&str; 12] = [
                    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                    "Dec",
                ];
                let ((y, mo, d), (h, m, s)) = self.civil();
                let weekday = self.secs.div_euclid(86_400).rem_euclid(7);
                let day_name = usize::try_from(weekday).ok().and_then(|i| DAYS.get(i));
                let month_name = MONTHS.get((mo as usize).saturating_sub(1));
                format!(
                    "{}, {d:02} {} {y:04} {h:02}:{m:02}:{s:02} GMT",
                    day_name.unwrap_or(&"Thu"),
                    month_name.unwrap_or(&"Jan")
                )
            }
            TimeFormat::MsJsonDate => format!("/Date({millis}+0000)/"),
        }
    }

    /// The UTC calendar date and time of day.
    fn civil(self) -> ((i64, u32, u32), (i64, i64, i64)) {
        let days = self.secs.div_euclid(86_400);
        let of_day = self.secs.rem_euclid(86_400);
        (
            civil_from_days(days),
            (of_day / 3600, of_day % 3600 / 60, of_day % 60),
        )
    }
}

fn date_text((y, m, d): (i64, u32, u32)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// A decimal number of seconds (`unit` 1) or milliseconds (`unit` 1000), with an optional
/// fraction, as a timestamp.
fn parse_decimal(text: &str, unit: i64) -> Option<Timestamp> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    // More than 19 digits is no time of ours (and would overflow below).
    if whole.is_empty() || whole.len() > 19 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i128 = whole.parse().ok()?;
    // Nanoseconds in the fraction of one unit, to nine digits.
    let mut fraction_nanos: i128 = 0;
    for (i, b) in fraction.bytes().take(9).enumerate() {
        fraction_nanos += i128::from(b - b'0') * 10_i128.pow(8 - i as u32);
    }
    let unit_nanos = 1_000_000_000 / i128::from(unit);
    let mut total = whole * unit_nanos + fraction_nanos / i128::from(unit);
    if negative {
        total = -total;
    }
    let secs = i64::try_from(total.div_euclid(1_000_000_000)).ok()?;
    let nanos = u32::try_from(total.rem_euclid(1_000_000_000)).ok()?;
    Some(Timestamp { secs, nanos })
}

/// ISO 8601 / RFC 3339: `2024-05-01`, `2024-05-01T12:00:00Z`, `2024-05-01 12:00:00.123+02:00`,
/// `2024-05-01T12:00:00.000+0000` (Salesforce); without an offset the time is taken as UTC.
fn parse_iso8601(text: &str) -> Option<Timestamp> {
    let bytes = text.as_bytes();
    let number = |from: usize, len: usize| -> Option<i64> {
        let part = text.get(from..from + len)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let year = number(0, 4)?;
    if bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let month = u32::try_from(number(5, 2)?).ok()?;
    let day = u32::try_from(number(8, 2)?).ok()?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if bytes.len() == 10 {
        return Some(Timestamp {
            secs: days * 86_400,
            nanos: 0,
        });
    }
    if !matches!(bytes.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = number(11, 2)?;
    if bytes.get(13) != Some(&b':') {
        return None;
    }
    let minute = number(14, 2)?;
    let mut at = 16;
    let mut second = 0;
    if bytes.get(at) == Some(&b':') {
        second = number(17, 2)?;
        at = 19;
    }
    let mut nanos: u32 = 0;
    if matches!(bytes.get(at), Some(b'.' | b',')) {
        at += 1;
        let start = at;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 9 {
                nanos += u32::from(bytes.get(at)? - b'0') * 10_u32.pow(8 - (at - start) as u32);
            }
            at += 1;
        }
        if at == start {
            return None;
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset = match bytes.get(at) {
        None => 0,
        Some(b'Z' | b'z') if at + 1 == bytes.len() => 0,
        Some(sign @ (b'+' | b'-')) => {
            let hours = number(at + 1, 2)?;
            let minutes = match bytes.len() - at {
                3 => 0,
                5 => number(at + 3, 2)?,
                6 if bytes.get(at + 3) == Some(&b':') => number(at + 4, 2)?,
                _ => return None,
            };
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    Some(Timestamp {
        secs: days * 86_400 + hour * 3600 + minute * 60 + second - offset,
        nanos,
    })
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

// --- Small helpers ----------------------------------------------------------------------------

fn parse(field: &'static str, text: &str) -> Result<JsonPath, PaginateError> {
    JsonPath::parse(text).map_err(|source| PaginateError::InvalidPath { field, source })
}

fn parse_optional(
    field: &'static str,
    text: Option<&str>,
) -> Result<Option<JsonPath>, PaginateError> {
    text.map(|text| parse(field, text)).transpose()
}

/// A cursor or URL as text: `None` when missing, null or empty; an error for a non-scalar.
fn scalar_text(
    value: Option<&Value>,
    path: &JsonPath,
    expected: &'static str,
) -> Result<Option<String>, PaginateError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone()).filter(|t| !t.is_empty())),
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        Some(other) => Err(PaginateError::BadValue {
            path: path.to_string(),
            found: kind_of(other),
            expected,
        }),
    }
}

/// Whether a `has_more` flag says there is no more (`false` or `"false"`).
fn is_false(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(flag)) => !flag,
        Some(Value::String(text)) => text.eq_ignore_ascii_case("false"),
        _ => false,
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Replaces the value of query parameter `name`, or appends it.
fn set_query(query: &mut Vec<(String, String)>, name: &str, value: String) {
    match query.iter_mut().find(|(n, _)| n == name) {
        Some(pair) => pair.1 = value,
        None => query.push((name.to_owned(), value)),
    }
}

/// Sets the value at `path` in `root`, creating objects and padding arrays on the way.
fn set_path(root: &mut Value, path: &JsonPath, new: Value) {
    let mut current = root;
    for segment in &path.0 {
        current = match segment {
            Segment::Key(key) => {
                if !current.is_object() {
                    *current = Value::Object(Map::new());
                }
                let Value::Object(map) = current else { return };
                map.entry(key.clone()).or_insert(Value::Null)
            }
            Segment::Index(index) => {
                if !current.is_array() {
                    *current = Value::Array(Vec::new());
                }
                let Value::Array(items) = current else { return };
                if items.len() <= *index {
                    items.resize(index + 1, Value::Null);
                }
                let Some(item) = items.get_mut(*index) else {
                    return;
                };
                item
            }
        };
    }
    *current = new;
}

/// Form pairs of a body object: nested objects as `a[b]`, arrays as `a[0]`, `null` left out.
fn form_pairs(body: &Value) -> Vec<(String, String)> {
    fn walk(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::Null => {}
            Value::Object(map) => {
                for (key, item) in map {
                    let name = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}[{key}]")
                    };
                    walk(&name, item, out);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(&format!("{prefix}[{i}]"), item, out);
                }
            }
            other => out.push((prefix.to_owned(), template::value_text(other))),
        }
    }
    let mut out = Vec::new();
    walk("", body, &mut out);
    out
}

/// What identifies a position for loop detection: a hash of its checkpoint text.
fn hash_of(position: &Position) -> u64 {
    let mut hasher = DefaultHasher::new();
    position.encode().hash(&mut hasher);
    hasher.finish()
}

/// A hash of a page's records, streamed through the serializer without building the text.
fn hash_records(records: &[Value]) -> u64 {
    struct Sink<'h>(&'h mut DefaultHasher);
    impl std::io::Write for Sink<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            Hasher::write(self.0, buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hasher = DefaultHasher::new();
    // Writing to a hasher cannot fail; a failure would only weaken the repeat check.
    let _ = serde_json::to_writer(Sink(&mut hasher), records);
    hasher.finish()
}

fn truncate(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BASE: &str = "https://api.example.com/base";

    /// A stream reading `/items` (or what `overrides` says) with this pagination.
    fn stream(pagination: Value, overrides: Value) -> Stream {
        let mut doc = json!({
            "name": "items",
            "request": { "path": "/items" },
            "pagination": pagination,
            "primary_key": ["id"],
            "fields": [{ "path": "id", "type": "string" }]
        });
        if let (Value::Object(doc), Value::Object(overrides)) = (&mut doc, overrides) {
            doc.extend(overrides);
        }
        serde_json::from_value(doc).unwrap()
    }

    /// `n` records `r000`, `r001`, … updated one minute apart.
    fn dataset(n: usize) -> Vec<Value> {
        (0..n)
            .map(|i| {
                let time = Timestamp {
                    secs: 1_714_564_800 + 60 * i as i64,
                    nanos: 0,
                };
                json!({ "id": format!("r{i:03}"), "updated_at": time.format(TimeFormat::Iso8601) })
            })
            .collect()
    }

    fn ok(body: Value) -> PageResponse {
        PageResponse {
            status: 200,
            headers: BTreeMap::new(),
            body,
        }
    }

    /// The path and decoded query of a request, against [`BASE`].
    fn parts(request: &PageRequest) -> (String, BTreeMap<String, String>) {
        let url = request.url(BASE).unwrap();
        (
            url.path().to_owned(),
            url.query_pairs().into_owned().collect(),
        )
    }

    fn slice(data: &[Value], start: usize, len: usize) -> (Vec<Value>, usize) {
        let start = start.min(data.len());
        let end = (start + len).min(data.len());
        (data[start..end].to_vec(), end)
    }

    fn number(q: &BTreeMap<String, String>, name: &str, default: usize) -> usize {
        q.get(name).map_or(default, |v| v.parse().unwrap())
    }

    /// A fake provider: the answer to a request over a data set.
    type Provider = fn(&PageRequest, &[Value]) -> PageResponse;

    fn stripe(request: &PageRequest, data: &[Value]) -> PageResponse {
        let (_, q) = parts(request);
        let start = q.get("starting_after").map_or(0, |id| {
            data.iter().position(|r| r["id"] == id.as_str()).unwrap() + 1
        });
        let (page, end) = slice(data, start, number(&q, "limit", 10));
        ok(json!({ "object": "list", "data": page, "has_more": end < data.len() }))
    }

    fn hubspot(request: &PageRequest, data: &[Value]) -> PageResponse {
        let (_, q) = parts(request);
        let (page, end) = slice(data, number(&q, "after", 0), 4);
        let mut body = json!({ "results": page });
        if end < data.len() {
            body["paging"] = json!({ "next": { "after": end.to_string(), "link": "ignored" } });
        }
        ok(body)
    }

    fn slack(request: &PageRequest, data: &[Value]) -> PageResponse {
        let (_, q) = parts(request);
        let start = q
            .get("cursor")
            .map_or(0, |c| c.strip_prefix("dXNlcjp").unwrap().parse().unwrap());
        let (page, end) = slice(data, start, 3);
        let next = if end < data.len() {
            format!("dXNlcjp{end}")
        } else {
            String::new()
        };
        ok(json!({ "ok": true, "members": page, "response_metadata": { "next_cursor": next } }))
    }

    fn hubspot_search(request: &PageRequest, data: &[Value]) -> PageResponse {
        assert_eq!(request.method, Method::Post);
        let Some(Body::Json(body)) = &request.body else {
            panic!("no JSON body")
        };
        let start = body["after"].as_str().map_or(0, |a| a.parse().unwrap());
        let (page, end) = slice(data, start, body["limit"].as_u64().unwrap() as usize);
        let mut out = json!({ "total": data.len(), "results": page });
        if end < data.len() {
            out["paging"] = json!({ "next": { "after": end.to_string() } });
        }
        ok(out)
    }

    fn salesforce(request: &PageRequest, data: &[Value]) -> PageResponse {
        let (path, q) = parts(request);
        let start = match path.rsplit_once('-') {
            Some((_, offset)) => offset.parse().unwrap(),
            None => {
                assert!(q["q"].starts_with("SELECT"));
                0
            }
        };
        let (page, end) = slice(data, start, 4);
        let mut body =
            json!({ "totalSize": data.len(), "done": end == data.len(), "records": page });
        if end < data.len() {
            body["nextRecordsUrl"] = json!(format!("/base/query/01gD0000000001-{end}"));
        }
        ok(body)
    }

    fn graph(request: &PageRequest, data: &[Value]) -> PageResponse {
        let (_, q) = parts(request);
        let (page, end) = slice(data, number(&q, "$skiptoken", 0), number(&q, "$top", 100));
        let mut body = json!({ "@odata.context": "x", "value": page });
        if end < data.len() {
            body["@odata.nextLink"] = json!(format!(
                "https://graph.example.com/v1.0/users?$top=3&$skiptoken={end}"
            ));
        }
        ok(body)
    }

    fn github(request: &PageRequest, data: &[Value]) -> PageResponse {
        let (_, q) = parts(request);
        let per_page = number(&q, "per_page", 30);
        let page = number(&q, "page", 1);
        let (records, end) = slice(data, (page - 1) * per_page, per_page);
        let last = data.len().div_ceil(per_page);
        let link = |p: usize, rel: &str| {
            format!("<{BASE}/repos/o/r/issues?per_page={per_page}&page={p}>; rel=\"{rel}\"")
        };
        let mut links = vec![link(1, "first")];
        if end < data.len() {
            links.push(link(page + 1, "next"));
        }
        links.push(link(last, "last"));
        let mut response = ok(Value::Array(records));
        response.headers.insert("link".into(), links.join(", "));
        response
    }

    /// A `Link` header with relative-path references (`items?page_info=…`).
    fn relative_links(request: &PageRequest, data: &[Value]) -> PageResponse {
        let (path, q) = parts(request);
        assert_eq!(path, "/base/items");
        let start = q.get("page_info").map_or(0, |p| p.parse().unwrap());
        let (records, end) = slice(data, start, 3);
        let mut response = ok(json!({ "items": records }));
        if end < data.len() {
            let link = format!("<items?page_info={end}>; rel=\"next\"");
            response.headers.insert("link".into(), link);
        }
        response
    }

    fn linkedin(request: &PageRequest, data: &[Value]) -> PageResponse {
        let (_, q) = parts(request);
        let (page, _) = slice(data, number(&q, "start", 0), number(&q, "count", 10));
        ok(json!({ "elements": page, "paging": { "total": data.len() } }))
    }

    fn offset_no_total(request: &PageRequest, data: &[Value]) -> PageResponse {
        let (_, q) = parts(request);
        let (page, _) = slice(data, number(&q, "offset", 0), number(&q, "limit", 10));
        ok(Value::Array(page))
    }

    fn quickbooks(request: &PageRequest, data: &[Value]) -> PageResponse {
        let (_, q) = parts(request);
        let words: Vec<&str> = q["query"].split_whitespace().collect();
        let after = |w: &str| -> usize {
            let i = words.iter().position(|x| *x == w).unwrap();
            words[i + 1].parse().unwrap()
        };
        let (page, _) = slice(data, after("STARTPOSITION") - 1, after("MAXRESULTS"));
        if page.is_empty() {
            return ok(json!({ "QueryResponse": {}, "time": "2024-05-01T12:00:00.000-07:00" }));
        }
        ok(json!({ "QueryResponse": { "Customer": page, "startPosition": 1 }, "time": "x" }))
    }

    fn xero(request: &PageRequest, data: &[Value]) -> PageResponse {
        let (_, q) = parts(request);
        let size = number(&q, "pageSize", 100);
        let page = number(&q, "page", 1);
        let (records, _) = slice(data, (page - 1) * size, size);
        let count = data.len().div_ceil(size);
        ok(json!({ "pagination": { "page": page, "pageCount": count }, "Invoices": records }))
    }

    fn zero_based(request: &PageRequest, data: &[Value]) -> PageResponse {
        let (_, q) = parts(request);
        let size = number(&q, "size", 10);
        let (records, _) = slice(data, number(&q, "p", 0) * size, size);
        ok(json!({ "results": records, "more": true }))
    }

    fn everything(_: &PageRequest, data: &[Value]) -> PageResponse {
        ok(Value::Array(data.to_vec()))
    }

    /// The record ids read, the requests sent and the checkpoints of each page.
    type Drained = (Vec<String>, Vec<PageRequest>, Vec<Option<String>>);

    /// Reads every page.
    fn drain(
        mut paginator: Paginator,
        provider: Provider,
        data: &[Value],
    ) -> Result<Drained, PaginateError> {
        let mut request = paginator.first_request()?;
        let (mut ids, mut requests, mut cursors) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..1000 {
            requests.push(request.clone());
            let page = paginator.next(&provider(&request, data))?;
            ids.extend(
                page.records
                    .iter()
                    .map(|r| r["id"].as_str().unwrap().to_owned()),
            );
            cursors.push(page.cursor.clone());
            assert_eq!(page.next.is_some(), page.cursor.is_some());
            match page.next {
                Some(next) => request = next,
                None => {
                    assert!(paginator.is_finished());
                    assert_eq!(paginator.next(&ok(json!([]))), Err(PaginateError::Finished));
                    return Ok((ids, requests, cursors));
                }
            }
        }
        panic!("no end after 1000 pages");
    }

    struct Case {
        name: &'static str,
        stream: Stream,
        provider: Provider,
        records: usize,
        pages: usize,
    }

    fn cases() -> Vec<Case> {
        let case = |name, stream, provider, records, pages| Case {
            name,
            stream,
            provider,
            records,
            pages,
        };
        vec![
            case(
                "stripe: cursor from the last record, has_more",
                stream(
                    json!({ "type": "cursor", "cursor_path": "id", "cursor_source": "last_record",
                            "cursor_param": "starting_after", "has_more_path": "has_more" }),
                    json!({ "request": { "path": "/v1/customers", "query": { "limit": "3" } },
                            "record_path": "data" }),
                ),
                stripe,
                10,
                4,
            ),
            case(
                "stripe: a full last page ends on has_more",
                stream(
                    json!({ "type": "cursor", "cursor_path": "id", "cursor_source": "last_record",
                            "cursor_param": "starting_after", "has_more_path": "has_more" }),
                    json!({ "request": { "path": "/v1/customers", "query": { "limit": "3" } },
                            "record_path": "data" }),
                ),
                stripe,
                9,
                3,
            ),
            case(
                "hubspot: cursor in the body, absent on the last page",
                stream(
                    json!({ "type": "cursor", "cursor_path": "paging.next.after", "cursor_param": "after" }),
                    json!({ "record_path": "results" }),
                ),
                hubspot,
                10,
                3,
            ),
            case(
                "slack: empty next_cursor ends",
                stream(
                    json!({ "type": "cursor", "cursor_path": "response_metadata.next_cursor",
                            "cursor_param": "cursor" }),
                    json!({ "record_path": "members" }),
                ),
                slack,
                7,
                3,
            ),
            case(
                "hubspot search: cursor sent in the JSON body",
                stream(
                    json!({ "type": "cursor", "cursor_path": "paging.next.after",
                            "cursor_param": "after", "cursor_in": "body" }),
                    json!({ "request": { "method": "POST", "path": "/crm/v3/objects/contacts/search",
                                         "body": { "limit": 4, "sorts": ["hs_lastmodifieddate"] } },
                            "record_path": "results" }),
                ),
                hubspot_search,
                9,
                3,
            ),
            case(
                "salesforce: relative nextRecordsUrl",
                stream(
                    json!({ "type": "next_url", "next_url_path": "nextRecordsUrl" }),
                    json!({ "request": { "path": "/query", "query": { "q": "SELECT Id FROM Account" } },
                            "record_path": "records" }),
                ),
                salesforce,
                10,
                3,
            ),
            case(
                "graph: absolute @odata.nextLink",
                stream(
                    json!({ "type": "next_url", "next_url_path": "['@odata.nextLink']" }),
                    json!({ "request": { "path": "/users", "query": { "$top": "3" } },
                            "record_path": "value" }),
                ),
                graph,
                8,
                3,
            ),
            case(
                "github: Link header with next and last",
                stream(
                    json!({ "type": "link_header" }),
                    json!({ "request": { "path": "/repos/{owner}/{repo}/issues",
                                         "query": { "per_page": "3", "state": "all" } } }),
                ),
                github,
                10,
                4,
            ),
            case(
                "Link header with relative references",
                stream(
                    json!({ "type": "link_header" }),
                    json!({ "record_path": "items" }),
                ),
                relative_links,
                8,
                3,
            ),
            case(
                "linkedin: offset with a total",
                stream(
                    json!({ "type": "offset", "offset_param": "start", "limit_param": "count",
                            "limit": 3, "total_path": "paging.total" }),
                    json!({ "record_path": "elements" }),
                ),
                linkedin,
                9,
                3,
            ),
            case(
                "offset without a total stops on a short page",
                stream(
                    json!({ "type": "offset", "offset_param": "offset", "limit_param": "limit", "limit": 4 }),
                    json!({}),
                ),
                offset_no_total,
                10,
                3,
            ),
            case(
                "offset without a total ends on an empty page",
                stream(
                    json!({ "type": "offset", "offset_param": "offset", "limit_param": "limit", "limit": 4 }),
                    json!({}),
                ),
                offset_no_total,
                8,
                3,
            ),
            case(
                "quickbooks: {offset} in the query text, 1-based, empty QueryResponse",
                stream(
                    json!({ "type": "offset", "limit": 3, "start": 1 }),
                    json!({ "request": { "path": "/v3/company/{realm_id}/query", "query": {
                                "query": "select * from Customer STARTPOSITION {offset} MAXRESULTS {limit}" } },
                            "record_path": "QueryResponse.Customer" }),
                ),
                quickbooks,
                6,
                3,
            ),
            case(
                "xero: 1-based pages ending on the page count",
                stream(
                    json!({ "type": "page_number", "page_param": "page", "page_size_param": "pageSize",
                            "page_size": 4, "total_pages_path": "pagination.pageCount" }),
                    json!({ "record_path": "Invoices" }),
                ),
                xero,
                8,
                2,
            ),
            case(
                "0-based pages through placeholders, short last page",
                stream(
                    json!({ "type": "page_number", "page_size": 5, "start_page": 0,
                            "has_more_path": "more" }),
                    json!({ "request": { "path": "/items", "query": { "p": "{page}", "size": "{page_size}" } },
                            "record_path": "results" }),
                ),
                zero_based,
                12,
                3,
            ),
            case(
                "no pagination",
                stream(json!({ "type": "none" }), json!({})),
                everything,
                5,
                1,
            ),
        ]
    }

    fn settings() -> Settings {
        [("owner", "o"), ("repo", "r"), ("realm_id", "123")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn every_kind_reads_every_record_exactly_once_and_stops() {
        for case in cases() {
            let data = dataset(case.records);
            let paginator = Paginator::new(&case.stream, &settings(), None).unwrap();
            let (ids, requests, _) = drain(paginator, case.provider, &data)
                .unwrap_or_else(|e| panic!("{}: {e}", case.name));
            let expected: Vec<String> = (0..case.records).map(|i| format!("r{i:03}")).collect();
            assert_eq!(ids, expected, "{}", case.name);
            assert_eq!(requests.len(), case.pages, "{}: pages", case.name);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn every_kind_reads_any_data_set_exactly_once(records in 0_usize..40) {
            for case in cases() {
                let data = dataset(records);
                let paginator = Paginator::new(&case.stream, &settings(), None).unwrap();
                let (ids, _, _) = drain(paginator, case.provider, &data)
                    .unwrap_or_else(|e| panic!("{}: {e}", case.name));
                let expected: Vec<String> = (0..records).map(|i| format!("r{i:03}")).collect();
                proptest::prop_assert_eq!(ids, expected, "{}", case.name);
            }
        }
    }

    #[test]
    fn every_kind_resumes_after_any_committed_page() {
        for case in cases() {
            let data = dataset(case.records);
            let paginator = Paginator::new(&case.stream, &settings(), None).unwrap();
            let (ids, _, cursors) = drain(paginator, case.provider, &data).unwrap();
            for (page, cursor) in cursors.iter().enumerate() {
                let Some(cursor) = cursor else { continue };
                let resumed = Paginator::resume(&case.stream, &settings(), None, cursor)
                    .unwrap_or_else(|e| panic!("{}: {e}", case.name));
                let (rest, _, _) = drain(resumed, case.provider, &data).unwrap();
                // The records of the pages up to and including `page`, then the rest.
                let done: usize = ids.len() - rest.len();
                assert_eq!(
                    &ids[done..],
                    rest.as_slice(),
                    "{} after page {page}",
                    case.name
                );
                assert!(done > 0, "{}: resuming re-read everything", case.name);
            }
        }
    }

    #[test]
    fn a_checkpoint_of_another_kind_is_refused() {
        let cursor = stream(
            json!({ "type": "cursor", "cursor_path": "next", "cursor_param": "c" }),
            json!({}),
        );
        let offset = stream(
            json!({ "type": "offset", "offset_param": "o", "limit": 2 }),
            json!({}),
        );
        for (stream, checkpoint) in [
            (&cursor, "offset:10"),
            (&cursor, "cursor:"),
            (&cursor, "nonsense"),
            (&offset, "offset:ten"),
            (&offset, "url:https://x"),
        ] {
            let error = Paginator::resume(stream, &settings(), None, checkpoint).unwrap_err();
            assert!(
                matches!(error, PaginateError::BadCheckpoint { .. }),
                "{checkpoint}: {error}"
            );
            assert_eq!(error.code(), "INVALID_INPUT");
        }
    }

    /// Providers that never stop handing out the same thing.
    fn same_cursor(_: &PageRequest, data: &[Value]) -> PageResponse {
        ok(json!({ "data": data[..2], "next": "abc" }))
    }
    fn same_url(_: &PageRequest, data: &[Value]) -> PageResponse {
        ok(json!({ "data": data[..2], "next": "https://api.example.com/base/items?page=2" }))
    }
    fn cycling_urls(request: &PageRequest, data: &[Value]) -> PageResponse {
        let (_, q) = parts(request);
        let next = if q.get("page").map(String::as_str) == Some("2") {
            3
        } else {
            2
        };
        let start = number(&q, "page", 1);
        ok(json!({ "data": data[start..start + 1], "next": format!("{BASE}/items?page={next}") }))
    }
    fn same_link(_: &PageRequest, data: &[Value]) -> PageResponse {
        let mut response = ok(json!({ "data": data[..2] }));
        let link = format!("<{BASE}/items?page=2>; rel=\"next\"");
        response.headers.insert("link".into(), link);
        response
    }
    fn ignores_offset(_: &PageRequest, data: &[Value]) -> PageResponse {
        ok(json!({ "data": data[..2] }))
    }
    fn same_last_record(_: &PageRequest, data: &[Value]) -> PageResponse {
        ok(json!({ "data": data[..2], "has_more": true }))
    }

    #[test]
    fn a_provider_that_repeats_itself_is_a_loop() {
        let table: [(Value, Provider, &str); 7] = [
            (
                json!({ "type": "cursor", "cursor_path": "next", "cursor_param": "c" }),
                same_cursor,
                "`cursor:abc`",
            ),
            (
                json!({ "type": "cursor", "cursor_path": "id", "cursor_source": "last_record",
                        "cursor_param": "starting_after", "has_more_path": "has_more" }),
                same_last_record,
                "`cursor:r001`",
            ),
            (
                json!({ "type": "next_url", "next_url_path": "next" }),
                same_url,
                "`url:https://api.example.com/base/items?page=2`",
            ),
            (
                json!({ "type": "next_url", "next_url_path": "next" }),
                cycling_urls,
                "`url:https://api.example.com/base/items?page=2`",
            ),
            (
                json!({ "type": "link_header" }),
                same_link,
                "`url:https://api.example.com/base/items?page=2`",
            ),
            (
                json!({ "type": "offset", "offset_param": "o", "limit": 2 }),
                ignores_offset,
                "the same page of records",
            ),
            (
                json!({ "type": "page_number", "page_param": "p" }),
                ignores_offset,
                "the same page of records",
            ),
        ];
        for (pagination, provider, repeated) in table {
            let stream = stream(pagination.clone(), json!({ "record_path": "data" }));
            let paginator = Paginator::new(&stream, &settings(), None).unwrap();
            let error = drain(paginator, provider, &dataset(5)).unwrap_err();
            assert_eq!(
                error,
                PaginateError::Loop(repeated.to_owned()),
                "{pagination}"
            );
            assert_eq!(error.code(), "UPSTREAM_ERROR");
        }
    }

    #[test]
    fn the_page_limit_stops_an_endless_provider() {
        let case = &cases()[0];
        let data = dataset(10);
        let limited = Paginator::new(&case.stream, &settings(), None)
            .unwrap()
            .with_max_pages(3);
        assert_eq!(
            drain(limited, case.provider, &data).unwrap_err(),
            PaginateError::TooManyPages(3)
        );
        // Exactly as many pages as allowed is fine.
        let exact = Paginator::new(&case.stream, &settings(), None)
            .unwrap()
            .with_max_pages(4);
        assert_eq!(drain(exact, case.provider, &data).unwrap().0.len(), 10);
    }

    #[test]
    fn non_2xx_answers_and_bad_pagination_values_are_errors() {
        let cursor = stream(
            json!({ "type": "cursor", "cursor_path": "next", "cursor_param": "c" }),
            json!({ "record_path": "data" }),
        );
        let mut paginator = Paginator::new(&cursor, &settings(), None).unwrap();
        let mut response = ok(json!({ "data": [1] }));
        response.status = 500;
        assert_eq!(paginator.next(&response), Err(PaginateError::Status(500)));
        let bad = ok(json!({ "data": [1], "next": { "a": 1 } }));
        assert_eq!(
            paginator.next(&bad),
            Err(PaginateError::BadValue {
                path: "next".into(),
                found: "an object",
                expected: "a string cursor"
            })
        );
        // A numeric cursor is sent as its text.
        let page = paginator
            .next(&ok(json!({ "data": [2], "next": 42 })))
            .unwrap();
        assert_eq!(
            page.next.unwrap().query,
            vec![("c".to_owned(), "42".to_owned())]
        );

        let offset = stream(
            json!({ "type": "offset", "offset_param": "o", "limit": 1, "total_path": "total" }),
            json!({ "record_path": "data" }),
        );
        let mut paginator = Paginator::new(&offset, &settings(), None).unwrap();
        let error = paginator
            .next(&ok(json!({ "data": [1], "total": "many" })))
            .unwrap_err();
        assert!(matches!(
            error,
            PaginateError::BadValue {
                expected: "a whole number",
                ..
            }
        ));
        let page = paginator
            .next(&ok(json!({ "data": [2], "total": "1" })))
            .unwrap();
        assert_eq!(page.next, None, "a total given as text counts");
    }

    #[test]
    fn records_are_read_at_the_record_path() {
        type Row = (
            Value,
            Option<&'static str>,
            Result<Vec<Value>, PaginateError>,
        );
        let missing = |path: &str| Err(PaginateError::RecordPathMissing { path: path.into() });
        let not_records = |path: &str, found| {
            Err(PaginateError::NotRecords {
                path: path.into(),
                found,
            })
        };
        let table: Vec<Row> = vec![
            (
                json!({ "data": [1, 2] }),
                Some("data"),
                Ok(vec![json!(1), json!(2)]),
            ),
            (json!([1, 2]), None, Ok(vec![json!(1), json!(2)])),
            (json!({ "id": 1 }), None, Ok(vec![json!({ "id": 1 })])),
            (
                json!({ "user": { "id": 1 } }),
                Some("user"),
                Ok(vec![json!({ "id": 1 })]),
            ),
            (
                json!({ "QueryResponse": { "Customer": [{ "Id": "1" }] } }),
                Some("QueryResponse.Customer"),
                Ok(vec![json!({ "Id": "1" })]),
            ),
            (
                json!({ "QueryResponse": {}, "time": "2024-05-01" }),
                Some("QueryResponse.Customer"),
                Ok(vec![]),
            ),
            (
                json!({ "QueryResponse": { "maxResults": 0 } }),
                Some("QueryResponse.Customer"),
                Ok(vec![]),
            ),
            (json!({}), Some("data"), Ok(vec![])),
            (json!({ "data": null }), Some("data"), Ok(vec![])),
            (json!(null), None, Ok(vec![])),
            (json!({ "value": [] }), Some("value"), Ok(vec![])),
            (
                json!({ "a": { "b.c": [1] } }),
                Some("a['b.c']"),
                Ok(vec![json!(1)]),
            ),
            (
                json!({ "items": [[1], [2]] }),
                Some("items[1]"),
                Ok(vec![json!(2)]),
            ),
            (
                json!({ "error": { "message": "no" } }),
                Some("data"),
                missing("data"),
            ),
            (
                json!({ "error": "no", "data2": [] }),
                Some("data"),
                missing("data"),
            ),
            // Gmail's empty mailbox; DocuSign's counts without envelopes.
            (
                json!({ "resultSizeEstimate": 0 }),
                Some("messages"),
                Ok(vec![]),
            ),
            (
                json!({ "resultSetSize": "0", "totalSetSize": "0" }),
                Some("envelopes"),
                Ok(vec![]),
            ),
            // An error answered with 200 is not an empty page.
            (
                json!({ "ok": false, "error": "invalid_auth" }),
                Some("members"),
                missing("members"),
            ),
            (
                json!({ "success": false, "code": 7 }),
                Some("data"),
                missing("data"),
            ),
            (
                json!({ "QueryResponse": { "Invoice": [1] } }),
                Some("QueryResponse.Customer"),
                missing("QueryResponse.Customer"),
            ),
            (
                json!({ "data": "x" }),
                Some("data"),
                not_records("data", "a string"),
            ),
            (
                json!({ "data": 3 }),
                Some("data"),
                not_records("data", "a number"),
            ),
            (json!(true), None, not_records("(body)", "a boolean")),
        ];
        for (body, path, expected) in table {
            let parsed = path.map(|p| JsonPath::parse(p).unwrap());
            assert_eq!(
                extract(&body, parsed.as_ref()),
                expected,
                "{body} at {path:?}"
            );
        }
    }

    #[test]
    fn link_headers_are_parsed_as_rfc_8288_says() {
        let table: [(&str, &str, Option<&str>); 12] = [
            (
                r#"<https://a/x?page=2>; rel="next""#,
                "next",
                Some("https://a/x?page=2"),
            ),
            (
                r#"<https://a/?page=1>; rel="prev", <https://a/?page=3>; rel="next", <https://a/?page=9>; rel="last""#,
                "next",
                Some("https://a/?page=3"),
            ),
            (r#"<https://a/?page=9>; rel="last""#, "next", None),
            (
                r#"<https://a/?q=a,b;c>; rel="next""#,
                "next",
                Some("https://a/?q=a,b;c"),
            ),
            (
                r#"<https://a/1>; rel="prev next""#,
                "next",
                Some("https://a/1"),
            ),
            (r#"<https://a/1>; REL=NEXT"#, "next", Some("https://a/1")),
            (
                r#"<https://a/1>; title="x, rel=\"next\""; rel="last""#,
                "next",
                None,
            ),
            (
                r#"<https://a/1>; title="a, b"; rel="last", <https://a/2>;rel=next"#,
                "next",
                Some("https://a/2"),
            ),
            (r#"<https://a/1>; rel="next"; rel="last""#, "last", None),
            (
                r#"garbage, <https://a/2>; rel="next""#,
                "next",
                Some("https://a/2"),
            ),
            (
                r#"<https://a/1>; rel="next"  ,  "#,
                "next",
                Some("https://a/1"),
            ),
            ("", "next", None),
        ];
        for (header, rel, expected) in table {
            assert_eq!(
                find_link(&parse_link_header(header), rel),
                expected,
                "{header}"
            );
        }
        let links = parse_link_header(r#"<https://a/1>; rel="next"; title="say \"hi\"""#);
        assert_eq!(links[0].param("title"), Some(r#"say "hi""#));
    }

    #[test]
    fn link_references_resolve_against_the_current_request() {
        let table = [
            (
                Target::Path("/items".into()),
                "https://b/x",
                Target::Url("https://b/x".into()),
            ),
            (
                Target::Path("/items".into()),
                "/base/items?p=2",
                Target::Url("/base/items?p=2".into()),
            ),
            (
                Target::Path("/items?a=1".into()),
                "?p=2",
                Target::Path("/items?p=2".into()),
            ),
            (
                Target::Path("/a/items".into()),
                "next?p=2",
                Target::Path("/a/next?p=2".into()),
            ),
            (
                Target::Url("https://b/v1/items?p=1".into()),
                "?p=2",
                Target::Url("https://b/v1/items?p=2".into()),
            ),
            (
                Target::Url("/v1/items".into()),
                "more",
                Target::Url("/v1/more".into()),
            ),
        ];
        for (current, reference, expected) in table {
            assert_eq!(
                follow(&current, reference).unwrap(),
                expected,
                "{reference}"
            );
        }
    }

    #[test]
    fn page_request_urls_are_built_against_the_base() {
        let request = |target, query: &[(&str, &str)]| PageRequest {
            method: Method::Get,
            target,
            query: query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            headers: BTreeMap::new(),
            body: None,
        };
        let table = [
            (
                request(Target::Path("/items".into()), &[]),
                "https://api.example.com/base/items",
            ),
            (
                request(
                    Target::Path("/items".into()),
                    &[("q", "a b&c"), ("created[gte]", "1")],
                ),
                "https://api.example.com/base/items?q=a+b%26c&created%5Bgte%5D=1",
            ),
            (
                request(
                    Target::Url("/services/data/v61.0/query/01g-2000".into()),
                    &[],
                ),
                "https://api.example.com/services/data/v61.0/query/01g-2000",
            ),
            (
                request(
                    Target::Url("https://graph.example.com/v1.0/users?$skiptoken=X".into()),
                    &[],
                ),
                "https://graph.example.com/v1.0/users?$skiptoken=X",
            ),
        ];
        for (request, expected) in table {
            assert_eq!(request.url(&format!("{BASE}/")).unwrap().as_str(), expected);
        }
        let bad = request(Target::Path("/x".into()), &[]).url("not a url");
        assert!(matches!(bad, Err(PaginateError::BadUrl { .. })));
    }

    #[test]
    fn first_requests_render_settings_since_and_pagination() {
        let incremental = |since: Value| json!({ "cursor_field": "updated_at", "format": "iso8601", "since": since });
        let base = json!({
            "request": {
                "path": "/repos/{owner}/{repo}/issues",
                "query": { "state": "all", "label": "{label}" },
                "headers": { "X-Tenant": "{tenant}", "Accept": "application/json" }
            }
        });
        let with = |extra: Value| {
            let mut doc = base.clone();
            doc.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            doc
        };
        let since = Some("2024-05-01T00:00:00Z".to_owned());

        // Optional settings left unset drop the query parameter and the header that use them.
        let plain = stream(json!({ "type": "none" }), base.clone());
        let request = Paginator::new(&plain, &settings(), None)
            .unwrap()
            .first_request()
            .unwrap();
        assert_eq!(request.target, Target::Path("/repos/o/r/issues".into()));
        assert_eq!(request.query, vec![("state".to_owned(), "all".to_owned())]);
        assert_eq!(request.headers.keys().collect::<Vec<_>>(), ["Accept"]);
        let mut full = settings();
        full.insert("tenant".into(), "t1".into());
        let request = Paginator::new(&plain, &full, None)
            .unwrap()
            .first_request()
            .unwrap();
        assert_eq!(request.headers["X-Tenant"], "t1");

        // A query parameter carrying the time, on every page built from the stream's request.
        let github = stream(
            json!({ "type": "cursor", "cursor_path": "next", "cursor_param": "after" }),
            with(
                json!({ "incremental": incremental(json!({ "type": "query_param", "name": "since" })) }),
            ),
        );
        let mut paginator = Paginator::new(&github, &settings(), since.clone()).unwrap();
        let first = paginator.first_request().unwrap();
        assert_eq!(
            first.query.last().unwrap(),
            &("since".to_owned(), "2024-05-01T00:00:00Z".to_owned())
        );
        let page = paginator.next(&ok(json!([{ "id": "1" }]).clone())).unwrap();
        assert_eq!(page.next, None, "no cursor ends");
        let mut paginator = Paginator::new(&github, &settings(), since.clone()).unwrap();
        let page = paginator
            .next(&ok(json!({ "id": "1", "next": "c2" })))
            .unwrap();
        let second = page.next.unwrap();
        assert!(
            second
                .query
                .contains(&("since".to_owned(), "2024-05-01T00:00:00Z".to_owned()))
        );
        assert!(
            second
                .query
                .contains(&("after".to_owned(), "c2".to_owned()))
        );
        // A full read sends no since.
        let request = Paginator::new(&github, &settings(), None)
            .unwrap()
            .first_request()
            .unwrap();
        assert!(!request.query.iter().any(|(k, _)| k == "since"));

        // A filter expression replaces the request's own value of the parameter.
        let salesforce = stream(
            json!({ "type": "none" }),
            json!({
                "request": { "path": "/query", "query": { "q": "SELECT Id FROM Account" } },
                "incremental": incremental(json!({ "type": "filter", "param": "q",
                    "template": "SELECT Id FROM Account WHERE SystemModstamp > {since} AND Owner = '{owner}'" }))
            }),
        );
        let request = Paginator::new(&salesforce, &settings(), since.clone())
            .unwrap()
            .first_request()
            .unwrap();
        assert_eq!(
            request.query,
            vec![(
                "q".to_owned(),
                "SELECT Id FROM Account WHERE SystemModstamp > 2024-05-01T00:00:00Z AND Owner = 'o'"
                    .to_owned()
            )]
        );
        let request = Paginator::new(&salesforce, &settings(), None)
            .unwrap()
            .first_request()
            .unwrap();
        assert_eq!(
            request.query,
            vec![("q".to_owned(), "SELECT Id FROM Account".to_owned())]
        );

        // A header.
        let xero = stream(
            json!({ "type": "none" }),
            json!({ "incremental": incremental(json!({ "type": "header", "name": "If-Modified-Since" })) }),
        );
        let request = Paginator::new(&xero, &settings(), since.clone())
            .unwrap()
            .first_request()
            .unwrap();
        assert_eq!(request.headers["If-Modified-Since"], "2024-05-01T00:00:00Z");

        // A body field, inside an array of filters.
        let hubspot = stream(
            json!({ "type": "cursor", "cursor_path": "paging.next.after", "cursor_param": "after",
                    "cursor_in": "body" }),
            json!({
                "request": { "method": "POST", "path": "/search", "body": {
                    "filterGroups": [{ "filters": [{ "propertyName": "hs_lastmodifieddate",
                                                     "operator": "GTE", "value": "" }] }],
                    "limit": 100 } },
                "incremental": incremental(json!({ "type": "body_field",
                                                   "path": "filterGroups[0].filters[0].value" }))
            }),
        );
        let mut paginator = Paginator::new(&hubspot, &settings(), since.clone()).unwrap();
        let Some(Body::Json(body)) = paginator.first_request().unwrap().body else {
            panic!()
        };
        assert_eq!(
            body["filterGroups"][0]["filters"][0]["value"],
            "2024-05-01T00:00:00Z"
        );
        assert_eq!(body["limit"], 100);
        let page = paginator
            .next(&ok(
                json!({ "id": 1, "paging": { "next": { "after": "5" } } }),
            ))
            .unwrap();
        let Some(Body::Json(body)) = page.next.unwrap().body else {
            panic!()
        };
        assert_eq!(body["after"], "5");
        assert_eq!(
            body["filterGroups"][0]["filters"][0]["value"],
            "2024-05-01T00:00:00Z"
        );
    }

    #[test]
    fn a_delta_url_replaces_the_request_and_the_last_page_hands_out_the_next() {
        let graph = stream(
            json!({ "type": "next_url", "next_url_path": "['@odata.nextLink']" }),
            json!({
                "request": { "path": "/users/delta", "headers": { "Prefer": "return=minimal" } },
                "record_path": "value",
                "incremental": { "cursor_field": "updated_at", "format": "iso8601",
                                 "since": { "type": "delta_url", "path": "['@odata.deltaLink']" } }
            }),
        );
        let delta = "https://graph.example.com/v1.0/users/delta?$deltatoken=abc";
        let mut paginator = Paginator::new(&graph, &settings(), Some(delta.to_owned())).unwrap();
        let first = paginator.first_request().unwrap();
        assert_eq!(first.target, Target::Url(delta.to_owned()));
        assert_eq!(first.headers["Prefer"], "return=minimal");
        let page = paginator
            .next(&ok(
                json!({ "value": [{ "id": "1" }], "@odata.nextLink": "https://g/next" }),
            ))
            .unwrap();
        assert_eq!(page.delta_url, None);
        assert_eq!(
            page.next.unwrap().target,
            Target::Url("https://g/next".into())
        );
        let page = paginator
            .next(&ok(
                json!({ "value": [{ "id": "2" }], "@odata.deltaLink": "https://g/delta2" }),
            ))
            .unwrap();
        assert_eq!(
            (page.next, page.delta_url.as_deref()),
            (None, Some("https://g/delta2"))
        );
        // Without a stored delta URL, the stream's own request starts the first delta round.
        let first = Paginator::new(&graph, &settings(), None)
            .unwrap()
            .first_request()
            .unwrap();
        assert_eq!(first.target, Target::Path("/users/delta".into()));
    }

    #[test]
    fn form_bodies_are_flattened_with_brackets() {
        let body = json!({ "limit": 10, "expand": ["a", "b"], "metadata": { "k": "v", "n": null },
                           "flag": true });
        assert_eq!(
            form_pairs(&body),
            // In the template's order (serde_json's `preserve_order`, as in the main crate).
            [
                ("limit", "10"),
                ("expand[0]", "a"),
                ("expand[1]", "b"),
                ("metadata[k]", "v"),
                ("flag", "true"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        let stripe = stream(
            json!({ "type": "cursor", "cursor_path": "id", "cursor_source": "last_record",
                    "cursor_param": "starting_after", "cursor_in": "body" }),
            json!({ "request": { "method": "POST", "path": "/search", "body_format": "form",
                                 "body": { "query": "status:'active'", "limit": "{limit}" } } }),
        );
        // `{limit}` is not filled by cursor pagination: rendering the body fails with its name.
        let error = Paginator::new(&stripe, &settings(), None)
            .unwrap()
            .first_request()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot render the request's body: no value for placeholder `{limit}`"
        );
    }

    #[test]
    fn pages_carry_the_highest_incremental_cursor_value() {
        let table: [(TimeFormat, Vec<Value>, Option<&str>); 9] = [
            (
                TimeFormat::Iso8601,
                vec![
                    json!("2024-05-01T10:00:00Z"),
                    json!("2024-05-01T11:00:00+02:00"),
                    json!("2024-05-01T10:30:00Z"),
                ],
                Some("2024-05-01T10:30:00Z"),
            ),
            (
                TimeFormat::Iso8601,
                vec![
                    json!("2024-05-01T10:00:00.5Z"),
                    json!("2024-05-01T10:00:00.000+0000"),
                    json!(null),
                ],
                Some("2024-05-01T10:00:00.5Z"),
            ),
            (
                TimeFormat::Iso8601,
                vec![json!("2024-12-31"), json!("2024-02-29T23:59:59-05:00")],
                Some("2024-12-31"),
            ),
            (
                TimeFormat::UnixSeconds,
                vec![json!(99), json!(1_714_564_800), json!("1000")],
                Some("1714564800"),
            ),
            (
                TimeFormat::UnixSeconds,
                vec![json!(9.5), json!(10), json!("oops")],
                Some("10"),
            ),
            (
                TimeFormat::UnixMs,
                vec![json!("1714564800001"), json!(1_714_564_800_000_u64)],
                Some("1714564800001"),
            ),
            (
                TimeFormat::HttpDate,
                vec![
                    json!("Wed, 01 May 2024 12:00:00 GMT"),
                    json!("Tue, 30 Apr 2024 23:00:00 GMT"),
                ],
                Some("Wed, 01 May 2024 12:00:00 GMT"),
            ),
            (
                TimeFormat::MsJsonDate,
                vec![
                    json!("/Date(1714564800000+0000)/"),
                    json!("/Date(1714564799000)/"),
                ],
                Some("/Date(1714564800000+0000)/"),
            ),
            (
                TimeFormat::Iso8601,
                vec![json!("yesterday"), json!(5)],
                None,
            ),
        ];
        let field = JsonPath::parse("meta.updated").unwrap();
        for (format, values, expected) in table {
            let records: Vec<Value> = values
                .iter()
                .map(|v| json!({ "meta": { "updated": v } }))
                .collect();
            assert_eq!(
                max_cursor_value(&records, &field, format).as_deref(),
                expected,
                "{values:?}"
            );
        }
        assert!(is_later(
            "2024-05-01T12:00:00Z",
            "2024-05-01T13:00:00+02:00",
            TimeFormat::Iso8601
        ));
        assert!(
            !is_later("100", "1000", TimeFormat::UnixSeconds),
            "numeric, not textual order"
        );
        assert!(is_later("5", "garbage", TimeFormat::UnixSeconds));
        assert!(!is_later("garbage", "5", TimeFormat::UnixSeconds));

        // The paginator reports it per page.
        let github = stream(
            json!({ "type": "none" }),
            json!({ "incremental": { "cursor_field": "updated_at", "format": "iso8601",
                                     "since": { "type": "query_param", "name": "since" } } }),
        );
        let mut paginator = Paginator::new(&github, &settings(), None).unwrap();
        let page = paginator.next(&ok(Value::Array(dataset(3)))).unwrap();
        assert_eq!(
            page.max_cursor_value.as_deref(),
            Some("2024-05-01T12:02:00Z")
        );
    }

    #[test]
    fn times_parse_and_format_in_every_format() {
        let may_first = Timestamp {
            secs: 1_714_564_800,
            nanos: 0,
        };
        let table = [
            (TimeFormat::Iso8601, "2024-05-01T12:00:00Z", may_first),
            (
                TimeFormat::Iso8601,
                "2024-05-01T12:00:00.250Z",
                Timestamp {
                    nanos: 250_000_000,
                    ..may_first
                },
            ),
            (
                TimeFormat::Iso8601,
                "1969-12-31T23:59:59Z",
                Timestamp { secs: -1, nanos: 0 },
            ),
            (
                TimeFormat::Iso8601,
                "2000-02-29T00:00:00Z",
                Timestamp {
                    secs: 951_782_400,
                    nanos: 0,
                },
            ),
            (TimeFormat::UnixSeconds, "1714564800", may_first),
            (
                TimeFormat::UnixMs,
                "1714564800250",
                Timestamp {
                    nanos: 250_000_000,
                    ..may_first
                },
            ),
            (
                TimeFormat::HttpDate,
                "Wed, 01 May 2024 12:00:00 GMT",
                may_first,
            ),
            (
                TimeFormat::MsJsonDate,
                "/Date(1714564800000+0000)/",
                may_first,
            ),
        ];
        for (format, text, time) in table {
            assert_eq!(Timestamp::parse_str(text, format), Some(time), "{text}");
            assert_eq!(time.format(format), text);
        }
        let same = [
            "2024-05-01T14:00:00+02:00",
            "2024-05-01T07:00:00-0500",
            "2024-05-01 12:00:00",
            "2024-05-01t12:00z",
            "2024-05-01T12:00:00.000+0000",
        ];
        for text in same {
            assert_eq!(
                Timestamp::parse_str(text, TimeFormat::Iso8601),
                Some(may_first),
                "{text}"
            );
        }
        let invalid = [
            "2024-02-30",
            "2023-02-29T00:00:00Z",
            "2024-13-01",
            "2024-05-01T24:00:00Z",
            "2024-05-01T12:00:00Q",
            "2024-05-01T12:00:00+5",
            "24-05-01",
            "2024-05-01T12:00:00.",
        ];
        for text in invalid {
            assert_eq!(
                Timestamp::parse_str(text, TimeFormat::Iso8601),
                None,
                "{text}"
            );
        }
        assert_eq!(
            Timestamp::parse_str("1.5", TimeFormat::UnixSeconds),
            Some(Timestamp {
                secs: 1,
                nanos: 500_000_000
            })
        );
        assert_eq!(
            Timestamp::parse_str("-1.5", TimeFormat::UnixSeconds),
            Some(Timestamp {
                secs: -2,
                nanos: 500_000_000
            })
        );
        assert_eq!(Timestamp::parse_str("1e3", TimeFormat::UnixSeconds), None);
        assert_eq!(
            Timestamp::parse_str(&"9".repeat(40), TimeFormat::UnixMs),
            None
        );
        assert_eq!(
            Timestamp::parse_str("9999999999999999999", TimeFormat::UnixSeconds),
            None
        );
        assert_eq!(
            Timestamp::parse_str("/Date(-1000)/", TimeFormat::MsJsonDate),
            Some(Timestamp { secs: -1, nanos: 0 })
        );
        // Every day of four centuries round-trips through the calendar.
        for days in (-146_097..146_097).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn since_values_subtract_the_overlap_and_convert_the_format() {
        let incremental = |format: &str, since: Value, overlap: u64| -> Incremental {
            serde_json::from_value(
                json!({ "cursor_field": "u", "format": format, "since": since,
                                           "overlap_seconds": overlap }),
            )
            .unwrap()
        };
        let query = json!({ "type": "query_param", "name": "since" });
        let table = [
            (
                incremental("iso8601", query.clone(), 60),
                "2024-05-01T12:00:00.750Z",
                "2024-05-01T11:59:00Z",
            ),
            (
                incremental("unix_seconds", query.clone(), 0),
                "1714564800",
                "1714564800",
            ),
            (
                incremental(
                    "unix_seconds",
                    json!({ "type": "query_param", "name": "s", "format": "iso8601" }),
                    3600,
                ),
                "1714564800",
                "2024-05-01T11:00:00Z",
            ),
            (
                incremental(
                    "iso8601",
                    json!({ "type": "header", "name": "If-Modified-Since", "format": "http_date" }),
                    0,
                ),
                "2024-05-01T14:00:00+02:00",
                "Wed, 01 May 2024 12:00:00 GMT",
            ),
            (
                incremental("unix_ms", json!({ "type": "body_field", "path": "v" }), 1),
                "1714564800250",
                "1714564799250",
            ),
            (
                incremental("iso8601", json!({ "type": "delta_url", "path": "d" }), 60),
                "https://g/delta?token=1",
                "https://g/delta?token=1",
            ),
        ];
        for (incremental, stored, expected) in table {
            assert_eq!(
                since_value(&incremental, stored).unwrap(),
                expected,
                "{stored}"
            );
        }
        let error = since_value(&incremental("unix_seconds", query, 0), "2024-05-01").unwrap_err();
        assert_eq!(
            error,
            PaginateError::BadTime {
                value: "2024-05-01".into(),
                format: TimeFormat::UnixSeconds
            }
        );
    }
}
