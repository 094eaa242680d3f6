//! Reporting outcomes: the terminal, JSON and JUnit reporters all read the
//! same [`ScenarioOutcome`]s through one trait; the HTML report shows a
//! `vouch fidelity` comparison. Reports never hold secrets: an outcome is
//! redacted once it is checked and before any reporter sees it
//! ([`crate::suite::run_all`], [`crate::fidelity::compare`]).

mod arg;
mod html;
mod json;
mod junit;
mod terminal;

pub use arg::{FidelityReportKind, ReportArg, ReportArgError, ReportKinds, RunReportKind};
pub use html::FidelityHtmlReport;
pub(crate) use html::esc;
pub use json::JsonReport;
pub use junit::JunitReport;
pub use terminal::TerminalReport;

use crate::runner::{ScenarioOutcome, Verdict};

/// Counts for the closing line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Scenarios that passed.
    pub passed: usize,
    /// Scenarios with findings.
    pub failed: usize,
    /// Scenarios not run (tags, shards, destructive on a live target, ...).
    pub skipped: usize,
    /// Scenarios whose target could not be reached.
    pub unreachable: usize,
}

impl Summary {
    /// Counts `outcomes`.
    pub fn of(outcomes: &[ScenarioOutcome]) -> Summary {
        let mut s = Summary::default();
        for o in outcomes {
            match o.verdict {
                Verdict::Passed => s.passed += 1,
                Verdict::Failed => s.failed += 1,
                Verdict::Skipped(_) => s.skipped += 1,
                Verdict::Unreachable => s.unreachable += 1,
            }
        }
        s
    }

    /// `N passed, N failed, N skipped` (unreachable scenarios count as failed).
    pub fn line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed,
            self.failed + self.unreachable,
            self.skipped
        )
    }
}

/// Something that shows or stores outcomes.
pub trait Reporter {
    /// One scenario finished.
    fn scenario_done(&mut self, _outcome: &ScenarioOutcome) {}
    /// The run is over.
    fn finish(&mut self, outcomes: &[ScenarioOutcome], summary: &Summary) -> std::io::Result<()>;
}
