//! Variables with one meaning each (issue 9): `vouch vars` lists what a
//! set of scenarios needs and writes a vars file for a team's target;
//! scenarios in a folder with a `vars.yaml` use only what it declares, and
//! loading says where when they do not; and no scenario hard-codes an
//! identifier of the mock's fixtures.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn vouch(args: &[&str]) -> Output {
    support::vouch_command(args).output().expect("run vouch")
}

/// A fresh folder under the target's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("variables-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

#[test]
fn vars_lists_each_variable_with_its_role_default_and_users() {
    let out = vouch(&["vars", "scenarios/zstack"]);
    let shown = support::output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("scenarios/zstack/vars.yaml"), "{shown}");
    let row = |name: &str| {
        shown
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{shown}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        row("NAME")[..4],
        ["NAME", "ROLE", "DEFAULT", "USED"],
        "{shown}"
    );
    assert_eq!(
        row("range_vip"),
        [
            "range_vip",
            "existing",
            "\"4f5f926580f4452a897b05b8f99e67ec\"",
            "zstack/port-ranges-expanded"
        ]
    );
    assert_eq!(row("absent_vip")[1], "absent");
    let vip: Vec<String> = row("vip")
        .iter()
        .map(|c| c.trim_end_matches(',').to_string())
        .collect();
    assert_eq!(vip[..2], ["vip", "existing"]);
    for user in ["zstack/used-ports", "zstack/protocol-required"] {
        assert!(vip.iter().any(|c| c == user), "{vip:?}");
    }
    assert!(
        !vip.iter().any(|c| c == "zstack/port-ranges-expanded"),
        "{vip:?}"
    );
}

#[test]
fn the_template_is_a_vars_file_that_runs_the_suite_and_is_not_overwritten_without_force() {
    // Arrange
    let dir = temp_dir("template");
    let file = dir.join("staging.vars.yaml");
    let path = file.display().to_string();

    // Act
    let out = vouch(&["vars", "scenarios/zstack", "--template", &path]);

    // Assert: each variable, its role as a comment, its default.
    assert_eq!(out.status.code(), Some(0), "{}", support::output_text(&out));
    let written = std::fs::read_to_string(&file).expect("the template");
    assert!(
        written.contains(
            "# absent (must not exist on the target): a VIP uuid that does not exist\nabsent_vip: \"00000000000000000000000000000000\"\n"
        ),
        "{written}"
    );
    assert!(
        written.contains("range_tcp_used_ports: [\"22\",\"8080\",\"8081\"]\n"),
        "{written}"
    );
    let parsed = vouch::spec::Document::parse(&written).expect("YAML");
    assert_eq!(parsed.value.as_object().map(|m| m.len()), Some(10));
    // A team's vars file: the suite runs with it against the mock.
    let run = vouch(&["run", "scenarios/zstack", "--vars", &path]);
    assert_eq!(run.status.code(), Some(0), "{}", support::output_text(&run));

    // An existing file is refused, and kept, unless --force.
    std::fs::write(&file, "mine: 1\n").expect("write");
    let refused = vouch(&["vars", "scenarios/zstack", "--template", &path]);
    assert_eq!(
        refused.status.code(),
        Some(2),
        "{}",
        support::output_text(&refused)
    );
    assert!(
        support::output_text(&refused).contains("pass --force"),
        "{}",
        support::output_text(&refused)
    );
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), "mine: 1\n");
    let forced = vouch(&["vars", "scenarios/zstack", "--template", &path, "--force"]);
    assert_eq!(
        forced.status.code(),
        Some(0),
        "{}",
        support::output_text(&forced)
    );
    assert_eq!(std::fs::read_to_string(&file).expect("rewritten"), written);
}

#[test]
fn one_template_for_two_vendors_that_share_a_name_is_refused() {
    let dir = temp_dir("ambiguous");
    let file = dir.join("all.yaml");
    let out = vouch(&[
        "vars",
        "scenarios/alaya-cci",
        "scenarios/huawei-apig",
        "--template",
        &file.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", support::output_text(&out));
    assert!(
        support::output_text(&out).contains("`new_port` is declared in both"),
        "{}",
        support::output_text(&out)
    );
    assert!(!file.exists());
}

const DECLARATIONS: &str = "\
vip: {role: existing, default: d8474e0dbfe84d47a449bb34979cbcb9, description: a VIP}
tcp: {role: value, default: TCP}
";

/// A folder with `DECLARATIONS` and one scenario, `s.yaml`.
fn declared_folder(name: &str, declarations: &str, scenario: &str) -> PathBuf {
    let dir = temp_dir(name);
    std::fs::write(dir.join("vars.yaml"), declarations).expect("vars.yaml");
    std::fs::write(dir.join("s.yaml"), scenario).expect("scenario");
    dir
}

fn run_folder(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "run".to_string(),
        dir.display().to_string(),
        "--snapshots".into(),
        dir.join("snaps").display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    vouch(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

const STEP: &str = "steps:\n  - operation: zstack.getVipUsedPorts\n    params: {uuid: \"{{vip}}\", protocol: \"{{proto}}\"}\n    snapshot: false\n";

#[test]
fn an_undeclared_variable_is_refused_with_its_file_line_and_field() {
    let dir = declared_folder("undeclared", DECLARATIONS, &format!("name: t\n{STEP}"));
    let out = run_folder(&dir, &["--var", "proto=TCP"]);
    let shown = support::output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("unknown variable `proto` in `/steps/0/params/protocol`"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("{}/vars.yaml", dir.display())),
        "{shown}"
    );
    assert!(shown.contains("s.yaml:4:"), "{shown}");
}

#[test]
fn a_scenario_that_redefines_a_declared_variable_is_refused_with_its_role() {
    let scenario = format!(
        "name: t\nvariables:\n  vip: 771a6f6fae9d49dca26ae309d137549e\n{}",
        STEP.replace("{{proto}}", "{{tcp}}")
    );
    let dir = declared_folder("redefined", DECLARATIONS, &scenario);
    let out = run_folder(&dir, &[]);
    let shown = support::output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("`vip` is declared in")
            && shown.contains("vars.yaml:1 as `existing`: a scenario cannot redefine it"),
        "{shown}"
    );
    assert!(shown.contains("s.yaml:3:3"), "{shown}");
}

#[test]
fn a_declaration_with_an_unknown_role_is_refused_at_its_line() {
    let declarations = format!("{DECLARATIONS}proto:\n  role: existant\n");
    let dir = declared_folder("role", &declarations, &format!("name: t\n{STEP}"));
    let out = run_folder(&dir, &[]);
    let shown = support::output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(shown.contains("variable `proto`"), "{shown}");
    assert!(shown.contains("vars.yaml:4:"), "{shown}");
}

#[test]
fn a_variable_without_a_default_must_come_from_the_command_line() {
    let declarations = format!("{DECLARATIONS}proto: {{role: value}}\n");
    let dir = declared_folder("required", &declarations, &format!("name: t\n{STEP}"));
    let missing = run_folder(&dir, &[]);
    assert_eq!(
        missing.status.code(),
        Some(2),
        "{}",
        support::output_text(&missing)
    );
    assert!(
        support::output_text(&missing).contains("`proto` (value, declared in"),
        "{}",
        support::output_text(&missing)
    );
    assert!(
        support::output_text(&missing).contains("has no default"),
        "{}",
        support::output_text(&missing)
    );
    let given = run_folder(&dir, &["--var", "proto=TCP"]);
    assert_eq!(
        given.status.code(),
        Some(0),
        "{}",
        support::output_text(&given)
    );
}

/// Every identifier of the built-in fixtures: the string under a key that
/// names one (an id, name, key or alias) anywhere in the file, less those
/// that are also a property name of a built-in spec (`port`, `production`):
/// vocabulary, not a fact of the fixtures.
fn fixture_identifiers() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("fixtures/default.yaml")).expect("fixtures");
    let doc = vouch::spec::Document::parse(&text).expect("fixtures parse");
    let mut found = Vec::new();
    collect_identifiers(&doc.value, &mut found);
    let mut vocabulary = Vec::new();
    let specs = std::fs::read_dir(root().join("specs")).expect("specs");
    for spec in specs
        .flatten()
        .filter(|f| f.path().extension().is_some_and(|e| e == "yaml"))
    {
        let text = std::fs::read_to_string(spec.path()).expect("a spec");
        let doc = vouch::spec::Document::parse(&text).expect("spec parses");
        collect_keys(&doc.value, &mut vocabulary);
    }
    found.retain(|id| !vocabulary.contains(id));
    found.sort();
    found.dedup();
    found
}

fn collect_keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                out.push(key.clone());
                collect_keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_keys(v, out)),
        _ => {}
    }
}

fn is_identifier_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["id", "name", "key", "alias"]
        .iter()
        .any(|end| key.ends_with(end))
}

fn collect_identifiers(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match v {
                    Value::String(s) if is_identifier_key(key) && s.len() >= 3 => {
                        out.push(s.clone())
                    }
                    _ => collect_identifiers(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_identifiers(v, out)),
        _ => {}
    }
}

/// The values a scenario's steps write: its text without prose (comments,
/// `name`, `description`, `tags`, step names) and without mapping keys.
fn scenario_code(text: &str) -> String {
    let key = regex::Regex::new(r"[A-Za-z0-9_]+:").expect("a regex");
    let mut kept = Vec::new();
    let mut in_description = false;
    for line in text.lines() {
        if !line.starts_with([' ', '#']) && !line.is_empty() {
            in_description = line.starts_with("description:");
        }
        let trimmed = line.trim_start().trim_start_matches("- ");
        let prose = ["name:", "tags:"].iter().any(|k| trimmed.starts_with(k));
        if in_description || prose {
            continue;
        }
        let code = line.split(" #").next().unwrap_or_default();
        kept.push(key.replace_all(code, " ").into_owned());
    }
    kept.join("\n")
}

#[test]
fn no_scenario_hard_codes_an_identifier_of_the_fixtures() {
    let identifiers = fixture_identifiers();
    assert!(
        identifiers.iter().any(|i| i == "gr-nginx"),
        "the fixtures' identifiers are read: {identifiers:?}"
    );
    let mut offences = Vec::new();
    for vendor in std::fs::read_dir(root().join("scenarios")).expect("scenarios") {
        let vendor = vendor.expect("entry").path();
        for file in std::fs::read_dir(&vendor).into_iter().flatten().flatten() {
            let path = file.path();
            if path.file_name().is_some_and(|n| n == "vars.yaml")
                || path.extension().is_none_or(|e| e != "yaml")
            {
                continue;
            }
            let code = scenario_code(&std::fs::read_to_string(&path).expect("scenario"));
            let tokens: Vec<&str> = code
                .split(|c: char| !(c.is_ascii_alphanumeric() || "_-.".contains(c)))
                .collect();
            for id in &identifiers {
                if tokens.contains(&id.as_str()) {
                    offences.push(format!("{}: `{id}`", path.display()));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "fixture identifiers written into scenarios (use a variable declared in vars.yaml):\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_fixture_check_finds_an_identifier_written_into_a_step() {
    let identifiers = fixture_identifiers();
    let code = scenario_code(
        "name: gr-nginx\ndescription: >\n  about gr-nginx\nsteps:\n  - name: gr-nginx\n    params: {service_id: gr-nginx}   # gr-nginx\n",
    );
    assert_eq!(code.matches("gr-nginx").count(), 1, "{code}");
    assert!(!code.contains("service_id"), "{code}");
    assert!(identifiers.iter().any(|i| code.contains(i.as_str())));
}
