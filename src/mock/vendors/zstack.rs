//! ZStack: state rules, auth and error envelope (see `../shared/vendor-notes.md`).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Vendor;
use crate::mock::reply::Reply;
use crate::mock::request::{MockRequest, RequestProblem};
use crate::mock::store::Store;

/// Seed data for ZStack.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {}

/// What the ZStack mock remembers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct State {}

impl State {
    /// State holding exactly the fixtures.
    pub fn new(_fixtures: &Fixtures) -> State {
        State {}
    }
}

/// The ZStack vendor.
pub struct ZStack;

impl Vendor for ZStack {
    fn name(&self) -> &'static str {
        "zstack"
    }

    fn owns_path(&self, _path: &str) -> bool {
        false
    }

    fn not_found(&self, _path: &str) -> Reply {
        Reply::text(404, "404 page not found")
    }

    fn method_not_allowed(&self) -> Reply {
        Reply::text(405, "Method Not Allowed")
    }

    fn authenticate(&self, _req: &MockRequest<'_>, _token: &str) -> Option<Reply> {
        None
    }

    fn invalid_request(&self, _req: &MockRequest<'_>, problem: &RequestProblem) -> Reply {
        self.error(400, &problem.message())
    }

    fn error(&self, status: u16, message: &str) -> Reply {
        Reply::json(status, json!({"message": message}))
    }

    fn handle(&self, _req: &MockRequest<'_>, _store: &mut Store) -> Reply {
        self.error(501, "not implemented yet")
    }
}
