//! What the mock answers: a status, headers and a body, built by the vendor
//! modules and turned into an HTTP response at the edge.

use std::borrow::Cow;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

/// A mock response before it goes on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Extra response headers (name, value); `Content-Type` comes from the body kind.
    pub headers: Vec<(String, String)>,
    /// The body; its kind decides the `Content-Type`.
    pub body: ReplyBody,
}

/// The body of a [`Reply`].
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyBody {
    /// No body at all.
    Empty,
    /// `application/json`.
    Json(Value),
    /// `application/json`, serialised straight from typed data (no [`Value`]
    /// built on the way: the mock's hot answers take this path).
    SerializedJson(Vec<u8>),
    /// `text/plain; charset=utf-8`.
    Text(String),
    /// `text/event-stream`: one `message` event per line, then the stream closes.
    Events(Vec<String>),
}

impl Reply {
    /// A JSON reply.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ReplyBody::Json(body),
        }
    }

    /// A JSON reply serialised from typed data.
    pub fn json_of(status: u16, body: &impl Serialize) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: match serde_json::to_vec(body) {
                Ok(bytes) => ReplyBody::SerializedJson(bytes),
                Err(e) => ReplyBody::Text(format!("vouch could not serialise its answer: {e}")),
            },
        }
    }

    /// A plain-text reply.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ReplyBody::Text(body.into()),
        }
    }

    /// A reply with no body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ReplyBody::Empty,
        }
    }

    /// A server-sent event stream of `message` events, one per line.
    pub fn events(lines: Vec<String>) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: ReplyBody::Events(lines),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The `Content-Type` the body goes out with.
    pub fn content_type(&self) -> Option<&'static str> {
        match self.body {
            ReplyBody::Empty => None,
            ReplyBody::Json(_) | ReplyBody::SerializedJson(_) => Some("application/json"),
            ReplyBody::Text(_) => Some("text/plain; charset=utf-8"),
            ReplyBody::Events(_) => Some("text/event-stream"),
        }
    }

    /// The body's bytes.
    pub fn body_bytes(&self) -> Vec<u8> {
        self.body.wire_bytes().into_owned()
    }
}

impl ReplyBody {
    /// The bytes on the wire, without copying the ones it holds.
    fn into_wire_bytes(self) -> Vec<u8> {
        match self {
            ReplyBody::SerializedJson(bytes) => bytes,
            ReplyBody::Text(text) => text.into_bytes(),
            other => other.wire_bytes().into_owned(),
        }
    }

    /// The bytes on the wire.
    fn wire_bytes(&self) -> Cow<'_, [u8]> {
        match self {
            ReplyBody::Empty => Cow::Borrowed(&[]),
            ReplyBody::Json(v) => Cow::Owned(serde_json::to_vec(v).unwrap_or_default()),
            ReplyBody::SerializedJson(bytes) => Cow::Borrowed(bytes),
            ReplyBody::Text(t) => Cow::Borrowed(t.as_bytes()),
            ReplyBody::Events(lines) => Cow::Owned(
                lines
                    .iter()
                    .flat_map(|l| l.split('\n'))
                    .map(|l| format!("event:message\ndata:{l}\n\n"))
                    .collect::<String>()
                    .into_bytes(),
            ),
        }
    }
}

impl Reply {
    /// The reply as it goes on the wire.
    pub fn into_wire(self) -> Wire {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut headers = HeaderMap::new();
        if let Some(ct) = self.content_type() {
            headers.insert("content-type", HeaderValue::from_static(ct));
        }
        if matches!(self.body, ReplyBody::Events(_)) {
            headers.insert("cache-control", HeaderValue::from_static("no-cache"));
        }
        let body = Bytes::from(self.body.into_wire_bytes());
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) =
                (HeaderName::try_from(name), HeaderValue::try_from(value))
            {
                headers.append(name, value);
            }
        }
        Wire {
            status,
            headers,
            body,
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        self.into_wire().into_response()
    }
}

/// A reply as it goes on the wire: cheap to clone, so an answer can be sent again.
#[derive(Debug, Clone)]
pub struct Wire {
    /// The status.
    pub status: StatusCode,
    /// Every header the answer carries.
    pub headers: HeaderMap,
    /// The body's bytes.
    pub body: Bytes,
}

impl IntoResponse for Wire {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}
