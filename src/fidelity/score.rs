//! Scores: per operation, the share of its compared steps whose answers show
//! no scored difference; the counts of each kind of difference, known and new.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Kind, ScenarioComparison};

/// How many differences of one kind an operation showed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Not recorded by the errata.
    pub new: usize,
    /// Recorded by the errata.
    pub known: usize,
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
            let tally = score.kinds.entry(d.kind).or_default();
            match d.known {
                Some(_) => tally.known += 1,
                None => tally.new += 1,
            }
        }
    }
    for s in &mut scores {
        s.score = share(s.faithful, s.steps);
    }
    scores
}
