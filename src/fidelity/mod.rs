//! Mock fidelity: how faithfully the built-in mock answers compared with a
//! live service. Each scenario runs twice with the same variables and the
//! same run id, once against a fresh mock and once against the live target;
//! the steps of the two runs are paired and every difference between the two
//! answers is classified ([`Kind`]), marked "known" when the spec's
//! `x-errata` already records it, and scored per operation.
//!
//! Steps are paired by their place in the scenario (a step and its
//! teardown flag and line). The runner stops a scenario at its first failing
//! step, so a step that ran on one side only is reported as
//! [`Kind::NotCompared`] and, like latency, not scored: the score is the
//! share of compared steps with no scored difference.

mod body;
mod classify;
mod errata;
mod score;
mod table;

use std::sync::Arc;

use serde::Serialize;

pub use classify::classify;
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
    pub const ALL: [Kind; 10] = [
        Kind::Status,
        Kind::FieldAdded,
        Kind::FieldRemoved,
        Kind::TypeChanged,
        Kind::ValueChanged,
        Kind::ContentType,
        Kind::Header,
        Kind::Validity,
        Kind::Latency,
        Kind::NotCompared,
    ];

    /// Whether a difference of this kind lowers the score.
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
    /// The pointer of the `x-errata` entry that records this drift, when the spec knows it.
    pub known: Option<String>,
}

impl Difference {
    /// A difference not (yet) matched against the errata.
    pub fn new(kind: Kind, pointer: &str, mock: String, live: String) -> Difference {
        Difference {
            kind,
            pointer: pointer.to_string(),
            mock,
            live,
            known: None,
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
    /// Every difference found between the two answers, errata-matched ones included.
    pub differences: Vec<Difference>,
}

impl PairedStep {
    /// Whether both sides answered.
    pub fn compared(&self) -> bool {
        self.mock.is_some() && self.live.is_some()
    }

    /// Whether both sides answered with no scored difference.
    pub fn faithful(&self) -> bool {
        self.compared() && !self.differences.iter().any(|d| d.kind.scored())
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
    /// Scored differences the errata do not record.
    pub new: usize,
    /// Scored differences the errata record.
    pub known: usize,
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
        let scored = || {
            scenarios
                .iter()
                .flat_map(|s| &s.steps)
                .flat_map(|s| &s.differences)
                .filter(|d| d.kind.scored())
        };
        FidelityReport {
            score: score::share(faithful, steps),
            steps,
            faithful,
            new: scored().filter(|d| d.known.is_none()).count(),
            known: scored().filter(|d| d.known.is_some()).count(),
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
    // Compared with the real values; redacted before anything is shown.
    let redactor = Redactor::new(&[mock.secrets(), live.secrets()].concat());
    let mut compared = Vec::with_capacity(scenarios.len());
    for scenario in scenarios {
        let mut comparison = compare_one(catalog, scenario, mock, live, options).await;
        comparison.redact(&redactor);
        compared.push(comparison);
    }
    FidelityReport::new(compared, options.latency_threshold_ms)
}

async fn compare_one(
    catalog: &Arc<Catalog>,
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
    comparison.steps = pair(catalog, &mock_run, &live_run, options.latency_threshold_ms);
    comparison
}

/// Pairs the steps of the two runs by their place in the scenario and classifies each pair.
fn pair(
    catalog: &Catalog,
    mock: &ScenarioOutcome,
    live: &ScenarioOutcome,
    latency_threshold_ms: f64,
) -> Vec<PairedStep> {
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
            pair_step(catalog, m, l, &context)
        })
        .collect()
}

fn pair_step(
    catalog: &Catalog,
    mock: Option<&StepOutcome>,
    live: Option<&StepOutcome>,
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
    let routed = operation.as_deref().and_then(|id| catalog.operation(id));
    let differences = match (&m, &l) {
        (None, None) => return None,
        (Some(m), Some(l)) => {
            let mut found = classify(routed, m, l, context);
            if let Some((spec, op)) = routed {
                errata::mark(spec, op, &mut found);
            }
            found
        }
        _ => vec![Difference::new(
            Kind::NotCompared,
            "",
            side_summary(mock),
            side_summary(live),
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

/// What one side did with a step, in words.
fn side_summary(step: Option<&StepOutcome>) -> String {
    match step {
        None => "not run (the scenario stopped at an earlier failing step)".into(),
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
