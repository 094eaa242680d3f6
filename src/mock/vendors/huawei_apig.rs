//! Huawei Cloud APIG: the custom inbound (ingress) ports of dedicated gateways
//! (`specs/huawei-apig.yaml`, vendor-notes "Huawei Cloud APIG: custom ingress ports").
//!
//! Owns every path `/v2/{project_id}/apigw/...`. The rules it keeps:
//! - `X-Auth-Token` must carry the token exactly, else 401 APIC.7102;
//! - every error is `{"error_code","error_msg"}`; a request breaking the spec is
//!   400 APIC.7211 `"Parameter value does not match the rules, parameter name[<field>]"`;
//! - an unknown project or gateway is 404 APIC.7302 "Instance not found";
//!   an unknown path under the prefix is 404 APIC.7300 "API not found";
//! - add answers 201 with a fresh 32-hex `ingress_port_id` and status `normal`; the
//!   port must be in 1024..49151 (the spec's range, so the default ports 80 and 443
//!   can never be added, listed or deleted as custom ports); a port number carries
//!   one protocol per gateway, so adding a number already present (with either
//!   protocol) is refused with 400 APIC.7200;
//! - list filters by `protocol` and `ingress_port` and pages with `offset`/`limit`,
//!   clamped as the server does (offset < 0 -> 0, limit <= 0 -> 20, limit > 500 -> 500);
//!   `size` counts the page, `total` every match; an int32 parameter outside the int32
//!   range (the spec says so with `minimum`/`maximum`) does not parse on the server and is
//!   400 APIC.7211 naming it;
//! - delete answers 204 with no body; an absent (or already deleted) port is 400 APIC.7200;
//! - bound domains come from the fixtures, paged the same way and filtered by
//!   `domain_name`; an unknown port is 400 APIC.7200 as for delete.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::mirror::{Reads, Vars, all, number, text, var, vars_named};
use super::{Answer, Serve, Vendor, header_carries};
use crate::mock::random;
use crate::mock::reply::Reply;
use crate::mock::request::{MockRequest, RequestProblem};

/// Seed data: the one project and its gateway instances.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    /// The project every gateway belongs to; any other project id is unknown.
    #[serde(default)]
    pub project_id: String,
    /// The dedicated gateways that exist; any other instance id is unknown.
    #[serde(default)]
    pub instances: Vec<Instance>,
}

/// A dedicated gateway and its custom inbound ports.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    /// Gateway instance id, as in request paths.
    pub instance_id: String,
    /// The gateway's custom inbound ports.
    #[serde(default)]
    pub ingress_ports: Vec<IngressPort>,
}

/// One custom inbound port, with the API-group domains bound to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngressPort {
    /// Inbound port id, as in request paths.
    pub ingress_port_id: String,
    /// Protocol the port serves.
    pub protocol: Protocol,
    /// Port number the gateway listens on.
    pub ingress_port: u16,
    /// Whether the port works (`normal` unless set).
    #[serde(default)]
    pub status: PortStatus,
    /// API-group domains bound to the port.
    #[serde(default)]
    pub domains: Vec<BoundDomain>,
}

/// The protocol of an inbound port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    /// `HTTP`.
    Http,
    /// `HTTPS`.
    Https,
}

/// Whether an inbound port works.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortStatus {
    /// `normal`: the port works.
    #[default]
    Normal,
    /// `abnormal`: the port does not work.
    Abnormal,
}

/// A domain name of an API group that uses an inbound port.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoundDomain {
    /// Id of the API group that owns the domain.
    pub group_id: String,
    /// Name of that API group.
    pub group_name: String,
    /// The bound domain name.
    pub domain_name: String,
}

/// What the HuaweiApig mock remembers: the fixtures' gateways and their ports as they change.
#[derive(Debug, Clone, Default, Serialize)]
pub struct State {
    project_id: String,
    instances: Vec<Instance>,
}

impl State {
    /// State holding exactly the fixtures.
    pub fn new(fixtures: &Fixtures) -> State {
        State {
            project_id: fixtures.project_id.clone(),
            instances: fixtures.instances.clone(),
        }
    }

    /// The gateway the request's path names, or the vendor's 404.
    fn instance(&self, req: &MockRequest<'_>) -> Result<&Instance, Reply> {
        let index = self.instance_index(req)?;
        Ok(&self.instances[index])
    }

    fn instance_mut(&mut self, req: &MockRequest<'_>) -> Result<&mut Instance, Reply> {
        let index = self.instance_index(req)?;
        Ok(&mut self.instances[index])
    }

    /// Where the request's instance is, or the 404 when the project or instance is unknown.
    fn instance_index(&self, req: &MockRequest<'_>) -> Result<usize, Reply> {
        let project_known = req.path_param("project_id") == Some(self.project_id.as_str());
        let instance_id = req.path_param("instance_id");
        self.instances
            .iter()
            .position(|i| project_known && Some(i.instance_id.as_str()) == instance_id)
            .ok_or_else(|| apig_error(404, "APIC.7302", "Instance not found"))
    }
}

impl Protocol {
    fn parse(text: &str) -> Option<Protocol> {
        match text {
            "HTTP" => Some(Protocol::Http),
            "HTTPS" => Some(Protocol::Https),
            _ => None,
        }
    }
}

impl IngressPort {
    /// The port as the API shows it (without its domains).
    fn wire(&self) -> Value {
        json!({
            "protocol": self.protocol,
            "ingress_port": self.ingress_port,
            "ingress_port_id": self.ingress_port_id,
            "status": self.status,
        })
    }
}

/// `offset`/`limit` after the server's clamping.
struct Page {
    offset: usize,
    limit: usize,
}

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 500;

impl Page {
    fn of(req: &MockRequest<'_>) -> Page {
        let number = |name| {
            req.query_param(name)
                .and_then(|v| v.trim().parse::<i64>().ok())
        };
        let offset = usize::try_from(number("offset").unwrap_or(0).max(0)).unwrap_or(usize::MAX);
        let limit = match number("limit").and_then(|l| usize::try_from(l).ok()) {
            Some(0) | None => DEFAULT_LIMIT,
            Some(l) => l.min(MAX_LIMIT),
        };
        Page { offset, limit }
    }

    /// This page of `items`, with the number of all of them.
    fn cut<T>(&self, items: Vec<T>) -> (Vec<T>, usize) {
        let total = items.len();
        (
            items
                .into_iter()
                .skip(self.offset)
                .take(self.limit)
                .collect(),
            total,
        )
    }
}

/// The APIG error envelope.
fn apig_error(status: u16, code: &str, message: impl Into<String>) -> Reply {
    Reply::json(
        status,
        json!({"error_code": code, "error_msg": message.into()}),
    )
}

/// 400 APIC.7211 naming the parameter that breaks the rules.
fn rule_broken(field: &str) -> Reply {
    apig_error(
        400,
        "APIC.7211",
        format!("Parameter value does not match the rules, parameter name[{field}]"),
    )
}

/// 400 APIC.7200 for a port id the gateway does not have (what the SDK and Terraform test for on delete).
fn port_absent(id: &str) -> Reply {
    apig_error(
        400,
        "APIC.7200",
        format!("The ingress port does not exist, ingress_port_id[{id}]"),
    )
}

/// A body `ingress_port` already checked against 1024..49151 by the spec (it may arrive as `8080.0`).
fn port_number(value: Option<&Value>) -> Option<u16> {
    let number = value?.as_f64()?;
    (number.fract() == 0.0 && (1024.0..=49151.0).contains(&number)).then_some(number as u16)
}

fn add_port(state: &mut State, req: &MockRequest<'_>) -> Answer {
    let instance = state.instance_mut(req)?;
    let protocol = req
        .body_field("protocol")
        .and_then(Value::as_str)
        .and_then(Protocol::parse)
        .ok_or_else(|| rule_broken("protocol"))?;
    let number =
        port_number(req.body_field("ingress_port")).ok_or_else(|| rule_broken("ingress_port"))?;
    if instance
        .ingress_ports
        .iter()
        .any(|p| p.ingress_port == number)
    {
        // One protocol per port number on a gateway (doc). The status and code of this refusal
        // are not documented: 400 is the only client error the add declares besides auth and
        // not-found, and APIC.7200 is the code the SDK/Terraform see for the sibling "port does
        // not exist" on delete. Unverified against the closed server.
        return Err(apig_error(
            400,
            "APIC.7200",
            format!("The ingress port already exists, ingress_port[{number}]"),
        ));
    }
    let port = IngressPort {
        ingress_port_id: random::hex_id(32),
        protocol,
        ingress_port: number,
        status: PortStatus::Normal,
        domains: Vec::new(),
    };
    let body = port.wire();
    instance.ingress_ports.push(port);
    Ok(Reply::json(201, body))
}

fn list_ports(state: &State, req: &MockRequest<'_>) -> Answer {
    let instance = state.instance(req)?;
    let protocol = req.query_param("protocol").and_then(Protocol::parse);
    let number = req
        .query_param("ingress_port")
        .and_then(|v| v.trim().parse::<u16>().ok());
    let matching: Vec<Value> = instance
        .ingress_ports
        .iter()
        .filter(|p| protocol.is_none_or(|want| p.protocol == want))
        .filter(|p| number.is_none_or(|want| p.ingress_port == want))
        .map(IngressPort::wire)
        .collect();
    let (page, total) = Page::of(req).cut(matching);
    Ok(Reply::json(
        200,
        json!({"size": page.len(), "total": total, "ingress_port_infos": page}),
    ))
}

fn delete_port(state: &mut State, req: &MockRequest<'_>) -> Answer {
    let instance = state.instance_mut(req)?;
    let id = req.path_param("ingress_port_id").unwrap_or_default();
    let index = instance
        .ingress_ports
        .iter()
        .position(|p| p.ingress_port_id == id)
        .ok_or_else(|| port_absent(id))?;
    instance.ingress_ports.remove(index);
    Ok(Reply::empty(204))
}

fn list_domains(state: &State, req: &MockRequest<'_>) -> Answer {
    let instance = state.instance(req)?;
    let id = req.path_param("ingress_port_id").unwrap_or_default();
    let port = instance
        .ingress_ports
        .iter()
        .find(|p| p.ingress_port_id == id)
        .ok_or_else(|| port_absent(id))?;
    let name = req.query_param("domain_name");
    let matching: Vec<&BoundDomain> = port
        .domains
        .iter()
        .filter(|d| name.is_none_or(|n| d.domain_name == n))
        .collect();
    let (page, total) = Page::of(req).cut(matching);
    Ok(Reply::json(
        200,
        json!({"size": page.len(), "total": total, "domain_infos": page}),
    ))
}

/// The error code APIG sends with a status when nothing more specific is known.
fn code_for(status: u16) -> &'static str {
    match status {
        400 => "APIC.7211",
        401 => "APIC.7102",
        403 => "APIC.7106",
        404 => "APIC.7302",
        _ => "APIC.9000",
    }
}

/// The operations the APIG mock serves.
const OPERATIONS: &[(&str, Serve<State>)] = &[
    ("huawei-apig.addIngressPort", Serve::Write(add_port)),
    ("huawei-apig.listIngressPorts", Serve::Read(list_ports)),
    ("huawei-apig.deleteIngressPort", Serve::Write(delete_port)),
    (
        "huawei-apig.listIngressPortDomains",
        Serve::Read(list_domains),
    ),
];

/// The HuaweiApig vendor.
#[derive(Clone, Copy)]
pub struct HuaweiApig;

impl Vendor for HuaweiApig {
    type Fixtures = Fixtures;
    type State = State;

    fn state(&self, fixtures: &Fixtures) -> State {
        State::new(fixtures)
    }

    fn operations(&self) -> Vec<(&str, Serve<State>)> {
        OPERATIONS.to_vec()
    }

    fn owns_path(&self, path: &str) -> bool {
        let mut segments = path.split('/');
        segments.next() == Some("")
            && segments.next() == Some("v2")
            && segments.next().is_some()
            && segments.next() == Some("apigw")
    }

    fn not_found(&self, _path: &str) -> Reply {
        apig_error(404, "APIC.7300", "API not found")
    }

    fn method_not_allowed(&self) -> Reply {
        apig_error(405, "APIC.7300", "Method not allowed")
    }

    fn authenticate(&self, req: &MockRequest<'_>, token: &str) -> Option<Reply> {
        (!header_carries(req, "x-auth-token", "", token)).then(|| {
            apig_error(
                401,
                "APIC.7102",
                "Incorrect token or token resolution failed",
            )
        })
    }

    fn invalid_request(&self, _req: &MockRequest<'_>, problem: &RequestProblem) -> Reply {
        rule_broken(problem.field().filter(|f| !f.is_empty()).unwrap_or("body"))
    }

    fn error(&self, status: u16, message: &str) -> Reply {
        apig_error(status, code_for(status), message)
    }

    /// The project `project` and the gateways its variables name
    /// ([`MIRRORED_GATEWAYS`]), each with every custom inbound port the live
    /// list shows (in its order) and the domains bound to each.
    fn mirror(&self, vars: &Vars, reads: &mut Reads) -> Option<Value> {
        let project = var(vars, "project")?;
        let gateways = vars_named(vars, MIRRORED_GATEWAYS);
        if gateways.is_empty() {
            return None;
        }
        let instances = all(gateways
            .iter()
            .map(|gateway| mirror_gateway(&project, gateway, reads)))?;
        Some(json!({"project_id": project, "instances": instances}))
    }
}

/// The variables of the Huawei scenarios that name an existing gateway.
const MIRRORED_GATEWAYS: &[&str] = &["gateway", "range_gateway"];

/// One gateway as a fixture: its live ports, each with its bound domains.
fn mirror_gateway(project: &str, gateway: &str, reads: &mut Reads) -> Option<Value> {
    let path = [("project_id", project), ("instance_id", gateway)];
    let ports = all_pages(
        reads,
        "huawei-apig.listIngressPorts",
        &path,
        "ingress_port_infos",
    )?;
    let ports = all(ports.iter().map(|port| {
        let id = text(port, "ingress_port_id");
        let of_port = [path[0], path[1], ("ingress_port_id", id.as_str())];
        let domains = all_pages(
            reads,
            "huawei-apig.listIngressPortDomains",
            &of_port,
            "domain_infos",
        )?;
        let domains: Vec<Value> = domains
            .iter()
            .map(|d| json!({"group_id": text(d, "group_id"), "group_name": text(d, "group_name"), "domain_name": text(d, "domain_name")}))
            .collect();
        Some(json!({
            "ingress_port_id": id,
            "protocol": text(port, "protocol"),
            "ingress_port": number(port.get("ingress_port")),
            "status": text(port, "status"),
            "domains": domains,
        }))
    }))?;
    Some(json!({"instance_id": gateway, "ingress_ports": ports}))
}

/// Every item under `key` of a paged list (`offset`, `limit`, `total`), page
/// after page of the largest size, or `None` while a page is not read yet.
fn all_pages(
    reads: &mut Reads,
    operation: &str,
    path: &[(&str, &str)],
    key: &str,
) -> Option<Vec<Value>> {
    let mut items: Vec<Value> = Vec::new();
    loop {
        let (offset, limit) = (items.len().to_string(), MAX_LIMIT.to_string());
        let mut params = path.to_vec();
        params.extend([("offset", offset.as_str()), ("limit", limit.as_str())]);
        let page = reads.get(operation, &params)?;
        let listed = page.get(key).and_then(Value::as_array).cloned();
        let listed = listed.unwrap_or_default();
        let total = page.get("total").and_then(Value::as_u64).unwrap_or(0);
        let done = listed.is_empty();
        items.extend(listed);
        if done || items.len() as u64 >= total {
            return Some(items);
        }
    }
}
