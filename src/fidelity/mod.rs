//! Mock fidelity: how faithfully the built-in mock answers compared with a
//! live service. Each scenario runs twice with the same variables and the
//! same run id, once against a fresh mock and once against the live target;
//! the steps of the two runs are paired and every difference between the two
//! answers is classified by what differs ([`Kind`]) and by what the spec
//! says of it ([`Class`]: new, known from an `x-errata` entry that names it,
//! free text, or a guess), and scored per operation.
//!
//! Steps are paired by their place in the scenario (a step and its
//! teardown flag and line). The runner stops a scenario at its first failing
//! step, so a step that ran on one side only is reported as
//! [`Kind::NotCompared`], with the step where that side stopped, and, like
//! latency, not scored. Only new differences are scored (free text too with
//! [`FidelityOptions::score_text`]): the score is the share of compared steps
//! with no scored difference.

mod body;
mod classify;
mod errata;
mod score;
mod table;

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

pub use classify::classify;
use errata::SpecMarks;
pub(crate) use errata::field_name;
pub use score::{OperationScore, Tally};
pub use table::percent;

use crate::exchange::Exchange;
use crate::redact::Redactor;
use crate::runner::{RunOptions, ScenarioOutcome, StepError, StepOutcome, Verdict};
use crate::scenario::Scenario;
use crate::spec::Catalog;
use crate::suite::{TargetKind, run_one};

/// The operation name of steps that match no operation of the catalog.
pub const UNMATCHED: &str = "(unmatched)";

/// What differs between the mock's and the live answer to one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The statuses differ (bodies are then not compared).
    Status,
    /// The live body has a field (or array item) the mock's lacks.
    FieldAdded,
    /// The mock's body has a field (or array item) the live one lacks.
    FieldRemoved,
    /// The same field holds a different JSON type.
    TypeChanged,
    /// The same field holds a different value, and the schema does not mark it `x-volatile`.
    ValueChanged,
    /// An array holds the same items in another order.
    Order,
    /// The content types differ (parameters such as `charset` ignored).
    ContentType,
    /// A response header the spec declares differs (present on one side, or another value).
    Header,
    /// One answer is valid against the operation's contract and the other is not.
    Validity,
    /// The live answer came slower than the mock's by more than the threshold (not scored).
    Latency,
    /// The step answered on one side only (not scored).
    NotCompared,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 11] = [
        Kind::Status,
        Kind::FieldAdded,
        Kind::FieldRemoved,
        Kind::TypeChanged,
        Kind::ValueChanged,
        Kind::Order,
        Kind::ContentType,
        Kind::Header,
        Kind::Validity,
        Kind::Latency,
        Kind::NotCompared,
    ];

    /// Whether a difference of this kind can lower the score (see [`Difference::scored`]).
    pub fn scored(self) -> bool {
        !matches!(self, Kind::Latency | Kind::NotCompared)
    }

    /// The kind as written in reports (`field-added`).
    pub fn label(self) -> &'static str {
        match self {
            Kind::Status => "status",
            Kind::FieldAdded => "field-added",
            Kind::FieldRemoved => "field-removed",
            Kind::TypeChanged => "type-changed",
            Kind::ValueChanged => "value-changed",
            Kind::Order => "order",
            Kind::ContentType => "content-type",
            Kind::Header => "header",
            Kind::Validity => "validity",
            Kind::Latency => "latency",
            Kind::NotCompared => "not-compared",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// What comparing one step needs besides the two answers.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Live slower than the mock by more than this is a [`Kind::Latency`] difference.
    pub latency_threshold_ms: f64,
    /// The values of `x-volatile` fields anywhere in the mock's run of the
    /// scenario (generated ids...): text that differs only by them is alike.
    pub mock_volatile: &'a [String],
    /// The same for the live run.
    pub live_volatile: &'a [String],
}

/// What the spec says of a difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "class", rename_all = "kebab-case")]
pub enum Class {
    /// Nothing: a difference the spec does not expect (scored).
    New,
    /// An `x-errata` entry explains it.
    Known {
        /// The pointer of the entry.
        erratum: String,
    },
    /// A value changed in a field marked `x-free-text` (scored only with `--score-text`).
    FreeText,
    /// The subject is marked `x-guess`: the mock's answer is a guess, not verified.
    Guess {
        /// What is guessed, in the spec's words.
        guess: String,
    },
    /// Latency, or a step answered on one side only.
    NotScored,
}

impl Class {
    /// The class as written in reports.
    pub fn label(&self) -> &'static str {
        match self {
            Class::New => "new",
            Class::Known { .. } => "known",
            Class::FreeText => "free-text",
            Class::Guess { .. } => "guess",
            Class::NotScored => "not-scored",
        }
    }
}

/// One difference between the two answers to a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// What kind of difference this is (status, body, header, latency, ...).
    pub kind: Kind,
    /// JSON pointer into the body (`""` for the whole answer); for
    /// [`Kind::Header`], the header's name.
    pub pointer: String,
    /// What the mock answered there.
    pub mock: String,
    /// What the live target answered there.
    pub live: String,
    /// What the spec says of it.
    #[serde(flatten)]
    pub class: Class,
    /// Whether it lowers the score.
    pub scored: bool,
}

impl Difference {
    /// A difference not (yet) matched against the spec's marks: new when its kind is scored.
    pub fn new(kind: Kind, pointer: &str, mock: String, live: String) -> Difference {
        Difference {
            kind,
            pointer: pointer.to_string(),
            mock,
            live,
            class: if kind.scored() {
                Class::New
            } else {
                Class::NotScored
            },
            scored: kind.scored(),
        }
    }
}

/// The two answers to one step of a scenario.
#[derive(Debug, Clone, Serialize)]
pub struct PairedStep {
    /// The step's name, or a description of its request (`step 2 (getPorts)`).
    pub label: String,
    /// 1-based line of the step in its scenario file.
    pub line: u64,
    /// Whether it is a teardown step.
    pub teardown: bool,
    /// The operationId, or [`UNMATCHED`].
    pub operation: String,
    /// The mock's answer; `None` when the step got none from it (not run, unreachable).
    pub mock: Option<Exchange>,
    /// The live target's answer; `None` when the step got none from it (not run, unreachable).
    pub live: Option<Exchange>,
    /// Every difference found between the two answers, whatever its class.
    pub differences: Vec<Difference>,
}

impl PairedStep {
    /// Whether both sides answered.
    pub fn compared(&self) -> bool {
        self.mock.is_some() && self.live.is_some()
    }

    /// Whether both sides answered with no scored difference.
    pub fn faithful(&self) -> bool {
        self.compared() && !self.differences.iter().any(|d| d.scored)
    }
}

/// One scenario's comparison.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioComparison {
    /// Scenario id: its file path relative to the scenarios root, without extension.
    pub id: String,
    /// Scenario name, from its file.
    pub name: String,
    /// The scenario file.
    pub file: std::path::PathBuf,
    /// Why it was not run (a destructive scenario without `--allow-destructive`, ...).
    pub skipped: Option<String>,
    /// The live target could not be reached.
    pub unreachable: bool,
    /// The paired steps, in scenario order; empty when skipped.
    pub steps: Vec<PairedStep>,
}

impl ScenarioComparison {
    /// Replaces every secret in both answers and in every difference.
    fn redact(&mut self, redactor: &Redactor) {
        for step in &mut self.steps {
            for answer in step.mock.iter_mut().chain(&mut step.live) {
                answer.redact(redactor);
            }
            for d in &mut step.differences {
                for text in [&mut d.pointer, &mut d.mock, &mut d.live] {
                    redactor.string(text);
                }
            }
        }
    }
}

/// How to compare.
#[derive(Debug, Clone)]
pub struct FidelityOptions {
    /// Shared by both runs: the same variables and run id (snapshots are best off).
    pub run: RunOptions,
    /// Live slower than the mock by more than this is a [`Kind::Latency`] difference.
    pub latency_threshold_ms: f64,
    /// Score differences on free-text fields too (`--score-text`).
    pub score_text: bool,
}

/// The whole comparison: every scenario, every operation's score and the run's.
#[derive(Debug, Clone, Serialize)]
pub struct FidelityReport {
    /// Faithful steps over compared steps; `None` when nothing was compared.
    pub score: Option<f64>,
    /// Compared steps.
    pub steps: usize,
    /// Compared steps with no scored difference.
    pub faithful: usize,
    /// Scored differences: new ones, and free text with `--score-text`.
    pub new: usize,
    /// Differences an erratum explains.
    pub known: usize,
    /// Differences on free-text fields, not scored.
    pub free_text: usize,
    /// Differences on guessed subjects.
    pub guess: usize,
    /// The latency threshold used, in milliseconds (see [`FidelityOptions::latency_threshold_ms`]).
    pub latency_threshold_ms: f64,
    /// Score of each operation the scenarios called.
    pub operations: Vec<OperationScore>,
    /// Every scenario's comparison, in run order.
    pub scenarios: Vec<ScenarioComparison>,
}

impl FidelityReport {
    /// Scores `scenarios`.
    pub fn new(scenarios: Vec<ScenarioComparison>, latency_threshold_ms: f64) -> FidelityReport {
        let operations = score::by_operation(&scenarios);
        let steps: usize = operations.iter().map(|o| o.steps).sum();
        let faithful: usize = operations.iter().map(|o| o.faithful).sum();
        let tally = score::tally(scenarios.iter().flat_map(|s| &s.steps));
        FidelityReport {
            score: score::share(faithful, steps),
            steps,
            faithful,
            new: tally.new,
            known: tally.known,
            free_text: tally.free_text,
            guess: tally.guess,
            latency_threshold_ms,
            operations,
            scenarios,
        }
    }

    /// Whether any live run could not reach its target.
    pub fn unreachable(&self) -> bool {
        self.scenarios.iter().any(|s| s.unreachable)
    }
}

/// Runs every scenario against `live` then against `mock`, one scenario at a
/// time (live services are not hammered), and compares the answers: their
/// real values, redacted only once compared.
pub async fn compare(
    catalog: &Arc<Catalog>,
    scenarios: &[Scenario],
    mock: &TargetKind,
    live: &TargetKind,
    options: &FidelityOptions,
) -> FidelityReport {
    let marks: HashMap<&str, SpecMarks> = catalog
        .specs()
        .iter()
        .map(|s| (s.name.as_str(), SpecMarks::of(s)))
        .collect();
    // Compared with the real values; redacted before anything is shown.
    let redactor = Redactor::new(&[mock.secrets(), live.secrets()].concat());
    let mut compared = Vec::with_capacity(scenarios.len());
    for scenario in scenarios {
        let mut comparison = compare_one(catalog, &marks, scenario, mock, live, options).await;
        comparison.redact(&redactor);
        compared.push(comparison);
    }
    FidelityReport::new(compared, options.latency_threshold_ms)
}

async fn compare_one(
    catalog: &Arc<Catalog>,
    marks: &HashMap<&str, SpecMarks>,
    scenario: &Scenario,
    mock: &TargetKind,
    live: &TargetKind,
    options: &FidelityOptions,
) -> ScenarioComparison {
    let live_run = run_one(catalog, scenario, live, &options.run).await;
    let mut comparison = ScenarioComparison {
        id: live_run.id.clone(),
        name: live_run.name.clone(),
        file: live_run.file.clone(),
        skipped: None,
        unreachable: live_run.verdict == Verdict::Unreachable,
        steps: Vec::new(),
    };
    if let Verdict::Skipped(reason) = &live_run.verdict {
        comparison.skipped = Some(reason.clone());
        return comparison;
    }
    let mock_run = run_one(catalog, scenario, mock, &options.run).await;
    if let Verdict::Skipped(reason) = &mock_run.verdict {
        comparison.skipped = Some(format!("mock: {reason}"));
        return comparison;
    }
    let comparing = Comparing {
        catalog,
        marks,
        score_text: options.score_text,
    };
    comparison.steps = pair(
        &comparing,
        &mock_run,
        &live_run,
        options.latency_threshold_ms,
    );
    comparison
}

/// What pairing the steps reads besides the two runs.
struct Comparing<'a> {
    catalog: &'a Catalog,
    marks: &'a HashMap<&'a str, SpecMarks>,
    score_text: bool,
}

/// Pairs the steps of the two runs by their place in the scenario and classifies each pair.
fn pair(
    comparing: &Comparing<'_>,
    mock: &ScenarioOutcome,
    live: &ScenarioOutcome,
    latency_threshold_ms: f64,
) -> Vec<PairedStep> {
    let catalog = comparing.catalog;
    let (mock_volatile, live_volatile) = (
        body::volatile_values(catalog, &mock.steps),
        body::volatile_values(catalog, &live.steps),
    );
    let context = Context {
        latency_threshold_ms,
        mock_volatile: &mock_volatile,
        live_volatile: &live_volatile,
    };
    let key = |s: &StepOutcome| (s.teardown, s.line);
    let mut keys: Vec<(bool, u64)> = mock.steps.iter().map(key).collect();
    for step in &live.steps {
        if !keys.contains(&key(step)) {
            keys.push(key(step));
        }
    }
    keys.iter()
        .filter_map(|k| {
            let m = mock.steps.iter().find(|s| key(s) == *k);
            let l = live.steps.iter().find(|s| key(s) == *k);
            pair_step(comparing, (m, mock), (l, live), &context)
        })
        .collect()
}

/// One side of a step: the step's outcome (if it ran) and its whole run.
type Side<'a> = (Option<&'a StepOutcome>, &'a ScenarioOutcome);

fn pair_step(
    comparing: &Comparing<'_>,
    (mock, mock_run): Side<'_>,
    (live, live_run): Side<'_>,
    context: &Context<'_>,
) -> Option<PairedStep> {
    let either = mock.or(live)?;
    let (m, l) = (
        mock.and_then(|s| s.exchange.clone()),
        live.and_then(|s| s.exchange.clone()),
    );
    let operation = mock
        .and_then(|s| s.operation.clone())
        .or_else(|| live.and_then(|s| s.operation.clone()));
    let routed = operation
        .as_deref()
        .and_then(|id| comparing.catalog.operation(id));
    let differences = match (&m, &l) {
        (None, None) => return None,
        (Some(m), Some(l)) => {
            let mut found = classify(routed, m, l, context);
            if let Some((spec, op)) = routed {
                let marks = comparing.marks.get(spec.name.as_str());
                let answers = errata::Answers { mock: m, live: l };
                errata::mark(
                    spec,
                    op,
                    marks.unwrap_or(&SpecMarks::default()),
                    &answers,
                    comparing.score_text,
                    &mut found,
                );
            }
            if mock.or(live).is_some_and(|s| s.status_open) {
                errata::left_open_by_the_scenario(&mut found);
            }
            found
        }
        _ => vec![Difference::new(
            Kind::NotCompared,
            "",
            side_summary(mock, mock_run),
            side_summary(live, live_run),
        )],
    };
    Some(PairedStep {
        label: either.label.clone(),
        line: either.line,
        teardown: either.teardown,
        operation: operation.unwrap_or_else(|| UNMATCHED.to_string()),
        mock: m,
        live: l,
        differences,
    })
}

/// What one side did with a step, in words: for a step it did not run,
/// where and why its run stopped.
fn side_summary(step: Option<&StepOutcome>, run: &ScenarioOutcome) -> String {
    match step {
        None => match run.steps.iter().find(|s| !s.teardown && !s.passed()) {
            Some(failed) => format!(
                "stopped at {} (line {}): {}",
                failed.label,
                failed.line,
                why_failed(failed)
            ),
            None => "not run".into(),
        },
        Some(s) => match (&s.exchange, &s.error) {
            (Some(e), _) => format!("answered {}", e.status),
            (None, Some(StepError::Unreachable(e))) => format!("unreachable: {e}"),
            (None, Some(StepError::NotRun(e))) => format!("not run: {e}"),
            // A body over --max-body: the finding says its size.
            (None, None) => s
                .findings
                .first()
                .map_or_else(|| "no answer".into(), |f| f.actual.clone()),
        },
    }
}

/// The first reason a step failed, in words.
fn why_failed(step: &StepOutcome) -> String {
    match (step.findings.first(), &step.error) {
        (Some(f), _) => format!("{}: expected {}, got {}", f.rule, f.expected, f.actual),
        (None, Some(StepError::Unreachable(e))) => format!("unreachable: {e}"),
        (None, Some(StepError::NotRun(e))) => format!("not run: {e}"),
        (None, None) => "no answer".into(),
    }
}
