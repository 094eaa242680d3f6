//! `vouch conform` end to end: against the built-in mock it passes; against
//! a small pets service (tests/conform/pets.yaml, tests/support/pets_fake.rs
//! served on loopback) with one injected fault at a time it exits 1 naming the operation and
//! the check, and each saved failure fails again under `vouch run` on the
//! faulty service and passes on a healthy one. The same service under the
//! names of tests/conform/linked.yaml, whose sequence only its OpenAPI links
//! tell, is followed through those links.

#[path = "support/fake_server.rs"]
mod fake_server;
mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[path = "support/pets_fake.rs"]
mod pets_fake;

use rstest::rstest;
use serde_json::Value;

use fake_server::FakeServer;
use pets_fake::{Api, Fault, TOKEN};

const SPEC: &str = "tests/conform/pets.yaml";
const LINKED: &str = "tests/conform/linked.yaml";

/// The pets service with `fault` on a loopback port, and its count of POSTs.
fn pets(fault: Fault) -> (FakeServer, Arc<AtomicU64>) {
    service(Api::Pets, fault)
}

/// The pets service as `api` names it, with `fault`, and its count of POSTs.
fn service(api: Api, fault: Fault) -> (FakeServer, Arc<AtomicU64>) {
    let (app, posts) = pets_fake::app(api, fault, TOKEN);
    (FakeServer::start(app), posts)
}

/// `vouch conform` of the pets spec against `url` with seed 3, saving
/// failures under `dir`, with `extra` arguments.
fn conform_saving(url: &str, dir: &Path, extra: &[&str]) -> Output {
    let dir = dir.to_string_lossy();
    let mut args = vec![
        "conform",
        "--spec",
        SPEC,
        "--base-url",
        url,
        "--allow-destructive",
        "--seed",
        "3",
        "--save-failures",
        &dir,
    ];
    args.extend_from_slice(extra);
    vouch(&args)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn vouch(args: &[&str]) -> Output {
    support::vouch_command(args)
        .env("VOUCH_TOKEN_PETS", TOKEN)
        .env("VOUCH_TOKEN_LINKED", TOKEN)
        .output()
        .expect("vouch runs")
}

/// A fresh, empty directory for this test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vouch-conform-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The scenarios saved for `spec` under `dir`.
fn saved_files(dir: &Path, spec: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir.join(spec))
        .into_iter()
        .flatten()
        .flatten()
    {
        out.push(entry.path());
    }
    out
}

#[test]
fn the_built_in_mock_passes_its_own_generated_cases() {
    let out = vouch(&["conform", "--max-cases", "6", "--seed", "7"]);
    let shown = support::output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    for spec in [
        "rainbond.",
        "alaya-cci.",
        "huawei-apig.",
        "zstack.",
        "zadig.",
    ] {
        assert!(shown.contains(spec), "no row for {spec}: {shown}");
    }
}

#[test]
fn a_healthy_service_passes() {
    let (server, _) = pets(Fault::None);
    let out = vouch(&[
        "conform",
        "--spec",
        SPEC,
        "--base-url",
        &server.url,
        "--allow-destructive",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", support::output_text(&out));
}

#[test]
fn without_allow_destructive_nothing_that_changes_state_is_sent() {
    let (server, posts) = pets(Fault::None);
    let out = vouch(&["conform", "--spec", SPEC, "--base-url", &server.url]);
    assert_eq!(out.status.code(), Some(0), "{}", support::output_text(&out));
    assert_eq!(posts.load(Ordering::SeqCst), 0);
    assert!(
        support::output_text(&out).contains(" skipped"),
        "{}",
        support::output_text(&out)
    );
}

#[rstest]
#[case::wrong_type_in_a_response("wrong-type", "FAIL pets.createPet [schema]")]
#[case::out_of_range_value_accepted(
    "out-of-range",
    "FAIL pets.createPet [rejected] above the maximum at /age"
)]
#[case::missing_auth_check("no-auth", "FAIL pets.listPets [auth] no credential")]
#[case::create_not_read_back("no-read-back", "FAIL pets.createPet [state]")]
#[case::undeclared_500_on_malformed_json(
    "malformed-500",
    "FAIL pets.createPet [rejected] malformed JSON"
)]
fn a_fault_fails_naming_operation_and_check_and_its_saved_scenario_reproduces_it(
    #[case] name: &str,
    #[case] line: &str,
) {
    let fault = Fault::named(name).expect("a fault of the pets fake");
    let (faulty, _) = pets(fault);
    let dir = scratch(&format!("{fault:?}"));
    let out = conform_saving(&faulty.url, &dir, &[]);
    let shown = support::output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains(line), "no `{line}` in:\n{shown}");
    assert!(
        !saved_files(&dir, "pets").is_empty(),
        "nothing saved:\n{shown}"
    );
    assert_saved_reproduce(SPEC, &dir, &faulty.url, &pets(Fault::None).0.url);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Panics unless the scenarios saved under `dir` fail under `vouch run` on
/// the service at `faulty` and pass on the one at `healthy`.
fn assert_saved_reproduce(spec: &str, dir: &Path, faulty: &str, healthy: &str) {
    let dir = dir.to_string_lossy();
    let rerun = |url: &str| {
        let args = [
            "run",
            "--spec",
            spec,
            "--base-url",
            url,
            "--allow-destructive",
            &dir,
        ];
        vouch(&args)
    };
    let again = rerun(faulty);
    assert_eq!(
        again.status.code(),
        Some(1),
        "not reproduced:\n{}",
        support::output_text(&again)
    );
    let fixed = rerun(healthy);
    assert_eq!(
        fixed.status.code(),
        Some(0),
        "fails on a healthy service:\n{}",
        support::output_text(&fixed)
    );
}

/// The cell of `check` in `operation`'s row of the terminal matrix.
fn terminal_cell(shown: &str, operation: &str, check: &str) -> String {
    let row = shown
        .lines()
        .find(|l| l.split_whitespace().next() == Some(operation))
        .unwrap_or_default();
    let cells: Vec<&str> = row
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    cells
        .get(report_column(check) + 1)
        .copied()
        .unwrap_or_default()
        .to_string()
}

#[rstest]
#[case::healthy(Fault::None, 0, "ok 1", "0 failed check(s)")]
#[case::create_not_read_back(
    Fault::NoReadBack,
    1,
    "FAIL 1/1",
    "FAIL linked.registerPet [state] follow links: create, linked.lookUpPet, \
     linked.updatePet, linked.unregisterPet, read again: follow `LookUp` to linked.lookUpPet"
)]
fn a_sequence_only_links_declare_is_followed_and_checked(
    #[case] fault: Fault,
    #[case] code: i32,
    #[case] state: &str,
    #[case] line: &str,
) {
    // Arrange: the service under names no CRUD inference follows.
    let (server, _) = service(Api::Linked, fault);
    let dir = scratch(&format!("linked-{fault:?}"));

    // Act
    let out = vouch(&[
        "conform",
        "--spec",
        LINKED,
        "--base-url",
        &server.url,
        "--allow-destructive",
        "--save-failures",
        &dir.to_string_lossy(),
    ]);

    // Assert: the sequence ran, and what it found is saved and reproduces.
    let shown = support::output_text(&out);
    assert_eq!(out.status.code(), Some(code), "{shown}");
    assert_eq!(
        terminal_cell(&shown, "linked.registerPet", "state"),
        state,
        "{shown}"
    );
    assert!(shown.contains(line), "no `{line}` in:\n{shown}");
    let saved = saved_files(&dir, "linked");
    assert_eq!(saved.is_empty(), fault == Fault::None, "{saved:?}\n{shown}");
    if !saved.is_empty() {
        let healthy = service(Api::Linked, Fault::None).0;
        assert_saved_reproduce(LINKED, &dir, &server.url, &healthy.url);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Swagger Petstore 3.0 (tests/corpus) with the links its `addPet` answer
/// would declare: read the pet and delete it, by the id the answer gives.
fn petstore_with_links(dir: &Path) -> PathBuf {
    let corpus = root().join("tests/corpus/swagger-petstore-3.0.yaml");
    let text = std::fs::read_to_string(corpus).expect("the corpus spec");
    let anchor = "        '422':\n          description: Validation exception\n        default:\n          \
                  description: Unexpected error\n      security:\n        - petstore_auth:\n            \
                  - write:pets\n            - read:pets\n  /pet/findByStatus:";
    let links = "          links:\n            GetPet:\n              operationId: getPetById\n              \
                 parameters: {petId: $response.body#/id}\n            DeletePet:\n              \
                 operationRef: '#/paths/~1pet~1{petId}/delete'\n              \
                 parameters: {petId: $response.body#/id}\n        '400':\n          \
                 description: Invalid input\n";
    let at = text.find(anchor).expect("addPet's responses");
    let before = text[..at]
        .strip_suffix("        '400':\n          description: Invalid input\n")
        .expect("addPet's 400");
    std::fs::create_dir_all(dir).expect("scratch dir");
    let path = dir.join("swagger-petstore-3.0.yaml");
    std::fs::write(&path, format!("{before}{links}{}", &text[at..])).expect("spec written");
    path
}

#[test]
fn swagger_petstore_with_links_plans_its_linked_sequence_once_and_it_passes_on_the_mock() {
    // Arrange
    let dir = scratch("petstore");
    let spec = petstore_with_links(&dir);
    let report = dir.join("report.json");

    // Act
    let out = vouch(&[
        "conform",
        "--spec",
        &spec.to_string_lossy(),
        "--max-cases",
        "1000",
        "--report",
        &format!("json={}", report.display()),
    ]);

    // Assert: one sequence for addPet, the linked one, and no state failure.
    let shown = support::output_text(&out);
    assert_eq!(terminal_cell(&shown, "addPet", "state"), "ok 1", "{shown}");
    assert!(!shown.contains("[state]"), "{shown}");
    let json = std::fs::read_to_string(&report).expect("the JSON report");
    assert!(
        json.contains("conform addPet: follow links: create, getPetById, deletePet, read again"),
        "{shown}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_same_seed_sends_the_same_requests() {
    let (server, _) = pets(Fault::None);
    let dir = scratch("seed");
    let bodies = |n: &str| {
        let path = dir.join(format!("{n}.json"));
        let arg = format!("json={}", path.display());
        let out = vouch(&[
            "conform",
            "--spec",
            SPEC,
            "--base-url",
            &server.url,
            "--allow-destructive",
            "--seed",
            "9",
            "--report",
            &arg,
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", support::output_text(&out));
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let cases = doc["cases"].as_array().cloned().unwrap_or_default();
        let steps = cases
            .iter()
            .flat_map(|c| c["steps"].as_array().cloned().unwrap_or_default());
        steps
            .map(|s| s["exchange"]["request_body"].clone())
            .collect::<Vec<Value>>()
    };
    let first = bodies("a");
    assert!(
        first.iter().filter(|b| b.is_object()).count() > 5,
        "{first:?}"
    );
    assert_eq!(first, bodies("b"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The cells of `operation`'s row in the matrix of a conform HTML page.
fn matrix_row<'p>(page: &'p str, operation: &str) -> Vec<&'p str> {
    let start = format!("<tr><th class=\"op\">{operation}</th>");
    let row = page
        .split_once(&start)
        .and_then(|(_, rest)| rest.split_once("</tr>"))
        .map_or("", |(row, _)| row);
    row.split("<td ").skip(1).collect()
}

#[test]
fn the_html_report_shows_the_matrix_and_each_failure_as_text_in_chromium() {
    // Arrange: a service whose wrong-typed answers carry markup.
    let (faulty, _) = pets(Fault::WrongType);
    let dir = scratch("html");
    let page = dir.join("conform.html");
    let saved = dir.join("saved");

    // Act
    let report = format!("html={}", page.display());
    let out = conform_saving(&faulty.url, &saved, &["--report", &report]);

    // Assert: the page is self-contained and shows the markup as text…
    assert_eq!(out.status.code(), Some(1), "{}", support::output_text(&out));
    let html = std::fs::read_to_string(&page).expect("the page is written");
    support::browser::assert_self_contained(&html);
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("&lt;script&gt;document.title="), "{html}");
    // …and in the browser: the matrix marks the failed check of the operation…
    let Some(browser) = support::browser::installed_chromium() else {
        let _ = std::fs::remove_dir_all(&dir);
        return;
    };
    let rendered = support::browser::render(browser, &page, &dir);
    let dom = rendered.dom;
    let schema = report_column("schema");
    let row = matrix_row(&dom, "pets.createPet");
    assert!(
        row.get(schema)
            .is_some_and(|c| c.starts_with("class=\"fail\">FAIL ")),
        "schema cell of pets.createPet: {row:?}"
    );
    assert!(
        row.get(report_column("accepted"))
            .is_some_and(|c| c.starts_with("class=\"ok\">ok ")),
        "{row:?}"
    );
    // …each failure names its operation, check, case and message, and its saved scenario…
    let failure = dom
        .split("<li>")
        .find(|li| {
            li.contains("<b class=\"op\">pets.createPet</b> [<span class=\"check\">schema</span>]")
        })
        .unwrap_or_else(|| panic!("no schema failure of pets.createPet listed: {dom}"));
    assert!(failure.contains("the example: <code>"), "{failure}");
    assert!(
        failure.contains("&lt;script&gt;document.title="),
        "{failure}"
    );
    let saved_as = format!(
        "saved as <code class=\"saved\">{}",
        saved.join("pets").display()
    );
    assert!(failure.contains(&saved_as), "{failure}");
    // …and the injected script did not run.
    assert!(!dom.contains("<script"), "{dom}");
    assert!(dom.contains("<title>vouch: conformance</title>"), "{dom}");
    assert!(rendered.png.starts_with(b"\x89PNG") && rendered.png.len() > 10_000);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The index of `check` among the matrix columns.
fn report_column(check: &str) -> usize {
    vouch::conform::report::CHECKS
        .iter()
        .position(|c| *c == check)
        .unwrap_or_else(|| panic!("no column {check}"))
}
