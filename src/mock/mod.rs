//! The stateful mock: serves every operation of a [`Catalog`] on one address.
//!
//! Each request is routed through the catalog's route table, authenticated
//! and validated against its operation, then answered by the owning vendor
//! module (or by the generic CRUD inference for a user's own spec) under one
//! lock on the whole [`Store`]. Every request lands in the journal. In debug
//! builds every response is checked against the spec before it is sent: a
//! mock that contradicts its own contract answers 500 and says why.
//!
//! `/__vouch/` is reserved for the admin API (reset, state, journal, health,
//! faults).

mod admin;
mod faults;
pub mod generic;
pub mod random;
pub mod reply;
pub mod request;
pub mod store;
pub mod vendors;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::check::{Observed, check_response};
use crate::query::parse_query;
use crate::spec::{Catalog, Method, Operation, Routed, Spec};
pub use faults::{Fault, FaultAction};
use reply::Reply;
use request::{MAX_BODY_BYTES, MockRequest, RequestProblem, check_body, check_parameters};
pub use store::{Fixtures, Store};
use vendors::Vendor;

/// The credential every vendor accepts unless `VOUCH_MOCK_TOKEN` says otherwise.
pub const DEFAULT_TOKEN: &str = "vouch-dev-token";

/// How many requests the journal keeps (oldest dropped first).
const JOURNAL_CAPACITY: usize = 10_000;

/// Everything a running mock shares between requests.
pub struct MockState {
    catalog: Arc<Catalog>,
    fixtures: Fixtures,
    token: String,
    store: Mutex<Store>,
    journal: Mutex<VecDeque<JournalEntry>>,
    faults: Mutex<faults::Faults>,
    check_responses: bool,
}

/// One request as the mock saw it.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    /// Milliseconds since the Unix epoch.
    pub time_ms: u128,
    /// HTTP method, upper case (`GET`).
    pub method: String,
    /// Request path as sent (percent-encoded), without the query.
    pub path: String,
    /// Raw query string (empty if none), the mock's token replaced by `[secret]`.
    pub query: String,
    /// The operationId the request was routed to; `None` when no operation matched.
    pub operation: Option<String>,
    /// Validation problems and contract findings, in words.
    pub findings: Vec<String>,
    /// HTTP status the mock answered.
    pub status: u16,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not take the mock down with it.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl MockState {
    /// A mock of `catalog` seeded with `fixtures`, accepting `token`.
    pub fn new(catalog: Arc<Catalog>, fixtures: Fixtures, token: String) -> Arc<MockState> {
        Arc::new(MockState {
            store: Mutex::new(Store::new(&fixtures)),
            catalog,
            fixtures,
            token,
            journal: Mutex::new(VecDeque::new()),
            faults: Mutex::new(faults::Faults::default()),
            check_responses: cfg!(debug_assertions),
        })
    }

    /// The token from `VOUCH_MOCK_TOKEN`, or [`DEFAULT_TOKEN`].
    pub fn token_from_env() -> String {
        std::env::var("VOUCH_MOCK_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| DEFAULT_TOKEN.into())
    }

    /// Back to the fixtures: state, journal and faults.
    pub fn reset(&self) {
        *lock(&self.store) = Store::new(&self.fixtures);
        lock(&self.journal).clear();
        lock(&self.faults).clear();
    }

    /// The whole state as JSON.
    pub fn state_json(&self) -> serde_json::Value {
        serde_json::to_value(&*lock(&self.store)).unwrap_or_default()
    }

    /// A copy of the journal.
    pub fn journal(&self) -> Vec<JournalEntry> {
        lock(&self.journal).iter().cloned().collect()
    }

    fn record(&self, entry: JournalEntry) {
        let mut journal = lock(&self.journal);
        if journal.len() >= JOURNAL_CAPACITY {
            journal.pop_front();
        }
        journal.push_back(entry);
    }
}

/// The mock's router: the admin API under `/__vouch/`, every spec's operations elsewhere.
pub fn app(state: Arc<MockState>) -> Router {
    admin::routes().fallback(serve_operation).with_state(state)
}

/// A mock running on a loopback port, stopped when dropped.
pub struct MockServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its shared state (for resets and inspection in-process).
    pub state: Arc<MockState>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl MockServer {
    /// Starts the mock on `addr` (port 0: an ephemeral port).
    pub async fn start(state: Arc<MockState>, addr: SocketAddr) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, _task) = serve_in_background(listener, app(state.clone()));
        Ok(MockServer {
            addr,
            state,
            shutdown: Some(tx),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves `router` on `listener` in a spawned task until the returned sender
/// fires (or is dropped); the handle ends when requests in flight are done.
pub(crate) fn serve_in_background(
    listener: TcpListener,
    router: Router,
) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    (tx, task)
}

/// Everything about a request that the journal and the log need.
struct Seen {
    method: String,
    path: String,
    query: String,
    operation: Option<String>,
    findings: Vec<String>,
}

async fn serve_operation(State(state): State<Arc<MockState>>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let mut seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        operation: None,
        findings: Vec::new(),
    };
    let body = to_bytes(body, MAX_BODY_BYTES).await;
    let outcome = answer(
        &state,
        &mut seen,
        &parts.headers,
        body.as_deref().map_err(|_| RequestProblem::BodyTooLarge),
    )
    .await;
    let status = match &outcome {
        Outcome::Reply(r) => r.status,
        Outcome::Drop => 0,
    };
    tracing::info!(
        method = %seen.method,
        path = %seen.path,
        operation = seen.operation.as_deref().unwrap_or("-"),
        status,
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    let time_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    state.record(JournalEntry {
        time_ms,
        method: seen.method,
        path: seen.path,
        // A credential may travel in the query (Zadig's `?token=`): never journal it.
        query: crate::redact::redact(&seen.query, &[state.token.as_str()]),
        operation: seen.operation,
        findings: seen.findings,
        status,
    });
    match outcome {
        Outcome::Reply(reply) => reply.into_response(),
        Outcome::Drop => faults::dropped_connection(),
    }
}

/// What the mock does with a request.
enum Outcome {
    Reply(Reply),
    /// Close the connection without an answer (a fault).
    Drop,
}

async fn answer(
    state: &MockState,
    seen: &mut Seen,
    headers: &HeaderMap,
    body: Result<&[u8], RequestProblem>,
) -> Outcome {
    let path = seen.path.clone();
    let owner = vendors::owning(&path);
    let Some(method) = Method::parse(&seen.method) else {
        return Outcome::Reply(not_routed(
            owner,
            &path,
            state.catalog.route(Method::Get, &path),
        ));
    };
    let (spec, operation, path_params) = match state.catalog.route(method, &path) {
        Routed::Operation {
            spec,
            operation,
            params,
        } => (spec, operation, params),
        other => return Outcome::Reply(not_routed(owner, &path, other)),
    };
    seen.operation = Some(operation.id.clone());
    let fault = lock(&state.faults).take(&operation.id);
    if let Some(fault) = &fault {
        if let Some(delay) = fault.delay() {
            tokio::time::sleep(delay).await;
        }
        if matches!(fault.action, FaultAction::Drop) {
            return Outcome::Drop;
        }
    }
    let vendor = spec.vendor.as_deref().and_then(vendors::by_name);
    let mut req = MockRequest {
        operation,
        method,
        path: path.clone(),
        path_params,
        query: parse_query(&seen.query),
        headers: headers.clone(),
        json: None,
    };
    if let Some(FaultAction::Status(status)) = fault.as_ref().map(|f| &f.action) {
        let reply = match vendor {
            Some(v) => v.error(*status, "fault injected by vouch"),
            None => generic::error(*status, "fault injected by vouch"),
        };
        return Outcome::Reply(reply);
    }
    let reply = serve_valid(state, vendor, spec, &mut req, body, seen);
    Outcome::Reply(checked(state, operation, reply, seen))
}

/// Authenticates, validates and serves a routed request.
fn serve_valid(
    state: &MockState,
    vendor: Option<&'static dyn Vendor>,
    spec: &Spec,
    req: &mut MockRequest<'_>,
    body: Result<&[u8], RequestProblem>,
    seen: &mut Seen,
) -> Reply {
    let denied = match vendor {
        Some(v) => v.authenticate(req, &state.token),
        None => generic::authenticate(req, &state.token),
    };
    if let Some(reply) = denied {
        seen.findings.push("authentication failed".into());
        return reply;
    }
    let content_type = req.header("content-type").map(str::to_string);
    let parameter_problem =
        check_parameters(req).filter(|p| !vendor.is_some_and(|v| v.tolerates(req, p)));
    let problem = parameter_problem.map(Err).unwrap_or(Ok(())).and_then(|()| {
        let body = body?;
        req.json = check_body(req.operation, content_type.as_deref(), body)?;
        Ok(())
    });
    if let Err(problem) = problem {
        seen.findings.push(problem.message());
        return match vendor {
            Some(v) => v.invalid_request(req, &problem),
            None => generic::invalid_request(req, &problem),
        };
    }
    let mut store = lock(&state.store);
    match vendor {
        Some(v) => v.handle(req, &mut store),
        None => generic::handle(spec, req, &mut store.generic),
    }
}

/// The answer for a path with no operation (or not for this method).
fn not_routed(owner: Option<&'static dyn Vendor>, path: &str, routed: Routed<'_>) -> Reply {
    match (routed, owner) {
        (Routed::MethodNotAllowed(allowed), owner) => {
            let reply = owner.map_or_else(
                || Reply::text(405, "Method Not Allowed"),
                |v| v.method_not_allowed(),
            );
            reply.with_header("allow", vendors::allow_header(&allowed))
        }
        (_, Some(vendor)) => vendor.not_found(path),
        (_, None) => Reply::text(404, "404 page not found"),
    }
}

/// In debug builds: the reply must honour the operation's contract.
fn checked(state: &MockState, operation: &Operation, reply: Reply, seen: &mut Seen) -> Reply {
    if !state.check_responses {
        return reply;
    }
    let body = reply.body_bytes();
    let header_names: Vec<&str> = reply.headers.iter().map(|(n, _)| n.as_str()).collect();
    let observed = Observed {
        status: reply.status,
        content_type: reply.content_type(),
        header_names: &header_names,
        body: &body,
    };
    let findings = check_response(operation, observed, true);
    if findings.is_empty() {
        return reply;
    }
    let findings: Vec<String> = findings.iter().map(ToString::to_string).collect();
    tracing::error!(operation = %operation.id, ?findings, "the mock broke its own contract");
    seen.findings.extend(findings.iter().cloned());
    Reply::json(
        500,
        serde_json::json!({
            "vouch": "the mock's answer breaks its own contract; this is a bug in vouch's mock",
            "operation": operation.id,
            "status": reply.status,
            "findings": findings,
        }),
    )
    .with_header("x-vouch-contract-violation", "1")
}

/// Serves `catalog` on `addr` until Ctrl-C.
pub async fn serve_until_ctrl_c(state: Arc<MockState>, addr: SocketAddr) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    println!("vouch mock listening on http://{local}");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
