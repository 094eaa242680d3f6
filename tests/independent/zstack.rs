//! An independent ZStack `GetVipUsedPorts`, from the vendor notes: the
//! REST layer's plain-text 400s for a missing or non-OAuth header, 503 JSON
//! errors (ID.1001, SYS.1007, SYS.1003), a case-sensitive required
//! `protocol`, and used ports as strings with ranges expanded one port per
//! entry, in the order the VIP's rules were made (the notes fix no order).

use axum::http::Method;
use rstest::rstest;
use serde_json::{Value, json};

use crate::harness::{
    Call, Fake, Reply, Vendor, assert_fault_caught, assert_suite_passes, router, start_fake,
};
use crate::mirror::{fake_and_mock_answers, fidelity, pull};

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

/// The fake's VIPs the vars file names, as fixtures: their ranges as the fake keeps them.
fn named_vips_as_fixtures() -> Value {
    let vars: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(crate::harness::vars_file(SUITE)).expect("vars file"),
    )
    .expect("vars YAML");
    let fake = Zstack::new(Fault::None);
    let vips: Vec<Value> = [&vars["vip"], &vars["idle_vip"]]
        .into_iter()
        .map(|uuid| {
            let vip = fake
                .vips
                .iter()
                .find(|v| v["uuid"] == *uuid)
                .expect("a VIP of the fake");
            let ranges = |protocol: &str| -> Vec<String> {
                let ranges = vip["ranges"][protocol].as_array().expect("ranges");
                ranges
                    .iter()
                    .map(|r| match (r[0].as_u64(), r[1].as_u64()) {
                        (Some(a), Some(b)) if a == b => a.to_string(),
                        (Some(a), Some(b)) => format!("{a}-{b}"),
                        _ => panic!("a range"),
                    })
                    .collect()
            };
            json!({"uuid": uuid, "usedPorts": {"TCP": ranges("TCP"), "UDP": ranges("UDP")}})
        })
        .collect();
    json!({ "vips": vips })
}

#[test]
fn zstack_fixtures_pull_writes_the_fakes_vips_and_the_mock_answers_them() {
    // Arrange
    let fake = start_fake(Zstack::new(Fault::None));

    // Act
    let pulled = pull(SUITE, SPEC, &fake, SESSION, &[]);

    // Assert
    assert_eq!(pulled.cli.code, 0, "{}", pulled.shown());
    assert_eq!(
        pulled.fixtures["zstack"],
        named_vips_as_fixtures(),
        "{}",
        pulled.shown()
    );
    let vip = "5e1b7c9d2f304a6b8c7d9e0f1a2b3c4d";
    let auth = format!("OAuth {SESSION}");
    let header = ("authorization", auth.as_str());
    let udp = format!("/zstack/v1/vips/{vip}/usedports?protocol=UDP");
    let (live, mocked) = fake_and_mock_answers(&pulled, &fake, SESSION, &udp, header);
    assert_eq!(mocked, live);
    // The mock lists TCP ports sorted (the notes fix no order; the fake keeps its rules' order).
    let tcp = format!("/zstack/v1/vips/{vip}/usedports?protocol=TCP");
    let (live, mocked) = fake_and_mock_answers(&pulled, &fake, SESSION, &tcp, header);
    let sorted = |v: &Value| {
        let mut ports: Vec<String> = v["inventories"][0]["usedPorts"]
            .as_array()
            .expect("usedPorts")
            .iter()
            .map(|p| p.as_str().expect("a string").to_string())
            .collect();
        ports.sort();
        ports
    };
    assert_eq!(sorted(&mocked), sorted(&live));
}

fn faithful_fidelity() -> &'static crate::mirror::Fidelity {
    static RUN: std::sync::OnceLock<crate::mirror::Fidelity> = std::sync::OnceLock::new();
    RUN.get_or_init(|| fidelity(SUITE, SPEC, Zstack::new(Fault::None), SESSION, &[]))
}

#[test]
fn zstack_fidelity_mirrors_the_fake_and_compares_like_with_like() {
    faithful_fidelity().assert_like_with_like("zstack");
}

#[rstest]
#[case::integer_ports(Fault::IntegerPorts)]
#[case::protcol(Fault::Protcol)]
#[case::ranges_kept(Fault::RangesKept)]
#[case::case_insensitive(Fault::CaseInsensitive)]
#[case::auth_not_checked(Fault::AuthNotChecked)]
#[case::unknown_vip_empty(Fault::UnknownVipEmpty)]
fn zstack_fault_is_a_new_fidelity_difference(#[case] fault: Fault) {
    fidelity(SUITE, SPEC, Zstack::new(fault), SESSION, &[])
        .assert_fault_is_new("zstack", faithful_fidelity());
}

#[test]
fn a_read_the_live_side_refuses_stops_pull_and_fidelity_naming_the_operation_and_status() {
    // Arrange: the vars name a VIP the fake does not have.
    let fake = start_fake(Zstack::new(Fault::None));
    let absent = "1f2e3d4c5b6a47988776655443322110";
    let named = format!("vip={absent}");
    let said = format!("zstack.getVipUsedPorts (uuid={absent}, protocol=TCP) answered 503");

    // Act
    let pulled = pull(SUITE, SPEC, &fake, SESSION, &["--var", &named]);
    let compared = fidelity(
        SUITE,
        SPEC,
        Zstack::new(Fault::None),
        SESSION,
        &["--var", &named],
    );

    // Assert
    assert_eq!(pulled.cli.code, 2, "{}", pulled.shown());
    assert!(pulled.cli.stderr.contains(&said), "{}", pulled.shown());
    assert!(!pulled.path.exists(), "no fixtures file is written");
    assert_eq!(compared.cli.code, 2, "{}", compared.shown());
    assert!(compared.cli.stderr.contains(&said), "{}", compared.shown());
    assert!(compared.report.is_null(), "nothing is compared");
}

/// The fake behind a redirect: every path answers 307 to the same path
/// under `/moved/` of the same origin, where the fake answers.
fn moved_fake() -> Fake {
    let redirect = |uri: axum::http::Uri| async move {
        let moved = format!("/moved{}", uri.path_and_query().map_or("/", |p| p.as_str()));
        (
            axum::http::StatusCode::TEMPORARY_REDIRECT,
            [(axum::http::header::LOCATION, moved)],
        )
    };
    Fake::start(
        axum::Router::new()
            .nest("/moved", router(Zstack::new(Fault::None)))
            .fallback(redirect),
    )
}

#[test]
fn fixtures_pull_follows_redirects_only_with_follow_redirects() {
    // Arrange
    let fake = moved_fake();

    // Act
    let refused = pull(SUITE, SPEC, &fake, SESSION, &[]);
    let followed = pull(SUITE, SPEC, &fake, SESSION, &["--follow-redirects"]);

    // Assert: without the flag the 307 is the answer; with it the same origin's data is mirrored.
    assert_eq!(refused.cli.code, 2, "{}", refused.shown());
    assert!(
        refused.cli.stderr.contains("answered 307"),
        "{}",
        refused.shown()
    );
    assert!(!refused.path.exists(), "no fixtures file is written");
    assert_eq!(followed.cli.code, 0, "{}", followed.shown());
    assert_eq!(
        followed.fixtures["zstack"],
        named_vips_as_fixtures(),
        "{}",
        followed.shown()
    );
}

#[test]
fn fixtures_pull_stops_at_max_body_naming_the_cap() {
    // Arrange: every answer of the fake is longer than 64 bytes.
    let fake = start_fake(Zstack::new(Fault::None));

    // Act
    let capped = pull(SUITE, SPEC, &fake, SESSION, &["--max-body", "64"]);

    // Assert
    assert_ne!(capped.cli.code, 0, "{}", capped.shown());
    assert!(
        capped.cli.stderr.contains("exceeds 64 bytes"),
        "{}",
        capped.shown()
    );
    assert!(!capped.path.exists(), "no fixtures file is written");
}
