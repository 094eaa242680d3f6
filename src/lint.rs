//! `vouch lint`: the checks that make a spec trustworthy as a contract, in
//! two profiles.
//!
//! **Correctness** rules always apply: what loading reports (unparsable
//! files, dangling `$ref`s, schemas that do not compile, operations of two
//! specs that would match the same requests) and examples that do not
//! validate against their schema. **Completeness and traceability** rules
//! ([`Profile::Completeness`]) are warnings by default and errors under
//! `--strict`: every body schema has an example (its own, or the schema's
//! `example`/`examples`), every operation has an `operationId`, an `x-seed`,
//! and at least one success and one error response. Of scenarios, lint
//! checks that no exact check asserts a free-text field without naming its
//! source.
//!
//! What vouch serves without (a pattern its regex engine refuses, routes of
//! one spec that collide, a security scheme it cannot carry) is a warning
//! too; `--strict` makes every warning an error.

use serde_json::Value;

use crate::check::snapshot::marked_by;
use crate::scenario::{BodyAssertion, Scenario, Step};
use crate::spec::document::child_pointer;
use crate::spec::{Catalog, Example, MediaType, Operation, Problem, Schema, Spec, StatusKey};

/// What lint requires beyond a well-formed spec.
#[derive(Debug, Clone, Copy)]
pub struct LintOptions {
    /// Require `x-seed` on every operation (vouch's own specs do; a user's may not).
    pub require_seed: bool,
    /// Count warnings as problems (`--strict`): the completeness rules and
    /// what vouch serves without.
    pub strict: bool,
}

/// Which profile a lint rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Always an error: the spec cannot be trusted as a contract without it.
    Correctness,
    /// A warning by default, an error under `--strict`: examples present,
    /// error and success responses present, `operationId`, `x-seed`.
    Completeness,
}

/// What lint's own checks found in one spec, by profile.
#[derive(Debug, Default)]
pub struct Found {
    /// Broken correctness rules (always errors).
    pub correctness: Vec<Problem>,
    /// Broken completeness and traceability rules (warnings unless strict).
    pub completeness: Vec<Problem>,
}

impl Found {
    fn push(&mut self, profile: Profile, problem: Problem) {
        match profile {
            Profile::Correctness => self.correctness.push(problem),
            Profile::Completeness => self.completeness.push(problem),
        }
    }
}

impl Default for LintOptions {
    fn default() -> Self {
        Self {
            require_seed: true,
            strict: false,
        }
    }
}

/// The result of linting a set of spec files.
#[derive(Debug, Default)]
pub struct LintReport {
    /// Every problem, in file order.
    pub problems: Vec<Problem>,
    /// Broken completeness rules, and what vouch skips and still serves
    /// without, in file order (empty under `strict`, where they count as problems).
    pub warnings: Vec<Problem>,
    /// Webhooks of the loaded specs (`METHOD name`): accepted, listed, not served.
    pub webhooks: Vec<String>,
    /// How many specs loaded.
    pub specs: usize,
    /// How many operations they hold.
    pub operations: usize,
    /// One line per loaded spec, for `specs/README.md`.
    pub summaries: Vec<SpecSummary>,
}

/// How much of a spec comes from its vendor document, and how often it departs from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecSummary {
    /// File name, e.g. `rainbond.yaml`.
    pub file: String,
    /// All operations.
    pub operations: usize,
    /// Operations whose `x-seed` names a vendor document.
    pub from_document: usize,
    /// Operations beyond the document (`x-seed.document: vendor-notes`).
    pub beyond_document: usize,
    /// `x-errata` entries anywhere in the spec.
    pub errata: usize,
}

impl SpecSummary {
    fn of(spec: &Spec) -> Self {
        let beyond = spec
            .operations
            .iter()
            .filter(|op| {
                op.extension("x-seed")
                    .and_then(|s| s.get("document"))
                    .and_then(Value::as_str)
                    == Some("vendor-notes")
            })
            .count();
        Self {
            file: spec
                .path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            operations: spec.operations.len(),
            from_document: spec.operations.len() - beyond,
            beyond_document: beyond,
            errata: spec.errata().len(),
        }
    }
}

/// The summaries as a Markdown table.
pub fn summary_table(summaries: &[SpecSummary]) -> String {
    let mut out = String::from(
        "| spec | operations | from the document | beyond it (vendor-notes) | errata |\n|---|---:|---:|---:|---:|\n",
    );
    for s in summaries {
        out += &format!(
            "| `{}` | {} | {} | {} | {} |\n",
            s.file, s.operations, s.from_document, s.beyond_document, s.errata
        );
    }
    out
}

/// Lints the spec files at `paths`, together (routes must not collide across them).
pub fn lint(paths: &[std::path::PathBuf], options: LintOptions) -> LintReport {
    lint_loaded(paths.iter().map(|p| Spec::load(p)).collect(), options)
}

/// Lints specs already loaded (or that failed to load), together.
pub fn lint_loaded(loaded: Vec<Result<Spec, Problem>>, options: LintOptions) -> LintReport {
    let mut report = LintReport::default();
    let mut specs = Vec::new();
    for result in loaded {
        match result {
            Ok(spec) => {
                report.problems.extend(spec.problems.iter().cloned());
                let found = check_spec(&spec, options);
                report.problems.extend(found.correctness);
                if options.strict {
                    report.problems.extend(found.completeness);
                } else {
                    report.warnings.extend(found.completeness);
                }
                report.summaries.push(SpecSummary::of(&spec));
                report.webhooks.extend(spec.webhooks.iter().cloned());
                specs.push(spec);
            }
            Err(problem) => report.problems.push(problem),
        }
    }
    report.specs = specs.len();
    report.operations = specs.iter().map(|s| s.operations.len()).sum();
    let (catalog, conflicts) = Catalog::build(specs);
    report.problems.extend(conflicts);
    let warnings = catalog.warnings().iter().cloned();
    if options.strict {
        report.problems.extend(warnings);
    } else {
        report.warnings.extend(warnings);
    }
    for list in [&mut report.problems, &mut report.warnings] {
        list.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    }
    report
}

/// Lint's own checks on one loaded spec.
pub fn check_spec(spec: &Spec, options: LintOptions) -> Found {
    let mut out = Found::default();
    for op in &spec.operations {
        check_operation(spec, op, options, &mut out);
    }
    out
}

fn check_operation(spec: &Spec, op: &Operation, options: LintOptions, out: &mut Found) {
    use Profile::Completeness;
    let route = op.route();
    if !op.has_declared_id {
        out.push(
            Completeness,
            spec.problem(&op.pointer, format!("{route} has no operationId")),
        );
    }
    if options.require_seed {
        let seed = op.extension("x-seed");
        let names = |k: &str| {
            seed.and_then(|s| s.get(k))
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        };
        if !(names("document") && names("section")) {
            out.push(Completeness, spec.problem(
                &child_pointer(&op.pointer, "x-seed"),
                format!("`{}` needs `x-seed: {{document: <seed file or vendor-notes>, section: <heading>}}`", op.id),
            ));
        }
    }
    if !op.responses.iter().any(|r| r.status.is_success()) {
        out.push(
            Completeness,
            spec.problem(
                &op.pointer,
                format!("`{}` declares no success (2xx) response", op.id),
            ),
        );
    }
    if !op.responses.iter().any(|r| r.status.is_error()) {
        out.push(
            Completeness,
            spec.problem(
                &op.pointer,
                format!("`{}` declares no error (4xx/5xx) response", op.id),
            ),
        );
    }
    for p in &op.parameters {
        check_examples(spec, &op.id, &p.examples, p.schema.as_ref(), out);
    }
    let bodies = op.request_body.iter().flat_map(|b| &b.content);
    let responses = op.responses.iter().flat_map(|r| &r.content);
    for mt in bodies.chain(responses) {
        if mt.schema.is_some() && !has_example(mt) {
            out.push(
                Completeness,
                spec.problem(
                    &mt.pointer,
                    format!(
                        "`{}`: `{}` has a schema but no `example` or `examples`",
                        op.id, mt.media_type
                    ),
                ),
            );
        }
        check_examples(spec, &op.id, &mt.examples, mt.schema.as_ref(), out);
    }
}

/// Whether a body has an example: its own `example`/`examples`, or its
/// schema's (`example`, or a non-empty `examples` list).
fn has_example(mt: &MediaType) -> bool {
    let in_schema = |schema: &Schema| {
        schema.source.get("example").is_some()
            || schema
                .source
                .get("examples")
                .is_some_and(|e| e.as_array().is_none_or(|list| !list.is_empty()))
    };
    !mt.examples.is_empty() || mt.schema.as_ref().is_some_and(in_schema)
}

fn check_examples(
    spec: &Spec,
    op: &str,
    examples: &[Example],
    schema: Option<&Schema>,
    out: &mut Found,
) {
    let Some(schema) = schema else { return };
    for example in examples {
        for v in schema.violations(&example.value) {
            let at = format!("{}{}", example.pointer, v.instance_pointer);
            let value_at = if v.instance_pointer.is_empty() {
                "the example itself".to_string()
            } else {
                v.instance_pointer.clone()
            };
            out.push(Profile::Correctness, spec.problem(
                &at,
                format!(
                    "`{op}`: example `{}` does not match its schema at {value_at}: {} (rule #{}{})",
                    example.name, v.message, schema.pointer, v.rule
                ),
            ));
        }
    }
}

/// What a scenario's exact checks must respect: an `equals`, `regex` or
/// `contains` check on a field the spec marks `x-free-text` needs a
/// `source:` (on the check or its step) naming where the text is verified.
/// The field is found through the examples of the responses the step may
/// get (its expected statuses; any 2xx by default).
pub fn lint_scenarios(catalog: &Catalog, scenarios: &[Scenario]) -> Vec<Problem> {
    let mut out = Vec::new();
    for step in scenarios
        .iter()
        .flat_map(|s| s.steps.iter().chain(&s.teardown))
    {
        let routed = step
            .operation
            .as_deref()
            .and_then(|id| catalog.operation(id));
        let Some((spec, op)) = routed.filter(|_| step.source.is_none()) else {
            continue;
        };
        let free_text = free_text_in_examples(spec, op, step);
        for a in step.expect.body.iter().filter(|a| a.source.is_none()) {
            let Some(check) = exact_check(a) else {
                continue;
            };
            let hits = |(example, marked): &(Value, Vec<String>)| {
                let selected = a.selector.pointers(example);
                marked
                    .iter()
                    .find(|m| selected.iter().any(|p| asserts_text(a, p, m)))
                    .cloned()
            };
            if let Some(field) = free_text.iter().find_map(hits) {
                out.push(Problem {
                    file: a.location.file.clone(),
                    line: Some(a.location.line),
                    pointer: String::new(),
                    message: format!(
                        "`{check}` on `{}` checks the text of {field}, which `{}` marks x-free-text: \
                         check its `type`, or name where the text is verified with `source:`",
                        a.selector, op.id
                    ),
                });
            }
        }
    }
    out
}

/// Whether `a`, checking the value at `selected`, asserts the text at
/// `text`: the value itself, or (for `equals` on a value holding it) the
/// text its expected value gives there.
fn asserts_text(a: &BodyAssertion, selected: &str, text: &str) -> bool {
    match text.strip_prefix(selected) {
        Some("") => true,
        Some(rest) if rest.starts_with('/') => a
            .equals
            .as_ref()
            .and_then(|expected| expected.pointer(rest))
            .is_some_and(Value::is_string),
        _ => false,
    }
}

/// The check of `a` that compares text exactly, if any.
fn exact_check(a: &BodyAssertion) -> Option<&'static str> {
    if a.equals.is_some() {
        Some("equals")
    } else if a.regex.is_some() {
        Some("regex")
    } else if a.contains.is_some() {
        Some("contains")
    } else if a.same_items.is_some() {
        Some("same_items")
    } else {
        None
    }
}

/// Each example of the responses `step` may get, with the pointers of its free-text values.
fn free_text_in_examples(spec: &Spec, op: &Operation, step: &Step) -> Vec<(Value, Vec<String>)> {
    let expected = step.expect.status.as_ref().map(|(s, _)| s);
    let may_get = |key: StatusKey| match (key, expected) {
        (StatusKey::Code(c), Some(e)) => e.matches(c),
        (StatusKey::Range(d), Some(e)) => (0..100).any(|n| e.matches(u16::from(d) * 100 + n)),
        (StatusKey::Default, Some(_)) => true,
        (key, None) => key.is_success(),
    };
    let mut out = Vec::new();
    for mt in op
        .responses
        .iter()
        .filter(|r| may_get(r.status))
        .flat_map(|r| &r.content)
    {
        let Some(schema) = &mt.schema else { continue };
        for example in &mt.examples {
            let marked = marked_by(spec, &schema.source, &example.value, "x-free-text")
                .into_iter()
                .map(|(p, _)| p)
                .collect();
            out.push((example.value.clone(), marked));
        }
    }
    out
}
