//! `vouch conform` end to end: against the built-in mock it passes; against
//! a small pets service (tests/conform/pets.yaml, tests/support/pets_fake.rs
//! served on loopback) with one injected fault at a time it exits 1 naming the operation and
//! the check, and each saved failure fails again under `vouch run` on the
//! faulty service and passes on a healthy one.

#[path = "support/fake_server.rs"]
mod fake_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[path = "support/pets_fake.rs"]
mod pets_fake;

use rstest::rstest;
use serde_json::Value;

use fake_server::FakeServer;
use pets_fake::{Fault, TOKEN};

const SPEC: &str = "tests/conform/pets.yaml";

/// The pets service with `fault` on a loopback port, and its count of POSTs.
fn pets(fault: Fault) -> (FakeServer, Arc<AtomicU64>) {
    let (app, posts) = pets_fake::app(fault, TOKEN);
    (FakeServer::start(app), posts)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn vouch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .current_dir(root())
        .env_remove("VOUCH_BASE_URL")
        .env_remove("VOUCH_TOKEN")
        .env("VOUCH_TOKEN_PETS", TOKEN)
        .env("NO_COLOR", "1")
        .output()
        .expect("vouch runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A fresh, empty directory for this test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vouch-conform-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn saved_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir.join("pets"))
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
    let shown = text(&out);
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
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn without_allow_destructive_nothing_that_changes_state_is_sent() {
    let (server, posts) = pets(Fault::None);
    let out = vouch(&["conform", "--spec", SPEC, "--base-url", &server.url]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(posts.load(Ordering::SeqCst), 0);
    assert!(text(&out).contains(" skipped"), "{}", text(&out));
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
    let dir_text = dir.to_string_lossy().into_owned();
    let out = vouch(&[
        "conform",
        "--spec",
        SPEC,
        "--base-url",
        &faulty.url,
        "--allow-destructive",
        "--seed",
        "3",
        "--save-failures",
        &dir_text,
    ]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains(line), "no `{line}` in:\n{shown}");
    let saved = saved_files(&dir);
    assert!(
        !saved.is_empty(),
        "nothing saved under {dir_text}:\n{shown}"
    );
    let rerun = |url: &str| {
        vouch(&[
            "run",
            "--spec",
            SPEC,
            "--base-url",
            url,
            "--allow-destructive",
            &dir_text,
        ])
    };
    let again = rerun(&faulty.url);
    assert_eq!(
        again.status.code(),
        Some(1),
        "not reproduced:\n{}",
        text(&again)
    );
    let (healthy, _) = pets(Fault::None);
    let fixed = rerun(&healthy.url);
    assert_eq!(
        fixed.status.code(),
        Some(0),
        "fails on a healthy service:\n{}",
        text(&fixed)
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
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
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
