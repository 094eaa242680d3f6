//! OpenAPI specs (3.0, 3.1, and Swagger 2.0 read as 3.0): loading, `$ref`
//! resolution across the document and local files, compiled schemas and the
//! route table, gathered into a [`Catalog`] that the mock, the runner and
//! `vouch lint` all read. Nothing here knows about HTTP servers or clients.

pub mod builtin;
mod catalog;
pub mod document;
mod external;
pub mod links;
mod load;
mod locate;
pub mod marks;
mod openapi31;
pub mod pattern;
pub mod routes;
pub mod schema;
pub mod security;
mod swagger2;
mod yaml;

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use catalog::{Catalog, Routed};
pub use document::Document;
pub use links::{Expression, Link, LinkTarget};
pub use load::Checks;
pub use routes::{Lookup, Method, PathParams};
pub use schema::{Dialect, Schema, Violation};
pub use security::{Credential, Security};

/// Something wrong with a spec, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The spec file.
    pub file: PathBuf,
    /// 1-based line in the file, where known.
    pub line: Option<u64>,
    /// JSON pointer into the document (empty for the whole document).
    pub pointer: String,
    /// What is wrong and, where it helps, what to do.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.message)?;
        if !self.pointer.is_empty() {
            write!(f, " (at #{})", self.pointer)?;
        }
        Ok(())
    }
}

/// One loaded spec.
#[derive(Debug)]
pub struct Spec {
    /// Short name: the file stem (`rainbond` for `specs/rainbond.yaml`).
    pub name: String,
    /// Where it was loaded from.
    pub path: PathBuf,
    /// The vendor whose mock behaviour applies (`x-vouch-vendor`), if any.
    pub vendor: Option<String>,
    /// `info.title`.
    pub title: String,
    /// The parsed document with its line index.
    pub document: Document,
    /// Every operation, in document order.
    pub operations: Vec<Operation>,
    /// Problems found while building the operations (dangling refs, schemas
    /// that do not compile). A spec with problems is not served.
    pub problems: Vec<Problem>,
    /// What vouch cannot honour and skips (a pattern its regex engine
    /// refuses); the spec is served without it. `vouch lint --strict` makes
    /// these errors.
    pub warnings: Vec<Problem>,
    /// Which meaning the document's schemas carry (3.0, or 3.1's JSON Schema 2020-12).
    pub dialect: Dialect,
    /// Webhooks (OpenAPI 3.1) as `METHOD name`: accepted and listed, not served.
    pub webhooks: Vec<String>,
}

impl Spec {
    /// A problem located at `pointer` in this spec.
    pub fn problem(&self, pointer: &str, message: impl Into<String>) -> Problem {
        problem_at(&self.path, &self.document, pointer, message)
    }

    /// The operation a link of this spec leads to.
    pub fn linked(&self, link: &Link) -> Option<&Operation> {
        links::find(&self.operations, &link.target)
    }

    /// Every `x-errata` entry anywhere in the document, with its pointer.
    pub fn errata(&self) -> Vec<(String, &Value)> {
        let mut out = Vec::new();
        for (holder, list) in marks::extensions(&self.document.value, "x-errata") {
            let at = document::child_pointer(&holder, "x-errata");
            match list {
                Value::Array(items) => out.extend(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, e)| (format!("{at}/{i}"), e)),
                ),
                other => out.push((at, other)),
            }
        }
        out
    }
}

pub(crate) fn problem_at(
    file: &Path,
    document: &Document,
    pointer: &str,
    message: impl Into<String>,
) -> Problem {
    // A pointer into a bundled file is reported against that file.
    let (file, document, pointer) = document.source_of(file, pointer);
    Problem {
        file: file.to_path_buf(),
        line: document.line_of(pointer),
        pointer: pointer.to_string(),
        message: message.into(),
    }
}

/// One operation of a spec, with everything resolved and compiled.
#[derive(Debug)]
pub struct Operation {
    /// `operationId` (or `METHOD /path` when the spec gives none).
    pub id: String,
    /// Whether the spec gave an `operationId`.
    pub has_declared_id: bool,
    /// Name of the spec it belongs to.
    pub spec: String,
    /// HTTP method.
    pub method: Method,
    /// Path template, e.g. `/v2/{project_id}/apigw/instances`.
    pub path: String,
    /// JSON pointer of the Operation Object.
    pub pointer: String,
    /// `summary`.
    pub summary: Option<String>,
    /// Path-level and operation-level parameters, the latter winning.
    pub parameters: Vec<Parameter>,
    /// The request body, if the operation takes one.
    pub request_body: Option<RequestBody>,
    /// Declared responses, in document order.
    pub responses: Vec<Response>,
    /// The credentials the operation accepts, from the operation's or the
    /// document's `security`.
    pub security: Security,
    /// The Operation Object as written, for `x-` extensions.
    pub raw: Value,
}

impl Operation {
    /// The response declared for `status`: exact code, then `4XX`-style range, then `default`.
    pub fn response_for(&self, status: u16) -> Option<&Response> {
        let exact = self
            .responses
            .iter()
            .find(|r| r.status == StatusKey::Code(status));
        let range = || {
            self.responses
                .iter()
                .find(|r| r.status == StatusKey::Range((status / 100) as u8))
        };
        let default = || {
            self.responses
                .iter()
                .find(|r| r.status == StatusKey::Default)
        };
        exact.or_else(range).or_else(default)
    }

    /// Whether the operation declares any client error (a 4xx code, `4XX`
    /// or `default`). One that declares none leaves refusals unspecified: a
    /// server must still refuse a bad request, with a 4xx the spec cannot name.
    pub fn declares_client_errors(&self) -> bool {
        self.responses.iter().any(|r| match r.status {
            StatusKey::Code(code) => (400..500).contains(&code),
            StatusKey::Range(class) => class == 4,
            StatusKey::Default => true,
        })
    }

    /// An `x-` extension of the operation.
    pub fn extension(&self, name: &str) -> Option<&Value> {
        self.raw.get(name)
    }

    /// `METHOD /path`, for messages.
    pub fn route(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterLocation {
    /// `in: path`, part of the URL path.
    Path,
    /// `in: query`, in the query string.
    Query,
    /// `in: header`, a request header.
    Header,
    /// `in: cookie`, in the `Cookie` header.
    Cookie,
}

impl ParameterLocation {
    /// The name OpenAPI gives the location (`path`, `query`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterLocation::Path => "path",
            ParameterLocation::Query => "query",
            ParameterLocation::Header => "header",
            ParameterLocation::Cookie => "cookie",
        }
    }
}

/// A resolved parameter.
#[derive(Debug)]
pub struct Parameter {
    /// Parameter name as in the spec.
    pub name: String,
    /// Where the parameter travels (`in`).
    pub location: ParameterLocation,
    /// Whether the request must carry it (`required`).
    pub required: bool,
    /// For query arrays: `explode` (repeat the key) or not (comma-separated).
    pub explode: bool,
    /// Compiled schema (`schema`, or that of its single `content` entry); `None` when it declares none.
    pub schema: Option<Schema>,
    /// JSON pointer of the Parameter Object (after `$ref`).
    pub pointer: String,
    /// `example`, or the first of `examples`.
    pub examples: Vec<Example>,
}

/// A request body.
#[derive(Debug)]
pub struct RequestBody {
    /// Whether a request must carry a body (`required`).
    pub required: bool,
    /// Accepted media types with their schemas, in document order.
    pub content: Vec<MediaType>,
    /// JSON pointer of the Request Body Object in its spec (after `$ref`).
    pub pointer: String,
}

/// How a status is declared in `responses`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StatusKey {
    /// `200`.
    Code(u16),
    /// `4XX`: the class digit.
    Range(u8),
    /// `default`.
    Default,
}

impl StatusKey {
    /// Parses a key of the Responses Object.
    pub fn parse(key: &str) -> Option<StatusKey> {
        if key == "default" {
            return Some(StatusKey::Default);
        }
        if let [d @ b'1'..=b'5', b'X' | b'x', b'X' | b'x'] = key.as_bytes() {
            return Some(StatusKey::Range(d - b'0'));
        }
        key.parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c))
            .map(StatusKey::Code)
    }

    /// Whether this declares a success (2xx).
    pub fn is_success(self) -> bool {
        matches!(self, StatusKey::Code(200..=299) | StatusKey::Range(2))
    }

    /// Whether this declares an error (4xx, 5xx or default).
    pub fn is_error(self) -> bool {
        matches!(
            self,
            StatusKey::Code(400..=599) | StatusKey::Range(4 | 5) | StatusKey::Default
        )
    }
}

impl fmt::Display for StatusKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusKey::Code(c) => write!(f, "{c}"),
            StatusKey::Range(d) => write!(f, "{d}XX"),
            StatusKey::Default => f.write_str("default"),
        }
    }
}

/// A declared response.
#[derive(Debug)]
pub struct Response {
    /// The status key it is declared under (`200`, `4XX`, `default`).
    pub status: StatusKey,
    /// `description`, as written (empty if missing).
    pub description: String,
    /// Media types; empty when the response has no body.
    pub content: Vec<MediaType>,
    /// Declared response headers.
    pub headers: Vec<Header>,
    /// Its `links`, each to an operation of the same spec.
    pub links: Vec<Link>,
    /// JSON pointer of the Response Object in its spec (after `$ref`).
    pub pointer: String,
}

impl Response {
    /// The media type entry matching a `Content-Type` value (parameters
    /// ignored; `*/*` and `type/*` wildcards honoured).
    pub fn media_type(&self, content_type: &str) -> Option<&MediaType> {
        let essence = crate::media_type::essence(content_type);
        let (kind, _) = essence.split_once('/').unwrap_or((&essence, ""));
        self.content
            .iter()
            .find(|m| m.media_type.eq_ignore_ascii_case(&essence))
            .or_else(|| {
                self.content.iter().find(|m| {
                    m.media_type == "*/*"
                        || m.media_type
                            .strip_suffix("/*")
                            .is_some_and(|k| k.eq_ignore_ascii_case(kind))
                })
            })
    }
}

/// A declared response header.
#[derive(Debug)]
pub struct Header {
    /// Header name as declared.
    pub name: String,
    /// Whether the response must carry it (`required`).
    pub required: bool,
    /// Compiled schema of its value; `None` when it declares none.
    pub schema: Option<Schema>,
}

/// One media type of a body.
#[derive(Debug)]
pub struct MediaType {
    /// The media type key, e.g. `application/json`.
    pub media_type: String,
    /// Compiled schema of the body; `None` when it declares none.
    pub schema: Option<Schema>,
    /// `example` and every `examples` entry.
    pub examples: Vec<Example>,
    /// JSON pointer of the Media Type Object in its spec.
    pub pointer: String,
}

/// An example value and where it is written.
#[derive(Debug, Clone)]
pub struct Example {
    /// `example`, or the key under `examples`.
    pub name: String,
    /// The example value (after `$ref`).
    pub value: Value,
    /// JSON pointer of the value in its spec.
    pub pointer: String,
}
