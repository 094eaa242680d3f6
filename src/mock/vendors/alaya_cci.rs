//! Alaya NeW CCI open ports (`/v1/cci/instance/{id}/open-port[/list]`, `/close-port`),
//! following the vendor notes (`vendor-notes.md`). Only the document is known for Alaya, so
//! every answer stays within what `specs/alaya-cci.yaml` declares.
//!
//! Owns the CCI instances of the fixtures: their external host, system ports and
//! the custom ports users open. Rules:
//! - Every answer is `{"status", "message", "data"}` with `status` equal to the HTTP
//!   status; errors carry `data: {}`.
//! - `Authorization: Bearer <API key>`, anything else is a 401 envelope.
//! - List: `data.ports` are the system ports, `data.customPorts` the opened ones.
//! - Open `{protocol, port}`: adds a custom port on the instance's external host with
//!   an external port allocated from [`EXTERNAL_PORTS`], unique on that host; a port
//!   already open (system or custom) is refused with 400.
//! - Close `{port}`: removes a custom port; a system port or a port that is not open
//!   is refused with 400 (unverified: the document says nothing; 404 stays "no such
//!   instance" as the spec describes it).
//! - Unknown instance: 404 envelope. Invalid request: 400 envelope naming the field.
//!   Unknown path under `/v1/cci/`: 404 envelope.

use std::collections::BTreeMap;
use std::num::NonZeroU16;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::mirror::{Reads, Vars, number, text, var};
use super::{Serve, Vendor, header_carries};
use crate::mock::reply::Reply;
use crate::mock::request::{MockRequest, RequestProblem};

/// External ports the mock hands out for custom ports (the Kubernetes NodePort
/// range; the document's samples, 31443 and 31080, fall in it).
pub const EXTERNAL_PORTS: RangeInclusive<u16> = 30000..=32767;

/// Seed data for Alaya CCI: the instances that exist.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    /// The instances that exist; any other instance id is unknown.
    #[serde(default)]
    pub instances: Vec<InstanceFixture>,
}

/// One CCI instance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InstanceFixture {
    /// The instance id, uuid-style.
    pub id: String,
    /// The IP its ports are reached on from outside.
    pub external_host: String,
    /// Ports the platform opened, open from the start and listed with the custom ones.
    #[serde(default)]
    pub system_ports: Vec<SystemPortFixture>,
    /// Custom ports a user already opened (none unless set; a mirrored
    /// instance has those of the live service).
    #[serde(default)]
    pub custom_ports: Vec<SystemPortFixture>,
}

/// A port the platform or a user opened (ssh, jupyter, ...).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SystemPortFixture {
    /// Port inside the instance.
    pub port: NonZeroU16,
    /// Port it is reached on at the instance's `externalHost`.
    pub external_port: NonZeroU16,
    /// The document says system ports have no protocol: leave it out for `null`.
    #[serde(default)]
    pub protocol: Option<String>,
}

/// What the Alaya CCI mock remembers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct State {
    /// Instances by id.
    instances: BTreeMap<String, Instance>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Instance {
    external_host: String,
    ports: Vec<OpenPort>,
    custom_ports: Vec<OpenPort>,
}

/// A port as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct OpenPort {
    protocol: Option<String>,
    port: u16,
    external_host: String,
    external_port: u16,
}

impl State {
    /// State holding exactly the fixtures.
    pub fn new(fixtures: &Fixtures) -> State {
        let instances = fixtures
            .instances
            .iter()
            .map(|i| (i.id.clone(), Instance::new(i)))
            .collect();
        State { instances }
    }

    /// The lowest external port of [`EXTERNAL_PORTS`] no port on `host` uses.
    fn free_external_port(&self, host: &str) -> Option<u16> {
        let on_host = self.instances.values().filter(|i| i.external_host == host);
        let used: Vec<u16> = on_host
            .flat_map(|i| i.ports.iter().chain(&i.custom_ports))
            .map(|p| p.external_port)
            .collect();
        EXTERNAL_PORTS.into_iter().find(|p| !used.contains(p))
    }
}

impl Instance {
    fn new(fixture: &InstanceFixture) -> Instance {
        let open = |ports: &[SystemPortFixture]| {
            ports
                .iter()
                .map(|p| OpenPort {
                    protocol: p.protocol.clone(),
                    port: p.port.get(),
                    external_host: fixture.external_host.clone(),
                    external_port: p.external_port.get(),
                })
                .collect()
        };
        Instance {
            external_host: fixture.external_host.clone(),
            ports: open(&fixture.system_ports),
            custom_ports: open(&fixture.custom_ports),
        }
    }

    fn is_open(&self, port: u16) -> bool {
        self.is_system_port(port) || self.custom_port_index(port).is_some()
    }

    fn is_system_port(&self, port: u16) -> bool {
        self.ports.iter().any(|p| p.port == port)
    }

    fn custom_port_index(&self, port: u16) -> Option<usize> {
        self.custom_ports.iter().position(|p| p.port == port)
    }
}

/// The operations the Alaya CCI mock serves; each finds the instance by the path's `id`.
const OPERATIONS: &[(&str, Serve<State>)] = &[
    (
        "alaya-cci.listOpenPorts",
        Serve::Read(|s, r| Ok(list_ports(s, instance_id(r)))),
    ),
    (
        "alaya-cci.openPort",
        Serve::Write(|s, r| Ok(open_port(r, s, instance_id(r)))),
    ),
    (
        "alaya-cci.closePort",
        Serve::Write(|s, r| Ok(close_port(r, s, instance_id(r)))),
    ),
];

/// The instance id of the path.
fn instance_id<'r>(req: &'r MockRequest<'_>) -> &'r str {
    req.path_param("id").unwrap_or_default()
}

/// The Alaya NeW CCI vendor.
#[derive(Clone, Copy)]
pub struct AlayaCci;

impl Vendor for AlayaCci {
    type Fixtures = Fixtures;
    type State = State;

    fn state(&self, fixtures: &Fixtures) -> State {
        State::new(fixtures)
    }

    fn operations(&self) -> Vec<(&str, Serve<State>)> {
        OPERATIONS.to_vec()
    }

    fn owns_path(&self, path: &str) -> bool {
        path.starts_with("/v1/cci/")
    }

    fn not_found(&self, _path: &str) -> Reply {
        envelope(404, "Not Found", json!({}))
    }

    fn method_not_allowed(&self) -> Reply {
        envelope(405, "Method Not Allowed", json!({}))
    }

    fn authenticate(&self, req: &MockRequest<'_>, token: &str) -> Option<Reply> {
        (!header_carries(req, "authorization", "Bearer ", token))
            .then(|| envelope(401, "Unauthorized", json!({})))
    }

    fn invalid_request(&self, _req: &MockRequest<'_>, problem: &RequestProblem) -> Reply {
        envelope(400, &problem.message(), json!({}))
    }

    fn error(&self, status: u16, message: &str) -> Reply {
        envelope(status, message, json!({}))
    }

    /// The instance `instance` with the system and custom ports the live
    /// list shows, reached on the external host of its first port.
    fn mirror(&self, vars: &Vars, reads: &mut Reads) -> Option<Value> {
        let id = var(vars, "instance")?;
        let list = reads.get("alaya-cci.listOpenPorts", &[("id", id.as_str())])?;
        let listed = |key: &str| {
            list.pointer(&format!("/data/{key}"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let (system, custom) = (listed("ports"), listed("customPorts"));
        let host = system
            .iter()
            .chain(&custom)
            .next()
            .map(|p| text(p, "externalHost"));
        let fixture = |p: &Value| json!({"port": number(p.get("port")), "externalPort": number(p.get("externalPort")), "protocol": p.get("protocol")});
        Some(json!({"instances": [{
            "id": id,
            "externalHost": host.unwrap_or_default(),
            "systemPorts": system.iter().map(fixture).collect::<Vec<_>>(),
            "customPorts": custom.iter().map(fixture).collect::<Vec<_>>(),
        }]}))
    }
}

/// The envelope of every answer; the HTTP status is `status`.
fn envelope(status: u16, message: &str, data: Value) -> Reply {
    Reply::json(
        status,
        json!({"status": status, "message": message, "data": data}),
    )
}

fn ok(data: Value) -> Reply {
    envelope(200, "OK", data)
}

fn bad_request(message: &str) -> Reply {
    envelope(400, message, json!({}))
}

fn unknown_instance(id: &str) -> Reply {
    envelope(404, &format!("instance {id} not found"), json!({}))
}

fn invalid_port() -> Reply {
    bad_request("body field `port` must be an integer from 1 to 65535")
}

fn list_ports(state: &State, id: &str) -> Reply {
    let Some(instance) = state.instances.get(id) else {
        return unknown_instance(id);
    };
    ok(json!({"ports": instance.ports, "customPorts": instance.custom_ports}))
}

fn open_port(req: &MockRequest<'_>, state: &mut State, id: &str) -> Reply {
    let Some(port) = body_port(req) else {
        return invalid_port();
    };
    let Some(instance) = state.instances.get(id) else {
        return unknown_instance(id);
    };
    if instance.is_open(port) {
        return bad_request(&format!("port {port} is already open"));
    }
    let external_host = instance.external_host.clone();
    let Some(external_port) = state.free_external_port(&external_host) else {
        return envelope(
            500,
            &format!("no free external port left on {external_host}"),
            json!({}),
        );
    };
    let protocol = req
        .body_field("protocol")
        .and_then(Value::as_str)
        .map(str::to_string);
    let opened = OpenPort {
        protocol,
        port,
        external_host,
        external_port,
    };
    if let Some(instance) = state.instances.get_mut(id) {
        instance.custom_ports.push(opened.clone());
    }
    ok(json!(opened))
}

fn close_port(req: &MockRequest<'_>, state: &mut State, id: &str) -> Reply {
    let Some(port) = body_port(req) else {
        return invalid_port();
    };
    let Some(instance) = state.instances.get_mut(id) else {
        return unknown_instance(id);
    };
    // Unverified: the document does not say how these are refused; 400 keeps 404 for the instance.
    if instance.is_system_port(port) {
        return bad_request(&format!(
            "port {port} is a system port and cannot be closed"
        ));
    }
    let Some(index) = instance.custom_port_index(port) else {
        return bad_request(&format!("port {port} is not open"));
    };
    instance.custom_ports.remove(index);
    ok(json!({}))
}

/// The body's `port` as a port number; also `80.0`, which JSON Schema counts as an integer.
fn body_port(req: &MockRequest<'_>) -> Option<u16> {
    let value = req.body_field("port")?;
    let whole = value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f <= 65535.0)
            .map(|f| f as u64)
    });
    whole.and_then(|p| u16::try_from(p).ok()).filter(|p| *p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(id: &str, host: &str, external_port: u16) -> InstanceFixture {
        let port = NonZeroU16::new(22).unwrap();
        let external_port = NonZeroU16::new(external_port).unwrap();
        InstanceFixture {
            id: id.into(),
            external_host: host.into(),
            system_ports: vec![SystemPortFixture {
                port,
                external_port,
                protocol: None,
            }],
            custom_ports: Vec::new(),
        }
    }

    fn custom(host: &str, external_port: u16) -> OpenPort {
        OpenPort {
            protocol: Some("tcp".into()),
            port: 1,
            external_host: host.into(),
            external_port,
        }
    }

    #[test]
    fn external_ports_are_shared_by_instances_on_one_host() {
        let fixtures = Fixtures {
            instances: vec![
                instance("a", "10.0.0.1", 30000),
                instance("b", "10.0.0.1", 30001),
            ],
        };

        let state = State::new(&fixtures);

        assert_eq!(state.free_external_port("10.0.0.1"), Some(30002));
        assert_eq!(state.free_external_port("10.0.0.2"), Some(30000));
    }

    #[test]
    fn no_external_port_is_free_once_the_range_is_used_up() {
        let mut state = State::new(&Fixtures {
            instances: vec![instance("a", "10.0.0.1", 31000)],
        });
        let ports = EXTERNAL_PORTS
            .filter(|p| *p != 31000)
            .map(|p| custom("10.0.0.1", p))
            .collect();
        if let Some(a) = state.instances.get_mut("a") {
            a.custom_ports = ports;
        }

        assert_eq!(state.free_external_port("10.0.0.1"), None);
    }
}
