//! Scores: per operation, the share of its compared steps whose answers show
//! no scored difference; the counts of each kind of difference, by class.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Class, Difference, Kind, PairedStep, ScenarioComparison};

/// How many differences of one kind an operation showed, by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Scored: new, and free text with `--score-text`.
    pub new: usize,
    /// Explained by an erratum.
    pub known: usize,
    /// On free-text fields, not scored.
    pub free_text: usize,
    /// On guessed subjects.
    pub guess: usize,
    /// Latency, and steps answered on one side only.
    pub not_scored: usize,
}

impl Tally {
    fn add(&mut self, d: &Difference) {
        let count = match d.class {
            _ if d.scored => &mut self.new,
            Class::Known { .. } => &mut self.known,
            Class::FreeText => &mut self.free_text,
            Class::Guess { .. } => &mut self.guess,
            Class::New | Class::NotScored => &mut self.not_scored,
        };
        *count += 1;
    }

    /// All differences counted.
    pub fn total(&self) -> usize {
        self.new + self.known + self.free_text + self.guess + self.not_scored
    }
}

/// The differences of `steps`, by class.
pub(super) fn tally<'s>(steps: impl Iterator<Item = &'s PairedStep>) -> Tally {
    let mut tally = Tally::default();
    for d in steps.flat_map(|s| &s.differences) {
        tally.add(d);
    }
    tally
}

/// One operation's fidelity.
#[derive(Debug, Clone, Serialize)]
pub struct OperationScore {
    /// The operationId (or [`super::UNMATCHED`]).
    pub operation: String,
    /// Steps whose answers were compared.
    pub steps: usize,
    /// Compared steps with no scored difference.
    pub faithful: usize,
    /// `faithful / steps`; `None` when no step was compared.
    pub score: Option<f64>,
    /// Differences by kind.
    pub kinds: BTreeMap<Kind, Tally>,
}

/// `part / whole`, or `None` for an empty whole.
pub(super) fn share(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Every operation seen in `scenarios`, in order of first appearance.
pub(super) fn by_operation(scenarios: &[ScenarioComparison]) -> Vec<OperationScore> {
    let mut scores: Vec<OperationScore> = Vec::new();
    for step in scenarios.iter().flat_map(|s| &s.steps) {
        let index = match scores.iter().position(|o| o.operation == step.operation) {
            Some(i) => i,
            None => {
                scores.push(OperationScore {
                    operation: step.operation.clone(),
                    steps: 0,
                    faithful: 0,
                    score: None,
                    kinds: BTreeMap::new(),
                });
                scores.len() - 1
            }
        };
        let score = &mut scores[index];
        score.steps += usize::from(step.compared());
        score.faithful += usize::from(step.faithful());
        for d in &step.differences {
            score.kinds.entry(d.kind).or_default().add(d);
        }
    }
    for s in &mut scores {
        s.score = share(s.faithful, s.steps);
    }
    scores
}
