//! `vouch fidelity`: the same scenarios against the built-in mock and a fake
//! live vendor. A faithful fake (another mock) scores 1.0; a fake that
//! drifts in known ways shows exactly those differences, with their kind,
//! pointer and whether the spec's x-errata already record them; the CLI maps
//! the score to its exit code and writes JSON and HTML reports, and the HTML
//! report renders its heatmap and diffs in headless Chromium.

mod fidelity_support;
mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fidelity_support::{
    Answer, DriftingVendor, TempDir, catalog_of, compare, compare_with, live_kind, mock_with_token,
    options, specs_with, vouch,
};
use rstest::rstest;
use serde_json::{Value, json};
use support::wait_bounded;
use vouch::fidelity::{Class, Difference, FidelityReport, Kind};
use vouch::mock::DEFAULT_TOKEN;

const VIP: &str = "d8474e0dbfe84d47a449bb34979cbcb9";
const PROJECT: &str = "05602623488025ea2f1ac01f1d3f1e2b";
const GATEWAY: &str = "eddc4d25480b4cd6b512f270a1b8b341";

/// Scenarios whose steps the drifting vendor changes (each drift in the last
/// step that runs, since the runner stops a scenario at a failing step).
/// One step reading the used ports of `uuid` for `protocol`.
fn used_ports(protocol: &str, uuid: &str) -> String {
    format!(
        "name: used ports\ntags: [zstack]\nsteps:\n  - operation: zstack.getVipUsedPorts\n    \
         params: {{uuid: \"{uuid}\", protocol: {protocol}}}\n    expect: {{status: [200, 503]}}\n    snapshot: false\n"
    )
}

fn drift_scenarios(dir: &TempDir) {
    dir.write("zstack/renamed.yaml", &used_ports("TCP", VIP));
    dir.write("zstack/extra-field.yaml", &used_ports("UDP", VIP));
    dir.write("zstack/status.yaml", &used_ports("TCP", &"0".repeat(32)));
    let list = |limits: &[u32]| {
        let steps: String = limits
            .iter()
            .map(|limit| {
                format!(
                    "  - operation: huawei-apig.listIngressPorts\n    params: {{project_id: \"{PROJECT}\", \
                     instance_id: \"{GATEWAY}\", limit: {limit}}}\n    snapshot: false\n"
                )
            })
            .collect();
        format!("name: list ports\ntags: [huawei-apig]\nsteps:\n{steps}")
    };
    dir.write("huawei/content-type.yaml", &list(&[6]));
    dir.write("huawei/value.yaml", &list(&[7, 9]));
    dir.write("huawei/slow.yaml", &list(&[8]));
}

/// The drifts, keyed on the request.
fn drift(target: &str, answer: &mut Answer) {
    if target.contains(VIP) && target.ends_with("protocol=TCP") {
        // An old server release: `protcol` for `protocol` (the schema's x-errata says so).
        answer.json(|j| {
            let inventory = j["inventories"][0].as_object_mut().unwrap();
            let protocol = inventory.shift_remove("protocol").unwrap();
            inventory.insert("protcol".into(), protocol);
        });
    } else if target.contains(VIP) && target.ends_with("protocol=UDP") {
        answer.json(|j| j["inventories"][0]["cost"] = json!(3));
    } else if target.contains(&"0".repeat(32)) {
        answer.status = 404;
    } else if target.ends_with("limit=6") {
        answer.content_type = "text/plain".into();
    } else if target.ends_with("limit=7") {
        answer.json(|j| j["ingress_port_infos"][0]["status"] = json!("abnormal"));
    } else if target.ends_with("limit=8") {
        answer.delay = Duration::from_millis(1500);
    }
}

async fn drifting_vendor() -> DriftingVendor {
    DriftingVendor::start(DEFAULT_TOKEN, Arc::new(drift)).await
}

/// The drift scenarios, in a temporary folder named after `name`, compared
/// between the built-in mock and the drifting vendor.
async fn drifting_report(name: &str) -> (TempDir, FidelityReport) {
    let dir = TempDir::new(name);
    drift_scenarios(&dir);
    let vendor = drifting_vendor().await;
    let report = compare(
        &dir.0,
        &dir.scenarios(),
        &live_kind(&vendor.url, DEFAULT_TOKEN),
    )
    .await;
    (dir, report)
}

/// (scenario, kind, pointer, known) of every difference.
fn found(report: &FidelityReport) -> Vec<(String, Kind, String, bool)> {
    let mut out: Vec<_> = report
        .scenarios
        .iter()
        .flat_map(|s| {
            s.steps.iter().flat_map(move |step| {
                step.differences.iter().map(move |d| {
                    let known = matches!(d.class, Class::Known { .. });
                    (s.id.clone(), d.kind, d.pointer.clone(), known)
                })
            })
        })
        .collect();
    out.sort();
    out
}

fn difference<'r>(report: &'r FidelityReport, pointer: &str) -> &'r Difference {
    report
        .scenarios
        .iter()
        .flat_map(|s| &s.steps)
        .flat_map(|s| &s.differences)
        .find(|d| d.pointer == pointer)
        .unwrap_or_else(|| panic!("no difference at {pointer}"))
}

fn score_of(report: &FidelityReport, operation: &str) -> Option<f64> {
    report
        .operations
        .iter()
        .find(|o| o.operation == operation)
        .and_then(|o| o.score)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_faithful_live_target_scores_one() {
    // Arrange: the repository's own scenarios, and a second mock as the live target.
    let live = mock_with_token("a-live-token").await;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let scenarios = [
        vouch::scenario::load_dir(
            &root.join("zstack"),
            &support::catalog(),
            &Default::default(),
        )
        .expect("zstack scenarios"),
        vouch::scenario::load_dir(
            &root.join("huawei-apig"),
            &support::catalog(),
            &Default::default(),
        )
        .expect("huawei scenarios"),
    ]
    .concat();

    // Act
    let report = compare(&root, &scenarios, &live_kind(&live.url(), "a-live-token")).await;

    // Assert
    let scored: Vec<_> = found(&report)
        .into_iter()
        .filter(|(_, kind, _, _)| kind.scored())
        .collect();
    assert_eq!(scored, [], "{}", report.details());
    assert_eq!(report.score, Some(1.0));
    assert!(report.steps > 20, "{}", report.table());
    assert!(report.operations.iter().all(|o| o.score == Some(1.0)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drifting_vendor_shows_exactly_its_drifts() {
    // Arrange and act
    let (_dir, report) = drifting_report("drift").await;

    // Assert
    let expected = [
        ("huawei/content-type", Kind::ContentType, "", false),
        ("huawei/content-type", Kind::Validity, "", false),
        ("huawei/slow", Kind::Latency, "", false),
        (
            "huawei/value",
            Kind::ValueChanged,
            "/ingress_port_infos/0/status",
            false,
        ),
        (
            "zstack/extra-field",
            Kind::FieldAdded,
            "/inventories/0/cost",
            false,
        ),
        (
            "zstack/renamed",
            Kind::FieldRemoved,
            "/inventories/0/protocol",
            false,
        ),
        (
            "zstack/renamed",
            Kind::FieldAdded,
            "/inventories/0/protcol",
            false,
        ),
        ("zstack/renamed", Kind::Validity, "/inventories/0", false),
        ("zstack/status", Kind::Status, "", false),
        ("zstack/status", Kind::Validity, "", false),
    ];
    let mut expected: Vec<_> = expected
        .iter()
        .map(|(s, k, p, known)| (s.to_string(), *k, p.to_string(), *known))
        .collect();
    expected.sort();
    assert_eq!(found(&report), expected, "{}", report.details());

    // The schema's erratum tells of `protcol` in its prose but explains
    // nothing: the rename is new.
    let renamed = difference(&report, "/inventories/0/protcol");
    assert_eq!((&renamed.class, renamed.scored), (&Class::New, true));
    let value = difference(&report, "/ingress_port_infos/0/status");
    assert_eq!(
        (value.mock.as_str(), value.live.as_str()),
        ("\"normal\"", "\"abnormal\"")
    );

    // Scores: the three zstack steps all drift; listIngressPorts has two
    // faithful steps of four (latency is reported, not scored).
    assert_eq!(score_of(&report, "zstack.getVipUsedPorts"), Some(0.0));
    assert_eq!(score_of(&report, "huawei-apig.listIngressPorts"), Some(0.5));
    assert_eq!((report.faithful, report.steps), (2, 7));
    assert_eq!((report.new, report.known), (9, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn destructive_scenarios_are_skipped_unless_allowed() {
    // Arrange
    let dir = TempDir::new("destructive");
    dir.write(
        "add.yaml",
        &format!(
            "name: add\ntags: [huawei-apig, destructive]\nsteps:\n  - operation: huawei-apig.addIngressPort\n    \
             params: {{project_id: \"{PROJECT}\", instance_id: \"{GATEWAY}\"}}\n    \
             body: {{protocol: HTTP, ingress_port: 18080}}\n    snapshot: false\n"
        ),
    );
    let live = mock_with_token(DEFAULT_TOKEN).await;
    let cautious = vouch::suite::TargetKind::Live {
        target: vouch::runner::Target {
            default_base_url: Some(live.url()),
            default_token: Some(DEFAULT_TOKEN.into()),
            live: true,
            ..Default::default()
        },
        allow_destructive: false,
    };

    // Act
    let report = compare(&dir.0, &dir.scenarios(), &cautious).await;

    // Assert: nothing was sent to the live target, and nothing is scored.
    assert!(
        report.scenarios[0]
            .skipped
            .as_deref()
            .unwrap_or_default()
            .contains("--allow-destructive")
    );
    assert_eq!((report.steps, report.score), (0, None));
    assert!(live.state.journal().is_empty());
}

#[test]
fn a_declared_header_that_differs_is_named() {
    // Arrange: a spec declaring a response header, and two answers that differ there.
    let spec = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /things:\n    get:\n      \
        operationId: listThings\n      responses:\n        '200':\n          description: ok\n          \
        headers:\n            X-Total-Count: {schema: {type: integer}}\n            \
        X-Request-Id: {schema: {type: string, x-volatile: true}}\n          content:\n            \
        application/json: {schema: {type: array}}\n";
    let spec = vouch::spec::Spec::parse(Path::new("things.yaml"), spec).expect("spec parses");
    let op = &spec.operations[0];
    let answer = |headers: &[(&str, &str)]| vouch::exchange::Exchange {
        method: "GET".into(),
        url: "http://127.0.0.1/things".into(),
        request_headers: Vec::new(),
        request_body: None,
        request_raw_body: None,
        status: 200,
        content_type: Some("application/json".into()),
        response_headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: "[]".into(),
        elapsed_ms: 1.0,
    };
    let mock = answer(&[("x-total-count", "0"), ("x-request-id", "a")]);
    let live = answer(&[("X-Total-Count", "2"), ("X-Request-Id", "b")]);
    let context = vouch::fidelity::Context {
        latency_threshold_ms: 200.0,
        mock_volatile: &[],
        live_volatile: &[],
    };

    // Act
    let found = vouch::fidelity::classify(Some((&spec, op)), &mock, &live, &context);

    // Assert: the count differs; the volatile request id may.
    assert_eq!(
        found,
        [Difference::new(
            Kind::Header,
            "x-total-count",
            "0".into(),
            "2".into()
        )]
    );
}

fn report_paths(dir: &TempDir) -> (PathBuf, PathBuf) {
    (
        dir.0.join("out/fidelity.json"),
        dir.0.join("out/fidelity.html"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_passes_a_faithful_target_and_keeps_its_token_out_of_the_reports() {
    // Arrange
    let token = "live-secret-7f3a9c";
    let live = mock_with_token(token).await;
    let dir = TempDir::new("cli-ok");
    let (json_path, html_path) = report_paths(&dir);
    let args: Vec<String> = vec![
        "fidelity".into(),
        "--base-url".into(),
        live.url(),
        format!("{}/scenarios/huawei-apig", env!("CARGO_MANIFEST_DIR")),
        "--allow-destructive".into(),
        "--timeout".into(),
        "5".into(),
        "--report".into(),
        format!("json={}", json_path.display()),
        "--report".into(),
        format!("html={}", html_path.display()),
    ];

    // Act
    let done = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        wait_bounded(vouch(&args, token), Duration::from_secs(120))
    })
    .await
    .unwrap();

    // Assert
    assert_eq!(
        done.status.code(),
        Some(0),
        "{}{}",
        done.stdout,
        done.stderr
    );
    assert!(
        done.stdout.contains("huawei-apig.addIngressPort"),
        "{}",
        done.stdout
    );
    let json_text = std::fs::read_to_string(&json_path).unwrap();
    let html = std::fs::read_to_string(&html_path).unwrap();
    let report: Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(report["score"], json!(1.0));
    assert!(
        json_text.contains("[secret]"),
        "the credential header is shown redacted"
    );
    for text in [&json_text, &html, &done.stdout, &done.stderr] {
        assert!(!text.contains(token), "the live token leaked into a report");
    }
}

#[rstest]
#[case::drift_fails_the_default_minimum("default", &["{url}", "{scenarios}"], 1)]
#[case::a_low_minimum_passes("low-min", &["{url}", "{scenarios}", "--min-fidelity", "0.2"], 0)]
#[case::a_minimum_over_one_is_invalid("bad-min", &["{url}", "{scenarios}", "--min-fidelity", "2"], 2)]
#[case::an_unknown_report_kind_is_invalid("bad-report", &["{url}", "{scenarios}", "--report", "pdf=x"], 2)]
#[case::a_base_url_that_is_no_url_is_invalid("bad-url", &["not-a-url", "{scenarios}"], 2)]
#[case::a_closed_port_is_unreachable("closed", &["{closed}", "{scenarios}", "--timeout", "2"], 3)]
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_exit_code_follows_the_score_the_input_and_the_target(
    #[case] label: &str,
    #[case] args: &[&str],
    #[case] code: i32,
) {
    // Arrange
    let dir = TempDir::new(&format!("cli-codes-{label}"));
    drift_scenarios(&dir);
    let vendor = drifting_vendor().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let scenarios = dir.0.display().to_string();
    let mut full = vec!["fidelity".to_string(), "--base-url".into()];
    full.extend(args.iter().map(|a| {
        a.replace("{url}", &vendor.url)
            .replace("{scenarios}", &scenarios)
            .replace("{closed}", &closed)
    }));
    let shown = full.join(" ");

    // Act
    let done = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = full.iter().map(String::as_str).collect();
        wait_bounded(vouch(&args, DEFAULT_TOKEN), Duration::from_secs(120))
    })
    .await
    .unwrap();

    // Assert
    assert_eq!(
        done.status.code(),
        Some(code),
        "vouch {shown}\n{}{}",
        done.stdout,
        done.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_html_report_shows_the_heatmap_and_the_diffs_in_chromium() {
    // Arrange: a report of the drifting vendor.
    let (dir, report) = drifting_report("html").await;
    let page = dir.0.join("report.html");
    vouch::report::FidelityHtmlReport { path: page.clone() }
        .write(&report)
        .unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    support::browser::assert_self_contained(&html);

    // Act
    let Some(browser) = support::browser::installed_chromium() else {
        return;
    };
    let scratch = dir.0.clone();
    let rendered =
        tokio::task::spawn_blocking(move || support::browser::render(browser, &page, &scratch))
            .await
            .unwrap();

    // Assert: the heatmap has a row per operation with its score and counts…
    let dom = rendered.dom;
    assert!(dom.contains("id=\"heatmap\""), "{dom}");
    assert!(
        dom.contains("<tr data-op=\"zstack.getVipUsedPorts\">"),
        "{dom}"
    );
    assert!(dom.contains(">50.0%<") && dom.contains(">0.0%<"), "{dom}");
    // …each difference is listed and highlighted in both answers, side by side…
    assert!(
        dom.contains("<mark class=\"changed\">\"status\": \"abnormal\"</mark>"),
        "{dom}"
    );
    assert!(
        dom.contains("<mark class=\"changed\">\"status\": \"normal\"</mark>"),
        "{dom}"
    );
    assert!(
        dom.contains("<mark class=\"added\">\"protcol\": \"TCP\"</mark>"),
        "{dom}"
    );
    assert!(
        dom.contains("<mark class=\"removed\">\"protocol\": \"TCP\"</mark>"),
        "{dom}"
    );
    assert_eq!(dom.matches("<div class=\"sides\">").count(), 6, "{dom}");
    // …and the page's script ran.
    assert!(dom.contains("6 of 6 differing steps shown"), "{dom}");
    let png = rendered.png;
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
}

/// The start of the x-errata of the spec's ZStack inventory schema.
const INVENTORY_ERRATA: &str = "      x-errata:\n        - document: \"Inventory field 'protcol'";

/// The repository's specs, the ZStack inventory schema carrying one more
/// erratum: its prose tells of `usedPorts` and `vipUuid`, and it explains
/// only the rename of `protocol` and a changed `uuid`.
fn specs_with_an_inventory_erratum(dir: &TempDir) -> Vec<PathBuf> {
    let zstack =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/zstack.yaml"))
            .unwrap();
    assert!(zstack.contains(INVENTORY_ERRATA));
    let erratum = "      x-errata:\n        - document: \"The sample gives usedPorts as integers and names the id vipUuid.\"\n          \
        actual: \"usedPorts are strings; some releases name the field protcol and give another uuid.\"\n          \
        source: a test\n          explains:\n            - {class: field-added, pointer: /inventories/*/protcol}\n            \
        - {class: field-removed, pointer: /inventories/*/protocol}\n            - {class: value, pointer: /inventories/*/uuid}\n        \
        - document: \"Inventory field 'protcol'";
    specs_with(
        dir,
        "zstack.yaml",
        &zstack.replace(INVENTORY_ERRATA, erratum),
    )
}

/// A live ZStack whose used ports of the VIP differ: `protcol` and integer
/// `usedPorts` when `fault`, a changed `uuid` always.
fn inventory_drift(fault: bool) -> fidelity_support::Drift {
    Arc::new(move |target: &str, answer: &mut Answer| {
        if target.contains(VIP) {
            answer.json(|j| {
                let inventory = j["inventories"][0].as_object_mut().unwrap();
                inventory.insert("uuid".into(), json!("another-vip-uuid"));
                if fault {
                    let protocol = inventory.shift_remove("protocol").unwrap();
                    inventory.insert("protcol".into(), protocol);
                    let ports: Vec<Value> = inventory["usedPorts"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| json!(p.as_str().unwrap().parse::<u64>().unwrap()))
                        .collect();
                    inventory.insert("usedPorts".into(), Value::Array(ports));
                }
            });
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn an_erratum_explains_only_the_subjects_it_lists_and_never_a_broken_contract() {
    // Arrange
    let (specs, dir) = (TempDir::new("errata-specs"), TempDir::new("errata"));
    let catalog = catalog_of(&specs_with_an_inventory_erratum(&specs));
    dir.write("zstack/used-ports.yaml", &used_ports("TCP", VIP));
    let vendor = DriftingVendor::start(DEFAULT_TOKEN, inventory_drift(true)).await;

    // Act
    let report = compare_with(
        &catalog,
        &dir.scenarios_of(&catalog),
        &live_kind(&vendor.url, DEFAULT_TOKEN),
        &options(&dir.0),
    )
    .await;

    // Assert: the subjects it lists are known, by that erratum…
    for pointer in [
        "/inventories/0/protcol",
        "/inventories/0/protocol",
        "/inventories/0/uuid",
    ] {
        let d = difference(&report, pointer);
        assert!(
            matches!(&d.class, Class::Known { erratum }
                if erratum == "/components/schemas/ZStackVipUsedPortsInventory/x-errata/0"),
            "{d:?}"
        );
        assert!(!d.scored);
    }
    // …the prose's `usedPorts` explains nothing, and the broken contract is new.
    let all: Vec<&Difference> = report.scenarios[0].steps[0].differences.iter().collect();
    let retyped: Vec<_> = all
        .iter()
        .filter(|d| d.pointer.starts_with("/inventories/0/usedPorts/"))
        .collect();
    assert!(!retyped.is_empty(), "{}", report.details());
    assert!(
        retyped
            .iter()
            .all(|d| d.kind == Kind::TypeChanged && d.class == Class::New && d.scored)
    );
    let validity = all.iter().find(|d| d.kind == Kind::Validity).unwrap();
    assert_eq!((&validity.class, validity.scored), (&Class::New, true));
    assert_eq!((report.known, report.new), (3, retyped.len() + 1));
    assert_eq!(report.score, Some(0.0));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_passes_a_target_whose_differences_are_all_known() {
    // Arrange: the only drift is one an erratum explains.
    let (specs, dir) = (TempDir::new("known-cli-specs"), TempDir::new("known-cli"));
    let spec_paths = specs_with_an_inventory_erratum(&specs);
    dir.write("zstack/used-ports.yaml", &used_ports("TCP", VIP));
    let vendor = DriftingVendor::start(DEFAULT_TOKEN, inventory_drift(false)).await;
    let mut args = vec![
        "fidelity".to_string(),
        "--base-url".into(),
        vendor.url.clone(),
        dir.0.display().to_string(),
    ];
    for spec in &spec_paths {
        args.extend(["--spec".to_string(), spec.display().to_string()]);
    }

    // Act
    let done = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        wait_bounded(vouch(&args, DEFAULT_TOKEN), Duration::from_secs(120))
    })
    .await
    .unwrap();

    // Assert: reported as known, and no failure.
    assert_eq!(
        done.status.code(),
        Some(0),
        "{}{}",
        done.stdout,
        done.stderr
    );
    assert!(
        done.stdout.contains(
            "value-changed at /inventories/0/uuid: mock \"d8474e0dbfe84d47a449bb34979cbcb9\", live \"another-vip-uuid\" \
             [known: #/components/schemas/ZStackVipUsedPortsInventory/x-errata/0]"
        ),
        "{}",
        done.stdout
    );
    assert!(done.stdout.contains("0 new, 1 known"), "{}", done.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn free_text_differences_are_reported_and_scored_only_when_asked() {
    // Arrange: a refused port whose message the live target words otherwise.
    let dir = TempDir::new("free-text");
    dir.write(
        "huawei/bad-protocol.yaml",
        &format!(
            "name: bad protocol\ntags: [huawei-apig, destructive]\nsteps:\n  - operation: huawei-apig.addIngressPort\n    \
             params: {{project_id: \"{PROJECT}\", instance_id: \"{GATEWAY}\"}}\n    \
             body: {{protocol: TCP, ingress_port: 18080}}\n    expect: {{status: 400}}\n    snapshot: false\n"
        ),
    );
    let drift: fidelity_support::Drift = Arc::new(|_: &str, answer: &mut Answer| {
        if answer.status == 400 {
            answer.json(|j| j["error_msg"] = json!("The protocol is not supported."));
        }
    });
    let vendor = DriftingVendor::start(DEFAULT_TOKEN, drift).await;
    let live = live_kind(&vendor.url, DEFAULT_TOKEN);
    let scenarios = dir.scenarios();
    let mut scoring_text = options(&dir.0);
    scoring_text.score_text = true;

    // Act
    let by_default = compare_with(&support::catalog(), &scenarios, &live, &options(&dir.0)).await;
    let scored = compare_with(&support::catalog(), &scenarios, &live, &scoring_text).await;

    // Assert
    let d = difference(&by_default, "/error_msg");
    assert_eq!(
        (d.kind, &d.class, d.scored),
        (Kind::ValueChanged, &Class::FreeText, false)
    );
    assert_eq!(d.live, "\"The protocol is not supported.\"");
    assert_eq!(
        (by_default.score, by_default.new, by_default.free_text),
        (Some(1.0), 0, 1)
    );
    assert!(by_default.details().contains("[free text, not scored]"));
    let d = difference(&scored, "/error_msg");
    assert_eq!((&d.class, d.scored), (&Class::FreeText, true));
    assert_eq!((scored.score, scored.new), (Some(0.0), 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guess_is_reported_with_both_answers_and_a_one_sided_step_says_where_it_stopped() {
    // Arrange: the live target answers 404 where the mock guesses 400, then
    // fails a list, so that its run stops before the last step.
    let dir = TempDir::new("guess");
    let absent = "f".repeat(32);
    let list = |limit: u32| {
        format!(
            "  - operation: huawei-apig.listIngressPorts\n    params: {{project_id: \"{PROJECT}\", \
             instance_id: \"{GATEWAY}\", limit: {limit}}}\n    snapshot: false\n"
        )
    };
    dir.write(
        "huawei/guess.yaml",
        &format!(
            "name: domains of an absent port\ntags: [huawei-apig]\nsteps:\n  - operation: huawei-apig.listIngressPortDomains\n    \
             params: {{project_id: \"{PROJECT}\", instance_id: \"{GATEWAY}\", ingress_port_id: \"{absent}\"}}\n    \
             expect: {{status: 4XX}}\n    snapshot: false\n{}{}",
            list(3),
            list(4)
        ),
    );
    let drift: fidelity_support::Drift = Arc::new(|target: &str, answer: &mut Answer| {
        if target.contains("/domains") && answer.status == 400 {
            answer.status = 404;
            answer.json(|j| j["error_code"] = json!("APIC.7302"));
        } else if target.ends_with("limit=3") {
            answer.status = 500;
            answer.json(|j| *j = json!({"error_code": "APIC.9000", "error_msg": "failed"}));
        }
    });
    let vendor = DriftingVendor::start(DEFAULT_TOKEN, drift).await;

    // Act
    let report = compare(
        &dir.0,
        &dir.scenarios(),
        &live_kind(&vendor.url, DEFAULT_TOKEN),
    )
    .await;

    // Assert: the guessed status, with both answers, not scored…
    let steps = &report.scenarios[0].steps;
    assert_eq!(steps.len(), 3, "{}", report.details());
    let guessed = &steps[0].differences;
    assert_eq!(guessed.len(), 1, "{}", report.details());
    assert_eq!(
        (
            guessed[0].kind,
            guessed[0].mock.as_str(),
            guessed[0].live.as_str()
        ),
        (Kind::Status, "400", "404")
    );
    assert!(
        matches!(&guessed[0].class, Class::Guess { guess } if guess.contains("APIC.7200")),
        "{:?}",
        guessed[0]
    );
    assert!(!guessed[0].scored && steps[0].faithful());
    assert!(
        report
            .details()
            .contains("400, live 404 [guess, not scored:")
    );
    // …and the step the live run never reached says where and why it stopped.
    let one_sided = &steps[2].differences[0];
    assert_eq!(one_sided.kind, Kind::NotCompared);
    assert!(
        one_sided.live.starts_with("stopped at step 2 (")
            && one_sided.live.contains("(line 8)")
            && one_sided.live.contains("got 500"),
        "{}",
        one_sided.live
    );
    assert_eq!((report.guess, report.new), (1, 1));
}

#[test]
fn the_built_in_scenarios_check_no_free_text_without_a_source() {
    // Arrange
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let scenarios =
        vouch::scenario::load_dir(&root, &support::catalog(), &Default::default()).unwrap();

    // Act
    let problems = vouch::lint::lint_scenarios(&support::catalog(), &scenarios);

    // Assert
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(text, Vec::<String>::new());
}

#[rstest]
#[case::an_exact_check_on_free_text_is_flagged("", 2)]
#[case::a_check_that_names_its_source_passes("          source: vendor-notes, Huawei APIG\n", 0)]
fn lint_flags_an_exact_check_on_free_text_unless_it_names_its_source(
    #[case] source: &str,
    #[case] code: i32,
) {
    // Arrange
    let dir = TempDir::new("lint-free-text");
    let file = dir.write(
        "huawei/message.yaml",
        &format!(
            "name: bad protocol\ntags: [huawei-apig, destructive]\nsteps:\n  - operation: huawei-apig.addIngressPort\n    \
             params: {{project_id: p, instance_id: i}}\n    body: {{protocol: TCP, ingress_port: 18080}}\n    \
             expect:\n      status: 400\n      body:\n        - pointer: /error_code\n          equals: APIC.7211\n        \
             - pointer: /error_msg\n          regex: protocol\n{source}"
        ),
    );

    // Act
    let done = wait_bounded(
        vouch(
            &["lint", "--scenarios", &dir.0.display().to_string()],
            DEFAULT_TOKEN,
        ),
        Duration::from_secs(60),
    );

    // Assert: only the message is flagged, at its line.
    assert_eq!(
        done.status.code(),
        Some(code),
        "{}{}",
        done.stdout,
        done.stderr
    );
    let flagged = format!("{}:12: `regex` on `/error_msg`", file.display());
    assert_eq!(done.stdout.contains(&flagged), code != 0, "{}", done.stdout);
    assert_eq!(
        done.stdout.matches("x-free-text").count(),
        usize::from(code != 0)
    );
}
