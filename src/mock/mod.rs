//! The stateful mock: serves every operation of a [`Catalog`] on one address.
//!
//! Each request is routed through the catalog's route table to an operation
//! and so to the handler bound to its spec when the mock was built (the
//! `handlers` module): a built-in vendor ([`vendors`]) or the CRUD inference
//! for a user's own spec ([`generic`]). The handler authenticates it, the core
//! validates it against its operation, and the handler serves it under its
//! own lock on its own state. Every request lands in the journal. In debug
//! builds every response is checked against the spec before it is sent: a
//! mock that contradicts its own contract answers 500 and says why.
//!
//! The answers the core gives the same way for every vendor, each in the
//! vendor's own envelope:
//! - an unknown path: the vendor's not-found when a loaded vendor claims the
//!   prefix, else a plain-text 404;
//! - a known path with a method it does not declare (any method, also one no
//!   HTTP server knows, like `FOO`): the vendor's 405 with `Allow`;
//! - an operation of a spec that the vendor does not serve (a spec naming a
//!   built-in vendor with `x-vouch-vendor` may declare operations the vendor's
//!   table lacks): the vendor's error envelope with 501 Not Implemented, after
//!   authentication and validation, with the journal finding "the mock does
//!   not serve operation `ID`". Loading such a spec logs a warning.
//!
//! `/__vouch/` is reserved for the admin API (reset, state, journal, health,
//! faults).

mod admin;
mod faults;
pub mod fixtures;
pub mod generic;
mod handlers;
pub mod random;
pub mod reply;
pub mod request;
mod section;
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
pub use fixtures::Fixtures;
use handlers::Handlers;
use reply::Reply;
use request::{MAX_BODY_BYTES, MockRequest, RequestProblem, check_body, check_parameters};
use vendors::Handler;

/// The credential every vendor accepts unless `VOUCH_MOCK_TOKEN` says otherwise.
pub const DEFAULT_TOKEN: &str = "vouch-dev-token";

/// How many requests the journal keeps (oldest dropped first).
const JOURNAL_CAPACITY: usize = 10_000;

/// Everything a running mock shares between requests.
pub struct MockState {
    catalog: Arc<Catalog>,
    token: String,
    handlers: Handlers,
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
            handlers: Handlers::new(&catalog, &fixtures),
            catalog,
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
        self.handlers.reset();
        lock(&self.journal).clear();
        lock(&self.faults).clear();
    }

    /// The state of every loaded spec's handler, each under its name (the
    /// vendor's, or a user spec's own).
    pub fn state_json(&self) -> serde_json::Value {
        self.handlers.state_json()
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
    let Seen {
        method,
        path,
        query,
        operation: routed_to,
        findings,
        ..
    } = seen;
    let Found {
        spec,
        operation,
        params,
        method,
    } = match route(state, method, path) {
        Ok(found) => found,
        Err(reply) => return Outcome::Reply(reply),
    };
    let Some(handler) = state.handlers.of(spec, &state.catalog) else {
        return Outcome::Reply(not_routed(state, path));
    };
    *routed_to = Some(operation.id.clone());
    let fault = lock(&state.faults).take(&operation.id);
    if let Some(fault) = &fault {
        if let Some(delay) = fault.delay() {
            tokio::time::sleep(delay).await;
        }
        match fault.action {
            FaultAction::Drop => return Outcome::Drop,
            FaultAction::Status(status) => {
                return Outcome::Reply(handler.error(status, "fault injected by vouch"));
            }
            FaultAction::Delay => {}
        }
    }
    let mut req = MockRequest {
        operation,
        spec,
        method,
        path,
        path_params: params,
        query: parse_query(query),
        headers,
        json: None,
    };
    Outcome::Reply(serve_valid(state, handler, &mut req, body, findings))
}

/// A request routed to an operation.
struct Found<'c> {
    spec: &'c Spec,
    operation: &'c Operation,
    params: Vec<(String, String)>,
    method: Method,
}

/// The operation a request is for, or the answer when there is none.
fn route<'c>(state: &'c MockState, method: &str, path: &str) -> Result<Found<'c>, Reply> {
    let method = Method::parse(method);
    match method.map(|m| (m, state.catalog.route(m, path))) {
        Some((
            method,
            Routed::Operation {
                spec,
                operation,
                params,
            },
        )) => Ok(Found {
            spec,
            operation,
            params,
            method,
        }),
        _ => Err(not_routed(state, path)),
    }
}

/// Authenticates, validates and serves a routed request.
fn serve_valid(
    state: &MockState,
    handler: &dyn Handler,
    req: &mut MockRequest<'_>,
    body: Result<&[u8], RequestProblem>,
    findings: &mut Vec<String>,
) -> Reply {
    if let Some(reply) = handler.authenticate(req, &state.token) {
        findings.push("authentication failed".into());
        return reply;
    }
    let parameter_problem = check_parameters(req).filter(|p| !handler.tolerates(req, p));
    let problem = parameter_problem.map(Err).unwrap_or(Ok(())).and_then(|()| {
        let body = body?;
        req.json = check_body(req.operation, req.header("content-type"), body)?;
        Ok(())
    });
    if let Err(problem) = problem {
        findings.push(problem.message());
        return handler.invalid_request(req, &problem);
    }
    match handler.serve(req) {
        Some(reply) => checked(state, req.operation, reply, findings),
        None => {
            let unserved = format!("the mock does not serve operation `{}`", req.operation.id);
            findings.push(unserved.clone());
            handler.error(501, &unserved)
        }
    }
}

/// The answer for a path with no operation for the method: the 405 of the
/// spec that has the path for other methods, else the not-found of the
/// vendor claiming the prefix.
fn not_routed(state: &MockState, path: &str) -> Reply {
    let routes: Vec<(Method, &Spec)> = Method::ALL
        .into_iter()
        .filter_map(|m| match state.catalog.route(m, path) {
            Routed::Operation { spec, .. } => Some((m, spec)),
            _ => None,
        })
        .collect();
    let declaring = routes
        .first()
        .map(|(_, spec)| state.handlers.of(spec, &state.catalog));
    if let Some(handler) = declaring {
        let allowed: Vec<Method> = routes.iter().map(|(m, _)| *m).collect();
        let refusal = handler.map_or_else(
            || Reply::text(405, "Method Not Allowed"),
            |h| h.method_not_allowed(),
        );
        return refusal.with_header("allow", vendors::allow_header(&allowed));
    }
    match state.handlers.owning(path) {
        Some(handler) => handler.not_found(path),
        None => Reply::text(404, "404 page not found"),
    }
}

/// In debug builds: the reply must honour the operation's contract.
fn checked(
    state: &MockState,
    operation: &Operation,
    reply: Reply,
    seen_findings: &mut Vec<String>,
) -> Reply {
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
    seen_findings.extend(findings.iter().cloned());
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
