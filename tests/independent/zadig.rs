//! An independent Zadig OpenAPI (environments), from the vendor notes and
//! the spec's schemas: the bearer token (or `?token=`) with an empty 401,
//! the 400 envelope with `type`, `extra` and a business code, the 500
//! envelope without `type` for an unknown environment ("mongo: no documents
//! in result") and a duplicate one ("环境已存在"), `isDelete` and `type` that
//! deletes need, case-sensitive workload types, image updates that read the
//! body's environment, `op` other than `enable` read as `disable`, container
//! logs as server-sent events, the `k8services` route, and plain-text 404 and
//! 405. Where the notes leave something open (a business code, event
//! reasons, the keys of a variable item, what a restart records) this fake
//! answers its own way.

use std::sync::Mutex;

use axum::http::Method;
use rstest::rstest;
use serde_json::{Map, Value, json};

use crate::harness::{Call, Reply, Vendor, assert_fault_caught, assert_suite_passes, start_fake};
use crate::mirror::{FAKE_URL, fake_and_mock_answers, fidelity, pull};

const SUITE: &str = "zadig";
const SPEC: &str = "zadig";
/// The API token the fake accepts.
const TOKEN: &str = "zdg-fake-7d41c0e9b2a8";
/// The fake's own business code for a refused workload, image or delete.
const BUSINESS_CODE: i64 = 6543;

/// One way the fake breaks the notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Creating an environment that exists answers 409, not 500.
    DuplicateConflict,
    /// List items carry the document's `env_name`, not `envName`.
    ListEnvName,
    /// An event's `count` is a string.
    CountAsString,
    /// 400 errors lack `type` and `extra`.
    BareErrorEnvelope,
    /// Updating global variables answers success and changes nothing.
    VariablesNotUpdated,
    /// Deleting an environment configuration without `type` is accepted.
    DeleteWithoutType,
    /// Any token (or none) is served.
    AuthNotChecked,
    /// `workload_type` is matched in any case.
    WorkloadTypeAnyCase,
}

#[derive(Clone)]
struct Template {
    name: String,
    kind: String,
    k8s_service: bool,
    containers: Vec<(String, String)>,
    variables: Vec<(String, Value)>,
}

#[derive(Clone)]
struct Variable {
    key: String,
    value: Value,
    global: bool,
}

#[derive(Clone)]
struct Service {
    name: String,
    kind: String,
    k8s_service: bool,
    containers: Vec<(String, String)>,
    variables: Vec<Variable>,
    replicas: i64,
}

#[derive(Clone)]
struct Config {
    name: String,
    kind: String,
    yaml: String,
}

#[derive(Clone)]
struct Event {
    name: String,
    kind: String,
    reason: String,
    message: String,
}

#[derive(Clone)]
struct Portal {
    service: String,
    servers: Value,
}

#[derive(Clone)]
struct Environment {
    key: String,
    alias: String,
    production: bool,
    cluster_id: String,
    namespace: String,
    registry_id: String,
    globals: Vec<(String, Value)>,
    services: Vec<Service>,
    configs: Vec<Config>,
    pods: Vec<(String, String, usize)>,
    events: Vec<Event>,
    shared: bool,
    portals: Vec<Portal>,
}

pub struct Zadig {
    fault: Fault,
    project: String,
    gateway_address: String,
    templates: Vec<Template>,
    environments: Mutex<Vec<Environment>>,
}

fn text(value: &Value, field: &str) -> String {
    value[field].as_str().unwrap_or_default().to_string()
}

fn containers(value: &Value) -> Vec<(String, String)> {
    value["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| (text(c, "name"), text(c, "image")))
        .collect()
}

impl Zadig {
    pub fn new(fault: Fault) -> Zadig {
        let seed: Value = serde_json::from_str(include_str!("zadig.json")).expect("seed JSON");
        let templates: Vec<Template> = seed["templates"]
            .as_array()
            .expect("templates")
            .iter()
            .map(|t| Template {
                name: text(t, "name"),
                kind: text(t, "kind"),
                k8s_service: t["k8s_service"].as_bool().unwrap_or(false),
                containers: containers(t),
                variables: t["variables"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| (text(v, "key"), v["value"].clone()))
                    .collect(),
            })
            .collect();
        let environments = seed["environments"]
            .as_array()
            .expect("environments")
            .iter()
            .map(|e| {
                let globals: Vec<(String, Value)> = e["globals"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|g| (text(g, "key"), g["value"].clone()))
                    .collect();
                let services = e["services"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| {
                        let template = templates
                            .iter()
                            .find(|t| t.name == text(s, "name"))
                            .expect("a template");
                        let uses: Vec<&str> = s["global"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .collect();
                        let mut service = deploy(template);
                        service.replicas = s["replicas"].as_i64().unwrap_or(1);
                        for variable in &mut service.variables {
                            variable.global = uses.contains(&variable.key.as_str());
                        }
                        service
                    })
                    .collect();
                Environment {
                    key: text(e, "key"),
                    alias: text(e, "alias"),
                    production: e["production"].as_bool().unwrap_or(false),
                    cluster_id: text(e, "cluster_id"),
                    namespace: text(e, "namespace"),
                    registry_id: text(e, "registry_id"),
                    globals,
                    services,
                    configs: e["configs"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|c| Config {
                            name: text(c, "name"),
                            kind: text(c, "type"),
                            yaml: text(c, "yaml"),
                        })
                        .collect(),
                    pods: e["pods"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|p| {
                            (
                                text(p, "name"),
                                text(p, "container"),
                                p["lines"].as_u64().unwrap_or(0) as usize,
                            )
                        })
                        .collect(),
                    events: Vec::new(),
                    shared: false,
                    portals: Vec::new(),
                }
            })
            .collect();
        Zadig {
            fault,
            project: text(&seed, "project"),
            gateway_address: text(&seed, "gateway_address"),
            templates,
            environments: Mutex::new(environments),
        }
    }

    fn is(&self, fault: Fault) -> bool {
        self.fault == fault
    }
}

/// A service deployed from its template: one replica, its own variables.
fn deploy(template: &Template) -> Service {
    Service {
        name: template.name.clone(),
        kind: template.kind.clone(),
        k8s_service: template.k8s_service,
        containers: template.containers.clone(),
        variables: template
            .variables
            .iter()
            .map(|(key, value)| Variable {
                key: key.clone(),
                value: value.clone(),
                global: false,
            })
            .collect(),
        replicas: 1,
    }
}

fn success() -> Reply {
    Reply::json(200, &json!({"message": "success"}))
}

fn internal(description: &str) -> Reply {
    Reply::json(
        500,
        &json!({"message": "Internal Error: ", "code": 500, "description": description}),
    )
}

fn no_documents() -> Reply {
    internal("mongo: no documents in result")
}

/// Which environments a route reaches.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Test,
    Production,
    Any,
}

impl Kind {
    fn admits(self, env: &Environment) -> bool {
        match self {
            Kind::Test => !env.production,
            Kind::Production => env.production,
            Kind::Any => true,
        }
    }
}

/// The operations the fake serves, found from the method and path.
enum Route {
    List(Kind),
    Create(Kind),
    Detail(Kind, String),
    Update(Kind, String),
    Delete(Kind, String),
    ServiceDetail(Kind, String, String),
    AddServices(Kind),
    DeleteServices(Kind),
    UpdateServices(Kind, String),
    Variables(Kind, String),
    UpdateVariables(Kind, String),
    CreateConfig(Kind, String),
    ListConfigs(Kind, String),
    ConfigDetail(Kind, String, String),
    DeleteConfig(Kind, String, String),
    UpdateConfig,
    Scale,
    Restart(Kind, String, String),
    Image(&'static str),
    Events,
    K8sServices(String),
    Share(String, bool),
    ShareReady(String, String),
    Portal(String, String),
    SetPortal(String, String),
    Logs(String, String),
}

/// The route for a path whatever the method, as each method maps it.
fn routes(segments: &[&str]) -> Vec<(Method, Route)> {
    use Kind::{Production as P, Test as T};
    let s = |v: &str| v.to_string();
    match segments {
        [
            "openapi",
            "logs",
            "sse",
            "pods",
            pod,
            "containers",
            container,
        ] => {
            vec![(Method::GET, Route::Logs(s(pod), s(container)))]
        }
        ["openapi", "environments", rest @ ..] => match rest {
            [] => vec![
                (Method::GET, Route::List(T)),
                (Method::POST, Route::Create(T)),
            ],
            ["production"] => vec![
                (Method::GET, Route::List(P)),
                (Method::POST, Route::Create(P)),
            ],
            ["scale"] => vec![(Method::POST, Route::Scale)],
            ["envcfgs"] => vec![(Method::PUT, Route::UpdateConfig)],
            ["kube", "events"] => vec![(Method::GET, Route::Events)],
            ["service", "yaml"] => vec![
                (Method::POST, Route::AddServices(T)),
                (Method::DELETE, Route::DeleteServices(T)),
            ],
            ["production", "service", "yaml"] => vec![
                (Method::POST, Route::AddServices(P)),
                (Method::DELETE, Route::DeleteServices(P)),
            ],
            [
                "image",
                kind @ ("deployment" | "statefulset" | "cronjob"),
                _,
            ] => {
                let kind = match *kind {
                    "deployment" => "Deployment",
                    "statefulset" => "StatefulSet",
                    _ => "CronJob",
                };
                vec![(Method::POST, Route::Image(kind))]
            }
            ["production", env] => env_routes(P, env),
            ["production", env, tail @ ..] => kind_routes(P, env, tail),
            [env] => env_routes(T, env),
            [env, "check", "workloads", "k8services"] => {
                vec![(Method::GET, Route::K8sServices(s(env)))]
            }
            [env, "share", "enable"] => vec![
                (Method::POST, Route::Share(s(env), true)),
                (Method::DELETE, Route::Share(s(env), false)),
            ],
            [env, "check", "sharenv", op, "ready"] => {
                vec![(Method::GET, Route::ShareReady(s(env), s(op)))]
            }
            [env, "share", "portal", service] => vec![
                (Method::GET, Route::Portal(s(env), s(service))),
                (Method::POST, Route::SetPortal(s(env), s(service))),
            ],
            [env, tail @ ..] => kind_routes(T, env, tail),
        },
        _ => Vec::new(),
    }
}

fn env_routes(kind: Kind, env: &str) -> Vec<(Method, Route)> {
    vec![
        (Method::GET, Route::Detail(kind, env.to_string())),
        (Method::PUT, Route::Update(kind, env.to_string())),
        (Method::DELETE, Route::Delete(kind, env.to_string())),
    ]
}

/// The routes under one environment that exist for test and production alike.
fn kind_routes(kind: Kind, env: &str, tail: &[&str]) -> Vec<(Method, Route)> {
    let env = env.to_string();
    match tail {
        ["services", service] => vec![(
            Method::GET,
            Route::ServiceDetail(kind, env, service.to_string()),
        )],
        ["services"] => vec![(Method::PUT, Route::UpdateServices(kind, env))],
        ["variable"] => vec![
            (Method::GET, Route::Variables(kind, env.clone())),
            (Method::PUT, Route::UpdateVariables(kind, env)),
        ],
        ["envcfgs"] => vec![
            (Method::POST, Route::CreateConfig(kind, env.clone())),
            (Method::GET, Route::ListConfigs(kind, env)),
        ],
        ["envcfg", name] => vec![
            (
                Method::GET,
                Route::ConfigDetail(kind, env.clone(), name.to_string()),
            ),
            (
                Method::DELETE,
                Route::DeleteConfig(kind, env, name.to_string()),
            ),
        ],
        ["service", service, "restart"] => {
            vec![(Method::POST, Route::Restart(kind, env, service.to_string()))]
        }
        _ => Vec::new(),
    }
}

/// Go's `time.ParseDuration` syntax: `1h30m`, `10s`, `1.5m`, `0`.
fn is_duration(text: &str) -> bool {
    let rest = text.strip_prefix(['-', '+']).unwrap_or(text);
    if rest == "0" {
        return true;
    }
    let mut chars = rest.chars().peekable();
    let mut groups = 0;
    while chars.peek().is_some() {
        let mut number = String::new();
        while let Some(c) = chars.peek().filter(|c| c.is_ascii_digit() || **c == '.') {
            number.push(*c);
            chars.next();
        }
        let mut unit = String::new();
        while let Some(c) = chars.peek().filter(|c| c.is_alphabetic()) {
            unit.push(*c);
            chars.next();
        }
        let known = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"].contains(&unit.as_str());
        if number.is_empty() || number == "." || !known {
            return false;
        }
        groups += 1;
    }
    groups > 0
}

impl Zadig {
    fn bad_request(&self, code: i64, message: &str, description: &str) -> Reply {
        if self.is(Fault::BareErrorEnvelope) {
            return Reply::json(400, &json!({"code": code, "message": description}));
        }
        Reply::json(
            400,
            &json!({"type": "error", "message": message, "code": code,
                    "description": description, "extra": {}}),
        )
    }

    fn invalid_param(&self, description: &str) -> Reply {
        self.bad_request(400, "Bad Request", description)
    }

    fn authorized(&self, call: &Call) -> bool {
        if self.is(Fault::AuthNotChecked) {
            return true;
        }
        match call.header("authorization") {
            Some(header) => header.strip_prefix("Bearer ") == Some(TOKEN),
            None => call
                .query_pairs()
                .iter()
                .any(|(k, v)| k == "token" && v == TOKEN),
        }
    }

    fn query(call: &Call, name: &str) -> Option<String> {
        call.query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The environment `key` of the project, among those `kind` reaches.
    fn with_env<R>(
        &self,
        project: &str,
        kind: Kind,
        key: &str,
        f: impl FnOnce(&mut Environment) -> R,
    ) -> Option<R> {
        if project != self.project {
            return None;
        }
        let mut envs = self.environments.lock().expect("state");
        envs.iter_mut()
            .find(|e| e.key == key && kind.admits(e))
            .map(f)
    }
}

impl Vendor for Zadig {
    fn answer(&self, call: &Call) -> Reply {
        let segments = call.segments();
        let candidates = routes(&segments);
        if candidates.is_empty() {
            return Reply::text(404, "404 page not found");
        }
        let Some((_, route)) = candidates.into_iter().find(|(m, _)| *m == call.method) else {
            return Reply::text(405, "405 method not allowed");
        };
        if !self.authorized(call) {
            return Reply {
                status: 401,
                content_type: "",
                body: Vec::new(),
            };
        }
        let body = match call.json() {
            Ok(body) => body.unwrap_or(Value::Null),
            Err(()) => return self.invalid_param("the body is not JSON"),
        };
        let project = Zadig::query(call, "projectKey").unwrap_or_default();
        // The body names the project of a scale or image update; the log stream checks none.
        let needs_project = !matches!(route, Route::Scale | Route::Image(_) | Route::Logs(_, _));
        if needs_project && project.is_empty() {
            return self.invalid_param("projectKey can't be empty");
        }
        self.dispatch(route, call, &project, &body)
    }
}

impl Zadig {
    fn dispatch(&self, route: Route, call: &Call, project: &str, body: &Value) -> Reply {
        match route {
            Route::List(kind) => self.list(project, kind),
            Route::Create(kind) => self.create(project, kind, body),
            Route::Detail(kind, env) => self
                .with_env(project, kind, &env, |e| Reply::json(200, &self.detail(e)))
                .unwrap_or_else(no_documents),
            Route::Update(kind, env) => self
                .with_env(project, kind, &env, |e| {
                    if let Some(registry) = body["registry_id"].as_str() {
                        e.registry_id = registry.to_string();
                    }
                    if let Some(alias) = body["env_name"].as_str().filter(|_| e.production) {
                        e.alias = alias.to_string();
                    }
                    success()
                })
                .unwrap_or_else(no_documents),
            Route::Delete(kind, env) => self.delete(call, project, kind, &env),
            Route::ServiceDetail(kind, env, service) => self
                .with_env(project, kind, &env, |e| {
                    self.service_detail(project, e, &service)
                })
                .unwrap_or_else(no_documents),
            Route::AddServices(kind) => self.add_services(project, kind, body),
            Route::DeleteServices(kind) => {
                let names: Vec<&str> = body["service_names"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                self.with_env(project, kind, body["env_key"].as_str().unwrap_or(""), |e| {
                    e.services.retain(|s| !names.contains(&s.name.as_str()));
                    success()
                })
                .unwrap_or_else(no_documents)
            }
            Route::UpdateServices(kind, env) => self
                .with_env(project, kind, &env, |e| {
                    for input in body["service_list"].as_array().into_iter().flatten() {
                        let name = text(input, "service_name");
                        if let Some(service) = e.services.iter_mut().find(|s| s.name == name) {
                            set_variables(service, &input["variable_kvs"]);
                        }
                    }
                    success()
                })
                .unwrap_or_else(no_documents),
            Route::Variables(kind, env) => self
                .with_env(project, kind, &env, |e| Reply::json(200, &globals(e)))
                .unwrap_or_else(no_documents),
            Route::UpdateVariables(kind, env) => self
                .with_env(project, kind, &env, |e| {
                    if !self.is(Fault::VariablesNotUpdated) {
                        set_globals(e, &body["global_variables"]);
                    }
                    success()
                })
                .unwrap_or_else(no_documents),
            Route::CreateConfig(kind, env) => self.create_config(project, kind, &env, body),
            Route::ListConfigs(kind, env) => {
                let wanted = Zadig::query(call, "type");
                self.with_env(project, kind, &env, |e| {
                    let items: Vec<Value> = e
                        .configs
                        .iter()
                        .filter(|c| wanted.as_deref().is_none_or(|t| t == c.kind))
                        .map(|c| {
                            json!({"name": c.name, "env_name": e.key, "project_name": project,
                                   "common_env_cfg_type": c.kind, "update_by": "fake-admin",
                                   "update_time": 1_718_000_000})
                        })
                        .collect();
                    Reply::json(200, &Value::Array(items))
                })
                .unwrap_or_else(no_documents)
            }
            Route::ConfigDetail(kind, env, name) => {
                let wanted = Zadig::query(call, "type");
                self.with_env(project, kind, &env, |e| {
                    let found = e
                        .configs
                        .iter()
                        .find(|c| c.name == name && wanted.as_deref().is_none_or(|t| t == c.kind));
                    match found {
                        Some(c) => Reply::json(200, &config_detail(project, &e.key, c)),
                        None => no_documents(),
                    }
                })
                .unwrap_or_else(no_documents)
            }
            Route::DeleteConfig(kind, env, name) => {
                let wanted = Zadig::query(call, "type").filter(|t| !t.is_empty());
                if wanted.is_none() && !self.is(Fault::DeleteWithoutType) {
                    return self.invalid_param("type is empty");
                }
                self.with_env(project, kind, &env, |e| {
                    e.configs.retain(|c| {
                        !(c.name == name && wanted.as_deref().is_none_or(|t| t == c.kind))
                    });
                    success()
                })
                .unwrap_or_else(no_documents)
            }
            Route::UpdateConfig => {
                let (name, kind) = (text(body, "name"), text(body, "common_env_cfg_type"));
                self.with_env(project, Kind::Any, &text(body, "env_key"), |e| {
                    let found = e
                        .configs
                        .iter_mut()
                        .find(|c| c.name == name && c.kind == kind);
                    match found {
                        Some(c) => {
                            c.yaml = text(body, "yaml_data");
                            success()
                        }
                        None => no_documents(),
                    }
                })
                .unwrap_or_else(no_documents)
            }
            Route::Scale => self.scale(body),
            Route::Restart(kind, env, service) => self
                .with_env(project, kind, &env, |e| {
                    let Some(s) = e.services.iter().find(|s| s.name == service) else {
                        return no_documents();
                    };
                    let event = Event {
                        name: s.name.clone(),
                        kind: s.kind.clone(),
                        reason: "RolloutRestarted".into(),
                        message: format!("{} {} restarted by the API", s.kind, s.name),
                    };
                    e.events.push(event);
                    success()
                })
                .unwrap_or_else(no_documents),
            Route::Image(kind) => self.update_image(kind, body),
            Route::Events => self.events(call, project),
            Route::K8sServices(env) => self
                .with_env(project, Kind::Any, &env, |e| {
                    Reply::json(200, &Value::Array(missing_k8s_services(e)))
                })
                .unwrap_or_else(no_documents),
            Route::Share(env, on) => self
                .with_env(project, Kind::Test, &env, |e| {
                    e.shared = on;
                    success()
                })
                .unwrap_or_else(no_documents),
            Route::ShareReady(env, op) => self
                .with_env(project, Kind::Test, &env, |e| {
                    Reply::json(200, &share_ready(e, op == "enable"))
                })
                .unwrap_or_else(no_documents),
            Route::Portal(env, service) => self
                .with_env(project, Kind::Test, &env, |e| {
                    let servers = e
                        .portals
                        .iter()
                        .find(|p| p.service == service)
                        .map_or(json!([]), |p| p.servers.clone());
                    Reply::json(
                        200,
                        &json!({"default_gateway_address": self.gateway_address,
                                "servers": servers}),
                    )
                })
                .unwrap_or_else(no_documents),
            Route::SetPortal(env, service) => {
                if !body.is_array() {
                    return self.invalid_param("the body must be a list of servers");
                }
                self.with_env(project, Kind::Test, &env, |e| {
                    e.portals.retain(|p| p.service != service);
                    e.portals.push(Portal {
                        service,
                        servers: body.clone(),
                    });
                    success()
                })
                .unwrap_or_else(no_documents)
            }
            Route::Logs(pod, container) => self.logs(call, &pod, &container),
        }
    }

    fn list(&self, project: &str, kind: Kind) -> Reply {
        let envs = self.environments.lock().expect("state");
        let name_key = if self.is(Fault::ListEnvName) {
            "env_name"
        } else {
            "envName"
        };
        let items: Vec<Value> = envs
            .iter()
            .filter(|e| project == self.project && kind.admits(e))
            .map(|e| {
                let mut item = Map::new();
                item.insert("env_key".into(), json!(e.key));
                if !e.alias.is_empty() {
                    item.insert(name_key.into(), json!(e.alias));
                }
                for (k, v) in [
                    ("cluster_id", json!(e.cluster_id)),
                    ("namespace", json!(e.namespace)),
                    ("production", json!(e.production)),
                    ("registry_id", json!(e.registry_id)),
                    ("status", json!("success")),
                    ("update_by", json!("fake-admin")),
                    ("update_time", json!(1_718_000_000)),
                ] {
                    item.insert(k.into(), v);
                }
                Value::Object(item)
            })
            .collect();
        Reply::json(200, &Value::Array(items))
    }

    fn create(&self, project: &str, kind: Kind, body: &Value) -> Reply {
        let required = ["env_key", "cluster_id", "namespace", "registry_id"];
        if let Some(missing) = required
            .iter()
            .find(|f| body[**f].as_str().is_none_or(str::is_empty))
        {
            return self.invalid_param(&format!("{missing} is required"));
        }
        if project != self.project {
            return no_documents();
        }
        let key = text(body, "env_key");
        let mut envs = self.environments.lock().expect("state");
        if envs.iter().any(|e| e.key == key) {
            if self.is(Fault::DuplicateConflict) {
                return Reply::json(409, &json!({"message": "exists"}));
            }
            return internal(&format!("创建环境 {key} 失败: 环境已存在"));
        }
        let mut env = Environment {
            key,
            alias: text(body, "env_name"),
            production: kind == Kind::Production,
            cluster_id: text(body, "cluster_id"),
            namespace: text(body, "namespace"),
            registry_id: text(body, "registry_id"),
            globals: Vec::new(),
            services: Vec::new(),
            configs: Vec::new(),
            pods: Vec::new(),
            events: Vec::new(),
            shared: false,
            portals: Vec::new(),
        };
        set_globals(&mut env, &body["global_variables"]);
        envs.push(env);
        success()
    }

    fn delete(&self, call: &Call, project: &str, kind: Kind, env: &str) -> Reply {
        if kind == Kind::Test {
            match Zadig::query(call, "isDelete").as_deref() {
                Some("true" | "false") => {}
                Some(_) => return self.invalid_param("isDelete must be a bool"),
                None => return self.invalid_param("isDelete is required"),
            }
        }
        if project != self.project {
            return no_documents();
        }
        let mut envs = self.environments.lock().expect("state");
        let before = envs.len();
        envs.retain(|e| !(e.key == env && kind.admits(e)));
        if envs.len() == before {
            // The spec declares no 500 here; the notes leave the refusal open.
            return self.bad_request(BUSINESS_CODE, "delete refused", "environment not found");
        }
        success()
    }

    fn detail(&self, env: &Environment) -> Value {
        let services: Vec<Value> = env
            .services
            .iter()
            .map(|s| {
                json!({
                    "service_name": s.name,
                    "deploy_strategy": "deploy",
                    "containers": s.containers.iter().map(|(name, image)| container(name, image)).collect::<Vec<_>>(),
                    "variable_kvs": s.variables.iter().map(|v| {
                        json!({"key": v.key, "value": resolved(env, v), "type": "string",
                               "use_global_variable": v.global})
                    }).collect::<Vec<_>>(),
                    "status": "running",
                    "type": "k8s",
                })
            })
            .collect();
        let mut detail = json!({
            "project_key": self.project,
            "env_key": env.key,
            "update_by": "fake-admin",
            "update_time": 1_718_000_000,
            "cluster_id": env.cluster_id,
            "namespace": env.namespace,
            "registry_id": env.registry_id,
            "global_variables": globals(env),
            "services": services,
            "status": "success",
        });
        if !env.alias.is_empty() {
            detail["env_name"] = json!(env.alias);
        }
        detail
    }

    fn service_detail(&self, project: &str, env: &Environment, name: &str) -> Reply {
        let Some(service) = env.services.iter().find(|s| s.name == name) else {
            return no_documents();
        };
        let images: Vec<Value> = service
            .containers
            .iter()
            .map(|(n, i)| container(n, i))
            .collect();
        let workload = json!({"name": service.name, "type": service.kind, "images": images,
                              "replicas": service.replicas, "pods": []});
        let (scales, cron_jobs) = if service.kind == "CronJob" {
            (json!([]), json!([workload]))
        } else {
            (json!([workload]), json!([]))
        };
        let endpoints = if service.k8s_service {
            json!([{"name": service.name}])
        } else {
            json!([])
        };
        Reply::json(
            200,
            &json!({
                "service_name": service.name,
                "scales": scales,
                "ingress": [],
                "service_endpoints": endpoints,
                "cron_jobs": cron_jobs,
                "namespace": env.namespace,
                "env_name": env.key,
                "product_name": project,
                "group_name": "",
            }),
        )
    }

    fn add_services(&self, project: &str, kind: Kind, body: &Value) -> Reply {
        let inputs = body["service_list"].as_array().cloned().unwrap_or_default();
        let mut deployed = Vec::new();
        for input in &inputs {
            let name = text(input, "service_name");
            let Some(template) = self.templates.iter().find(|t| t.name == name) else {
                return self.invalid_param(&format!("service {name} is not in the project"));
            };
            let mut service = deploy(template);
            set_variables(&mut service, &input["variable_kvs"]);
            deployed.push(service);
        }
        self.with_env(project, kind, &text(body, "env_key"), |e| {
            for service in deployed {
                e.services.retain(|s| s.name != service.name);
                e.services.push(service);
            }
            success()
        })
        .unwrap_or_else(no_documents)
    }

    fn create_config(&self, project: &str, kind: Kind, env: &str, body: &Value) -> Reply {
        let config = Config {
            name: text(body, "name"),
            kind: text(body, "common_env_cfg_type"),
            yaml: text(body, "yaml_data"),
        };
        let kinds = ["Ingress", "ConfigMap", "Secret", "PVC"];
        if config.name.is_empty()
            || config.yaml.is_empty()
            || !kinds.contains(&config.kind.as_str())
        {
            return self.invalid_param("name, common_env_cfg_type and yaml_data are required");
        }
        self.with_env(project, kind, env, |e| {
            e.configs
                .retain(|c| !(c.name == config.name && c.kind == config.kind));
            e.configs.push(config);
            success()
        })
        .unwrap_or_else(no_documents)
    }

    fn scale(&self, body: &Value) -> Reply {
        let kinds = ["Deployment", "StatefulSet", "CloneSet"];
        let asked = text(body, "workload_type");
        let kind = kinds.iter().find(|k| {
            **k == asked || (self.is(Fault::WorkloadTypeAnyCase) && k.eq_ignore_ascii_case(&asked))
        });
        let Some(kind) = kind else {
            return self.bad_request(
                BUSINESS_CODE,
                "workload refused",
                &format!("unsupported workload type {asked:?}"),
            );
        };
        let Some(replicas) = body["target_replicas"].as_i64().filter(|r| *r >= 0) else {
            return self.bad_request(
                BUSINESS_CODE,
                "workload refused",
                "target_replicas must be a whole number, 0 or more",
            );
        };
        let name = text(body, "workload_name");
        self.with_env(
            &text(body, "project_key"),
            Kind::Any,
            &text(body, "env_key"),
            |e| {
                let Some(s) = e
                    .services
                    .iter_mut()
                    .find(|s| s.name == name && s.kind == *kind)
                else {
                    return internal(&format!("{kind} {name} not found"));
                };
                let message = format!("scaled {} from {} to {replicas}", s.name, s.replicas);
                s.replicas = replicas;
                let event = Event {
                    name: s.name.clone(),
                    kind: s.kind.clone(),
                    reason: "ReplicasChanged".into(),
                    message,
                };
                e.events.push(event);
                success()
            },
        )
        .unwrap_or_else(no_documents)
    }

    fn update_image(&self, kind: &str, body: &Value) -> Reply {
        let Some(image) = body["image"].as_str() else {
            return self.bad_request(BUSINESS_CODE, "image refused", "image must be a string");
        };
        let (service, workload, container_name) = (
            text(body, "service_name"),
            text(body, "name"),
            text(body, "container_name"),
        );
        self.with_env(
            &text(body, "product_name"),
            Kind::Any,
            &text(body, "env_name"),
            |e| {
                let found = e
                    .services
                    .iter_mut()
                    .find(|s| s.name == service && s.name == workload && s.kind == kind)
                    .and_then(|s| s.containers.iter_mut().find(|(n, _)| *n == container_name));
                match found {
                    Some((_, current)) => {
                        *current = image.to_string();
                        success()
                    }
                    None => internal(&format!(
                        "{kind} {workload} has no container {container_name}"
                    )),
                }
            },
        )
        .unwrap_or_else(no_documents)
    }

    fn events(&self, call: &Call, project: &str) -> Reply {
        let name = Zadig::query(call, "name").unwrap_or_default();
        let kind = Zadig::query(call, "type").unwrap_or_default();
        let env = Zadig::query(call, "envName").unwrap_or_default();
        let count_as_string = self.is(Fault::CountAsString);
        self.with_env(project, Kind::Any, &env, |e| {
            let events: Vec<Value> = e
                .events
                .iter()
                .rev()
                .filter(|ev| ev.name == name && ev.kind == kind)
                .map(|ev| {
                    let count = if count_as_string {
                        json!("1")
                    } else {
                        json!(1)
                    };
                    json!({"reason": ev.reason, "message": ev.message,
                           "first_seen": 1_718_000_100, "last_seen": 1_718_000_100,
                           "count": count, "type": "Normal"})
                })
                .collect();
            Reply::json(200, &Value::Array(events))
        })
        .unwrap_or_else(no_documents)
    }

    fn logs(&self, call: &Call, pod: &str, container: &str) -> Reply {
        let since = Zadig::query(call, "since").unwrap_or_default();
        if !since.is_empty() && !is_duration(&since) {
            return self.invalid_param(&format!("time: invalid duration {since:?}"));
        }
        let tails = Zadig::query(call, "tails")
            .and_then(|t| t.parse::<usize>().ok())
            .unwrap_or(10);
        let project = Zadig::query(call, "projectKey").unwrap_or_default();
        let env = Zadig::query(call, "envName").unwrap_or_default();
        let lines = self
            .with_env(&project, Kind::Any, &env, |e| {
                e.pods
                    .iter()
                    .find(|(p, c, _)| p == pod && c == container)
                    .map_or(0, |(_, _, lines)| *lines)
            })
            .unwrap_or(0);
        let stream: String = (lines.saturating_sub(tails)..lines)
            .map(|i| {
                format!(
                    "event:message\ndata:{pod} {container} log line {}\n\n",
                    i + 1
                )
            })
            .collect();
        Reply {
            status: 200,
            content_type: "text/event-stream",
            body: stream.into_bytes(),
        }
    }
}

fn container(name: &str, image: &str) -> Value {
    let image_name = image
        .rsplit('/')
        .next()
        .and_then(|last| last.split(':').next())
        .unwrap_or(name);
    json!({"name": name, "image": image, "image_name": image_name})
}

/// A service variable's value, a global one read from the environment.
fn resolved(env: &Environment, variable: &Variable) -> Value {
    if variable.global
        && let Some((_, value)) = env.globals.iter().find(|(k, _)| *k == variable.key)
    {
        return value.clone();
    }
    variable.value.clone()
}

/// The environment's global variables, each with the services that use it.
fn globals(env: &Environment) -> Value {
    Value::Array(
        env.globals
            .iter()
            .map(|(key, value)| {
                let users: Vec<&str> = env
                    .services
                    .iter()
                    .filter(|s| s.variables.iter().any(|v| v.global && v.key == *key))
                    .map(|s| s.name.as_str())
                    .collect();
                json!({"key": key, "value": value, "type": "string", "related_services": users})
            })
            .collect(),
    )
}

fn set_globals(env: &mut Environment, inputs: &Value) {
    for input in inputs.as_array().into_iter().flatten() {
        let (key, value) = (text(input, "key"), input["value"].clone());
        match env.globals.iter_mut().find(|(k, _)| *k == key) {
            Some((_, current)) => *current = value,
            None => env.globals.push((key, value)),
        }
    }
}

fn set_variables(service: &mut Service, inputs: &Value) {
    for input in inputs.as_array().into_iter().flatten() {
        let key = text(input, "key");
        let global = input["use_global_variable"].as_bool().unwrap_or(false);
        let value = input.get("value").cloned().unwrap_or(Value::Null);
        match service.variables.iter_mut().find(|v| v.key == key) {
            Some(v) => {
                v.global = global;
                if !global {
                    v.value = value;
                }
            }
            None => service.variables.push(Variable { key, value, global }),
        }
    }
}

/// `name.Kind` of each deployed Deployment or StatefulSet without a K8s Service.
fn missing_k8s_services(env: &Environment) -> Vec<Value> {
    env.services
        .iter()
        .filter(|s| !s.k8s_service && s.kind != "CronJob")
        .map(|s| json!(format!("{}.{}", s.name, s.kind)))
        .collect()
}

/// Readiness to act as a base environment (`enable`) or to stop (any other op).
fn share_ready(env: &Environment, enable: bool) -> Value {
    let services_ok = missing_k8s_services(env).is_empty();
    let on = env.shared;
    let is_ready = if enable { on && services_ok } else { !on };
    json!({
        "is_ready": is_ready,
        "checks": {
            "namespace_has_istio_label": on,
            "virtualservice_deployed": on,
            "pods_have_istio_proxy": on,
            "workloads_ready": true,
            "workloads_have_k8s_service": services_ok,
        }
    })
}

fn config_detail(project: &str, env: &str, config: &Config) -> Value {
    let key = match config.kind.as_str() {
        "ConfigMap" => "configMap_detail",
        "Ingress" => "ingress_detail",
        "Secret" => "secret_detail",
        _ => "pvc_detail",
    };
    json!({key: {"name": config.name, "common_env_cfg_type": config.kind, "env_key": env,
                 "product_key": project, "yaml_data": config.yaml,
                 "update_by": "fake-admin", "update_time": 1_718_000_000}})
}

#[test]
fn zadig_suite_passes_against_an_independent_server() {
    assert_suite_passes(SUITE, SPEC, Zadig::new(Fault::None), TOKEN);
}

#[rstest]
#[case::duplicate_conflict(Fault::DuplicateConflict, "zadig.createTestEnvironment")]
#[case::list_env_name(Fault::ListEnvName, "zadig.listTestEnvironments")]
#[case::count_as_string(Fault::CountAsString, "zadig.listKubeEvents")]
#[case::bare_error_envelope(Fault::BareErrorEnvelope, "zadig.listTestEnvironments")]
#[case::variables_not_updated(Fault::VariablesNotUpdated, "zadig.getTestEnvironmentVariables")]
#[case::delete_without_type(Fault::DeleteWithoutType, "zadig.deleteTestEnvironmentConfig")]
#[case::auth_not_checked(Fault::AuthNotChecked, "zadig.listTestEnvironments")]
#[case::workload_type_any_case(Fault::WorkloadTypeAnyCase, "zadig.scaleWorkload")]
fn zadig_fault_fails_the_suite(#[case] fault: Fault, #[case] operation: &str) {
    assert_fault_caught(SUITE, SPEC, Zadig::new(fault), TOKEN, operation);
}

#[test]
fn zadig_fixtures_pull_writes_the_fakes_environments_and_the_mock_answers_them_alike() {
    // Arrange
    let fake = start_fake(Zadig::new(Fault::None));
    let seed: Value = serde_json::from_str(include_str!("zadig.json")).expect("seed JSON");

    // Act
    let pulled = pull(SUITE, SPEC, &fake, TOKEN, &[]);

    // Assert
    assert_eq!(pulled.cli.code, 0, "{}", pulled.shown());
    let project = &pulled.fixtures["zadig"]["projects"]["payments-core"];
    let qa = &project["environments"]["qa"];
    let live = &project["environments"]["live"];
    assert_eq!(qa["alias"], "quality", "{}", pulled.shown());
    assert_eq!(qa["production"], false);
    assert_eq!(live["production"], true);
    assert_eq!(live["global_variables"][0]["value"], "1500m");
    let api = &qa["services"]["ledger-api"];
    assert_eq!(api["replicas"], 2, "{}", pulled.shown());
    assert_eq!(api["pods"][0], "ledger-api-7c9d8f6b5-x2k4p");
    assert_eq!(
        api["containers"],
        json!([{"name": "api", "image": "registry.example.org/payments/ledger-api:2024.05.1"}])
    );
    assert_eq!(qa["services"]["ledger-sweeper"]["workload"], "CronJob");
    assert_eq!(live["services"]["ledger-db"]["workload"], "StatefulSet");
    assert_eq!(live["services"]["ledger-db"]["replicas"], 4);
    assert_eq!(
        qa["env_configs"][0]["yaml_data"],
        seed["environments"][0]["configs"][0]["yaml"]
    );
    let log = qa["logs"]["ledger-api-7c9d8f6b5-x2k4p"]["api"]
        .as_str()
        .expect("the pod's log");
    assert_eq!(log.lines().count(), 14, "the whole log");
    // The project's templates are the deployed services (the API shows no template).
    let templates = project["services"].as_object().expect("templates");
    assert!(templates.contains_key("ledger-worker") && !templates.contains_key("ledger-audit"));
    let bearer = format!("Bearer {TOKEN}");
    let header = ("authorization", bearer.as_str());
    let configs = "/openapi/environments/qa/envcfgs?projectKey=payments-core";
    let (live_list, mocked) = fake_and_mock_answers(&pulled, &fake, TOKEN, configs, header);
    let names = |list: &Value| -> Vec<Value> {
        list.as_array()
            .expect("a list")
            .iter()
            .map(|c| json!([c["name"], c["common_env_cfg_type"]]))
            .collect()
    };
    assert_eq!(names(&mocked), names(&live_list));
}

/// The fake as the target of the spec and, as a user with one target
/// passes it, of the steps that name no operation (routing-errors).
const TARGET: [&str; 2] = ["--base-url", FAKE_URL];

fn faithful_fidelity() -> &'static crate::mirror::Fidelity {
    static RUN: std::sync::OnceLock<crate::mirror::Fidelity> = std::sync::OnceLock::new();
    RUN.get_or_init(|| fidelity(SUITE, SPEC, Zadig::new(Fault::None), TOKEN, &TARGET))
}

#[test]
fn zadig_fidelity_mirrors_the_fake_and_compares_like_with_like() {
    faithful_fidelity().assert_like_with_like("zadig");
}

#[rstest]
#[case::duplicate_conflict(Fault::DuplicateConflict)]
#[case::list_env_name(Fault::ListEnvName)]
#[case::count_as_string(Fault::CountAsString)]
#[case::bare_error_envelope(Fault::BareErrorEnvelope)]
#[case::variables_not_updated(Fault::VariablesNotUpdated)]
#[case::delete_without_type(Fault::DeleteWithoutType)]
#[case::auth_not_checked(Fault::AuthNotChecked)]
#[case::workload_type_any_case(Fault::WorkloadTypeAnyCase)]
fn zadig_fault_is_a_new_fidelity_difference(#[case] fault: Fault) {
    fidelity(SUITE, SPEC, Zadig::new(fault), TOKEN, &TARGET)
        .assert_fault_is_new("zadig", faithful_fidelity());
}
