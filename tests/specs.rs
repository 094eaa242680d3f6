//! The shipped specs, `vouch lint` on broken specs, and seed coverage: every
//! `METHOD /path` the vendor documents state (kept in `specs/documented-operations.tsv`)
//! routes to an operation that names that document in its `x-seed`.

use std::path::PathBuf;
use std::process::Command;

use rstest::rstest;
use serde_json::{Value, json};
use vouch::lint::{LintOptions, lint};
use vouch::spec::{Catalog, Expression, Method, Routed};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shipped_specs() -> Vec<PathBuf> {
    Catalog::spec_files(&root().join("specs")).unwrap()
}

#[test]
fn shipped_specs_lint_clean() {
    let options = LintOptions {
        strict: true,
        ..LintOptions::default()
    };
    let report = lint(&shipped_specs(), options);
    let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(report.specs, 5);
}

#[test]
fn specs_readme_table_matches_the_specs() {
    let report = lint(&shipped_specs(), LintOptions::default());
    let table = vouch::lint::summary_table(&report.summaries);
    let readme = std::fs::read_to_string(root().join("specs/README.md")).unwrap();
    assert!(
        readme.contains(&table),
        "specs/README.md should contain, as `vouch lint --table` prints it:\n{table}"
    );
}

#[rstest]
#[case::dangling_ref(
    "dangling-ref.yaml",
    14,
    "/paths/~1things/get/responses/200/content/application~1json/schema/$ref",
    "does not resolve"
)]
#[case::example_violates_schema(
    "bad-example.yaml",
    28,
    "/paths/~1things~1{id}/get/responses/200/content/application~1json/examples/bad/value/port",
    "example `bad` does not match its schema at /port"
)]
#[case::duplicate_route(
    "duplicate-route.yaml",
    12,
    "/paths/~1things~1{name}/get",
    "would match the same requests as `things.get`"
)]
#[case::response_without_example(
    "missing-example.yaml",
    12,
    "/paths/~1things/get/responses/200/content/application~1json",
    "`application/json` has a schema but no `example`"
)]
#[case::invalid_yaml("invalid-yaml.yaml", 7, "", "not valid YAML")]
#[case::missing_operation_id(
    "incomplete-operation.yaml",
    5,
    "/paths/~1things/get",
    "GET /things has no operationId"
)]
#[case::missing_seed(
    "incomplete-operation.yaml",
    5,
    "/paths/~1things/get/x-seed",
    "needs `x-seed"
)]
#[case::missing_error_response(
    "incomplete-operation.yaml",
    5,
    "/paths/~1things/get",
    "declares no error (4xx/5xx) response"
)]
fn broken_spec_gives_located_finding(
    #[case] file: &str,
    #[case] line: u64,
    #[case] pointer: &str,
    #[case] message: &str,
) {
    let path = root().join("tests/broken").join(file);
    // Strict: colliding routes, a warning by default, count too.
    let options = LintOptions {
        strict: true,
        ..LintOptions::default()
    };
    let report = lint(std::slice::from_ref(&path), options);
    let found = report
        .problems
        .iter()
        .find(|p| p.message.contains(message))
        .unwrap_or_else(|| {
            panic!(
                "no finding containing {message:?} in {:#?}",
                report.problems
            )
        });
    assert_eq!(found.file, path);
    assert_eq!(found.pointer, pointer);
    // The parser may place a syntax error where it gives up (end of input).
    let lines = found.line.unwrap_or(0);
    assert!(
        lines == line || (pointer.is_empty() && lines >= line - 1),
        "line {lines}, expected {line}: {found}"
    );
}

#[test]
fn lint_command_prints_file_line_and_exits_2_on_a_broken_spec() {
    let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["lint", "tests/broken/bad-example.yaml"])
        .current_dir(root())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("tests/broken/bad-example.yaml:28: `things.get`: example `bad`"),
        "{stdout}"
    );
    assert!(stdout.contains("1 problem(s)"), "{stdout}");
}

#[test]
fn lint_command_defaults_to_the_shipped_specs_and_exits_0_under_strict() {
    let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["lint", "--strict"])
        .current_dir(root())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("5 spec(s)"), "{stdout}");
}

/// One `METHOD /path` a vendor document states (a row of `specs/documented-operations.tsv`).
#[derive(Debug)]
struct SeedRoute {
    document: String,
    line: usize,
    section: String,
    method: Method,
    /// The path as written (placeholders and all, no query string).
    path: String,
}

/// The documented operations, extracted once from the five vendor documents
/// into `specs/documented-operations.tsv` (the documents' text is not kept).
fn seed_routes() -> Vec<SeedRoute> {
    let file = root().join("specs/documented-operations.tsv");
    let text = std::fs::read_to_string(&file).unwrap();
    text.lines()
        .enumerate()
        .filter(|(_, row)| !row.starts_with('#'))
        .skip(1) // the column names
        .map(|(i, row)| {
            let fields: Vec<&str> = row.split('\t').collect();
            let [document, line, section, method, path] = fields[..] else {
                panic!(
                    "{}:{}: expected 5 tab-separated fields: {row}",
                    file.display(),
                    i + 1
                )
            };
            SeedRoute {
                document: document.to_string(),
                line: line.parse().unwrap(),
                section: section.to_string(),
                method: Method::parse(method).unwrap(),
                path: path.to_string(),
            }
        })
        .collect()
}

/// A concrete path from a documented one: every `{x}`, `<x y>` or `:x`
/// placeholder becomes a sample value.
fn concrete(path: &str) -> String {
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    path.split('/')
        .map(|segment| {
            if segment.starts_with(':') || segment.starts_with('<') || segment.starts_with('{') {
                "vouch-sample-1".to_string()
            } else {
                segment.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The operation an erratum maps a misspelt documented route to.
fn erratum_for<'c>(catalog: &'c Catalog, seed: &SeedRoute) -> Option<&'c str> {
    let written = format!("{} {}", seed.method, seed.path);
    catalog.operations().find_map(|(_, op)| {
        let errata = op.extension("x-errata")?.as_array()?;
        errata
            .iter()
            .any(|e| e.get("seed-route").and_then(Value::as_str) == Some(written.as_str()))
            .then_some(op.id.as_str())
    })
}

#[test]
fn every_documented_operation_routes_to_an_operation_from_its_seed() {
    let seeds = seed_routes();
    let catalog = Catalog::load(&shipped_specs()).unwrap_or_else(|p| panic!("{p:#?}"));
    let mut failures = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    for seed in &seeds {
        let where_ = format!(
            "{}:{} ({}) {} {}",
            seed.document, seed.line, seed.section, seed.method, seed.path
        );
        let id = match catalog.route(seed.method, &concrete(&seed.path)) {
            Routed::Operation { operation, .. } => Some(operation.id.as_str()),
            _ => erratum_for(&catalog, seed),
        };
        let Some(id) = id else {
            failures.push(format!("{where_}: no operation"));
            continue;
        };
        let (_, op) = catalog.operation(id).unwrap();
        let document = op
            .extension("x-seed")
            .and_then(|s| s.get("document"))
            .and_then(Value::as_str);
        if document != Some(seed.document.as_str()) {
            failures.push(format!(
                "{where_}: routed to `{id}` whose x-seed names {document:?}"
            ));
        }
        if let Some((other, _)) = seen.iter().find(|(_, o)| o == id) {
            failures.push(format!("{where_}: `{id}` already serves {other}"));
        }
        seen.push((where_, id.to_string()));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let per_document = |d: &str| seeds.iter().filter(|s| s.document.starts_with(d)).count();
    assert_eq!(
        [
            per_document("rainbond"),
            per_document("alaya"),
            per_document("huawei"),
            per_document("zstack"),
            per_document("zadig")
        ],
        [4, 1, 1, 1, 45]
    );
}

#[rstest]
#[case(
    Method::Get,
    "/openapi/environments/production",
    "zadig.listProductionEnvironments"
)]
#[case(Method::Get, "/openapi/environments/dev", "zadig.getTestEnvironment")]
#[case(
    Method::Get,
    "/openapi/environments/production/prod-1",
    "zadig.getProductionEnvironment"
)]
#[case(
    Method::Put,
    "/openapi/environments/envcfgs",
    "zadig.updateEnvironmentConfig"
)]
#[case(
    Method::Delete,
    "/v2/p1/apigw/instances/i1/custom-ingress-ports/0ae98839d78043d8a6dff54d7cb096dc",
    "huawei-apig.deleteIngressPort"
)]
#[case(
    Method::Get,
    "/zstack/v1/vips/abc/usedports/",
    "zstack.getVipUsedPorts"
)]
fn shipped_routes_resolve_with_literal_precedence(
    #[case] method: Method,
    #[case] path: &str,
    #[case] id: &str,
) {
    let catalog = Catalog::load(&shipped_specs()).unwrap_or_else(|p| panic!("{p:#?}"));
    match catalog.route(method, path) {
        Routed::Operation { operation, .. } => assert_eq!(operation.id, id),
        other => panic!("{method} {path}: {other:?}"),
    }
}

fn openapi_file(name: &str) -> PathBuf {
    root().join("tests/openapi").join(name)
}

/// The schema of `operation`'s `application/json` request body.
fn body_schema<'c>(catalog: &'c Catalog, operation: &str) -> &'c vouch::spec::Schema {
    let (_, op) = catalog.operation(operation).unwrap();
    let body = op.request_body.as_ref().unwrap();
    body.content[0].schema.as_ref().unwrap()
}

#[test]
fn openapi_31_schemas_mean_json_schema_2020_12_and_webhooks_are_listed() {
    let path = openapi_file("v31.yaml");
    let catalog = Catalog::load(std::slice::from_ref(&path)).unwrap_or_else(|p| panic!("{p:#?}"));
    let schema = body_schema(&catalog, "things.create");
    // Type arrays, const, and a $ref with a sibling `required`.
    assert!(schema.is_valid(&json!({"name": null, "kind": "widget", "size": 1})));
    assert!(!schema.is_valid(&json!({"name": "a", "kind": "gadget"})));
    assert!(
        !schema.is_valid(&json!({"name": "a"})),
        "the sibling `required` applies"
    );
    assert!(
        !schema.is_valid(&json!({"kind": "widget"})),
        "the referenced `required` applies"
    );
    assert!(!schema.is_valid(&json!({"name": "a", "kind": "widget", "size": 0})));
    assert_eq!(catalog.specs()[0].webhooks, ["POST thingChanged"]);

    let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["lint", "--allow-missing-seed"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("webhook (listed, not served): POST thingChanged"),
        "{stdout}"
    );
}

#[test]
fn swagger_2_is_read_as_openapi_3_with_bodies_forms_and_servers() {
    let path = openapi_file("swagger2.yaml");
    let catalog = Catalog::load(std::slice::from_ref(&path)).unwrap_or_else(|p| panic!("{p:#?}"));
    let create = body_schema(&catalog, "orders.create");
    assert_eq!(create.pointer, "/components/schemas/Order");
    assert!(create.is_valid(&json!({"quantity": 1})));
    assert!(!create.is_valid(&json!({"quantity": 0})));
    let (_, note) = catalog.operation("orders.note").unwrap();
    let form = &note.request_body.as_ref().unwrap().content[0];
    assert_eq!(form.media_type, "application/x-www-form-urlencoded");
    let form_schema = form.schema.as_ref().unwrap();
    assert!(form_schema.is_valid(&json!({"text": "short"})));
    assert!(!form_schema.is_valid(&json!({"text": "far too long"})));
    assert!(!form_schema.is_valid(&json!({})));
    assert_eq!(note.parameters.len(), 1);
    let (_, created) = catalog.operation("orders.create").unwrap();
    assert_eq!(
        created.responses[0].content[0].media_type,
        "application/json"
    );
    let spec = &catalog.specs()[0];
    assert_eq!(
        spec.document.value["servers"],
        json!([{"url": "https://store.example/v1"}])
    );
    // A problem in a definition names its line in the 2.0 source.
    let problem = spec.problem("/components/schemas/Order/properties/quantity", "x");
    assert_eq!(problem.line, Some(13));
}

#[test]
fn refs_reach_anywhere_in_the_document_and_into_local_files() {
    let path = openapi_file("refs/main.yaml");
    let catalog = Catalog::load(std::slice::from_ref(&path)).unwrap_or_else(|p| panic!("{p:#?}"));
    let (_, list) = catalog.operation("items.list").unwrap();
    let offset = list.parameters[1].schema.as_ref().unwrap();
    assert_eq!(offset.pointer, "/components/parameters/Limit/schema");
    assert!(offset.is_valid(&json!(50)));
    assert!(!offset.is_valid(&json!(51)));
    // A request body that is a $ref into another path's operation, whose
    // schema lives in a file that refers to a third one.
    let create = body_schema(&catalog, "items.create");
    assert!(create.is_valid(&json!({"name": "a", "owner": {"login": "me"}})));
    assert!(!create.is_valid(&json!({"name": "a", "owner": {"login": "much-too-long"}})));
    assert!(!create.is_valid(&json!({"owner": {"login": "me"}})));
}

#[test]
fn a_ref_cycle_is_an_error_naming_the_file() {
    let path = openapi_file("refs/cycle.yaml");
    let problems = Catalog::load(std::slice::from_ref(&path)).unwrap_err();
    let cycle = problems
        .iter()
        .find(|p| p.message.contains("`$ref` cycle"))
        .unwrap_or_else(|| panic!("{problems:#?}"));
    assert!(cycle.file.ends_with("refs/cycle-other.yaml"), "{cycle}");
    assert_eq!(cycle.line, Some(1));
    assert!(cycle.message.contains("cycle-other.yaml#/Ping"), "{cycle}");
    assert!(cycle.message.contains("cycle-other.yaml#/Pong"), "{cycle}");
}

#[test]
fn an_unsupported_pattern_and_colliding_routes_are_warnings_resolved_in_document_order() {
    let path = openapi_file("resilience.yaml");
    let catalog = Catalog::load(std::slice::from_ref(&path)).unwrap_or_else(|p| panic!("{p:#?}"));
    let messages: Vec<&str> = catalog
        .warnings()
        .iter()
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert!(
        messages.iter().any(|m| m.contains("[^\\p\\{C\\}]*")),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("[\\p{all}]*")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`notes.byName`") && m.contains("go to `notes.get`")),
        "{messages:#?}"
    );
    // The first template declared answers; the rest of the schema still applies.
    match catalog.route(Method::Get, "/notes/n1") {
        Routed::Operation { operation, .. } => assert_eq!(operation.id, "notes.get"),
        other => panic!("{other:?}"),
    }
    let (_, get) = catalog.operation("notes.get").unwrap();
    let note = get.responses[0].content[0].schema.as_ref().unwrap();
    assert!(note.is_valid(&json!({"text": "\u{1}"})));
    assert!(!note.is_valid(&json!({"text": "toolong"})));

    let lint_with = |strict: bool| {
        let mut args = vec!["lint", "--allow-missing-seed"];
        if strict {
            args.push("--strict");
        }
        let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
            .args(args)
            .arg(&path)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, relaxed) = lint_with(false);
    assert_eq!(code, Some(0), "{relaxed}");
    let skipped = relaxed
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .filter(|l| l.contains("regex engine") || l.contains("would match the same requests"))
        .count();
    assert_eq!(skipped, 3, "{relaxed}");
    let (code, strict) = lint_with(true);
    assert_eq!(code, Some(2), "{strict}");
    assert!(!strict.contains("warning: "), "{strict}");
    assert!(
        strict.contains("is not supported by vouch's regex engine"),
        "{strict}"
    );
    assert!(strict.contains("would match the same requests"), "{strict}");
}

#[test]
fn links_are_read_and_what_vouch_cannot_follow_is_a_warning_at_its_line() {
    // Arrange
    let path = openapi_file("links.yaml");

    // Act
    let catalog = Catalog::load(std::slice::from_ref(&path)).unwrap_or_else(|p| panic!("{p:#?}"));

    // Assert: the links kept, the `$ref`'d one and the one whose other parameter is skipped…
    let (spec, create) = catalog.operation("notes.create").unwrap();
    let links = &create.responses[0].links;
    let names: Vec<&str> = links.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["Read", "Traced"]);
    for link in links {
        assert_eq!(spec.linked(link).map(|o| o.id.as_str()), Some("notes.get"));
        assert_eq!(
            link.parameters,
            [("id".to_string(), Expression::ResponseBody("/id".into()))]
        );
    }
    // …and a warning, with its line and field, for each thing skipped.
    let warnings: Vec<(Option<u64>, &str)> = catalog
        .warnings()
        .iter()
        .map(|w| (w.line, w.pointer.as_str()))
        .collect();
    let links_at = "/paths/~1notes/post/responses/201/links";
    assert_eq!(
        warnings,
        [
            (
                Some(24),
                format!("{links_at}/Traced/parameters/trace").as_str()
            ),
            (
                Some(26),
                format!("{links_at}/Elsewhere/operationRef").as_str()
            ),
            (Some(27), format!("{links_at}/Missing").as_str()),
        ]
    );
    let (code, shown) = lint_file("tests/openapi/links.yaml", false);
    assert!(shown.contains("links.yaml:24: link `Traced`, parameter `trace`: `$url` is a runtime expression vouch does not evaluate"), "{code:?} {shown}");
}

/// `vouch lint FILE` (with `--strict` when asked): exit code and output.
fn lint_file(file: &str, strict: bool) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vouch"));
    command.arg("lint").arg(file).current_dir(root());
    if strict {
        command.arg("--strict");
    }
    let out = command.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn completeness_rules_are_warnings_by_default_and_errors_under_strict() {
    let file = "tests/broken/incomplete-operation.yaml";
    let rules = [
        "has no operationId",
        "needs `x-seed",
        "declares no error (4xx/5xx) response",
    ];
    let (code, relaxed) = lint_file(file, false);
    assert_eq!(code, Some(0), "{relaxed}");
    for rule in rules {
        assert!(
            relaxed
                .lines()
                .any(|l| l.starts_with("warning: ") && l.contains(rule)),
            "{rule}: {relaxed}"
        );
    }
    let (code, strict) = lint_file(file, true);
    assert_eq!(code, Some(2), "{strict}");
    for rule in rules {
        assert!(
            strict
                .lines()
                .any(|l| l.starts_with(file) && l.contains(rule)),
            "{rule}: {strict}"
        );
    }
    // A correctness rule is an error in either profile.
    assert_eq!(lint_file("tests/broken/bad-example.yaml", false).0, Some(2));
}

#[test]
fn a_schema_level_example_counts_as_an_example() {
    let path = openapi_file("schema-examples.yaml");
    let options = LintOptions {
        require_seed: false,
        strict: true,
    };
    let report = lint(std::slice::from_ref(&path), options);
    let missing: Vec<&str> = report
        .problems
        .iter()
        .filter(|p| p.message.contains("has a schema but no `example`"))
        .map(|p| p.pointer.as_str())
        .collect();
    assert_eq!(
        missing,
        ["/paths/~1things/get/responses/500/content/application~1json"]
    );
}
