//! `--report junit=PATH`: one testcase per scenario, for CI systems.

use std::path::PathBuf;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{Reporter, Summary};
use crate::atomic_file;
use crate::runner::{ScenarioOutcome, StepError, Verdict};

/// Writes a JUnit XML file.
pub struct JunitReport {
    /// The JUnit XML file to write.
    pub path: PathBuf,
}

impl Reporter for JunitReport {
    fn finish(&mut self, outcomes: &[ScenarioOutcome], _summary: &Summary) -> std::io::Result<()> {
        let mut report = Report::new("vouch");
        let mut suite = TestSuite::new("scenarios");
        for o in outcomes {
            let status = match &o.verdict {
                Verdict::Passed => TestCaseStatus::success(),
                Verdict::Skipped(reason) => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(reason.clone());
                    s
                }
                Verdict::Failed | Verdict::Unreachable => {
                    let kind = if o.verdict == Verdict::Unreachable {
                        NonSuccessKind::Error
                    } else {
                        NonSuccessKind::Failure
                    };
                    let mut s = TestCaseStatus::non_success(kind);
                    let lines = failure_lines(o);
                    s.set_message(lines.first().cloned().unwrap_or_default());
                    s.set_description(lines.join("\n"));
                    s
                }
            };
            let mut case = TestCase::new(o.id.clone(), status);
            case.set_classname(o.id.split('/').next().unwrap_or("scenarios").to_string());
            case.set_time(Duration::from_secs_f64(o.duration_ms / 1000.0));
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
        let xml = report.to_string().map_err(std::io::Error::other)?;
        atomic_file::write(&self.path, &xml)
    }
}

/// One line per finding or step error: `step (file:line:column): finding`
/// (the column where the finding knows the expectation it breaks).
fn failure_lines(o: &ScenarioOutcome) -> Vec<String> {
    let mut lines = Vec::new();
    for step in &o.steps {
        let at = format!("{} ({}:{})", step.label, o.file.display(), step.line);
        for f in &step.findings {
            match &f.location {
                Some(location) => lines.push(format!("{} ({location}): {f}", step.label)),
                None => lines.push(format!("{at}: {f}")),
            }
        }
        match &step.error {
            Some(StepError::Unreachable(e)) => lines.push(format!("{at}: target unreachable: {e}")),
            Some(StepError::NotRun(e)) if !step.teardown => {
                lines.push(format!("{at}: not run: {e}"))
            }
            _ => {}
        }
    }
    lines
}
