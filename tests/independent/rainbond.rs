//! An independent Rainbond console (component ports), from the vendor notes:
//! the console envelope, DRF serializer errors, the raw access key, the
//! business refusals with the statuses and texts the notes give, and the
//! state rules (inner before outer, no delete while open, one shared
//! `k8s_service_name` per component). Where the notes leave a business
//! code or a text open, this fake answers its own (codes 2xxxx, its own
//! wording, a Chinese-locale serializer).

use std::sync::Mutex;

use axum::http::Method;
use rstest::rstest;
use serde_json::{Map, Value, json};

use crate::harness::{Call, Reply, Vendor, assert_fault_caught, assert_suite_passes, start_fake};
use crate::mirror::{fake_and_mock_answers, fidelity, pull};

const SUITE: &str = "rainbond";
const SPEC: &str = "rainbond";
/// The console access key the fake accepts.
const ACCESS_KEY: &str = "rbk-staging-51f0c7a2e94d";
const PROTOCOLS: [&str; 5] = ["http", "tcp", "udp", "mysql", "grpc"];
const ACTIONS: [&str; 7] = [
    "open_outer",
    "only_open_outer",
    "close_outer",
    "open_inner",
    "close_inner",
    "change_protocol",
    "change_port_alias",
];

/// One way the fake breaks the notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Ports carry the document's typo `is_over_service`.
    RenamedField,
    /// `container_port` is sent as a string.
    PortAsString,
    /// POST answers 201.
    CreatedStatus,
    /// `open_outer` answers 200 but never sets `is_outer_service`.
    OuterNeverSet,
    /// A port the component already has is added again.
    DuplicateAccepted,
    /// Any access key (or none) is served.
    AuthNotChecked,
    /// The list answers the bare array of ports, as the document shows.
    Unwrapped,
    /// The default alias puts a `_` between the service alias and the port.
    AliasSeparated,
    /// change_port_alias writes a new `k8s_service_name` to the renamed port only.
    K8sNameNotShared,
}

struct Component {
    id: String,
    app: i64,
    service_alias: String,
    k8s_service_name: String,
    ports: Vec<Map<String, Value>>,
}

pub struct Rainbond {
    fault: Fault,
    team: String,
    region: String,
    components: Mutex<Vec<Component>>,
    next_gateway_port: Mutex<i64>,
}

impl Rainbond {
    pub fn new(fault: Fault) -> Rainbond {
        let seed: Value = serde_json::from_str(include_str!("rainbond.json")).expect("seed JSON");
        let components = seed["components"]
            .as_array()
            .expect("components")
            .iter()
            .map(|c| Component {
                id: c["id"].as_str().expect("id").to_string(),
                app: c["app"].as_i64().expect("app"),
                service_alias: c["service_alias"].as_str().expect("alias").to_string(),
                k8s_service_name: c["k8s_service_name"].as_str().expect("name").to_string(),
                ports: c["ports"]
                    .as_array()
                    .expect("ports")
                    .iter()
                    .map(|p| p.as_object().expect("port").clone())
                    .collect(),
            })
            .collect();
        Rainbond {
            fault,
            team: seed["team"].as_str().expect("team").to_string(),
            region: seed["region"].as_str().expect("region").to_string(),
            components: Mutex::new(components),
            next_gateway_port: Mutex::new(30_417),
        }
    }
}

/// The console's success envelope.
fn success(bean: Value, list: Vec<Value>) -> Reply {
    Reply::json(
        200,
        &json!({"code": 200, "msg": "success", "msg_show": "操作成功", "data": {"bean": bean, "list": list}}),
    )
}

/// A business refusal in the wrapped shape.
fn refusal(status: u16, code: u32, msg: &str, msg_show: &str) -> Reply {
    Reply::json(
        status,
        &json!({"code": code, "msg": msg, "msg_show": msg_show, "data": {"bean": {}, "list": []}}),
    )
}

/// DRF's ValidationError, in a Chinese-locale console.
fn invalid(errors: Map<String, Value>) -> Reply {
    Reply::json(
        400,
        &json!({"detail": "参数校验失败", "err": errors, "code": 20400, "error_type": "ValidationError"}),
    )
}

fn alias_is_valid(alias: &str) -> bool {
    let mut chars = alias.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn k8s_name_is_valid(name: &str) -> bool {
    let bytes = name.as_bytes();
    let inner = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-';
    name.len() <= 63
        && bytes.first().is_some_and(u8::is_ascii_lowercase)
        && bytes
            .last()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.iter().all(inner)
}

/// DRF's IntegerField: an integer, or a string holding one.
fn as_integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// DRF's BooleanField.
fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_str() {
            "true" | "True" | "1" => Some(true),
            "false" | "False" | "0" => Some(false),
            _ => None,
        },
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn field_error(errors: &mut Map<String, Value>, field: &str, message: &str) {
    errors.insert(field.to_string(), json!([message]));
}

impl Rainbond {
    fn is(&self, fault: Fault) -> bool {
        self.fault == fault
    }

    /// A port as it goes on the wire.
    fn wire(&self, port: &Map<String, Value>, k8s_service_name: &str) -> Value {
        let mut port = port.clone();
        port.entry("k8s_service_name")
            .or_insert_with(|| json!(k8s_service_name));
        if self.is(Fault::RenamedField)
            && let Some(v) = port.remove("is_outer_service")
        {
            port.insert("is_over_service".into(), v);
        }
        if self.is(Fault::PortAsString)
            && let Some(v) = port.get_mut("container_port")
        {
            *v = json!(v.to_string());
        }
        Value::Object(port)
    }

    fn gateway_port(&self) -> i64 {
        let mut next = self.next_gateway_port.lock().expect("gateway ports");
        *next += 1;
        *next
    }
}

impl Vendor for Rainbond {
    fn answer(&self, call: &Call) -> Reply {
        let authorized = call.header("authorization") == Some(ACCESS_KEY);
        if !authorized && !self.is(Fault::AuthNotChecked) {
            return Reply::json(
                401,
                &json!({"detail": "No token", "code": 401, "msg": "No token", "msg_show": "No token", "error_type": "AuthenticationFailed"}),
            );
        }
        let segments = call.segments();
        let (team, region, app, component, port) = match segments.as_slice() {
            [
                "openapi",
                "v1",
                "teams",
                t,
                "regions",
                r,
                "apps",
                a,
                "services",
                s,
                "ports",
            ] => (*t, *r, *a, *s, None),
            [
                "openapi",
                "v1",
                "teams",
                t,
                "regions",
                r,
                "apps",
                a,
                "services",
                s,
                "ports",
                p,
            ] => (*t, *r, *a, *s, Some(*p)),
            _ => return Reply::text(404, "Not Found"),
        };
        if team != self.team || region != self.region {
            return refusal(404, 20404, "team or region not found", "团队或集群不存在");
        }
        let mut components = self.components.lock().expect("components");
        let Some(found) = components.iter_mut().find(|c| c.id == component) else {
            return refusal(404, 20404, "component not found", "组件不存在");
        };
        if app.parse::<i64>().ok() != Some(found.app) {
            return refusal(
                404,
                20404,
                "component not belong to this app",
                "组件不属于该应用",
            );
        }
        match (&call.method, port) {
            (&Method::GET, None) => self.list(found),
            (&Method::POST, None) => self.add(found, call),
            (&Method::PUT, Some(port)) => self.update(found, port, call),
            (&Method::DELETE, Some(port)) => self.delete(found, port),
            _ => Reply::json(405, &json!({"detail": "Method not allowed."})),
        }
    }
}

impl Rainbond {
    fn list(&self, component: &Component) -> Reply {
        let ports: Vec<Value> = component
            .ports
            .iter()
            .map(|p| self.wire(p, &component.k8s_service_name))
            .collect();
        if self.is(Fault::Unwrapped) {
            return Reply::json(200, &Value::Array(ports));
        }
        success(json!({}), ports)
    }

    fn add(&self, component: &mut Component, call: &Call) -> Reply {
        let body = match call.json() {
            Ok(body) => body.unwrap_or_else(|| json!({})),
            Err(()) => return invalid(Map::new()),
        };
        let mut errors = Map::new();
        let port = match body.get("port") {
            None => {
                field_error(&mut errors, "port", "该字段是必填项。");
                None
            }
            Some(v) => {
                let parsed = as_integer(v);
                if parsed.is_none() {
                    field_error(&mut errors, "port", "请填写合法的整数值。");
                }
                parsed
            }
        };
        let inner = match body.get("is_inner_service") {
            None => {
                field_error(&mut errors, "is_inner_service", "该字段是必填项。");
                None
            }
            Some(v) => {
                let parsed = as_bool(v);
                if parsed.is_none() {
                    field_error(&mut errors, "is_inner_service", "必须是布尔值。");
                }
                parsed
            }
        };
        let protocol = match body.get("protocol") {
            None => Some("http".to_string()),
            Some(Value::Null) => None,
            Some(Value::String(p)) if PROTOCOLS.contains(&p.as_str()) => Some(p.clone()),
            Some(other) => {
                field_error(
                    &mut errors,
                    "protocol",
                    &format!("“{other}” 不是合法选项。"),
                );
                None
            }
        };
        let alias = match body.get("port_alias") {
            None | Some(Value::Null) => None,
            Some(Value::String(a)) => Some(a.clone()),
            Some(_) => {
                field_error(&mut errors, "port_alias", "请填写合法的字符串。");
                None
            }
        };
        if !errors.is_empty() {
            return invalid(errors);
        }
        let (Some(port), Some(inner)) = (port, inner) else {
            return invalid(errors);
        };
        if port == 0 {
            return refusal(400, 20400, "params error", "端口不能为空");
        }
        let Some(protocol) = protocol else {
            return refusal(400, 20400, "params error", "协议不能为空");
        };
        if !(1..=65535).contains(&port) {
            return refusal(412, 20412, "component port out of range", "端口超出范围");
        }
        let alias = match alias {
            Some(a) if !alias_is_valid(&a) => {
                return refusal(400, 20410, "invalid port alias", "端口别名格式错误");
            }
            Some(a) => a,
            None => {
                let separator = if self.is(Fault::AliasSeparated) {
                    "_"
                } else {
                    ""
                };
                format!(
                    "{}{separator}{port}",
                    component.service_alias.to_uppercase().replace('-', "_")
                )
            }
        };
        let exists = component
            .ports
            .iter()
            .any(|p| p["container_port"] == json!(port));
        if exists && !self.is(Fault::DuplicateAccepted) {
            return refusal(409, 20501, "component port already exists", "端口已存在");
        }
        let mut new = Map::new();
        new.insert("port_alias".into(), json!(alias));
        new.insert("protocol".into(), json!(protocol));
        new.insert("container_port".into(), json!(port));
        new.insert("mapping_port".into(), json!(port));
        new.insert("lb_mapping_port".into(), json!(0));
        new.insert("is_outer_service".into(), json!(false));
        new.insert("is_inner_service".into(), json!(inner));
        let bean = self.wire(&new, &component.k8s_service_name);
        component.ports.push(new);
        let mut reply = success(bean, Vec::new());
        if self.is(Fault::CreatedStatus) {
            reply.status = 201;
        }
        reply
    }

    fn update(&self, component: &mut Component, port: &str, call: &Call) -> Reply {
        let body = match call.json() {
            Ok(body) => body.unwrap_or_else(|| json!({})),
            Err(()) => return invalid(Map::new()),
        };
        let mut errors = Map::new();
        let action = body.get("action").and_then(Value::as_str).unwrap_or("");
        if !ACTIONS.contains(&action) {
            let message = if body.get("action").is_none() {
                "该字段是必填项。".to_string()
            } else {
                format!("“{action}” 不是合法选项。")
            };
            field_error(&mut errors, "action", &message);
        }
        let protocol = match body.get("protocol") {
            None | Some(Value::Null) => "http",
            Some(Value::String(p)) if PROTOCOLS.contains(&p.as_str()) => p.as_str(),
            Some(other) => {
                field_error(
                    &mut errors,
                    "protocol",
                    &format!("“{other}” 不是合法选项。"),
                );
                "http"
            }
        };
        if !errors.is_empty() {
            return invalid(errors);
        }
        let number = port.parse::<i64>().ok();
        let Some(index) = component
            .ports
            .iter()
            .position(|p| number.is_some_and(|n| p["container_port"] == json!(n)))
        else {
            return refusal(
                404,
                20404,
                "component port does not exist",
                "组件端口不存在",
            );
        };
        let mut changed = component.ports[index].clone();
        let flag = |p: &Map<String, Value>, key: &str| p[key].as_bool().unwrap_or(false);
        match action {
            "open_outer" | "only_open_outer" => {
                if action == "open_outer" && !flag(&changed, "is_inner_service") {
                    return refusal(404, 20404, "inner port is not open", "请先开启对内服务");
                }
                if !self.is(Fault::OuterNeverSet) {
                    changed.insert("is_outer_service".into(), json!(true));
                }
                changed.insert("lb_mapping_port".into(), json!(self.gateway_port()));
            }
            "close_outer" => {
                changed.insert("is_outer_service".into(), json!(false));
            }
            "open_inner" => {
                if changed["port_alias"].as_str().unwrap_or("").is_empty() {
                    return refusal(409, 20409, "port alias is empty", "请先设置端口别名");
                }
                let container = changed["container_port"].clone();
                changed.insert("is_inner_service".into(), json!(true));
                changed.insert("mapping_port".into(), container);
            }
            "close_inner" => {
                if flag(&changed, "is_outer_service") {
                    return refusal(409, 20409, "outer service still open", "请先关闭对外服务");
                }
                changed.insert("is_inner_service".into(), json!(false));
            }
            "change_protocol" => {
                if protocol != "http" && flag(&changed, "is_outer_service") {
                    return refusal(
                        400,
                        20400,
                        "protocol can not change",
                        "对外服务开启时不能修改协议",
                    );
                }
                changed.insert("protocol".into(), json!(protocol));
            }
            _ => {
                if let Err(reply) = self.rename(component, index, &body, &mut changed) {
                    return reply;
                }
            }
        }
        component.ports[index] = changed;
        success(
            self.wire(&component.ports[index], &component.k8s_service_name),
            Vec::new(),
        )
    }

    /// `change_port_alias`: a new alias (and maybe a shared `k8s_service_name`).
    fn rename(
        &self,
        component: &mut Component,
        index: usize,
        body: &Value,
        changed: &mut Map<String, Value>,
    ) -> Result<(), Reply> {
        let alias = body.get("port_alias").and_then(Value::as_str).unwrap_or("");
        if alias.is_empty() {
            return Err(refusal(400, 20400, "port alias is empty", "端口别名为空"));
        }
        if !alias_is_valid(alias) {
            return Err(refusal(
                400,
                20410,
                "invalid port alias",
                "端口别名格式错误",
            ));
        }
        let taken = component
            .ports
            .iter()
            .enumerate()
            .any(|(i, p)| i != index && p["port_alias"] == json!(alias));
        if taken {
            return Err(refusal(400, 20411, "port alias taken", "端口别名已被使用"));
        }
        if let Some(name) = body.get("k8s_service_name").and_then(Value::as_str) {
            if !k8s_name_is_valid(name) {
                return Err(refusal(
                    400,
                    20412,
                    "invalid k8s service name",
                    "服务名称不合法",
                ));
            }
            if self.is(Fault::K8sNameNotShared) {
                changed.insert("k8s_service_name".into(), json!(name));
            } else {
                component.k8s_service_name = name.to_string();
            }
        }
        changed.insert("port_alias".into(), json!(alias));
        Ok(())
    }

    fn delete(&self, component: &mut Component, port: &str) -> Reply {
        let number = port.parse::<i64>().ok();
        let Some(index) = component
            .ports
            .iter()
            .position(|p| number.is_some_and(|n| p["container_port"] == json!(n)))
        else {
            return refusal(404, 20404, "port not found", "端口不存在");
        };
        let open = |key: &str| component.ports[index][key].as_bool().unwrap_or(false);
        if open("is_inner_service") {
            return refusal(409, 20409, "inner service open", "请先关闭对内服务");
        }
        if open("is_outer_service") {
            return refusal(409, 20409, "outer service open", "请先关闭对外服务");
        }
        let removed = component.ports.remove(index);
        success(self.wire(&removed, &component.k8s_service_name), Vec::new())
    }
}

#[test]
fn rainbond_suite_passes_against_an_independent_console() {
    assert_suite_passes(SUITE, SPEC, Rainbond::new(Fault::None), ACCESS_KEY);
}

#[rstest]
#[case::renamed_field(Fault::RenamedField, "rainbond.listPorts")]
#[case::port_as_string(Fault::PortAsString, "rainbond.addPort")]
#[case::created_status(Fault::CreatedStatus, "rainbond.addPort")]
#[case::outer_never_set(Fault::OuterNeverSet, "rainbond.updatePort")]
#[case::duplicate_accepted(Fault::DuplicateAccepted, "rainbond.addPort")]
#[case::auth_not_checked(Fault::AuthNotChecked, "rainbond.listPorts")]
#[case::unwrapped(Fault::Unwrapped, "rainbond.listPorts")]
#[case::alias_separated(Fault::AliasSeparated, "rainbond.addPort")]
#[case::k8s_name_not_shared(Fault::K8sNameNotShared, "rainbond.listPorts")]
fn rainbond_fault_fails_the_suite(#[case] fault: Fault, #[case] operation: &str) {
    assert_fault_caught(SUITE, SPEC, Rainbond::new(fault), ACCESS_KEY, operation);
}

#[test]
fn rainbond_fixtures_pull_writes_the_fakes_components_and_the_mock_lists_them_alike() {
    // Arrange
    let fake = start_fake(Rainbond::new(Fault::None));
    let seed: Value = serde_json::from_str(include_str!("rainbond.json")).expect("seed JSON");
    let fields = [
        "container_port",
        "lb_mapping_port",
        "protocol",
        "port_alias",
        "is_inner_service",
        "is_outer_service",
    ];
    let component = |id: &str| -> (i64, Value) {
        let c = seed["components"]
            .as_array()
            .expect("components")
            .iter()
            .find(|c| c["id"] == id)
            .expect("a component of the fake");
        let ports: Vec<Value> = c["ports"]
            .as_array()
            .expect("ports")
            .iter()
            .map(|p| {
                fields
                    .iter()
                    .map(|f| (f.to_string(), p[*f].clone()))
                    .collect()
            })
            .collect();
        (
            c["app"].as_i64().expect("app"),
            json!({"service_id": id, "k8s_service_name": c["k8s_service_name"], "ports": ports}),
        )
    };

    // Act
    let pulled = pull(SUITE, SPEC, &fake, ACCESS_KEY, &[]);

    // Assert
    assert_eq!(pulled.cli.code, 0, "{}", pulled.shown());
    let team = &pulled.fixtures["rainbond"]["teams"][0];
    assert_eq!(team["tenant_id"], seed["team"], "{}", pulled.shown());
    let region = &team["regions"][0];
    assert_eq!(region["region_name"], seed["region"]);
    let mut mirrored: Vec<(i64, Value)> = Vec::new();
    for app in region["apps"].as_array().expect("apps") {
        for c in app["components"].as_array().expect("components") {
            let mut c = c.clone();
            c.as_object_mut()
                .expect("a component")
                .remove("service_alias");
            mirrored.push((app["app_id"].as_i64().expect("app id"), c));
        }
    }
    let named = [
        "c3a1f29e60b84d7f9a2e5b7c1d0f4e88",
        "c3a1f29e60b84d7f9a2e5b7c1d0f4e99",
        "5b90e7d2c4a14f6e8d3b2a1c0f9e8d77",
    ];
    assert_eq!(
        mirrored,
        named.map(component).to_vec(),
        "{}",
        pulled.shown()
    );
    let path = format!(
        "/openapi/v1/teams/{}/regions/{}/apps/301/services/{}/ports",
        seed["team"].as_str().unwrap(),
        seed["region"].as_str().unwrap(),
        named[0]
    );
    let (live, mocked) = fake_and_mock_answers(
        &pulled,
        &fake,
        ACCESS_KEY,
        &path,
        ("authorization", ACCESS_KEY),
    );
    assert_eq!(mocked["data"], live["data"]);
}

fn faithful_fidelity() -> &'static crate::mirror::Fidelity {
    static RUN: std::sync::OnceLock<crate::mirror::Fidelity> = std::sync::OnceLock::new();
    RUN.get_or_init(|| fidelity(SUITE, SPEC, Rainbond::new(Fault::None), ACCESS_KEY, &[]))
}

#[test]
fn rainbond_fidelity_mirrors_the_fake_and_compares_like_with_like() {
    faithful_fidelity().assert_like_with_like("rainbond");
}

#[rstest]
#[case::renamed_field(Fault::RenamedField)]
#[case::port_as_string(Fault::PortAsString)]
#[case::created_status(Fault::CreatedStatus)]
#[case::outer_never_set(Fault::OuterNeverSet)]
#[case::duplicate_accepted(Fault::DuplicateAccepted)]
#[case::auth_not_checked(Fault::AuthNotChecked)]
#[case::unwrapped(Fault::Unwrapped)]
#[case::alias_separated(Fault::AliasSeparated)]
#[case::k8s_name_not_shared(Fault::K8sNameNotShared)]
fn rainbond_fault_is_a_new_fidelity_difference(#[case] fault: Fault) {
    fidelity(SUITE, SPEC, Rainbond::new(fault), ACCESS_KEY, &[])
        .assert_fault_is_new("rainbond", faithful_fidelity());
}
