//! ZStack `GetVipUsedPorts` (`GET /zstack/v1/vips/{uuid}/usedports?protocol=TCP|UDP`),
//! following the vendor notes (`vendor-notes.md`, checked against zstackio/zstack).
//!
//! Owns the VIPs of the fixtures and their used port ranges per protocol. Rules:
//! - `protocol` is required and case-sensitive (`TCP` or `UDP`); a missing or other
//!   value is HTTP 503 `SYS.1007` whose details name the field (the core checks the
//!   enum, [`ZStack::invalid_request`] words it as `ApiMessageProcessorImpl` does).
//!   A repeated `protocol` is refused by the REST layer with 400 plain text.
//! - `usedPorts` are strings: the ranges sorted by their first port, then expanded one
//!   port per entry (`RangeSet.sortAndToString`); a protocol with no range gives `[]`.
//! - An unknown VIP uuid is 503 `SYS.1003` "resource ... not found".
//! - `Authorization: OAuth <session>` (trimmed, as `RestServer` reads it): no header is
//!   400 `missing header 'Authorization'`, another scheme 400 `Authorization type must
//!   be 'OAuth'` (both plain text), an unknown session 503 `ID.1001`.
//! - An unknown route under `/zstack/` is 404 plain text `no api mapping to <path>`.

use std::collections::BTreeMap;
use std::fmt;

use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::mirror::{Reads, Vars, all, vars_named};
use super::{Answer, Serve, Vendor};
use crate::mock::reply::Reply;
use crate::mock::request::{MockRequest, RequestProblem};

/// The servlet context every ZStack REST path lives under.
const CONTEXT_PATH: &str = "/zstack";
/// The API message behind the operation, as named in argument errors.
const MESSAGE: &str = "APIGetVipUsedPortsMsg";

/// Seed data for ZStack: the VIPs that exist.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    /// The VIPs that exist; any other VIP uuid is unknown.
    #[serde(default)]
    pub vips: Vec<VipFixture>,
}

/// One VIP and the port ranges its network services already use.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VipFixture {
    /// 32 lowercase hex characters.
    pub uuid: String,
    /// For people reading the fixtures and the state; never in a reply.
    #[serde(default)]
    pub name: Option<String>,
    /// Ports the VIP's network services already use.
    #[serde(default)]
    pub used_ports: UsedPorts,
}

/// Used port ranges per protocol.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UsedPorts {
    /// Used TCP ports and ranges (`TCP`).
    #[serde(default, rename = "TCP")]
    pub tcp: Vec<PortRange>,
    /// Used UDP ports and ranges (`UDP`).
    #[serde(default, rename = "UDP")]
    pub udp: Vec<PortRange>,
}

/// A port (`80`) or an inclusive range of ports (`"1000-1002"`), 1..=65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "RawRange", into = "String")]
pub struct PortRange {
    first: u16,
    last: u16,
}

/// How a range is written in the fixtures.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawRange {
    Port(u64),
    Text(String),
}

impl TryFrom<RawRange> for PortRange {
    type Error = String;

    fn try_from(raw: RawRange) -> Result<Self, Self::Error> {
        let text = match raw {
            RawRange::Port(port) => port.to_string(),
            RawRange::Text(text) => text,
        };
        let (first, last) = text.split_once('-').unwrap_or((&text, &text));
        let port = |s: &str| s.trim().parse::<u16>().ok().filter(|p| *p > 0);
        match (port(first), port(last)) {
            (Some(first), Some(last)) if first <= last => Ok(PortRange { first, last }),
            _ => Err(format!(
                "`{text}` is not a port or a port range like 1000-1002 (ports 1..65535, low to high)"
            )),
        }
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

impl From<PortRange> for String {
    fn from(range: PortRange) -> String {
        range.to_string()
    }
}

/// The ports of `ranges` as ZStack lists them: sorted by range start, one string per port.
fn expand(ranges: &[PortRange]) -> Vec<String> {
    let mut sorted = ranges.to_vec();
    sorted.sort_by_key(|r| r.first);
    sorted
        .iter()
        .flat_map(|r| r.first..=r.last)
        .map(|p| p.to_string())
        .collect()
}

/// What the ZStack mock remembers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct State {
    /// VIPs by uuid.
    vips: BTreeMap<String, Vip>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Vip {
    name: Option<String>,
    used_ports: UsedPorts,
}

impl State {
    /// State holding exactly the fixtures.
    pub fn new(fixtures: &Fixtures) -> State {
        let vips = fixtures
            .vips
            .iter()
            .map(|v| {
                (
                    v.uuid.clone(),
                    Vip {
                        name: v.name.clone(),
                        used_ports: v.used_ports.clone(),
                    },
                )
            })
            .collect();
        State { vips }
    }
}

/// The two protocols the API accepts, spelled exactly so.
const PROTOCOLS: [&str; 2] = ["TCP", "UDP"];

/// The operations the ZStack mock serves.
const OPERATIONS: &[(&str, Serve<State>)] = &[("zstack.getVipUsedPorts", Serve::Read(used_ports))];

/// The ZStack vendor.
#[derive(Clone, Copy)]
pub struct ZStack;

impl Vendor for ZStack {
    type Fixtures = Fixtures;
    type State = State;

    fn state(&self, fixtures: &Fixtures) -> State {
        State::new(fixtures)
    }

    fn operations(&self) -> Vec<(&str, Serve<State>)> {
        OPERATIONS.to_vec()
    }

    fn owns_path(&self, path: &str) -> bool {
        path.starts_with("/zstack/")
    }

    fn not_found(&self, path: &str) -> Reply {
        let inner = path.strip_prefix(CONTEXT_PATH).unwrap_or(path);
        Reply::text(
            404,
            format!(
                "no api mapping to {}",
                percent_decode_str(inner).decode_utf8_lossy()
            ),
        )
    }

    fn method_not_allowed(&self) -> Reply {
        Reply::text(405, "the method is not allowed for this path")
    }

    fn authenticate(&self, req: &MockRequest<'_>, token: &str) -> Option<Reply> {
        if !req.headers.contains_key("authorization") {
            return Some(Reply::text(400, "missing header 'Authorization'"));
        }
        let Some(credential) = req
            .header("authorization")
            .map(str::trim)
            .filter(|v| v.starts_with("OAuth"))
        else {
            return Some(Reply::text(400, "Authorization type must be 'OAuth'"));
        };
        let session = credential.replacen("OAuth", "", 1);
        (session.trim() != token)
            .then(|| api_error("ID.1001", "Invalid session", "Session expired"))
    }

    fn invalid_request(&self, req: &MockRequest<'_>, problem: &RequestProblem) -> Reply {
        repeated_protocol(req).unwrap_or_else(|| invalid_argument(&argument_details(problem)))
    }

    fn error(&self, status: u16, message: &str) -> Reply {
        // API errors are 503 with an ErrorCode; everything else comes from the REST layer as text.
        match status {
            503 => api_error("SYS.1000", "An internal error happened in system", message),
            _ => Reply::text(status, message),
        }
    }

    /// The VIPs the variables `vip`, `idle_vip` and `range_vip` name, with the used ports
    /// the live service lists for each protocol (in its order, consecutive
    /// ports joined into ranges).
    fn mirror(&self, vars: &Vars, reads: &mut Reads) -> Option<Value> {
        let uuids = vars_named(vars, MIRRORED_VIPS);
        if uuids.is_empty() {
            return None;
        }
        let vips = all(uuids.iter().map(|uuid| mirror_vip(uuid, reads)))?;
        Some(json!({ "vips": vips }))
    }
}

/// The variables of the ZStack scenarios that name an existing VIP.
const MIRRORED_VIPS: &[&str] = &["vip", "idle_vip", "range_vip"];

/// One VIP as a fixture, from its live used ports per protocol.
fn mirror_vip(uuid: &str, reads: &mut Reads) -> Option<Value> {
    let answers = all(PROTOCOLS.map(|protocol| {
        reads.get(
            "zstack.getVipUsedPorts",
            &[("uuid", uuid), ("protocol", protocol)],
        )
    }))?;
    let mut used_ports = serde_json::Map::new();
    for (protocol, answer) in PROTOCOLS.iter().zip(&answers) {
        let listed = answer
            .pointer("/inventories/0/usedPorts")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        used_ports.insert(protocol.to_string(), json!(joined_ranges(listed)));
    }
    Some(json!({"uuid": uuid, "usedPorts": used_ports}))
}

/// Listed ports (`"80"`, or a range or number where a service lists one) as
/// fixture ranges in the listed order, a run of consecutive ports as one range.
fn joined_ranges(listed: &[Value]) -> Vec<String> {
    let mut ranges: Vec<PortRange> = Vec::new();
    for item in listed {
        let raw = match item {
            Value::Number(n) => n.as_u64().map(RawRange::Port),
            Value::String(s) => Some(RawRange::Text(s.clone())),
            _ => None,
        };
        let Some(range) = raw.and_then(|r| PortRange::try_from(r).ok()) else {
            continue;
        };
        match ranges.last_mut() {
            Some(last) if u32::from(last.last) + 1 == u32::from(range.first) => {
                last.last = range.last
            }
            _ => ranges.push(range),
        }
    }
    ranges.into_iter().map(String::from).collect()
}

/// `GetVipUsedPorts`: the used ports of one VIP for one protocol.
fn used_ports(state: &State, req: &MockRequest<'_>) -> Answer {
    if let Some(reply) = repeated_protocol(req) {
        return Err(reply);
    }
    let uuid = req.path_param("uuid").unwrap_or_default();
    let protocol = req.query_param("protocol").unwrap_or_default();
    let Some(vip) = state.vips.get(uuid) else {
        let details = format!("invalid field[uuid], resource[uuid:{uuid}, type:VipVO] not found");
        return Err(api_error("SYS.1003", "Unable to find resource", &details));
    };
    let ranges = match protocol {
        "TCP" => &vip.used_ports.tcp,
        "UDP" => &vip.used_ports.udp,
        other => return Err(invalid_argument(&invalid_protocol(other))),
    };
    let inventory = json!({"uuid": uuid, "protocol": protocol, "usedPorts": expand(ranges)});
    Ok(Reply::json(200, json!({"inventories": [inventory]})))
}

/// An API error: HTTP 503 with the ErrorCode under `error`.
fn api_error(code: &str, description: &str, details: &str) -> Reply {
    Reply::json(
        503,
        json!({"error": {"code": code, "description": description, "details": details}}),
    )
}

/// SYS.1007, the argument error of `ApiMessageProcessorImpl`.
fn invalid_argument(details: &str) -> Reply {
    api_error("SYS.1007", "One or more API argument is invalid", details)
}

/// The REST layer maps a single-valued field from exactly one query value.
fn repeated_protocol(req: &MockRequest<'_>) -> Option<Reply> {
    let count = req
        .query
        .iter()
        .filter(|(name, _)| name == "protocol")
        .count();
    (count > 1).then(|| {
        Reply::text(400, "Invalid query parameter[protocol], only one value is allowed for the parameter but multiple values found")
    })
}

/// The details of SYS.1007 for a request problem, naming the field.
fn argument_details(problem: &RequestProblem) -> String {
    match problem {
        RequestProblem::MissingParameter { name, .. } => {
            format!("field[{name}] of message[{MESSAGE}] is mandatory, can not be null")
        }
        RequestProblem::InvalidParameter { name, value, .. } if name == "protocol" => {
            invalid_protocol(value)
        }
        RequestProblem::InvalidParameter { name, reason, .. } => {
            format!("invalid field[{name}] of message[{MESSAGE}]: {reason}")
        }
        other => other.message(),
    }
}

fn invalid_protocol(value: &str) -> String {
    format!(
        "valid value for field[protocol] of message[{MESSAGE}] are [{}], but {value} found",
        PROTOCOLS.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> Result<PortRange, String> {
        PortRange::try_from(RawRange::Text(text.into()))
    }

    #[test]
    fn ranges_read_single_ports_and_inclusive_spans() {
        assert_eq!(
            range("80"),
            Ok(PortRange {
                first: 80,
                last: 80
            })
        );
        assert_eq!(
            range("1000-1002"),
            Ok(PortRange {
                first: 1000,
                last: 1002
            })
        );
        assert_eq!(
            PortRange::try_from(RawRange::Port(22)),
            Ok(PortRange {
                first: 22,
                last: 22
            })
        );
    }

    #[test]
    fn ranges_refuse_zero_reversed_huge_and_words() {
        for bad in ["0", "10-5", "65536", "http", "1-", ""] {
            assert!(range(bad).is_err(), "{bad} was accepted");
        }
        assert!(PortRange::try_from(RawRange::Port(u64::MAX)).is_err());
    }

    #[test]
    fn listed_ports_join_into_ranges_in_their_order() {
        let listed = json!(["8443", "9100", "9101", "9102", "443", 444, "5000-5001", "x"]);
        assert_eq!(
            joined_ranges(listed.as_array().unwrap()),
            ["8443", "9100-9102", "443-444", "5000-5001"]
        );
    }

    #[test]
    fn expansion_sorts_ranges_by_start_and_lists_every_port() {
        let ranges = [
            range("1000").unwrap(),
            range("200-202").unwrap(),
            range("100").unwrap(),
            range("65535").unwrap(),
        ];
        assert_eq!(
            expand(&ranges),
            ["100", "200", "201", "202", "1000", "65535"]
        );
        assert!(expand(&[]).is_empty());
    }
}
