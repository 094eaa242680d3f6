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
mod journal;
pub mod random;
pub mod reply;
pub mod request;
mod server;
pub mod store;
pub mod vendors;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::http::HeaderMap;

use crate::check::{Observed, check_response};
use crate::query::parse_query;
use crate::spec::{Catalog, Method, Operation, Routed, Spec};
pub use faults::{Fault, FaultAction};
use journal::Journal;
pub use journal::JournalEntry;
use reply::Reply;
use request::{MockRequest, RequestProblem, check_body, check_parameters};
pub(crate) use server::serve_in_background;
pub use server::{MockServer, ServeOptions, serve_until_ctrl_c};
pub use store::{Fixtures, Store};
use vendors::Vendor;

/// The credential every vendor accepts unless `VOUCH_MOCK_TOKEN` says otherwise.
pub const DEFAULT_TOKEN: &str = "vouch-dev-token";

/// Everything a running mock shares between requests.
pub struct MockState {
    catalog: Arc<Catalog>,
    fixtures: Fixtures,
    token: String,
    store: Mutex<Store>,
    journal: Journal,
    faults: Mutex<faults::Faults>,
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
            store: Mutex::new(Store::new(&fixtures)),
            catalog,
            fixtures,
            token,
            journal: Journal::default(),
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
        self.journal.clear();
        lock(&self.faults).clear();
    }

    /// The whole state as JSON.
    pub fn state_json(&self) -> serde_json::Value {
        serde_json::to_value(&*lock(&self.store)).unwrap_or_default()
    }

    /// A copy of the journal.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.journal.entries()
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
