//! An independent ZStack `GetVipUsedPorts`, from the vendor notes: the
//! REST layer's plain-text 400s for a missing or non-OAuth header, 503 JSON
//! errors (ID.1001, SYS.1007, SYS.1003), a case-sensitive required
//! `protocol`, and used ports as strings with ranges expanded one port per
//! entry, in the order the VIP's rules were made (the notes fix no order).

use axum::http::Method;
use rstest::rstest;
use serde_json::{Value, json};

use crate::harness::{Call, Reply, Vendor, assert_fault_caught, assert_suite_passes};

const SUITE: &str = "zstack";
const SPEC: &str = "zstack";
/// The session uuid the fake knows.
const SESSION: &str = "3c4d5e6f708192a3b4c5d6e7f8091a2b";

/// One way the fake breaks the notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// `usedPorts` are integers.
    IntegerPorts,
    /// The field is the document's typo `protcol`.
    Protcol,
    /// A range is listed as `"9100-9103"`, not expanded.
    RangesKept,
    /// Lowercase `tcp` is accepted as TCP.
    CaseInsensitive,
    /// Any `Authorization` value is served.
    AuthNotChecked,
    /// An unknown VIP answers 200 with no used port.
    UnknownVipEmpty,
}

pub struct Zstack {
    fault: Fault,
    vips: Vec<Value>,
}

impl Zstack {
    pub fn new(fault: Fault) -> Zstack {
        let seed: Value = serde_json::from_str(include_str!("zstack.json")).expect("seed JSON");
        Zstack {
            fault,
            vips: seed["vips"].as_array().expect("vips").clone(),
        }
    }

    fn is(&self, fault: Fault) -> bool {
        self.fault == fault
    }
}

fn api_error(code: &str, description: &str, details: &str) -> Reply {
    Reply::json(
        503,
        &json!({"error": {"code": code, "description": description, "details": details}}),
    )
}

fn invalid_argument(details: &str) -> Reply {
    api_error("SYS.1007", "One or more API argument is invalid", details)
}

impl Vendor for Zstack {
    fn answer(&self, call: &Call) -> Reply {
        let uuid = match (call.method.clone(), call.segments().as_slice()) {
            (Method::GET, ["zstack", "v1", "vips", uuid, "usedports"]) => uuid.to_string(),
            _ => return Reply::text(404, "no route"),
        };
        if !self.is(Fault::AuthNotChecked) {
            let Some(header) = call.header("authorization") else {
                return Reply::text(400, "missing header 'Authorization'");
            };
            let Some(session) = header.strip_prefix("OAuth ") else {
                return Reply::text(400, "Authorization type must be 'OAuth'");
            };
            if session.trim() != SESSION {
                return api_error(
                    "ID.1001",
                    "session expired or invalid",
                    &format!("no valid session for {}", session.trim()),
                );
            }
        }
        let protocol = call
            .query_pairs()
            .into_iter()
            .find(|(name, _)| name == "protocol")
            .map(|(_, value)| value);
        let protocol = match protocol.as_deref() {
            Some(p @ ("TCP" | "UDP")) => p.to_string(),
            Some(p) if self.is(Fault::CaseInsensitive) && p.eq_ignore_ascii_case("tcp") => {
                "TCP".to_string()
            }
            Some(other) => {
                return invalid_argument(&format!(
                    "field[protocol] must be one of [TCP, UDP], got {other}"
                ));
            }
            None => return invalid_argument("field[protocol] is mandatory"),
        };
        let Some(vip) = self.vips.iter().find(|v| v["uuid"] == uuid.as_str()) else {
            if self.is(Fault::UnknownVipEmpty) {
                return self.inventory(&uuid, &protocol, Vec::new());
            }
            return api_error(
                "SYS.1003",
                "resource not found",
                &format!("resource[uuid: {uuid}, type: VipVO] not found"),
            );
        };
        let mut ports = Vec::new();
        for range in vip["ranges"][&protocol].as_array().into_iter().flatten() {
            let (start, end) = (
                range[0].as_u64().expect("start"),
                range[1].as_u64().expect("end"),
            );
            if self.is(Fault::RangesKept) && start != end {
                ports.push(json!(format!("{start}-{end}")));
                continue;
            }
            for port in start..=end {
                ports.push(if self.is(Fault::IntegerPorts) {
                    json!(port)
                } else {
                    json!(port.to_string())
                });
            }
        }
        self.inventory(&uuid, &protocol, ports)
    }
}

impl Zstack {
    fn inventory(&self, uuid: &str, protocol: &str, ports: Vec<Value>) -> Reply {
        let key = if self.is(Fault::Protcol) {
            "protcol"
        } else {
            "protocol"
        };
        let mut item = serde_json::Map::new();
        item.insert("usedPorts".into(), Value::Array(ports));
        item.insert(key.into(), json!(protocol));
        item.insert("uuid".into(), json!(uuid));
        Reply::json(200, &json!({"inventories": [item]}))
    }
}

#[test]
fn zstack_suite_passes_against_an_independent_server() {
    assert_suite_passes(SUITE, SPEC, Zstack::new(Fault::None), SESSION);
}

#[rstest]
#[case::integer_ports(Fault::IntegerPorts)]
#[case::protcol(Fault::Protcol)]
#[case::ranges_kept(Fault::RangesKept)]
#[case::case_insensitive(Fault::CaseInsensitive)]
#[case::auth_not_checked(Fault::AuthNotChecked)]
#[case::unknown_vip_empty(Fault::UnknownVipEmpty)]
fn zstack_fault_fails_the_suite(#[case] fault: Fault) {
    assert_fault_caught(
        SUITE,
        SPEC,
        Zstack::new(fault),
        SESSION,
        "zstack.getVipUsedPorts",
    );
}
