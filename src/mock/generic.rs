//! Operations no vendor module claims (a user's own spec): a stateful CRUD
//! resource inferred from the paths and schemas, whose every answer keeps
//! the spec's contract.
//!
//! `resource` reads which collection each operation addresses and which
//! property is the items' id; `crud` keeps the items (seeded from the
//! spec's examples); `answer` shapes what goes out: a body that validates
//! against the declared response (else the declared example, else one
//! `synth` makes from the schema) with the declared content type, and
//! errors in a declared status and the declared error shape.
//! `x-vouch-mock: examples` on an operation turns the inference off: it
//! always answers its success example.
//!
//! [`Crud`] is a [`Vendor`] like the built-in ones: bound once per spec that
//! names no built-in vendor, it serves every operation of that spec and keeps
//! its resources under the spec's name in `GET /__vouch/state`.

mod answer;
mod crud;
mod resource;
mod synth;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::reply::Reply;
use super::request::{MockRequest, RequestProblem};
use super::vendors::{Serve, Vendor};
use crate::spec::Spec;
use crud::Outcome;
pub use crud::State;
use resource::Model;

/// The CRUD inference for one spec: it serves every operation of the spec.
pub struct Crud {
    operations: Vec<String>,
    model: Arc<Model>,
}

impl Crud {
    /// The inference for `spec`.
    pub fn new(spec: &Spec) -> Crud {
        Crud {
            operations: spec.operations.iter().map(|o| o.id.clone()).collect(),
            model: Arc::new(Model::of(spec)),
        }
    }
}

impl Vendor for Crud {
    /// Items by concrete collection path, added to the spec's examples.
    type Fixtures = BTreeMap<String, Vec<Value>>;
    type State = State;

    fn state(&self, fixtures: &Self::Fixtures) -> State {
        State::new(self.model.clone(), fixtures)
    }

    fn operations(&self) -> Vec<(&str, Serve<State>)> {
        let serve = Serve::Write(|state, req| Ok(handle(req, state)));
        self.operations
            .iter()
            .map(|id| (id.as_str(), serve))
            .collect()
    }

    fn not_found(&self, _path: &str) -> Reply {
        Reply::text(404, "404 page not found")
    }

    fn method_not_allowed(&self) -> Reply {
        Reply::text(405, "Method Not Allowed")
    }

    /// Accepts the token in any credential form the operation declares.
    fn authenticate(&self, req: &MockRequest<'_>, token: &str) -> Option<Reply> {
        let accepted = req.operation.security.admits(req, token);
        let doc = &req.spec.document.value;
        (!accepted).then(|| answer::error(doc, req.operation, 401, "unauthorized", None))
    }

    /// A 400 naming the field, in the declared error status and shape.
    fn invalid_request(&self, req: &MockRequest<'_>, problem: &RequestProblem) -> Reply {
        let doc = &req.spec.document.value;
        answer::error(doc, req.operation, 400, &problem.message(), problem.field())
    }

    /// A plain JSON error.
    fn error(&self, status: u16, message: &str) -> Reply {
        Reply::json(status, json!({"message": message}))
    }
}

/// Serves a request by CRUD inference or from examples.
fn handle(req: &MockRequest<'_>, state: &mut State) -> Reply {
    let op = req.operation;
    let doc = &req.spec.document.value;
    let status = answer::success_status(op);
    if op.extension("x-vouch-mock").and_then(Value::as_str) == Some("examples") {
        return answer::success(doc, op, status, None);
    }
    match state.serve(req) {
        Some(Outcome::Done(body)) => answer::success(doc, op, status, body),
        Some(Outcome::Missing(id)) => {
            answer::error(doc, op, 404, &format!("`{id}` not found"), None)
        }
        None => answer::success(doc, op, status, None),
    }
}
