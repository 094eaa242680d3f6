//! The stateful mock: serves every operation of a [`Catalog`] on one address.
//!
//! Each request is routed through the catalog's route table to an operation
//! and so to the handler bound to its spec when the mock was built (the
//! `handlers` module): a built-in vendor ([`vendors`]) or the CRUD inference
//! for a user's own spec ([`generic`]). The handler authenticates it, the core
//! validates it against its operation, and the handler serves it under its
//! own lock on its own state. The answer to a read is kept and sent again for
//! the same request until that handler's state changes (the `replay`
//! module). Every request lands in the journal. In debug
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
mod journal;
pub mod random;
mod replay;
pub mod reply;
pub mod request;
mod section;
mod server;
pub mod vendors;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::http::HeaderMap;

use crate::check::{Observed, check_response, undeclared_refusal_left_open};
use crate::query::parse_query;
use crate::spec::{Catalog, Method, Operation, PathParams, Routed, Spec};
pub use faults::{Fault, FaultAction};
pub use fixtures::Fixtures;
use handlers::Handlers;
use journal::Journal;
pub use journal::JournalEntry;
use reply::Reply;
use request::{MockRequest, RequestProblem, check_body, check_parameters};
pub(crate) use server::serve_in_background;
pub use server::{MockServer, ServeOptions, serve_until_ctrl_c};
use vendors::{Handler, Served};

/// The credential every vendor accepts unless `VOUCH_MOCK_TOKEN` says otherwise.
pub const DEFAULT_TOKEN: &str = "vouch-dev-token";

/// Everything a running mock shares between requests.
pub struct MockState {
    catalog: Arc<Catalog>,
    token: String,
    handlers: Handlers,
    journal: Journal,
    faults: Mutex<faults::Faults>,
    replays: replay::Replays,
    check_responses: bool,
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
            journal: Journal::default(),
            faults: Mutex::new(faults::Faults::default()),
            replays: replay::Replays::default(),
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
        self.journal.clear();
        lock(&self.faults).clear();
    }

    /// The state of every loaded spec's handler, each under its name (the
    /// vendor's, or a user spec's own).
    pub fn state_json(&self) -> serde_json::Value {
        self.handlers.state_json()
    }

    /// A copy of the journal.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.journal.entries()
    }

    /// Whether a fault waits for a request.
    fn faults_armed(&self) -> bool {
        !lock(&self.faults).list().is_empty()
    }
}

/// The mock's router: the admin API under `/__vouch/`, every spec's operations elsewhere.
pub fn app(state: Arc<MockState>) -> Router {
    admin::routes()
        .fallback(server::serve_operation)
        .with_state(state)
}

/// Everything about a request that the journal and the log need.
struct Seen {
    method: String,
    path: String,
    query: String,
    operation: Option<String>,
    findings: Vec<String>,
}

/// What the mock does with a request.
enum Outcome {
    /// Answer (for a read, with the version of the state it read).
    Reply(Served),
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
        Err(reply) => return Outcome::Reply(reply.into()),
    };
    let Some(handler) = state.handlers.of(spec, &state.catalog) else {
        return Outcome::Reply(not_routed(state, path).into());
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
                return Outcome::Reply(handler.error(status, "fault injected by vouch").into());
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
    params: PathParams<'c, 'c>,
    method: Method,
}

/// The operation a request is for, or the answer when there is none.
fn route<'c>(state: &'c MockState, method: &str, path: &'c str) -> Result<Found<'c>, Reply> {
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

/// Authenticates, validates and serves a routed request. Only an answer
/// that left no finding keeps the state version its read saw.
fn serve_valid(
    state: &MockState,
    handler: &dyn Handler,
    req: &mut MockRequest<'_>,
    body: Result<&[u8], RequestProblem>,
    findings: &mut Vec<String>,
) -> Served {
    if let Some(reply) = handler.authenticate(req, &state.token) {
        findings.push("authentication failed".into());
        return reply.into();
    }
    let parameter_problem = check_parameters(req).filter(|p| !handler.tolerates(req, p));
    let problem = parameter_problem.map(Err).unwrap_or(Ok(())).and_then(|()| {
        let body = body?;
        req.json = check_body(req.operation, req.header("content-type"), body)?;
        Ok(())
    });
    if let Err(problem) = problem {
        findings.push(problem.message());
        return handler.invalid_request(req, &problem).into();
    }
    match handler.serve(req) {
        Some(Served { reply, read }) => Served {
            reply: checked(state, req.operation, reply, findings),
            read: read.filter(|_| findings.is_empty()),
        },
        None => {
            let unserved = format!("the mock does not serve operation `{}`", req.operation.id);
            findings.push(unserved.clone());
            handler.error(501, &unserved).into()
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
    let mut findings = check_response(operation, observed, true);
    findings.retain(|f| !undeclared_refusal_left_open(operation, f, reply.status));
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
