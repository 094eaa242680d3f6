//! Shared test helpers: the built-in mock on a loopback port (started in one
//! place, [`start_mock`]), a test client that calls it as one vendor's user
//! over one keep-alive connection pool ([`TestMock`]), a response read whole
//! ([`Got`]), a check that a response honours the spec, child processes that
//! are never waited on for ever ([`wait_bounded`]), the `vouch` command as
//! a user runs it ([`vouch_command`], [`output_text`]), and headless Chromium
//! for the report pages ([`browser`]).

#![allow(dead_code)]

pub mod browser;

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Output};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
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
///
/// The only place tests construct the mock: a change to how it is built
/// touches this function alone.
pub async fn start_mock() -> MockServer {
    let state = MockState::new(
        catalog(),
        Fixtures::builtin().expect("built-in fixtures"),
        DEFAULT_TOKEN.into(),
    );
    MockServer::start(state, "127.0.0.1:0".parse().expect("loopback address"))
        .await
        .expect("mock starts")
}

/// The URL a spawned `vouch mock --addr 127.0.0.1:0` prints on its first
/// line of stdout (`vouch mock listening on URL`), or that line when it
/// printed something else.
pub fn listening_url(child: &mut std::process::Child) -> Result<String, String> {
    use std::io::BufRead;
    let mut line = String::new();
    let stdout = child.stdout.take().expect("the mock's stdout is piped");
    let _ = std::io::BufReader::new(stdout).read_line(&mut line);
    match line.trim().strip_prefix("vouch mock listening on ") {
        Some(url) => Ok(url.to_string()),
        None => Err(line),
    }
}

/// A client whose every request ends within 5 seconds. Keep one per test:
/// its pool keeps the connection to the mock alive between requests.
pub fn client() -> reqwest::Client {
    // reqwest is built without a default TLS provider; plain HTTP needs none,
    // but the builder wants one installed. Installing it twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .expect("test client builds")
}

/// A response read whole: status, content type, headers and body.
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

    /// A response header as text, if present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends a request and reads the whole answer.
pub async fn send(request: RequestBuilder) -> Got {
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

/// The vendors of the built-in specs, each with its way of carrying the
/// mock's credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    /// Rainbond: the bare access key in `Authorization`.
    Rainbond,
    /// Huawei Cloud APIG: the token in `X-Auth-Token`.
    HuaweiApig,
    /// Zadig: a bearer token.
    Zadig,
    /// ZStack: an `OAuth` session in `Authorization`.
    Zstack,
    /// Alaya NeW CCI: a bearer API key.
    AlayaCci,
}

impl Vendor {
    /// The header name and value that carry the mock's credential.
    pub fn credential(self) -> (&'static str, String) {
        match self {
            Vendor::Rainbond => ("authorization", DEFAULT_TOKEN.to_string()),
            Vendor::HuaweiApig => ("x-auth-token", DEFAULT_TOKEN.to_string()),
            Vendor::Zadig | Vendor::AlayaCci => {
                ("authorization", format!("Bearer {DEFAULT_TOKEN}"))
            }
            Vendor::Zstack => ("authorization", format!("OAuth {DEFAULT_TOKEN}")),
        }
    }
}

/// A request body as a test case states it.
#[derive(Debug, Clone)]
pub enum Body {
    /// No body and no content type.
    None,
    /// A JSON value, sent as `application/json`.
    Json(Value),
    /// These bytes with this content type.
    Raw(&'static str, &'static str),
    /// A content type but no body.
    Bare(&'static str),
}

impl Body {
    /// Sets this body (and its content type) on `request`.
    pub fn apply(self, request: RequestBuilder) -> RequestBuilder {
        match self {
            Body::None => request,
            Body::Json(value) => request.json(&value),
            Body::Raw(content_type, text) => {
                request.header("content-type", content_type).body(text)
            }
            Body::Bare(content_type) => request.header("content-type", content_type),
        }
    }
}

/// A started mock and one keep-alive client that calls it as a user of
/// `vendor`, with or without that vendor's credential.
pub struct TestMock {
    /// The running mock; dropped with the test.
    pub server: MockServer,
    http: reqwest::Client,
    vendor: Vendor,
}

impl TestMock {
    /// Starts a fresh mock of the built-in fixtures.
    pub async fn start(vendor: Vendor) -> TestMock {
        TestMock {
            server: start_mock().await,
            http: client(),
            vendor,
        }
    }

    /// The absolute URL of `path` (which starts with `/`) on the mock.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// A request without any credential.
    pub fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// A request carrying the vendor's credential.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let (name, value) = self.vendor.credential();
        self.anonymous(method, path).header(name, value)
    }

    /// A request whose `Authorization` header is `value`, or that has none.
    pub fn authorized_as(&self, method: Method, path: &str, value: Option<&str>) -> RequestBuilder {
        let request = self.anonymous(method, path);
        match value {
            Some(value) => request.header("authorization", value),
            None => request,
        }
    }

    /// Sends a request and reads the whole answer.
    pub async fn send(&self, request: RequestBuilder) -> Got {
        send(request).await
    }

    /// Sends `method path` with the credential and `body`.
    pub async fn call(&self, method: Method, path: &str, body: Body) -> Got {
        send(body.apply(self.request(method, path))).await
    }

    /// `GET path` with the credential.
    pub async fn get(&self, path: &str) -> Got {
        self.call(Method::GET, path, Body::None).await
    }

    /// `POST path` with the credential and a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Got {
        self.call(Method::POST, path, Body::Json(body)).await
    }

    /// `PUT path` with the credential and a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> Got {
        self.call(Method::PUT, path, Body::Json(body)).await
    }

    /// `DELETE path` with the credential and no body.
    pub async fn delete(&self, path: &str) -> Got {
        self.call(Method::DELETE, path, Body::None).await
    }

    /// `DELETE path` with the credential and a JSON body.
    pub async fn delete_with(&self, path: &str, body: Value) -> Got {
        self.call(Method::DELETE, path, Body::Json(body)).await
    }

    /// `GET path` that must answer 200, as JSON.
    pub async fn read(&self, path: &str) -> Value {
        let got = self.get(path).await;
        assert_eq!(got.status, 200, "GET {path}: {}", got.text);
        got.json()
    }

    /// Makes the next request of `operation` answer `status` (a fault
    /// through the admin API, which needs no credential).
    pub async fn inject_fault(&self, operation: &str, status: u16) {
        let fault = json!({"operation": operation, "status": status, "count": 1});
        let got = send(self.anonymous(Method::POST, "/__vouch/faults").json(&fault)).await;
        assert_eq!(got.status, 201, "fault for {operation}: {}", got.text);
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

/// What a child process printed and how it ended.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// Waits at most `limit` for `child` (killing it after that), with what it
/// printed on the pipes not taken already.
pub fn wait_bounded(mut child: Child, limit: Duration) -> Finished {
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child process did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Finished {
        status,
        stdout: stdout.and_then(|t| t.join().ok()).unwrap_or_default(),
        stderr: stderr.and_then(|t| t.join().ok()).unwrap_or_default(),
    }
}

/// `vouch ARGS` run from the repository root as a user would: no base URL,
/// token or `CI` taken from the test's own environment (CI forbids writing
/// snapshots: each test says what it wants), no colour.
pub fn vouch_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vouch"));
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("VOUCH_BASE_URL")
        .env_remove("VOUCH_TOKEN")
        .env_remove("CI")
        .env("NO_COLOR", "1");
    command
}

/// What a finished command printed: its standard output, then its errors.
pub fn output_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
