//! Proving vouch detects drift (issue 4): small fake vendors on 127.0.0.1
//! (axum servers written here, not vouch's own mock) each break their
//! contract in exactly one way. Running the focused scenarios of
//! `tests/drift/scenarios/` against such a fake with the real CLI
//! (`vouch run --base-url`) must exit 1 with a JSON report that names the
//! operation and the JSON pointer or rule revealing the drift. The faithful
//! fakes must pass, the same scenarios must pass against the built-in mock,
//! an unreachable target is exit 3 (not a contract failure), and the token
//! never shows up in a report or on the terminal.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "support/fake_server.rs"]
mod fake_server;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use fake_server::FakeServer;
use rstest::rstest;
use serde_json::{Value, json};

/// The credential both fakes expect (`X-Auth-Token` for APIG, a raw `Authorization` for Rainbond).
const TOKEN: &str = "drift-secret-3c9e51f0a7d2";
/// No run may take longer than this (a hung run fails the test instead of hanging it).
const RUN_DEADLINE: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// The fakes
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vendor {
    HuaweiApig,
    Rainbond,
}

impl Vendor {
    fn dir(self) -> &'static str {
        match self {
            Vendor::HuaweiApig => "huawei-apig",
            Vendor::Rainbond => "rainbond",
        }
    }

    fn seed(self) -> Value {
        let text = match self {
            Vendor::HuaweiApig => include_str!("drift/fakes/huawei-apig.json"),
            Vendor::Rainbond => include_str!("drift/fakes/rainbond.json"),
        };
        serde_json::from_str(text).expect("fake seed data is JSON")
    }
}

/// The one way a fake breaks its contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drift {
    /// Answers exactly per the spec for every exchange the scenarios make.
    Faithful,
    /// A port field goes by another name (APIG `ingress_port` -> `port`,
    /// Rainbond `is_outer_service` -> `is_over_service`, the document's typo).
    RenamedField,
    /// APIG `ingress_port` is sent as a string ("8080").
    WrongType,
    /// The APIG list leaves out the required `total`.
    MissingField,
    /// The add answers with another success status (APIG 200 for 201, Rainbond 201 for 200).
    WrongStatus,
    /// The APIG list is sent as `text/plain`.
    WrongContentType,
    /// The add answers with the new port, but does not keep it.
    StateNotKept,
    /// The APIG add accepts a port outside 1024..49151.
    ValidationSkipped,
    /// A request without a credential is served.
    AuthNotEnforced,
    /// Errors in another envelope (APIG `{"error":{"code","message"}}`,
    /// Rainbond's 401 as DRF's bare `{"detail"}`).
    WrongErrorEnvelope,
    /// Rainbond success bodies without the console envelope (bare ports, as the document shows them).
    Unwrapped,
}

/// What a fake holds.
struct FakeState {
    vendor: Vendor,
    drift: Drift,
    seed: Value,
    ports: Mutex<Vec<Value>>,
    next_id: AtomicUsize,
}

/// Serves `vendor`, drifting by `drift`, on 127.0.0.1 until the returned server is dropped.
fn start_fake(vendor: Vendor, drift: Drift) -> FakeServer {
    let seed = vendor.seed();
    let key = match vendor {
        Vendor::HuaweiApig => "ingress_ports",
        Vendor::Rainbond => "ports",
    };
    let ports = seed[key].as_array().cloned().unwrap_or_default();
    let state = Arc::new(FakeState {
        vendor,
        drift,
        seed,
        ports: Mutex::new(ports),
        next_id: AtomicUsize::new(1),
    });
    FakeServer::start(Router::new().fallback(handle).with_state(state))
}

/// A fake's answer.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Option<Value>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: Some(body),
        }
    }

    fn empty(status: u16) -> Reply {
        Reply {
            status,
            content_type: "",
            body: None,
        }
    }

    fn into_response(self) -> Response {
        let builder = Response::builder().status(self.status);
        match self.body {
            Some(body) => builder
                .header("content-type", self.content_type)
                .body(Body::from(serde_json::to_vec(&body).unwrap_or_default())),
            None => builder.body(Body::empty()),
        }
        .expect("a valid response")
    }
}

async fn handle(State(fake): State<Arc<FakeState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let reply = match fake.vendor {
        Vendor::HuaweiApig => fake.apig(&parts.method, &path, &query, &parts.headers, &body),
        Vendor::Rainbond => fake.rainbond(&parts.method, &path, &parts.headers, &body),
    };
    reply.into_response()
}

/// `a=1&b=2` as pairs (the scenarios' values need no percent-decoding).
fn query_pairs(query: &str) -> Vec<(&str, &str)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect()
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Huawei Cloud APIG custom ingress ports (`specs/huawei-apig.yaml`).
impl FakeState {
    fn is(&self, drift: Drift) -> bool {
        self.drift == drift
    }

    fn apig_error(&self, status: u16, code: &str, message: &str) -> Reply {
        let body = if self.is(Drift::WrongErrorEnvelope) {
            json!({"error": {"code": code, "message": message}})
        } else {
            json!({"error_code": code, "error_msg": message})
        };
        Reply::json(status, body)
    }

    fn apig_bad_param(&self, name: &str) -> Reply {
        self.apig_error(
            400,
            "APIC.7211",
            &format!("Parameter value does not match the rules, parameter name[{name}]"),
        )
    }

    /// A port as the fake puts it on the wire.
    fn apig_port(&self, port: &Value) -> Value {
        let mut port = port.clone();
        let object = port.as_object_mut().expect("ports are objects");
        if self.is(Drift::RenamedField)
            && let Some(number) = object.remove("ingress_port")
        {
            object.insert("port".into(), number);
        }
        if self.is(Drift::WrongType)
            && let Some(number) = object.get_mut("ingress_port")
        {
            *number = Value::String(number.to_string());
        }
        port
    }

    fn apig(
        &self,
        method: &Method,
        path: &str,
        query: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Reply {
        if header(headers, "x-auth-token") != Some(TOKEN) && !self.is(Drift::AuthNotEnforced) {
            return self.apig_error(
                401,
                "APIC.7102",
                "Incorrect token or token resolution failed",
            );
        }
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let (project, instance, port_id) = match segments.as_slice() {
            ["v2", p, "apigw", "instances", i, "custom-ingress-ports"] => (*p, *i, None),
            ["v2", p, "apigw", "instances", i, "custom-ingress-ports", id] => (*p, *i, Some(*id)),
            _ => return self.apig_error(404, "APIC.7300", "API not found"),
        };
        if project != self.seed["project_id"] || instance != self.seed["instance_id"] {
            return self.apig_error(404, "APIC.7302", "Instance not found");
        }
        match (method, port_id) {
            (&Method::GET, None) => self.apig_list(query),
            (&Method::POST, None) => self.apig_add(body),
            (&Method::DELETE, Some(id)) => self.apig_delete(id),
            _ => self.apig_error(404, "APIC.7300", "API not found"),
        }
    }

    fn apig_list(&self, query: &str) -> Reply {
        let (mut offset, mut limit) = (0i64, 20i64);
        let (mut protocol, mut number) = (None, None);
        for (name, value) in query_pairs(query) {
            match name {
                "offset" => match value.parse() {
                    Ok(n) => offset = n,
                    Err(_) => return self.apig_bad_param("offset"),
                },
                "limit" => match value.parse() {
                    Ok(n) => limit = n,
                    Err(_) => return self.apig_bad_param("limit"),
                },
                "protocol" if matches!(value, "HTTP" | "HTTPS") => protocol = Some(value),
                "ingress_port" => match value.parse::<i64>() {
                    Ok(n) if (1024..=49151).contains(&n) => number = Some(n),
                    _ => return self.apig_bad_param("ingress_port"),
                },
                "protocol" => return self.apig_bad_param("protocol"),
                _ => {}
            }
        }
        let offset = usize::try_from(offset.max(0)).unwrap_or(0);
        let limit = usize::try_from(if limit <= 0 { 20 } else { limit.min(500) }).unwrap_or(20);
        let ports = self.ports.lock().expect("ports");
        let matching: Vec<&Value> = ports
            .iter()
            .filter(|p| protocol.is_none_or(|want| p["protocol"] == want))
            .filter(|p| number.is_none_or(|want| p["ingress_port"] == want))
            .collect();
        let page: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|p| self.apig_port(p))
            .collect();
        let mut body =
            json!({"size": page.len(), "total": matching.len(), "ingress_port_infos": page});
        if self.is(Drift::MissingField) {
            body.as_object_mut().expect("object").remove("total");
        }
        let mut reply = Reply::json(200, body);
        if self.is(Drift::WrongContentType) {
            reply.content_type = "text/plain; charset=utf-8";
        }
        reply
    }

    fn apig_add(&self, body: &[u8]) -> Reply {
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return self.apig_bad_param("body");
        };
        let Some(protocol) = body["protocol"]
            .as_str()
            .filter(|p| matches!(*p, "HTTP" | "HTTPS"))
        else {
            return self.apig_bad_param("protocol");
        };
        let Some(number) = body["ingress_port"].as_i64() else {
            return self.apig_bad_param("ingress_port");
        };
        if !(1024..=49151).contains(&number) && !self.is(Drift::ValidationSkipped) {
            return self.apig_bad_param("ingress_port");
        }
        let mut ports = self.ports.lock().expect("ports");
        if ports.iter().any(|p| p["ingress_port"] == number) {
            return self.apig_error(
                400,
                "APIC.7200",
                &format!("The ingress port already exists, ingress_port[{number}]"),
            );
        }
        let id = format!("d71f7{:027x}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let port = json!({
            "protocol": protocol,
            "ingress_port": number,
            "ingress_port_id": id,
            "status": "normal",
        });
        if !self.is(Drift::StateNotKept) {
            ports.push(port.clone());
        }
        let status = if self.is(Drift::WrongStatus) {
            200
        } else {
            201
        };
        Reply::json(status, self.apig_port(&port))
    }

    fn apig_delete(&self, id: &str) -> Reply {
        let mut ports = self.ports.lock().expect("ports");
        match ports.iter().position(|p| p["ingress_port_id"] == id) {
            Some(i) => {
                ports.remove(i);
                Reply::empty(204)
            }
            None => self.apig_error(
                400,
                "APIC.7200",
                &format!("The ingress port does not exist, ingress_port_id[{id}]"),
            ),
        }
    }
}

/// Rainbond console component ports (`specs/rainbond.yaml`).
impl FakeState {
    /// The console envelope around a success body.
    fn rb_success(&self, status: u16, msg_show: &str, bean: Value, list: Vec<Value>) -> Reply {
        if self.is(Drift::Unwrapped) {
            let bare = if bean.as_object().is_some_and(|b| b.is_empty()) {
                Value::Array(list)
            } else {
                bean
            };
            return Reply::json(status, bare);
        }
        Reply::json(
            status,
            json!({"code": 200, "msg": "success", "msg_show": msg_show, "data": {"bean": bean, "list": list}}),
        )
    }

    fn rb_error(&self, status: u16, code: u16, msg: &str, msg_show: &str) -> Reply {
        Reply::json(
            status,
            json!({"code": code, "msg": msg, "msg_show": msg_show, "data": {"bean": {}, "list": []}}),
        )
    }

    fn rb_validation(&self, field: &str, message: &str) -> Reply {
        Reply::json(
            400,
            json!({
                "detail": format!("{field}: {message}"),
                "err": {field: [message]},
                "code": 20400,
                "error_type": "ValidationError",
            }),
        )
    }

    fn rb_port(&self, port: &Value) -> Value {
        let mut port = port.clone();
        let object = port.as_object_mut().expect("ports are objects");
        if self.is(Drift::RenamedField)
            && let Some(open) = object.remove("is_outer_service")
        {
            object.insert("is_over_service".into(), open);
        }
        port
    }

    fn rainbond(&self, method: &Method, path: &str, headers: &HeaderMap, body: &[u8]) -> Reply {
        if header(headers, "authorization") != Some(TOKEN) && !self.is(Drift::AuthNotEnforced) {
            let body = if self.is(Drift::WrongErrorEnvelope) {
                json!({"detail": "Authentication credentials were not provided."})
            } else {
                json!({
                    "detail": "No token",
                    "code": 401,
                    "msg": "No token",
                    "msg_show": "No token",
                    "error_type": "AuthenticationFailed",
                })
            };
            return Reply::json(401, body);
        }
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let [
            "openapi",
            "v1",
            "teams",
            team,
            "regions",
            region,
            "apps",
            app,
            "services",
            service,
            "ports",
            rest @ ..,
        ] = segments.as_slice()
        else {
            return self.rb_error(404, 404, "not found", "资源不存在");
        };
        let seed = &self.seed;
        if *team != seed["team_id"]
            || *region != seed["region_name"]
            || *app != seed["app_id"]
            || *service != seed["service_id"]
        {
            return self.rb_error(
                404,
                404,
                "component not belong to this app",
                "组件不属于指定应用",
            );
        }
        match (method, rest) {
            (&Method::GET, []) => {
                let ports = self.ports.lock().expect("ports");
                let list = ports.iter().map(|p| self.rb_port(p)).collect();
                self.rb_success(200, "查询成功", json!({}), list)
            }
            (&Method::POST, []) => self.rb_add(body),
            (&Method::DELETE, [port]) => self.rb_delete(port),
            _ => self.rb_error(404, 404, "not found", "资源不存在"),
        }
    }

    fn rb_add(&self, body: &[u8]) -> Reply {
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let Some(number) = body["port"].as_i64() else {
            return self.rb_validation("port", "A valid integer is required.");
        };
        let Some(inner) = body["is_inner_service"].as_bool() else {
            return self.rb_validation("is_inner_service", "This field is required.");
        };
        let protocol = match body.get("protocol") {
            None => "http",
            Some(Value::String(p))
                if ["http", "tcp", "udp", "mysql", "grpc"].contains(&p.as_str()) =>
            {
                p
            }
            Some(Value::Null) => return self.rb_error(400, 400, "params error", "缺少协议参数"),
            Some(other) => {
                return self.rb_validation("protocol", &format!("{other} is not a valid choice."));
            }
        };
        let mut ports = self.ports.lock().expect("ports");
        if ports.iter().any(|p| p["container_port"] == number) {
            return self.rb_error(409, 20501, "component port already exists", "端口已存在");
        }
        if number == 0 {
            return self.rb_error(400, 400, "params error", "缺少端口参数");
        }
        if !(1..=65535).contains(&number) {
            return self.rb_error(
                412,
                412,
                "component port out of range",
                "端口必须为1到65535的整数",
            );
        }
        let alias_prefix = self.seed["service_alias"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_uppercase()
            .replace('-', "_");
        let alias = body["port_alias"]
            .as_str()
            .map_or_else(|| format!("{alias_prefix}{number}"), str::to_string);
        let port = json!({
            "container_port": number,
            "mapping_port": number,
            "lb_mapping_port": 0,
            "protocol": protocol,
            "port_alias": alias,
            "is_inner_service": inner,
            "is_outer_service": false,
            "k8s_service_name": self.seed["service_alias"],
        });
        if !self.is(Drift::StateNotKept) {
            ports.push(port.clone());
        }
        let status = if self.is(Drift::WrongStatus) {
            201
        } else {
            200
        };
        self.rb_success(status, "添加成功", self.rb_port(&port), Vec::new())
    }

    fn rb_delete(&self, port: &str) -> Reply {
        let mut ports = self.ports.lock().expect("ports");
        let found = port
            .parse::<i64>()
            .ok()
            .and_then(|n| ports.iter().position(|p| p["container_port"] == n));
        let Some(i) = found else {
            return self.rb_error(404, 404, "port not found", &format!("端口{port}不存在"));
        };
        if ports[i]["is_inner_service"] == true {
            return self.rb_error(409, 409, "can not delete inner port", "请关闭对内服务");
        }
        if ports[i]["is_outer_service"] == true {
            return self.rb_error(409, 409, "can not delete outer port", "请关闭对外服务");
        }
        let removed = ports.remove(i);
        self.rb_success(200, "删除成功", self.rb_port(&removed), Vec::new())
    }
}

// ---------------------------------------------------------------------------
// Running the CLI
// ---------------------------------------------------------------------------

/// `tests/drift/`, where the CLI runs (so scenario ids are `<vendor>/<name>`).
fn drift_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("drift")
}

/// Every scenario of a vendor, as `<vendor>/<name>`, sorted.
fn scenarios_of(vendor: Vendor) -> Vec<String> {
    let dir = drift_dir().join("scenarios").join(vendor.dir());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            if path.extension()? != "yaml" {
                return None;
            }
            Some(format!("{}/{}", vendor.dir(), path.file_stem()?.to_str()?))
        })
        .collect();
    names.sort();
    names
}

/// One `vouch run`, finished.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    report_text: String,
    report: Value,
}

/// Runs `vouch run` on `scenarios` (`<vendor>/<name>`, or `""` for all), against
/// `base_url` or (without one) the built-in mock, with a JSON report.
fn vouch(scenarios: &[&str], base_url: Option<&str>) -> Run {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "drift-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let report = dir.join("report.json");
    let stdout = dir.join("stdout.txt");
    let stderr = dir.join("stderr.txt");
    let mut command = Command::new(env!("CARGO_BIN_EXE_vouch"));
    command.current_dir(drift_dir()).arg("run");
    for s in scenarios {
        command.arg(if s.is_empty() {
            "scenarios".to_string()
        } else {
            format!("scenarios/{s}.yaml")
        });
    }
    command
        .arg("--report")
        .arg(format!("json={}", report.display()))
        .args(["--timeout", "5"]);
    if let Some(url) = base_url {
        // One fake is one shared, stateful target: scenarios that compare a whole list
        // before and after must not see another scenario's port, so they run one at a time.
        command.args(["--base-url", url, "--allow-destructive", "--jobs", "1"]);
    }
    // Nothing from the caller's environment steers the run: no base URL, no other token.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("VOUCH_") {
            command.env_remove(name);
        }
    }
    command
        .env("VOUCH_TOKEN", TOKEN)
        .env("CI", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr).expect("stderr file"));
    let mut child = command.spawn().expect("run the vouch binary");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for vouch") {
            break status;
        }
        if started.elapsed() > RUN_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("vouch run {scenarios:?} took more than {RUN_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let (stdout, stderr, report_text) = (read(&stdout), read(&stderr), read(&report));
    let report = serde_json::from_str(&report_text)
        .unwrap_or_else(|e| panic!("no JSON report ({e}); stdout:\n{stdout}\nstderr:\n{stderr}"));
    let _ = std::fs::remove_dir_all(&dir);
    Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
        report_text,
        report,
    }
}

impl Run {
    fn findings(&self) -> Vec<&Value> {
        self.steps()
            .into_iter()
            .flat_map(|s| s["findings"].as_array().into_iter().flatten())
            .collect()
    }

    fn steps(&self) -> Vec<&Value> {
        self.report["scenarios"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s["steps"].as_array().into_iter().flatten())
            .collect()
    }

    fn summary(&self, field: &str) -> u64 {
        self.report["summary"][field].as_u64().unwrap_or(u64::MAX)
    }

    /// Every finding, one a line, for failure messages.
    fn shown(&self) -> String {
        let findings: Vec<String> = self
            .findings()
            .iter()
            .map(|f| {
                format!(
                    "  {} {} at `{}`: expected {} / actual {}",
                    f["operation"].as_str().unwrap_or("?"),
                    f["rule"].as_str().unwrap_or("?"),
                    f["pointer"].as_str().unwrap_or("?"),
                    f["expected"],
                    f["actual"]
                )
            })
            .collect();
        format!(
            "exit {}\nfindings:\n{}\nstdout:\n{}\nstderr:\n{}",
            self.code,
            findings.join("\n"),
            self.stdout,
            self.stderr
        )
    }

    fn assert_no_secret(&self) {
        for (what, text) in [
            ("JSON report", &self.report_text),
            ("stdout", &self.stdout),
            ("stderr", &self.stderr),
        ] {
            assert!(!text.contains(TOKEN), "the token appears in the {what}");
        }
    }
}

/// A finding the report must hold.
#[derive(Debug)]
struct Want {
    operation: &'static str,
    rule: &'static str,
    pointer: &'static str,
    /// A word its expected or actual text must contain.
    mentions: Option<&'static str>,
}

fn want(operation: &'static str, rule: &'static str, pointer: &'static str) -> Want {
    Want {
        operation,
        rule,
        pointer,
        mentions: None,
    }
}

impl Want {
    fn mentioning(self, word: &'static str) -> Want {
        Want {
            mentions: Some(word),
            ..self
        }
    }

    fn matches(&self, finding: &Value) -> bool {
        let text = |k: &str| finding[k].as_str().unwrap_or_default().to_string();
        text("operation") == self.operation
            && text("rule") == self.rule
            && text("pointer") == self.pointer
            && self
                .mentions
                .is_none_or(|w| text("expected").contains(w) || text("actual").contains(w))
    }
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

const APIG_ADD: &str = "huawei-apig.addIngressPort";
const APIG_LIST: &str = "huawei-apig.listIngressPorts";
const RB_ADD: &str = "rainbond.addPort";
const RB_LIST: &str = "rainbond.listPorts";

const APIG_STATEFUL: &str = "huawei-apig/add-list-delete";
const APIG_RANGE: &str = "huawei-apig/out-of-range-refused";
const APIG_AUTH: &str = "huawei-apig/missing-token";
const RB_STATEFUL: &str = "rainbond/add-list-delete";
const RB_AUTH: &str = "rainbond/missing-key";

#[rstest]
#[case::apig_renamed_field(Vendor::HuaweiApig, Drift::RenamedField, &[APIG_STATEFUL],
    &[want(APIG_LIST, "schema", "/ingress_port_infos/0").mentioning("\"ingress_port\"")])]
#[case::apig_wrong_type(Vendor::HuaweiApig, Drift::WrongType, &[APIG_STATEFUL],
    &[want(APIG_LIST, "schema", "/ingress_port_infos/0/ingress_port").mentioning("integer")])]
#[case::apig_missing_field(Vendor::HuaweiApig, Drift::MissingField, &[APIG_STATEFUL],
    &[want(APIG_LIST, "schema", "").mentioning("\"total\""), want(APIG_LIST, "expectation", "/total")])]
#[case::apig_wrong_status(Vendor::HuaweiApig, Drift::WrongStatus, &[APIG_STATEFUL],
    &[want(APIG_ADD, "undeclared-status", "").mentioning("200"), want(APIG_ADD, "status", "").mentioning("201")])]
#[case::apig_wrong_content_type(Vendor::HuaweiApig, Drift::WrongContentType, &[APIG_STATEFUL],
    &[want(APIG_LIST, "content-type", "").mentioning("text/plain")])]
#[case::apig_state_not_kept(Vendor::HuaweiApig, Drift::StateNotKept, &[APIG_STATEFUL],
    &[want(APIG_LIST, "expectation", "/total"), want(APIG_LIST, "expectation", "/ingress_port_infos/0/ingress_port_id")])]
#[case::apig_validation_skipped(Vendor::HuaweiApig, Drift::ValidationSkipped, &[APIG_RANGE],
    &[want(APIG_ADD, "status", "").mentioning("400"), want(APIG_ADD, "schema", "/ingress_port").mentioning("49151")])]
#[case::apig_auth_not_enforced(Vendor::HuaweiApig, Drift::AuthNotEnforced, &[APIG_AUTH],
    &[want(APIG_LIST, "status", "").mentioning("401")])]
#[case::apig_wrong_error_envelope(Vendor::HuaweiApig, Drift::WrongErrorEnvelope, &[APIG_AUTH, APIG_RANGE],
    &[want(APIG_LIST, "schema", "").mentioning("\"error_code\""), want(APIG_ADD, "schema", "").mentioning("\"error_code\"")])]
#[case::rainbond_renamed_field(Vendor::Rainbond, Drift::RenamedField, &[RB_STATEFUL],
    &[want(RB_LIST, "schema", "/data/list/0").mentioning("\"is_outer_service\"")])]
#[case::rainbond_wrong_status(Vendor::Rainbond, Drift::WrongStatus, &[RB_STATEFUL],
    &[want(RB_ADD, "undeclared-status", "").mentioning("201"), want(RB_ADD, "status", "").mentioning("201")])]
#[case::rainbond_state_not_kept(Vendor::Rainbond, Drift::StateNotKept, &[RB_STATEFUL],
    &[want(RB_LIST, "expectation", "$.data.list[*].container_port").mentioning("18090")])]
#[case::rainbond_wrong_error_envelope(Vendor::Rainbond, Drift::WrongErrorEnvelope, &[RB_AUTH],
    &[want(RB_LIST, "schema", "").mentioning("\"error_type\""), want(RB_LIST, "expectation", "/error_type")])]
#[case::rainbond_unwrapped(Vendor::Rainbond, Drift::Unwrapped, &[RB_STATEFUL],
    &[want(RB_LIST, "schema", "").mentioning("\"object\""), want(RB_LIST, "expectation", "/code")])]
fn drift_is_detected(
    #[case] vendor: Vendor,
    #[case] drift: Drift,
    #[case] scenarios: &[&str],
    #[case] wants: &[Want],
) {
    let fake = start_fake(vendor, drift);
    let run = vouch(scenarios, Some(&fake.url));
    assert_eq!(
        run.code,
        1,
        "{drift:?} must fail with findings\n{}",
        run.shown()
    );
    assert!(run.summary("failed") >= 1, "{}", run.shown());
    assert_eq!(run.summary("unreachable"), 0, "{}", run.shown());
    for w in wants {
        assert!(
            run.findings().iter().any(|f| w.matches(f)),
            "{drift:?}: no finding {w:?}\n{}",
            run.shown()
        );
    }
    run.assert_no_secret();
}

#[rstest]
#[case::huawei_apig(Vendor::HuaweiApig)]
#[case::rainbond(Vendor::Rainbond)]
fn faithful_fake_passes(#[case] vendor: Vendor) {
    let scenarios = scenarios_of(vendor);
    assert!(
        scenarios.len() >= 2,
        "scenarios for {vendor:?}: {scenarios:?}"
    );
    let names: Vec<&str> = scenarios.iter().map(String::as_str).collect();
    let fake = start_fake(vendor, Drift::Faithful);
    let run = vouch(&names, Some(&fake.url));
    assert_eq!(run.code, 0, "the faithful fake must pass\n{}", run.shown());
    assert_eq!(run.summary("passed"), names.len() as u64, "{}", run.shown());
    assert!(run.findings().is_empty(), "{}", run.shown());
    // The credential was sent (redacted in the report), so auth was really exercised.
    assert!(
        run.report_text.contains("[secret]"),
        "no redacted credential in the report"
    );
    run.assert_no_secret();
}

#[test]
fn drift_scenarios_pass_against_the_builtin_mock() {
    let total = scenarios_of(Vendor::HuaweiApig).len() + scenarios_of(Vendor::Rainbond).len();
    let run = vouch(&[""], None);
    assert_eq!(run.code, 0, "{}", run.shown());
    assert_eq!(run.summary("passed"), total as u64, "{}", run.shown());
    assert_eq!(run.summary("skipped"), 0, "{}", run.shown());
    run.assert_no_secret();
}

#[test]
fn unreachable_target_is_exit_3_not_a_contract_failure() {
    // A port that was just free and is closed now: connections are refused.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let url = format!("http://127.0.0.1:{closed}");
    let run = vouch(&[APIG_AUTH, RB_AUTH], Some(&url));
    assert_eq!(run.code, 3, "{}", run.shown());
    assert_eq!(run.summary("unreachable"), 2, "{}", run.shown());
    assert_eq!(run.summary("failed"), 0, "{}", run.shown());
    assert!(
        run.findings().is_empty(),
        "no contract findings\n{}",
        run.shown()
    );
    for scenario in run.report["scenarios"].as_array().expect("scenarios") {
        assert_eq!(scenario["verdict"], "unreachable", "{}", run.shown());
    }
    assert!(
        run.steps()
            .iter()
            .any(|s| s["error"]["kind"] == "unreachable"),
        "{}",
        run.shown()
    );
    let terminal = format!("{}{}", run.stdout, run.stderr).to_lowercase();
    assert!(terminal.contains("unreachable"), "{}", run.shown());
    run.assert_no_secret();
}
