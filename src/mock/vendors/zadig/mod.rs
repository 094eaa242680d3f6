//! Zadig OpenAPI environments (`specs/zadig.yaml`): auth, error envelopes and
//! the dispatch of the 45 operations to their modules. The rules come from
//! the "Zadig OpenAPI: environments" section of `../shared/vendor-notes.md`:
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
//! `replies` the envelopes.

mod configs;
mod environments;
mod logs;
mod model;
mod replies;
mod services;
mod share;
mod variables;
mod workloads;

pub use model::{Fixtures, State};

use model::{Scope, WorkloadKind};
use replies::{Business, bad_request, business, envelope, internal};

use super::{Vendor, header_carries};
use crate::mock::reply::Reply;
use crate::mock::request::{MockRequest, RequestProblem};
use crate::mock::store::Store;

/// The operation served as a server-sent event stream.
const LOGS_OPERATION: &str = "zadig.streamContainerLogs";

/// The Zadig vendor.
pub struct Zadig;

impl Vendor for Zadig {
    fn name(&self) -> &'static str {
        "zadig"
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

    fn handle(&self, req: &MockRequest<'_>, store: &mut Store) -> Reply {
        dispatch(req, &mut store.zadig).unwrap_or_else(|reply| reply)
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

fn dispatch(req: &MockRequest<'_>, state: &mut State) -> Result<Reply, Reply> {
    use Scope::{Production, Test};
    match req.operation.id.as_str() {
        "zadig.listTestEnvironments" => environments::list(state, req, Test),
        "zadig.listProductionEnvironments" => environments::list(state, req, Production),
        "zadig.createTestEnvironment" => environments::create(state, req, Test),
        "zadig.createProductionEnvironment" => environments::create(state, req, Production),
        "zadig.getTestEnvironment" => environments::detail(state, req, Test),
        "zadig.getProductionEnvironment" => environments::detail(state, req, Production),
        "zadig.updateTestEnvironment" => environments::update(state, req, Test),
        "zadig.updateProductionEnvironment" => environments::update(state, req, Production),
        "zadig.deleteTestEnvironment" => environments::delete(state, req, Test),
        "zadig.deleteProductionEnvironment" => environments::delete(state, req, Production),
        "zadig.getTestEnvironmentService" => services::detail(state, req, Test),
        "zadig.getProductionEnvironmentService" => services::detail(state, req, Production),
        "zadig.addTestEnvironmentServices" => services::add(state, req, Test),
        "zadig.addProductionEnvironmentServices" => services::add(state, req, Production),
        "zadig.deleteTestEnvironmentServices" => services::delete(state, req, Test),
        "zadig.deleteProductionEnvironmentServices" => services::delete(state, req, Production),
        "zadig.updateTestEnvironmentServices" => services::update(state, req, Test),
        "zadig.updateProductionEnvironmentServices" => services::update(state, req, Production),
        "zadig.getTestEnvironmentVariables" => variables::get(state, req, Test),
        "zadig.getProductionEnvironmentVariables" => variables::get(state, req, Production),
        "zadig.updateTestEnvironmentVariables" => variables::update(state, req, Test),
        "zadig.updateProductionEnvironmentVariables" => variables::update(state, req, Production),
        "zadig.createTestEnvironmentConfig" => configs::create(state, req, Test),
        "zadig.createProductionEnvironmentConfig" => configs::create(state, req, Production),
        "zadig.listTestEnvironmentConfigs" => configs::list(state, req, Test),
        "zadig.listProductionEnvironmentConfigs" => configs::list(state, req, Production),
        "zadig.getTestEnvironmentConfig" => configs::detail(state, req, Test),
        "zadig.getProductionEnvironmentConfig" => configs::detail(state, req, Production),
        "zadig.deleteTestEnvironmentConfig" => configs::delete(state, req, Test),
        "zadig.deleteProductionEnvironmentConfig" => configs::delete(state, req, Production),
        "zadig.updateEnvironmentConfig" => configs::update(state, req),
        "zadig.scaleWorkload" => workloads::scale(state, req),
        "zadig.restartTestEnvironmentService" => workloads::restart(state, req, Test),
        "zadig.restartProductionEnvironmentService" => workloads::restart(state, req, Production),
        "zadig.updateDeploymentImage" => {
            workloads::update_image(state, req, WorkloadKind::Deployment)
        }
        "zadig.updateStatefulSetImage" => {
            workloads::update_image(state, req, WorkloadKind::StatefulSet)
        }
        "zadig.updateCronJobImage" => workloads::update_image(state, req, WorkloadKind::CronJob),
        "zadig.listKubeEvents" => workloads::events(state, req),
        "zadig.checkWorkloadK8sServices" => share::check_k8s_services(state, req),
        "zadig.enableShareEnvironment" => share::set_enabled(state, req, true),
        "zadig.disableShareEnvironment" => share::set_enabled(state, req, false),
        "zadig.checkShareEnvironmentReady" => share::ready(state, req),
        "zadig.getPortalService" => share::portal(state, req),
        "zadig.setPortalService" => share::set_portal(state, req),
        LOGS_OPERATION => Ok(logs::stream(state, req)),
        other => Err(internal(format!("the Zadig mock does not serve {other}"))),
    }
}
