//! Shared test helpers: the built-in mock on a loopback port, a client with a
//! timeout, and a check that a response honours the spec.

#![allow(dead_code)]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::Value;
use vouch::check::{Observed, check_response};
use vouch::mock::{DEFAULT_TOKEN, Fixtures, MockServer, MockState};
use vouch::spec::Catalog;

/// The built-in catalog, loaded once per test binary.
pub fn catalog() -> Arc<Catalog> {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    CATALOG
        .get_or_init(|| Arc::new(Catalog::builtin().expect("built-in specs load")))
        .clone()
}

/// A fresh mock of the built-in specs and fixtures on 127.0.0.1.
pub async fn start_mock() -> MockServer {
    let state = MockState::new(
        catalog(),
        Fixtures::builtin().expect("built-in fixtures"),
        DEFAULT_TOKEN.into(),
    );
    MockServer::start(state, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("mock starts")
}

/// A client whose every request ends within 5 seconds.
pub fn client() -> reqwest::Client {
    vouch::runner::client(Duration::from_secs(5))
}

/// A response read whole: status, content type and body.
#[derive(Debug)]
pub struct Got {
    pub status: u16,
    pub content_type: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Got {
    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }
}

/// Sends a request and reads the whole answer.
pub async fn send(request: reqwest::RequestBuilder) -> Got {
    let response = request.send().await.expect("request completes");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = response.text().await.expect("body reads");
    Got {
        status,
        content_type,
        headers,
        text,
    }
}

/// Panics unless `got` honours the contract of `operation_id`: a declared
/// status, a declared content type and a body valid against its schema.
pub fn assert_conforms(operation_id: &str, got: &Got) {
    let catalog = catalog();
    let (_, op) = catalog
        .operation(operation_id)
        .unwrap_or_else(|| panic!("no operation {operation_id}"));
    let names: Vec<&str> = got.headers.keys().map(|k| k.as_str()).collect();
    let observed = Observed {
        status: got.status,
        content_type: got.content_type.as_deref(),
        header_names: &names,
        body: got.text.as_bytes(),
    };
    let findings = check_response(op, observed, true);
    assert!(
        findings.is_empty(),
        "{operation_id} answered {} {:?}, which breaks the spec: {findings:#?}",
        got.status,
        got.text
    );
}
