//! `vouch coverage`: which operations, and which declared (operation,
//! status) pairs, the scenarios exercise. Read from the scenario files: a
//! step exercises its operation, and the exact statuses it expects.

use std::collections::BTreeSet;
use std::fmt;

use crate::scenario::{Scenario, Step};
use crate::spec::{Catalog, Routed, StatusKey};

/// Coverage of one spec.
#[derive(Debug, Clone)]
pub struct SpecCoverage {
    /// Spec name (the spec file's stem).
    pub spec: String,
    /// Every operation of the spec, in document order.
    pub operations: Vec<OperationCoverage>,
}

/// Coverage of one operation.
#[derive(Debug, Clone)]
pub struct OperationCoverage {
    /// The operation's operationId.
    pub id: String,
    /// Whether any step calls it.
    pub exercised: bool,
    /// Each declared status, and whether a step expects it.
    pub statuses: Vec<(StatusKey, bool)>,
}

impl SpecCoverage {
    /// Share of operations exercised (1.0 for a spec without operations).
    pub fn operation_share(&self) -> f64 {
        share(
            self.operations.iter().filter(|o| o.exercised).count(),
            self.operations.len(),
        )
    }

    /// Share of declared (operation, status) pairs exercised.
    pub fn status_share(&self) -> f64 {
        let all: Vec<bool> = self
            .operations
            .iter()
            .flat_map(|o| o.statuses.iter().map(|s| s.1))
            .collect();
        share(all.iter().filter(|&&b| b).count(), all.len())
    }
}

fn share(n: usize, of: usize) -> f64 {
    if of == 0 { 1.0 } else { n as f64 / of as f64 }
}

/// Coverage of every spec.
#[derive(Debug, Clone)]
pub struct CoverageReport {
    /// One entry per loaded spec.
    pub specs: Vec<SpecCoverage>,
}

/// Measures what `scenarios` exercise of `catalog`.
pub fn measure(catalog: &Catalog, scenarios: &[Scenario]) -> CoverageReport {
    let mut exercised: BTreeSet<(String, Option<u16>)> = BTreeSet::new();
    for step in scenarios
        .iter()
        .flat_map(|s| s.steps.iter().chain(&s.teardown))
    {
        let Some(op) = operation_of(catalog, step) else {
            continue;
        };
        exercised.insert((op.clone(), None));
        let codes = step
            .expect
            .status
            .as_ref()
            .map_or(Vec::new(), |(s, _)| s.codes());
        for code in codes {
            exercised.insert((op.clone(), Some(code)));
        }
    }
    let specs = catalog
        .specs()
        .iter()
        .map(|spec| SpecCoverage {
            spec: spec.name.clone(),
            operations: spec
                .operations
                .iter()
                .map(|op| {
                    let statuses = op
                        .responses
                        .iter()
                        .filter(|r| r.status != StatusKey::Default)
                        .map(|r| {
                            let hit = match r.status {
                                StatusKey::Code(c) => exercised.contains(&(op.id.clone(), Some(c))),
                                StatusKey::Range(d) => exercised.iter().any(|(o, c)| {
                                    o == &op.id && c.is_some_and(|c| c / 100 == u16::from(d))
                                }),
                                StatusKey::Default => false,
                            };
                            (r.status, hit)
                        })
                        .collect();
                    OperationCoverage {
                        id: op.id.clone(),
                        exercised: exercised.contains(&(op.id.clone(), None)),
                        statuses,
                    }
                })
                .collect(),
        })
        .collect();
    CoverageReport { specs }
}

fn operation_of(catalog: &Catalog, step: &Step) -> Option<String> {
    if let Some(op) = &step.operation {
        return Some(op.clone());
    }
    let method = step.method?;
    let path = step.path.as_deref()?.split('?').next()?;
    match catalog.route(method, path) {
        Routed::Operation { operation, .. } => Some(operation.id.clone()),
        _ => None,
    }
}

impl CoverageReport {
    /// Share of all operations exercised, over every spec.
    pub fn operation_share(&self) -> f64 {
        let ops: Vec<&OperationCoverage> = self.specs.iter().flat_map(|s| &s.operations).collect();
        share(ops.iter().filter(|o| o.exercised).count(), ops.len())
    }

    /// Share of all declared (operation, status) pairs exercised, over every spec.
    pub fn status_share(&self) -> f64 {
        let pairs: Vec<bool> = self
            .specs
            .iter()
            .flat_map(|s| &s.operations)
            .flat_map(|o| o.statuses.iter().map(|s| s.1))
            .collect();
        share(pairs.iter().filter(|&&b| b).count(), pairs.len())
    }
}

impl fmt::Display for CoverageReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for spec in &self.specs {
            let ops_hit = spec.operations.iter().filter(|o| o.exercised).count();
            let pairs: Vec<bool> = spec
                .operations
                .iter()
                .flat_map(|o| o.statuses.iter().map(|s| s.1))
                .collect();
            writeln!(
                f,
                "{}: {}/{} operations ({:.0}%), {}/{} (operation, status) pairs ({:.0}%)",
                spec.spec,
                ops_hit,
                spec.operations.len(),
                spec.operation_share() * 100.0,
                pairs.iter().filter(|&&b| b).count(),
                pairs.len(),
                spec.status_share() * 100.0
            )?;
            for OperationCoverage {
                id: op,
                exercised: hit,
                statuses,
            } in &spec.operations
            {
                let missing: Vec<String> = statuses
                    .iter()
                    .filter(|s| !s.1)
                    .map(|s| s.0.to_string())
                    .collect();
                if !hit {
                    writeln!(f, "  not exercised: {op}")?;
                } else if !missing.is_empty() {
                    writeln!(f, "  {op}: statuses not exercised: {}", missing.join(", "))?;
                }
            }
        }
        writeln!(
            f,
            "total: {:.0}% of operations, {:.0}% of (operation, status) pairs",
            self.operation_share() * 100.0,
            self.status_share() * 100.0
        )
    }
}
