//! An independent Huawei Cloud APIG (custom ingress ports), from the vendor
//! notes: `X-Auth-Token` (401 APIC.7102), the `{error_code, error_msg}`
//! envelope, 404 APIC.7302 for an unknown gateway, 400 APIC.7200 for a port
//! already gone, the range 1024..49151, one protocol per port, paging with
//! `offset`/`limit` (negative offset as 0, limit <= 0 as 20, above 500 as
//! 500). Where the notes are silent it makes its own choices: ids are
//! 36-character UUIDs, the list is newest first, a duplicate port is 400
//! APIC.7211, the domains of an absent port are 404 APIC.7300.

use std::sync::Mutex;

use axum::http::Method;
use rstest::rstest;
use serde_json::{Map, Value, json};

use crate::harness::{Call, Reply, Vendor, assert_fault_caught, assert_suite_passes, start_fake};
use crate::mirror::{fake_and_mock_answers, fidelity, pull};

const SUITE: &str = "huawei-apig";
const SPEC: &str = "huawei-apig";
/// The IAM token the fake accepts.
const TOKEN: &str = "MIIZfAYJKoZIhvcNAQcCoIIZbTCCGWkCAQExDTALBglghkgBZQMEAgEw-staging";

/// One way the fake breaks the notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// The add answers 200, not 201.
    AddIs200,
    /// `ingress_port` is sent as a string.
    PortAsString,
    /// The list's `total` is called `count`.
    TotalRenamed,
    /// The delete answers 204 but keeps the port.
    DeleteKeeps,
    /// A port outside 1024..49151 is added.
    RangeNotChecked,
    /// Requests without a token are served.
    AuthNotChecked,
    /// Errors come as `{"error":{"code","message"}}`.
    OtherEnvelope,
}

struct Port {
    id: String,
    protocol: String,
    number: i64,
    status: String,
    domains: Vec<Value>,
}

struct Gateway {
    id: String,
    /// Oldest first; the list answers newest first.
    ports: Vec<Port>,
}

pub struct HuaweiApig {
    fault: Fault,
    project: String,
    gateways: Mutex<Vec<Gateway>>,
    next_id: Mutex<u64>,
}

impl HuaweiApig {
    pub fn new(fault: Fault) -> HuaweiApig {
        let seed: Value =
            serde_json::from_str(include_str!("huawei-apig.json")).expect("seed JSON");
        let text = |v: &Value| v.as_str().expect("a string").to_string();
        let gateways = seed["gateways"]
            .as_array()
            .expect("gateways")
            .iter()
            .map(|g| Gateway {
                id: text(&g["id"]),
                ports: g["ports"]
                    .as_array()
                    .expect("ports")
                    .iter()
                    .map(|p| Port {
                        id: text(&p["ingress_port_id"]),
                        protocol: text(&p["protocol"]),
                        number: p["ingress_port"].as_i64().expect("number"),
                        status: text(&p["status"]),
                        domains: p["domains"].as_array().expect("domains").clone(),
                    })
                    .collect(),
            })
            .collect();
        HuaweiApig {
            fault,
            project: text(&seed["project"]),
            gateways: Mutex::new(gateways),
            next_id: Mutex::new(0x51a0),
        }
    }

    fn is(&self, fault: Fault) -> bool {
        self.fault == fault
    }

    fn error(&self, status: u16, code: &str, message: &str) -> Reply {
        let body = if self.is(Fault::OtherEnvelope) {
            json!({"error": {"code": code, "message": message}})
        } else {
            json!({"error_code": code, "error_msg": message})
        };
        Reply::json(status, &body)
    }

    fn bad_parameter(&self, name: &str) -> Reply {
        self.error(
            400,
            "APIC.7211",
            &format!("The parameter {name} is invalid"),
        )
    }

    fn wire(&self, port: &Port) -> Value {
        let mut object = Map::new();
        object.insert("ingress_port_id".into(), json!(port.id));
        object.insert("status".into(), json!(port.status));
        object.insert("protocol".into(), json!(port.protocol));
        let number = if self.is(Fault::PortAsString) {
            json!(port.number.to_string())
        } else {
            json!(port.number)
        };
        object.insert("ingress_port".into(), number);
        Value::Object(object)
    }

    /// A new 36-character id.
    fn new_id(&self) -> String {
        let mut next = self.next_id.lock().expect("ids");
        *next += 1;
        format!("6b0d2f4a-8c1e-4a3b-9d5f-{:012x}", *next)
    }
}

/// One page of a list: where it starts and how many items it holds.
struct Page {
    offset: usize,
    limit: usize,
}

impl Page {
    fn of(items: Vec<Value>, page: &Page) -> Vec<Value> {
        items
            .into_iter()
            .skip(page.offset)
            .take(page.limit)
            .collect()
    }
}

impl Vendor for HuaweiApig {
    fn answer(&self, call: &Call) -> Reply {
        if call.header("x-auth-token").is_none_or(|t| t != TOKEN) && !self.is(Fault::AuthNotChecked)
        {
            return self.error(401, "APIC.7102", "The token is missing, invalid or expired");
        }
        let segments = call.segments();
        let (project, instance, port_id, domains) = match segments.as_slice() {
            ["v2", p, "apigw", "instances", i, "custom-ingress-ports"] => (*p, *i, None, false),
            ["v2", p, "apigw", "instances", i, "custom-ingress-ports", id] => {
                (*p, *i, Some(*id), false)
            }
            [
                "v2",
                p,
                "apigw",
                "instances",
                i,
                "custom-ingress-ports",
                id,
                "domains",
            ] => (*p, *i, Some(*id), true),
            _ => return self.error(404, "APIC.7300", "The requested API does not exist"),
        };
        let mut gateways = self.gateways.lock().expect("gateways");
        let gateway = gateways.iter_mut().find(|g| g.id == instance);
        let Some(gateway) = gateway.filter(|_| project == self.project) else {
            return self.error(
                404,
                "APIC.7302",
                &format!("The gateway {instance} cannot be found"),
            );
        };
        match (&call.method, port_id, domains) {
            (&Method::GET, None, false) => self.list(gateway, call),
            (&Method::POST, None, false) => self.add(gateway, call),
            (&Method::DELETE, Some(id), false) => self.delete(gateway, id),
            (&Method::GET, Some(id), true) => self.domains(gateway, id, call),
            _ => self.error(404, "APIC.7300", "The requested API does not exist"),
        }
    }
}

impl HuaweiApig {
    /// `offset` and `limit` from the query, as the SDK says the server reads them.
    fn page(&self, call: &Call) -> Result<Page, Reply> {
        let mut page = Page {
            offset: 0,
            limit: 20,
        };
        for (name, value) in call.query_pairs() {
            match name.as_str() {
                "offset" => {
                    let n: i64 = value.parse().map_err(|_| self.bad_parameter("offset"))?;
                    page.offset = usize::try_from(n).unwrap_or(0);
                }
                "limit" => {
                    let n: i64 = value.parse().map_err(|_| self.bad_parameter("limit"))?;
                    page.limit = if n <= 0 {
                        20
                    } else {
                        usize::try_from(n.min(500)).unwrap_or(500)
                    };
                }
                _ => {}
            }
        }
        Ok(page)
    }

    fn list(&self, gateway: &Gateway, call: &Call) -> Reply {
        let page = match self.page(call) {
            Ok(page) => page,
            Err(reply) => return reply,
        };
        let (mut protocol, mut number) = (None, None);
        for (name, value) in call.query_pairs() {
            match name.as_str() {
                "protocol" if value == "HTTP" || value == "HTTPS" => protocol = Some(value),
                "protocol" => return self.bad_parameter("protocol"),
                "ingress_port" => match value.parse::<i64>() {
                    Ok(n) => number = Some(n),
                    Err(_) => return self.bad_parameter("ingress_port"),
                },
                _ => {}
            }
        }
        let matching: Vec<Value> = gateway
            .ports
            .iter()
            .rev()
            .filter(|p| protocol.as_ref().is_none_or(|want| &p.protocol == want))
            .filter(|p| number.is_none_or(|want| p.number == want))
            .map(|p| self.wire(p))
            .collect();
        let total = matching.len();
        let items = Page::of(matching, &page);
        let count_key = if self.is(Fault::TotalRenamed) {
            "count"
        } else {
            "total"
        };
        let mut body = Map::new();
        body.insert(count_key.into(), json!(total));
        body.insert("size".into(), json!(items.len()));
        body.insert("ingress_port_infos".into(), Value::Array(items));
        Reply::json(200, &Value::Object(body))
    }

    fn add(&self, gateway: &mut Gateway, call: &Call) -> Reply {
        let Ok(Some(body)) = call.json() else {
            return self.bad_parameter("body");
        };
        let protocol = match body.get("protocol").and_then(Value::as_str) {
            Some(p @ ("HTTP" | "HTTPS")) => p.to_string(),
            _ => return self.bad_parameter("protocol"),
        };
        let Some(number) = body.get("ingress_port").and_then(Value::as_i64) else {
            return self.bad_parameter("ingress_port");
        };
        if !(1024..=49151).contains(&number) && !self.is(Fault::RangeNotChecked) {
            return self.bad_parameter("ingress_port");
        }
        if gateway.ports.iter().any(|p| p.number == number) {
            return self.error(
                400,
                "APIC.7211",
                &format!("The port {number} is already used on this gateway"),
            );
        }
        let port = Port {
            id: self.new_id(),
            protocol,
            number,
            status: "normal".to_string(),
            domains: Vec::new(),
        };
        let answer = self.wire(&port);
        gateway.ports.push(port);
        let status = if self.is(Fault::AddIs200) { 200 } else { 201 };
        Reply::json(status, &answer)
    }

    fn delete(&self, gateway: &mut Gateway, id: &str) -> Reply {
        let Some(index) = gateway.ports.iter().position(|p| p.id == id) else {
            return self.error(
                400,
                "APIC.7200",
                &format!("The custom ingress port {id} does not exist"),
            );
        };
        if !self.is(Fault::DeleteKeeps) {
            gateway.ports.remove(index);
        }
        Reply {
            status: 204,
            content_type: "",
            body: Vec::new(),
        }
    }

    fn domains(&self, gateway: &Gateway, id: &str, call: &Call) -> Reply {
        if !(32..=36).contains(&id.len()) {
            return self.bad_parameter("ingress_port_id");
        }
        let Some(port) = gateway.ports.iter().find(|p| p.id == id) else {
            return self.error(
                404,
                "APIC.7300",
                &format!("The custom ingress port {id} cannot be found"),
            );
        };
        let page = match self.page(call) {
            Ok(page) => page,
            Err(reply) => return reply,
        };
        let name = call
            .query_pairs()
            .into_iter()
            .find(|(k, _)| k == "domain_name")
            .map(|(_, v)| v);
        let matching: Vec<Value> = port
            .domains
            .iter()
            .filter(|d| name.as_ref().is_none_or(|n| d["domain_name"] == n.as_str()))
            .cloned()
            .collect();
        let total = matching.len();
        let items = Page::of(matching, &page);
        Reply::json(
            200,
            &json!({"total": total, "size": items.len(), "domain_infos": items}),
        )
    }
}

#[test]
fn huawei_apig_suite_passes_against_an_independent_gateway() {
    assert_suite_passes(SUITE, SPEC, HuaweiApig::new(Fault::None), TOKEN);
}

#[rstest]
#[case::add_is_200(Fault::AddIs200, "huawei-apig.addIngressPort")]
#[case::port_as_string(Fault::PortAsString, "huawei-apig.listIngressPorts")]
#[case::total_renamed(Fault::TotalRenamed, "huawei-apig.listIngressPorts")]
#[case::delete_keeps(Fault::DeleteKeeps, "huawei-apig.listIngressPorts")]
#[case::range_not_checked(Fault::RangeNotChecked, "huawei-apig.addIngressPort")]
#[case::auth_not_checked(Fault::AuthNotChecked, "huawei-apig.listIngressPorts")]
#[case::other_envelope(Fault::OtherEnvelope, "huawei-apig.deleteIngressPort")]
fn huawei_apig_fault_fails_the_suite(#[case] fault: Fault, #[case] operation: &str) {
    assert_fault_caught(SUITE, SPEC, HuaweiApig::new(fault), TOKEN, operation);
}

#[test]
fn huawei_apig_fixtures_pull_writes_the_fakes_gateway_and_the_mock_lists_it_alike() {
    // Arrange
    let fake = start_fake(HuaweiApig::new(Fault::None));
    let seed: Value = serde_json::from_str(include_str!("huawei-apig.json")).expect("seed JSON");
    let gateway = &seed["gateways"][0];

    // Act
    let pulled = pull(SUITE, SPEC, &fake, TOKEN, &[]);

    // Assert
    assert_eq!(pulled.cli.code, 0, "{}", pulled.shown());
    let mirrored = &pulled.fixtures["huawei-apig"];
    assert_eq!(
        mirrored["project_id"],
        seed["project"],
        "{}",
        pulled.shown()
    );
    let instances = mirrored["instances"].as_array().expect("instances");
    assert_eq!(instances.len(), 1, "only the gateway the vars name");
    assert_eq!(instances[0]["instance_id"], gateway["id"]);
    let by_id = |ports: &Value| {
        let mut ports = ports.as_array().expect("ports").clone();
        ports.sort_by_key(|p| {
            p["ingress_port_id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        });
        ports
    };
    assert_eq!(
        by_id(&instances[0]["ingress_ports"]),
        by_id(&gateway["ports"])
    );
    let path = format!(
        "/v2/{}/apigw/instances/{}/custom-ingress-ports",
        seed["project"].as_str().unwrap(),
        gateway["id"].as_str().unwrap()
    );
    let (live, mocked) =
        fake_and_mock_answers(&pulled, &fake, TOKEN, &path, ("x-auth-token", TOKEN));
    assert_eq!(mocked, live, "the same list, in the same order");
    let bound = &gateway["ports"][0];
    let domains = format!(
        "{path}/{}/domains",
        bound["ingress_port_id"].as_str().unwrap()
    );
    let (live, mocked) =
        fake_and_mock_answers(&pulled, &fake, TOKEN, &domains, ("x-auth-token", TOKEN));
    assert_eq!(mocked, live);
}

fn faithful_fidelity() -> &'static crate::mirror::Fidelity {
    static RUN: std::sync::OnceLock<crate::mirror::Fidelity> = std::sync::OnceLock::new();
    RUN.get_or_init(|| fidelity(SUITE, SPEC, HuaweiApig::new(Fault::None), TOKEN, &[]))
}

#[test]
fn huawei_apig_fidelity_mirrors_the_fake_and_compares_like_with_like() {
    faithful_fidelity().assert_like_with_like("huawei-apig");
}

#[rstest]
#[case::add_is_200(Fault::AddIs200)]
#[case::port_as_string(Fault::PortAsString)]
#[case::total_renamed(Fault::TotalRenamed)]
#[case::delete_keeps(Fault::DeleteKeeps)]
#[case::range_not_checked(Fault::RangeNotChecked)]
#[case::auth_not_checked(Fault::AuthNotChecked)]
#[case::other_envelope(Fault::OtherEnvelope)]
fn huawei_apig_fault_is_a_new_fidelity_difference(#[case] fault: Fault) {
    fidelity(SUITE, SPEC, HuaweiApig::new(fault), TOKEN, &[])
        .assert_fault_is_new("huawei-apig", faithful_fidelity());
}

#[test]
fn huawei_apig_fixtures_pull_mirrors_range_gateway_as_well_as_gateway() {
    // Arrange: range_gateway names the fake's second gateway.
    let fake = start_fake(HuaweiApig::new(Fault::None));
    let seed: Value = serde_json::from_str(include_str!("huawei-apig.json")).expect("seed JSON");
    let (first, second) = (&seed["gateways"][0], &seed["gateways"][1]);
    let named = format!("range_gateway={}", second["id"].as_str().unwrap());

    // Act
    let pulled = pull(SUITE, SPEC, &fake, TOKEN, &["--var", &named]);

    // Assert
    assert_eq!(pulled.cli.code, 0, "{}", pulled.shown());
    let instances = pulled.fixtures["huawei-apig"]["instances"]
        .as_array()
        .expect("instances");
    let ids: Vec<&Value> = instances.iter().map(|i| &i["instance_id"]).collect();
    assert_eq!(ids, [&first["id"], &second["id"]], "{}", pulled.shown());
    let port_ids = |ports: &Value| -> Vec<Value> {
        ports
            .as_array()
            .expect("ports")
            .iter()
            .map(|p| p["ingress_port_id"].clone())
            .collect()
    };
    assert_eq!(
        port_ids(&instances[1]["ingress_ports"]),
        port_ids(&second["ports"])
    );
}
