//! Zadig OpenAPI environments (`specs/zadig.yaml`): auth, error envelopes and
//! the dispatch of the 45 operations to their modules. The rules come from
//! the "Zadig OpenAPI: environments" section of the vendor notes (`vendor-notes.md`):
//!
//! - auth is `Authorization: Bearer <token>` or `?token=<token>`; a missing or
//!   wrong token gets 401 with an empty body;
//! - a missing `projectKey` is 400 "projectKey can't be empty"; 400s use the
//!   `{type, message, code, description, extra}` envelope (business codes
//!   6xxx keep their code), other failures the 500 `{message: "Internal
//!   Error: ", code, description}` one; a malformed body is that 500 where
//!   the operation declares it (the server passes the JSON error through),
//!   the 400 envelope elsewhere;
//! - an unknown project or environment is 500 "mongo: no documents in
//!   result" on the reads that declare it, the operation's business error
//!   (400) on the others;
//! - calls without data answer 200 `{"message":"success"}`;
//! - an unknown path under `/openapi/environments` or `/openapi/logs` is a
//!   plain-text 404, a wrong method a plain-text 405.
//!
//! The modules: `environments`, `variables`, `services`, `configs`,
//! `workloads` (scale, restart, images, events), `share` (sub-environments)
//! and `logs` (the SSE stream); `model` holds the fixtures and the state,
//! `replies` the envelopes, `mirror` the fixtures a live Zadig mirrors into.

mod configs;
mod environments;
mod logs;
mod mirror;
mod model;
mod replies;
mod services;
mod share;
mod variables;
mod workloads;

pub use model::{Fixtures, State};

use model::Scope::{Production, Test};
use model::WorkloadKind;
use replies::{Business, bad_request, business, envelope, internal};

use super::{Serve, Vendor, header_carries};
use crate::mock::reply::Reply;
use crate::mock::request::{MockRequest, RequestProblem};

/// The operation served as a server-sent event stream.
const LOGS_OPERATION: &str = "zadig.streamContainerLogs";

/// The Zadig vendor.
#[derive(Clone, Copy)]
pub struct Zadig;

impl Vendor for Zadig {
    type Fixtures = Fixtures;
    type State = State;

    fn state(&self, fixtures: &Fixtures) -> State {
        State::new(fixtures)
    }

    fn operations(&self) -> Vec<(&str, Serve<State>)> {
        OPERATIONS.to_vec()
    }

    fn owns_path(&self, path: &str) -> bool {
        ["/openapi/environments", "/openapi/logs"]
            .iter()
            .any(|prefix| {
                path.strip_prefix(prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
    }

    fn not_found(&self, _path: &str) -> Reply {
        Reply::text(404, "404 page not found")
    }

    fn method_not_allowed(&self) -> Reply {
        Reply::text(405, "405 method not allowed")
    }

    fn authenticate(&self, req: &MockRequest<'_>, token: &str) -> Option<Reply> {
        let carried = header_carries(req, "authorization", "Bearer ", token)
            || req.query_param("token") == Some(token);
        (!carried).then(|| Reply::empty(401))
    }

    fn tolerates(&self, req: &MockRequest<'_>, problem: &RequestProblem) -> bool {
        req.operation.id == LOGS_OPERATION && logs::tolerates(problem)
    }

    fn invalid_request(&self, req: &MockRequest<'_>, problem: &RequestProblem) -> Reply {
        if req.operation.id == LOGS_OPERATION {
            return logs::invalid_request(problem);
        }
        match problem {
            RequestProblem::MissingParameter { name, .. }
            | RequestProblem::InvalidParameter { name, .. }
                if name == "projectKey" =>
            {
                bad_request("projectKey can't be empty")
            }
            RequestProblem::MissingParameter { name, .. } if name == "isDelete" => not_a_bool(""),
            RequestProblem::InvalidParameter { name, value, .. } if name == "isDelete" => {
                not_a_bool(value)
            }
            RequestProblem::MissingParameter { name, .. } if name == "type" => {
                bad_request("type is empty")
            }
            RequestProblem::MissingBody | RequestProblem::MalformedJson { .. }
                if req.operation.response_for(500).is_some() =>
            {
                internal(json_error(problem))
            }
            _ => bad_request(problem.message()),
        }
    }

    fn mirror(
        &self,
        vars: &super::mirror::Vars,
        reads: &mut super::mirror::Reads,
    ) -> Option<serde_json::Value> {
        mirror::mirror(vars, reads)
    }

    fn error(&self, status: u16, message: &str) -> Reply {
        match status {
            401 => Reply::empty(401),
            500 => internal(message),
            _ => {
                let reason = axum::http::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("Error");
                envelope(status, status, reason, message.to_string())
            }
        }
    }
}

/// `isDelete` that `strconv.ParseBool` rejects.
fn not_a_bool(value: &str) -> Reply {
    business(
        Business::DeleteResource,
        format!("strconv.ParseBool: parsing \"{value}\": invalid syntax"),
    )
}

/// What Go's `json.Unmarshal` says about an empty or broken body.
fn json_error(problem: &RequestProblem) -> String {
    match problem {
        RequestProblem::MalformedJson { reason } => reason.clone(),
        _ => "unexpected end of JSON input".into(),
    }
}

/// The operations the Zadig mock serves.
const OPERATIONS: &[(&str, Serve<State>)] = &[
    (
        "zadig.listTestEnvironments",
        Serve::Read(|s, r| environments::list(s, r, Test)),
    ),
    (
        "zadig.listProductionEnvironments",
        Serve::Read(|s, r| environments::list(s, r, Production)),
    ),
    (
        "zadig.createTestEnvironment",
        Serve::Write(|s, r| environments::create(s, r, Test)),
    ),
    (
        "zadig.createProductionEnvironment",
        Serve::Write(|s, r| environments::create(s, r, Production)),
    ),
    (
        "zadig.getTestEnvironment",
        Serve::Read(|s, r| environments::detail(s, r, Test)),
    ),
    (
        "zadig.getProductionEnvironment",
        Serve::Read(|s, r| environments::detail(s, r, Production)),
    ),
    (
        "zadig.updateTestEnvironment",
        Serve::Write(|s, r| environments::update(s, r, Test)),
    ),
    (
        "zadig.updateProductionEnvironment",
        Serve::Write(|s, r| environments::update(s, r, Production)),
    ),
    (
        "zadig.deleteTestEnvironment",
        Serve::Write(|s, r| environments::delete(s, r, Test)),
    ),
    (
        "zadig.deleteProductionEnvironment",
        Serve::Write(|s, r| environments::delete(s, r, Production)),
    ),
    (
        "zadig.getTestEnvironmentService",
        Serve::Write(|s, r| services::detail(s, r, Test)),
    ),
    (
        "zadig.getProductionEnvironmentService",
        Serve::Write(|s, r| services::detail(s, r, Production)),
    ),
    (
        "zadig.addTestEnvironmentServices",
        Serve::Write(|s, r| services::add(s, r, Test)),
    ),
    (
        "zadig.addProductionEnvironmentServices",
        Serve::Write(|s, r| services::add(s, r, Production)),
    ),
    (
        "zadig.deleteTestEnvironmentServices",
        Serve::Write(|s, r| services::delete(s, r, Test)),
    ),
    (
        "zadig.deleteProductionEnvironmentServices",
        Serve::Write(|s, r| services::delete(s, r, Production)),
    ),
    (
        "zadig.updateTestEnvironmentServices",
        Serve::Write(|s, r| services::update(s, r, Test)),
    ),
    (
        "zadig.updateProductionEnvironmentServices",
        Serve::Write(|s, r| services::update(s, r, Production)),
    ),
    (
        "zadig.getTestEnvironmentVariables",
        Serve::Read(|s, r| variables::get(s, r, Test)),
    ),
    (
        "zadig.getProductionEnvironmentVariables",
        Serve::Read(|s, r| variables::get(s, r, Production)),
    ),
    (
        "zadig.updateTestEnvironmentVariables",
        Serve::Write(|s, r| variables::update(s, r, Test)),
    ),
    (
        "zadig.updateProductionEnvironmentVariables",
        Serve::Write(|s, r| variables::update(s, r, Production)),
    ),
    (
        "zadig.createTestEnvironmentConfig",
        Serve::Write(|s, r| configs::create(s, r, Test)),
    ),
    (
        "zadig.createProductionEnvironmentConfig",
        Serve::Write(|s, r| configs::create(s, r, Production)),
    ),
    (
        "zadig.listTestEnvironmentConfigs",
        Serve::Read(|s, r| configs::list(s, r, Test)),
    ),
    (
        "zadig.listProductionEnvironmentConfigs",
        Serve::Read(|s, r| configs::list(s, r, Production)),
    ),
    (
        "zadig.getTestEnvironmentConfig",
        Serve::Read(|s, r| configs::detail(s, r, Test)),
    ),
    (
        "zadig.getProductionEnvironmentConfig",
        Serve::Read(|s, r| configs::detail(s, r, Production)),
    ),
    (
        "zadig.deleteTestEnvironmentConfig",
        Serve::Write(|s, r| configs::delete(s, r, Test)),
    ),
    (
        "zadig.deleteProductionEnvironmentConfig",
        Serve::Write(|s, r| configs::delete(s, r, Production)),
    ),
    (
        "zadig.updateEnvironmentConfig",
        Serve::Write(configs::update),
    ),
    ("zadig.scaleWorkload", Serve::Write(workloads::scale)),
    (
        "zadig.restartTestEnvironmentService",
        Serve::Write(|s, r| workloads::restart(s, r, Test)),
    ),
    (
        "zadig.restartProductionEnvironmentService",
        Serve::Write(|s, r| workloads::restart(s, r, Production)),
    ),
    (
        "zadig.updateDeploymentImage",
        Serve::Write(|s, r| workloads::update_image(s, r, WorkloadKind::Deployment)),
    ),
    (
        "zadig.updateStatefulSetImage",
        Serve::Write(|s, r| workloads::update_image(s, r, WorkloadKind::StatefulSet)),
    ),
    (
        "zadig.updateCronJobImage",
        Serve::Write(|s, r| workloads::update_image(s, r, WorkloadKind::CronJob)),
    ),
    (
        "zadig.listKubeEvents",
        Serve::Write(|s, r| workloads::events(s, r)),
    ),
    (
        "zadig.checkWorkloadK8sServices",
        Serve::Write(|s, r| share::check_k8s_services(s, r)),
    ),
    (
        "zadig.enableShareEnvironment",
        Serve::Write(|s, r| share::set_enabled(s, r, true)),
    ),
    (
        "zadig.disableShareEnvironment",
        Serve::Write(|s, r| share::set_enabled(s, r, false)),
    ),
    (
        "zadig.checkShareEnvironmentReady",
        Serve::Write(|s, r| share::ready(s, r)),
    ),
    (
        "zadig.getPortalService",
        Serve::Write(|s, r| share::portal(s, r)),
    ),
    ("zadig.setPortalService", Serve::Write(share::set_portal)),
    (LOGS_OPERATION, Serve::Write(|s, r| Ok(logs::stream(s, r)))),
];
