//! `vouch conform`: conformance cases generated from the specs alone, run
//! against the built-in mock or a live target.
//!
//! [`generate`] writes each operation's cases; each case becomes a scenario
//! ([`case`]), which the runner sends and checks with every contract check
//! vouch has, plus the status the case expects (2xx for a positive case, a
//! declared 4xx for a negative or auth case, a 4xx for an undeclared
//! method, consistent state for a CRUD sequence). A failed case is shrunk
//! ([`shrink`]) to the smallest that still fails the same check, and can be
//! saved as a scenario file `vouch run` reproduces. [`report`] turns the
//! outcomes into a matrix of operations by checks.

pub mod case;
mod generate;
pub mod report;
mod shrink;
mod values;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::check::{Finding, Rule};
use crate::runner::{ScenarioOutcome, StepError};
use crate::scenario::template::Vars;
use crate::scenario::{Scenario, parse_scenario};
use crate::spec::{Catalog, Operation, Spec, StatusKey};
use crate::suite::Suite;

pub use case::{Case, Kind};
pub use report::{ConformReport, ConformReportKind, Saved};

/// The folder generated scenarios are named under (`conform/<spec>/<case>`).
const ROOT: &str = "conform";

/// What to generate.
#[derive(Debug, Clone)]
pub struct ConformOptions {
    /// `--seed`: the same seed gives the same cases.
    pub seed: u64,
    /// `--max-cases`: at most this many cases per operation.
    pub max_cases: usize,
    /// `--vars`: path, query and header parameter values by parameter name.
    pub vars: Vars,
}

/// Parameter and body values naming the built-in mock's fixtures where the
/// specs' examples do not (a Rainbond component), and new resources for the
/// create sequences (ports the fixtures do not have).
const MOCK_VARS: &str = include_str!("mock-vars.yaml");

/// The values [`MOCK_VARS`] gives, for a run against the built-in mock.
pub fn mock_vars() -> Vars {
    match crate::spec::Document::parse(MOCK_VARS).map(|d| d.value) {
        Ok(serde_json::Value::Object(map)) => map.into_iter().collect(),
        _ => Vars::new(),
    }
}

/// A generated case, ready to run.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The case.
    pub case: Case,
    /// The spec of its operation.
    pub spec: String,
    /// The case as a scenario.
    pub scenario: Scenario,
}

/// Why cases could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConformError {
    /// A generated scenario did not parse: a bug of the generator, named with its text.
    #[error("vouch conform wrote a scenario it cannot read (a bug: please report it): {0}")]
    Generated(String),
    /// Planning an operation's cases panicked: a bug of the generator.
    #[error("vouch conform failed while writing cases (a bug: please report it)")]
    Panicked,
    /// A failure could not be saved.
    #[error("writing {0}: {1}")]
    Save(PathBuf, std::io::Error),
}

/// Every case for every operation of `catalog`, at most `max_cases` each,
/// in catalog order. Operations are planned on every core: reading each
/// case back as a scenario is most of a run's work.
pub fn plan(catalog: &Catalog, options: &ConformOptions) -> Result<Vec<Planned>, ConformError> {
    let operations: Vec<(&Spec, usize, &Operation)> = catalog
        .specs()
        .iter()
        .flat_map(|spec| {
            spec.operations
                .iter()
                .enumerate()
                .map(move |(i, op)| (spec, i, op))
        })
        .collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut planned: Vec<(usize, Vec<Planned>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let mine = operations.iter().enumerate().skip(worker).step_by(workers);
                scope.spawn(move || {
                    mine.map(|(at, &(spec, index, op))| {
                        Ok((at, plan_operation(catalog, options, spec, index, op)?))
                    })
                    .collect::<Result<Vec<_>, ConformError>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(ConformError::Panicked)))
            .collect::<Result<Vec<_>, _>>()
    })?
    .into_iter()
    .flatten()
    .collect();
    planned.sort_by_key(|(at, _)| *at);
    Ok(planned.into_iter().flat_map(|(_, p)| p).collect())
}

/// The cases of `op`, the `index`th operation of `spec`.
fn plan_operation(
    catalog: &Catalog,
    options: &ConformOptions,
    spec: &Spec,
    index: usize,
    op: &Operation,
) -> Result<Vec<Planned>, ConformError> {
    let rng = fastrand::Rng::with_seed(options.seed ^ fnv(&op.id));
    let mut context = generate::Context {
        spec,
        vars: &options.vars,
        rng,
    };
    let mut cases = context.cases(op);
    keep(&mut cases, options.max_cases, &mut context.rng);
    cases
        .into_iter()
        .enumerate()
        .map(|(n, case)| {
            let file = format!("{ROOT}/{}/{:03}-{:03}.yaml", spec.name, index, n);
            planned(catalog, case, &spec.name, Path::new(&file))
        })
        .collect()
}

/// A case with its scenario, parsed as `file`.
fn planned(
    catalog: &Catalog,
    case: Case,
    spec: &str,
    file: &Path,
) -> Result<Planned, ConformError> {
    let method_of = |id: &str| catalog.operation(id).map(|(_, op)| op.method);
    let text = case.to_scenario(spec, case.destructive(&method_of));
    let scenario = parse_scenario(file, &text, catalog, &Default::default()).map_err(|errors| {
        let first = errors.first().map(ToString::to_string).unwrap_or_default();
        ConformError::Generated(format!("{first}\n{text}"))
    })?;
    Ok(Planned {
        case,
        spec: spec.to_string(),
        scenario,
    })
}

/// Keeps the first case (the example) and at most `max - 1` others, drawn with `rng`.
fn keep(cases: &mut Vec<Case>, max: usize, rng: &mut fastrand::Rng) {
    if cases.len() <= max {
        return;
    }
    let mut rest = cases.split_off(1.min(cases.len()));
    rng.shuffle(&mut rest);
    rest.truncate(max.saturating_sub(cases.len()));
    cases.append(&mut rest);
}

/// FNV-1a: a stable hash of an operation id, so each operation's draws
/// depend only on the seed and the operation.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One failed check of one case.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Failure {
    /// The operation the case is about.
    pub operation: String,
    /// The check that failed (`accepted`, `schema`, ...).
    pub check: &'static str,
    /// What the case tried.
    pub case: String,
    /// The step that failed it.
    pub step: String,
    /// What went wrong.
    pub message: String,
    /// The case's scenario id.
    pub scenario: String,
}

/// Runs `planned` on `suite`'s target with at most `jobs` cases at once.
pub async fn run(suite: &Arc<Suite>, planned: &[Planned], jobs: usize) -> Vec<ScenarioOutcome> {
    let scenarios = planned.iter().map(|p| p.scenario.clone()).collect();
    suite.run_all(scenarios, jobs, |_| {}).await
}

/// The checks a case's outcome fails.
pub fn failures(catalog: &Catalog, planned: &Planned, outcome: &ScenarioOutcome) -> Vec<Failure> {
    let mut out = Vec::new();
    let mut push = |check: &'static str, step: &str, message: String| {
        if !out.iter().any(|f: &Failure| f.check == check) {
            out.push(Failure {
                operation: planned.case.operation.clone(),
                check,
                case: planned.case.title.clone(),
                step: step.to_string(),
                message,
                scenario: outcome.id.clone(),
            });
        }
    };
    for step in &outcome.steps {
        for finding in &step.findings {
            let status = step.exchange.as_ref().map_or(0, |e| e.status);
            let left_open = catalog
                .operation(&finding.operation)
                .is_some_and(|(_, op)| {
                    crate::check::undeclared_refusal_left_open(op, finding, status)
                });
            if left_open || declared_server_error(catalog, finding, status) {
                continue;
            }
            let check = check_of(finding.rule, planned.case.kind);
            push(check, &step.label, format!("{}: {finding}", step.label));
        }
        if let Some(StepError::NotRun(why)) = &step.error {
            push(
                Kind::State.check(),
                &step.label,
                format!("{}: {why}", step.label),
            );
        }
    }
    out
}

/// A 5xx the operation declares by its code or class is no finding for conform.
fn declared_server_error(catalog: &Catalog, finding: &Finding, status: u16) -> bool {
    finding.rule == Rule::ServerError
        && catalog
            .operation(&finding.operation)
            .is_some_and(|(_, op)| {
                op.responses
                    .iter()
                    .any(|r| r.status == StatusKey::Code(status) || r.status == StatusKey::Range(5))
            })
}

/// The matrix column a finding falls in.
pub fn check_of(rule: Rule, kind: Kind) -> &'static str {
    match rule {
        Rule::Status => kind.check(),
        Rule::Capture | Rule::Expectation => Kind::State.check(),
        Rule::UndeclaredStatus => "declared status",
        Rule::ServerError => "no 5xx",
        Rule::ContentType => "content type",
        Rule::MissingHeader => "headers",
        Rule::MalformedBody | Rule::Schema | Rule::Body | Rule::BodyTooLarge | Rule::Snapshot => {
            "schema"
        }
    }
}

/// Shrinks each failed case and writes it under `dir` as a scenario file;
/// the files written, in case order.
pub async fn save_failures(
    suite: &Suite,
    results: &[(Planned, ScenarioOutcome)],
    dir: &Path,
) -> Result<Vec<Saved>, ConformError> {
    let mut written = Vec::new();
    for (planned, outcome) in results {
        let Some(first) = failures(suite.catalog(), planned, outcome)
            .into_iter()
            .next()
        else {
            continue;
        };
        let smallest = shrink::shrink(suite, planned, &first).await;
        let name = format!(
            "{}-{}.yaml",
            slug(&smallest.case.operation),
            slug(&smallest.case.title)
        );
        let path = dir.join(&smallest.spec).join(name);
        let header = format!(
            "# vouch conform: {} failed the `{}` check ({}).\n# Run it again: vouch run {}\n",
            first.operation,
            first.check,
            first.message.lines().next().unwrap_or_default(),
            path.display()
        );
        let text = format!("{header}{}", smallest.scenario.source);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ConformError::Save(path.clone(), e))?;
        }
        crate::atomic_file::write(&path, &text).map_err(|e| ConformError::Save(path.clone(), e))?;
        written.push(Saved {
            scenario: outcome.id.clone(),
            path,
        });
    }
    Ok(written)
}

/// A file-name-safe form of `text`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(catalog: &Catalog, seed: u64, max_cases: usize) -> Vec<(String, String)> {
        let options = ConformOptions {
            seed,
            max_cases,
            vars: mock_vars(),
        };
        plan(catalog, &options)
            .expect("generated scenarios parse")
            .into_iter()
            .map(|p| (p.case.operation, p.scenario.source))
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_cases_and_max_cases_bounds_each_operation() {
        let catalog = Catalog::builtin().expect("built-in specs");
        let first = texts(&catalog, 5, 7);
        assert_eq!(first, texts(&catalog, 5, 7));
        for (spec, op) in catalog.operations() {
            let n = first.iter().filter(|(id, _)| *id == op.id).count();
            assert!((1..=7).contains(&n), "{}: {n} cases ({})", op.id, spec.name);
        }
    }

    /// Every case of the built-in specs, for the mock's variables.
    fn every_builtin_case() -> Vec<Planned> {
        let catalog = Catalog::builtin().expect("built-in specs");
        let options = ConformOptions {
            seed: 0,
            max_cases: 1000,
            vars: mock_vars(),
        };
        plan(&catalog, &options).expect("generated scenarios parse")
    }

    #[test]
    fn every_operation_with_a_json_body_gets_a_body_that_is_not_json() {
        let planned = every_builtin_case();
        let mut with_body = 0;
        let examples = planned.iter().filter(|p| p.case.title == "the example");
        for first in examples.filter(|p| p.case.steps[0].body.is_some()) {
            let op = &first.case.operation;
            let malformed = planned
                .iter()
                .find(|p| p.case.operation == *op && p.case.title == "malformed JSON");
            let step = malformed.map(|p| &p.scenario.steps[0]);
            let Some(Some(crate::scenario::Body::Raw(text))) = step.map(|s| &s.body) else {
                panic!("{op}: no malformed JSON case");
            };
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "{op}: {text}"
            );
            assert_eq!(malformed.map(|p| p.case.kind), Some(Kind::Negative));
            with_body += 1;
        }
        assert!(with_body > 5, "{with_body} operations with a JSON body");
    }

    #[test]
    fn every_kind_of_case_is_generated_for_the_built_in_specs() {
        let planned = every_builtin_case();
        for kind in [
            Kind::Positive,
            Kind::Negative,
            Kind::Auth,
            Kind::Method,
            Kind::State,
        ] {
            assert!(
                planned.iter().any(|p| p.case.kind == kind),
                "no {kind:?} case"
            );
        }
    }
}
