//! Rainbond console OpenAPI, component ports (`specs/rainbond.yaml`), following
//! the vendor notes (`vendor-notes.md`, checked against goodrain/rainbond-console).
//!
//! Owns the teams, regions, apps, components and ports of the fixtures
//! (`model`) and serves list, add, update and delete (`ports`). Rules:
//! - Replies use the console envelope `{"code","msg","msg_show","data":{"bean","list"}}`
//!   (HTTP 200 for all four operations, POST included); business failures use it
//!   with `code` = the business code (`envelope`).
//! - The path resolves like `TeamAppServiceAPIView`: team by id or name, region,
//!   app, component by id or alias; each unknown part is a 404 in the envelope; a
//!   component of another app is 404 "component not belong to this app".
//! - POST: protocol defaults to http, alias to the service alias upper-cased with
//!   `-` as `_` plus the port; port 0 or null protocol 400 "params error";
//!   duplicate 409 (code 20501); outside 1..65535 412; alias not matching
//!   `^[A-Z][A-Z0-9_]*$` 400. New ports: `mapping_port` = `container_port`,
//!   `lb_mapping_port` 0, outer closed, the component's shared `k8s_service_name`.
//! - PUT actions with their preconditions (open_outer needs inner open, close_inner
//!   refused while outer open, open_inner needs an alias, change_protocol leaves
//!   http only while outer is closed, change_port_alias checks the alias and
//!   writes `k8s_service_name` to every port); unknown port 404.
//! - DELETE refused with 409 while inner or outer is open; unknown port 404.
//! - Serializer errors (the core's validation problems) are 400 `ValidationError`
//!   naming the field in `err`; a bad path parameter is the router's 404.
//! - `Authorization: <access key>` (raw, no scheme), else 401 "No token".
//! - Unknown path under `/openapi/v1/`: DRF's 404 "Not found." in the envelope.

mod envelope;
mod model;
mod ports;

pub use model::{Fixtures, State};

use super::mirror::{Reads, Vars, all, number, text, var};
use super::{Serve, Vendor, header_carries};
use crate::mock::reply::Reply;
use crate::mock::request::{MockRequest, RequestProblem};
use envelope::{
    NON_FIELD_ERRORS, NOT_FOUND, authentication_failed, drf_error, failure, validation_error,
};
use serde_json::{Map, Value, json};

/// Every console OpenAPI path starts here.
const PREFIX: &str = "/openapi/v1/";

/// The operations the Rainbond mock serves.
const OPERATIONS: &[(&str, Serve<State>)] = &[
    ("rainbond.listPorts", Serve::Read(ports::list_ports)),
    ("rainbond.addPort", Serve::Write(ports::add_port)),
    ("rainbond.updatePort", Serve::Write(ports::update_port)),
    ("rainbond.deletePort", Serve::Write(ports::delete_port)),
];

/// The Rainbond vendor.
#[derive(Clone, Copy)]
pub struct Rainbond;

impl Vendor for Rainbond {
    type Fixtures = Fixtures;
    type State = State;

    fn state(&self, fixtures: &Fixtures) -> State {
        State::new(fixtures)
    }

    fn operations(&self) -> Vec<(&str, Serve<State>)> {
        OPERATIONS.to_vec()
    }

    fn owns_path(&self, path: &str) -> bool {
        path.starts_with(PREFIX)
    }

    fn not_found(&self, _path: &str) -> Reply {
        drf_error(404, NOT_FOUND)
    }

    fn method_not_allowed(&self) -> Reply {
        drf_error(405, "Method not allowed.")
    }

    fn authenticate(&self, req: &MockRequest<'_>, token: &str) -> Option<Reply> {
        (!header_carries(req, "authorization", "", token))
            .then(|| authentication_failed("No token"))
    }

    fn invalid_request(&self, req: &MockRequest<'_>, problem: &RequestProblem) -> Reply {
        match problem {
            RequestProblem::MissingParameter { .. } | RequestProblem::InvalidParameter { .. } => {
                self.not_found(req.path)
            }
            RequestProblem::MissingBody => {
                let required = required_fields(req)
                    .into_iter()
                    .map(|f| (f, "This field is required.".to_string()));
                validation_error(&required.collect::<Vec<_>>())
            }
            RequestProblem::InvalidBody {
                keyword,
                value,
                expected,
                reason,
                ..
            } => validation_error(&[(
                problem.field().unwrap_or(NON_FIELD_ERRORS),
                serializer_message(keyword, value.as_deref(), expected, reason),
            )]),
            other => validation_error(&[(NON_FIELD_ERRORS, other.message())]),
        }
    }

    fn error(&self, status: u16, message: &str) -> Reply {
        match status {
            401 => authentication_failed(message),
            _ => failure(status, message, message),
        }
    }

    /// The team `team` and its region `region`, with each component the
    /// variables name in its app ([`MIRRORED_COMPONENTS`]) and the ports
    /// the live list shows for it. The list shows no service alias: the
    /// component `component` takes the one `alias_prefix` spells (upper-cased,
    /// `-` as `_`), the others their id, which the paths accept alike.
    fn mirror(&self, vars: &Vars, reads: &mut Reads) -> Option<Value> {
        let (team, region) = (var(vars, "team")?, var(vars, "region")?);
        let named: Vec<(String, String, &str)> = MIRRORED_COMPONENTS
            .iter()
            .filter_map(|(component, app)| {
                Some((var(vars, app)?, var(vars, component)?, *component))
            })
            .collect();
        if named.is_empty() {
            return None;
        }
        let listed = all(named.iter().map(|(app, id, _)| {
            let path = [
                ("team_id", team.as_str()),
                ("region_name", region.as_str()),
                ("app_id", app.as_str()),
                ("service_id", id.as_str()),
            ];
            reads.get("rainbond.listPorts", &path)
        }))?;
        let mut apps: Vec<(String, Vec<Value>)> = Vec::new();
        for ((app, id, role), list) in named.iter().zip(&listed) {
            if apps
                .iter()
                .any(|(_, components)| components.iter().any(|c| c["service_id"] == id.as_str()))
            {
                continue;
            }
            let alias = match (*role, var(vars, "alias_prefix")) {
                ("component", Some(prefix)) => prefix.to_lowercase().replace('_', "-"),
                _ => id.clone(),
            };
            let component = mirrored_component(id, &alias, list);
            match apps.iter_mut().find(|(a, _)| a == app) {
                Some((_, components)) => components.push(component),
                None => apps.push((app.clone(), vec![component])),
            }
        }
        let apps: Vec<Value> = apps
            .into_iter()
            .map(|(app, components)| json!({"app_id": number(Some(&json!(app))), "components": components}))
            .collect();
        Some(json!({"teams": [{
            "tenant_id": team,
            "tenant_name": team,
            "regions": [{"region_name": region, "apps": apps}],
        }]}))
    }
}

/// The variables of the Rainbond scenarios that name an existing component,
/// each with the variable naming its app.
const MIRRORED_COMPONENTS: &[(&str, &str)] = &[
    ("component", "app"),
    ("aliasless_component", "app"),
    ("foreign_component", "other_app"),
];

/// A component fixture from the live list of its ports (`data.list`, or a
/// bare array), each port with the fields the list shows.
fn mirrored_component(id: &str, alias: &str, list: &Value) -> Value {
    let ports = list
        .pointer("/data/list")
        .or(Some(list))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let k8s_name = ports.first().map(|p| text(p, "k8s_service_name"));
    let ports: Vec<Value> = ports
        .iter()
        .map(|p| {
            let numbers = ["container_port", "lb_mapping_port"].map(|k| (k, number(p.get(k))));
            let others = [
                "protocol",
                "port_alias",
                "is_inner_service",
                "is_outer_service",
            ]
            .map(|k| (k, p.get(k).cloned().unwrap_or_default()));
            let port: Map<String, Value> = numbers
                .into_iter()
                .chain(others)
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            Value::Object(port)
        })
        .collect();
    let mut component = json!({"service_id": id, "service_alias": alias, "ports": ports});
    if let Some(name) = k8s_name.filter(|n| !n.is_empty()) {
        component["k8s_service_name"] = json!(name);
    }
    component
}

/// The body fields the operation requires (what DRF reports for an empty body).
fn required_fields<'r>(req: &'r MockRequest<'_>) -> Vec<&'r str> {
    let schema = req
        .operation
        .request_body
        .as_ref()
        .and_then(|b| b.content.first())
        .and_then(|m| m.schema.as_ref());
    let required = schema
        .and_then(|s| s.source.get("required"))
        .and_then(|r| r.as_array());
    required
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str())
        .collect()
}

/// Django REST framework's wording for what the schema found, where DRF
/// has one; otherwise the core's words.
fn serializer_message(
    keyword: &str,
    value: Option<&Value>,
    expected: &[&str],
    reason: &str,
) -> String {
    match (keyword, value) {
        ("required", _) => "This field is required.".into(),
        ("enum", Some(v)) => format!(
            "\"{}\" is not a valid choice.",
            v.as_str().map_or_else(|| v.to_string(), str::to_string)
        ),
        ("type", Some(Value::Null)) => "This field may not be null.".into(),
        ("type", _) if expected == ["integer"] => "A valid integer is required.".into(),
        ("type", _) if expected == ["boolean"] => "Must be a valid boolean.".into(),
        ("type", _) if expected == ["string"] => "Not a valid string.".into(),
        ("minLength", Some(Value::String(s))) if s.is_empty() => {
            "This field may not be blank.".into()
        }
        _ => reason.to_string(),
    }
}
