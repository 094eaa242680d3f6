//! An independent Alaya NeW CCI (open ports), from the vendor notes, which
//! know only the document: `Authorization: Bearer <API key>`, the envelope
//! `{status, message, data}` with the HTTP status matching, system `ports`
//! and user `customPorts`, and opening and closing a custom port. Every
//! refusal status is this fake's own guess (403 for a bad key, as the
//! document's only error example; 400 for bad input; 404 for an unknown
//! instance or a port that is not open). Errors carry `data: {}`, as the
//! document's two error examples (403, 500) show.

use std::sync::Mutex;

use axum::http::Method;
use rstest::rstest;
use serde_json::{Value, json};

use crate::harness::{Call, Reply, Vendor, assert_fault_caught, assert_suite_passes, start_fake};
use crate::mirror::{fake_and_mock_answers, fidelity, pull};

const SUITE: &str = "alaya-cci";
const SPEC: &str = "alaya-cci";
/// The API key the fake accepts.
const API_KEY: &str = "ak-staging-8d41c0e2b7f94a63";

/// One way the fake breaks the notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// The list's custom ports are called `custom_ports`.
    RenamedField,
    /// The open answers 200 but the port is never listed.
    OpenNotKept,
    /// Any key (or none) is served.
    AuthNotChecked,
    /// A system port can be closed.
    SystemPortClosable,
    /// The list's `status` is the string "200".
    StatusAsString,
}

struct Instance {
    id: String,
    host: String,
    ports: Vec<Value>,
    custom: Vec<Value>,
}

pub struct AlayaCci {
    fault: Fault,
    instances: Mutex<Vec<Instance>>,
    next_external: Mutex<i64>,
}

impl AlayaCci {
    pub fn new(fault: Fault) -> AlayaCci {
        let seed: Value = serde_json::from_str(include_str!("alaya-cci.json")).expect("seed JSON");
        let list = |v: &Value| v.as_array().expect("an array").clone();
        let instances = seed["instances"]
            .as_array()
            .expect("instances")
            .iter()
            .map(|i| Instance {
                id: i["id"].as_str().expect("id").to_string(),
                host: i["externalHost"].as_str().expect("host").to_string(),
                ports: list(&i["ports"]),
                custom: list(&i["customPorts"]),
            })
            .collect();
        AlayaCci {
            fault,
            instances: Mutex::new(instances),
            next_external: Mutex::new(47_100),
        }
    }

    fn is(&self, fault: Fault) -> bool {
        self.fault == fault
    }
}

fn refused(status: u16, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({"status": status, "message": message, "data": {}}),
    )
}

fn ok(data: Value) -> Reply {
    Reply::json(
        200,
        &json!({"status": 200, "message": "success", "data": data}),
    )
}

/// A port number in 1..65535 from a JSON body.
fn port_of(body: &Value) -> Option<i64> {
    body.get("port")
        .and_then(Value::as_i64)
        .filter(|p| (1..=65535).contains(p))
}

impl Vendor for AlayaCci {
    fn answer(&self, call: &Call) -> Reply {
        let key = call
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "));
        if key != Some(API_KEY) && !self.is(Fault::AuthNotChecked) {
            return refused(403, "access denied: invalid api key");
        }
        let segments = call.segments();
        let (id, action) = match segments.as_slice() {
            ["v1", "cci", "instance", id, "open-port", "list"] => (*id, "list"),
            ["v1", "cci", "instance", id, "open-port"] => (*id, "open"),
            ["v1", "cci", "instance", id, "close-port"] => (*id, "close"),
            _ => return refused(404, "no such api"),
        };
        let mut instances = self.instances.lock().expect("instances");
        let Some(instance) = instances.iter_mut().find(|i| i.id == id) else {
            return refused(404, "instance does not exist");
        };
        let body = call.json().ok().flatten().unwrap_or(Value::Null);
        match (&call.method, action) {
            (&Method::GET, "list") => self.list(instance),
            (&Method::POST, "open") => self.open(instance, &body),
            (&Method::POST, "close") => self.close(instance, &body),
            _ => refused(405, "method not allowed"),
        }
    }
}

impl AlayaCci {
    fn list(&self, instance: &Instance) -> Reply {
        let key = if self.is(Fault::RenamedField) {
            "custom_ports"
        } else {
            "customPorts"
        };
        let status = if self.is(Fault::StatusAsString) {
            json!("200")
        } else {
            json!(200)
        };
        Reply::json(
            200,
            &json!({"status": status, "message": "success", "data": {"ports": instance.ports, key: instance.custom}}),
        )
    }

    fn open(&self, instance: &mut Instance, body: &Value) -> Reply {
        let Some(protocol) = body
            .get("protocol")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())
        else {
            return refused(400, "protocol is required");
        };
        let Some(port) = port_of(body) else {
            return refused(400, "port must be between 1 and 65535");
        };
        let taken = instance.ports.iter().chain(&instance.custom);
        if taken.clone().any(|p| p["port"] == port) {
            return refused(400, "port is already open");
        }
        let external = {
            let mut next = self.next_external.lock().expect("external ports");
            *next += 1;
            *next
        };
        let opened = json!({"protocol": protocol, "port": port, "externalHost": instance.host, "externalPort": external});
        if !self.is(Fault::OpenNotKept) {
            instance.custom.push(opened.clone());
        }
        ok(opened)
    }

    fn close(&self, instance: &mut Instance, body: &Value) -> Reply {
        let Some(port) = port_of(body) else {
            return refused(400, "port must be between 1 and 65535");
        };
        if instance.ports.iter().any(|p| p["port"] == port) {
            if self.is(Fault::SystemPortClosable) {
                instance.ports.retain(|p| p["port"] != port);
                return ok(json!({}));
            }
            return refused(403, "system ports cannot be closed");
        }
        let before = instance.custom.len();
        instance.custom.retain(|p| p["port"] != port);
        if instance.custom.len() == before {
            return refused(404, "port is not open");
        }
        ok(json!({}))
    }
}

#[test]
fn alaya_cci_suite_passes_against_an_independent_platform() {
    assert_suite_passes(SUITE, SPEC, AlayaCci::new(Fault::None), API_KEY);
}

#[rstest]
#[case::renamed_field(Fault::RenamedField, "alaya-cci.listOpenPorts")]
#[case::open_not_kept(Fault::OpenNotKept, "alaya-cci.listOpenPorts")]
#[case::auth_not_checked(Fault::AuthNotChecked, "alaya-cci.listOpenPorts")]
#[case::system_port_closable(Fault::SystemPortClosable, "alaya-cci.closePort")]
#[case::status_as_string(Fault::StatusAsString, "alaya-cci.listOpenPorts")]
fn alaya_cci_fault_fails_the_suite(#[case] fault: Fault, #[case] operation: &str) {
    assert_fault_caught(SUITE, SPEC, AlayaCci::new(fault), API_KEY, operation);
}

#[test]
fn alaya_cci_fixtures_pull_writes_the_fakes_instance_and_the_mock_lists_it_alike() {
    // Arrange
    let fake = start_fake(AlayaCci::new(Fault::None));
    let seed: Value = serde_json::from_str(include_str!("alaya-cci.json")).expect("seed JSON");
    let instance = &seed["instances"][0];
    let as_fixtures = |ports: &Value| -> Vec<Value> {
        let ports = ports.as_array().expect("ports");
        ports
            .iter()
            .map(|p| json!({"port": p["port"], "externalPort": p["externalPort"], "protocol": p["protocol"]}))
            .collect()
    };

    // Act
    let pulled = pull(SUITE, SPEC, &fake, API_KEY, &[]);

    // Assert
    assert_eq!(pulled.cli.code, 0, "{}", pulled.shown());
    assert_eq!(
        pulled.fixtures["alaya-cci"],
        json!({"instances": [{
            "id": instance["id"],
            "externalHost": instance["externalHost"],
            "systemPorts": as_fixtures(&instance["ports"]),
            "customPorts": as_fixtures(&instance["customPorts"]),
        }]}),
        "{}",
        pulled.shown()
    );
    let path = format!(
        "/v1/cci/instance/{}/open-port/list",
        instance["id"].as_str().unwrap()
    );
    let bearer = format!("Bearer {API_KEY}");
    let (live, mocked) =
        fake_and_mock_answers(&pulled, &fake, API_KEY, &path, ("authorization", &bearer));
    assert_eq!(mocked["data"], live["data"]);
}

fn faithful_fidelity() -> &'static crate::mirror::Fidelity {
    static RUN: std::sync::OnceLock<crate::mirror::Fidelity> = std::sync::OnceLock::new();
    RUN.get_or_init(|| fidelity(SUITE, SPEC, AlayaCci::new(Fault::None), API_KEY, &[]))
}

#[test]
fn alaya_cci_fidelity_mirrors_the_fake_and_compares_like_with_like() {
    faithful_fidelity().assert_like_with_like("alaya-cci");
}

#[rstest]
#[case::renamed_field(Fault::RenamedField)]
#[case::open_not_kept(Fault::OpenNotKept)]
#[case::auth_not_checked(Fault::AuthNotChecked)]
#[case::system_port_closable(Fault::SystemPortClosable)]
#[case::status_as_string(Fault::StatusAsString)]
fn alaya_cci_fault_is_a_new_fidelity_difference(#[case] fault: Fault) {
    fidelity(SUITE, SPEC, AlayaCci::new(fault), API_KEY, &[])
        .assert_fault_is_new("alaya-cci", faithful_fidelity());
}
