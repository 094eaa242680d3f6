//! The HTTP exchange as observed: one request as sent and its answer as
//! received, with real values (the credential included) until
//! [`Exchange::redact`], which runs before anything is shown. A leaf: the
//! runner produces exchanges, the checks, the fidelity comparison and the
//! reports read them, and this module imports none of them (only the leaf
//! [`crate::redact`]).

use serde::Serialize;
use serde_json::Value;

use crate::redact::Redactor;

/// One request and its answer.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// HTTP method, upper case (`GET`).
    pub method: String,
    /// Full request URL, query included.
    pub url: String,
    /// Request headers as sent, credential included.
    pub request_headers: Vec<(String, String)>,
    /// JSON request body, if the step sent one.
    pub request_body: Option<Value>,
    /// The request body as sent, when the step sent text as written (`raw_body`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_raw_body: Option<String>,
    /// HTTP status of the answer.
    pub status: u16,
    /// The answer's `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// Response headers (name, value), in received order.
    pub response_headers: Vec<(String, String)>,
    /// The body as text (lossy for binary).
    pub body: String,
    /// Milliseconds from the first send (retries included) to the whole body read.
    pub elapsed_ms: f64,
}

impl Exchange {
    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The first response header named `name` (any case).
    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The essence of the answer's content type (`application/json`), `""` without one.
    pub fn media_type(&self) -> String {
        self.content_type
            .as_deref()
            .map(crate::media_type::essence)
            .unwrap_or_default()
    }

    /// Replaces every secret in the URL, the headers (names and values) and both bodies.
    pub fn redact(&mut self, redactor: &Redactor) {
        redactor.string(&mut self.url);
        for (name, value) in self
            .request_headers
            .iter_mut()
            .chain(&mut self.response_headers)
        {
            redactor.string(name);
            redactor.string(value);
        }
        if let Some(body) = &mut self.request_body {
            redactor.value(body);
        }
        if let Some(text) = &mut self.request_raw_body {
            redactor.string(text);
        }
        redactor.string(&mut self.body);
    }

    /// The response header names, in received order.
    pub fn response_header_names(&self) -> Vec<&str> {
        self.response_headers
            .iter()
            .map(|(n, _)| n.as_str())
            .collect()
    }
}
