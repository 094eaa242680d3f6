//! What a conform run found: a matrix of operations by checks, every
//! failure with the check it fails, and the files failures were saved to.
//! Shown in the terminal and written as JSON or a self-contained HTML page;
//! JUnit reuses [`crate::report::JunitReport`] on the same outcomes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::{Failure, Kind, Planned};
use crate::report::ReportKinds;
use crate::runner::{ScenarioOutcome, Verdict};

/// The matrix columns, in order: what a case expects, then the contract checks.
pub const CHECKS: &[&str] = &[
    "accepted",
    "rejected",
    "auth",
    "method",
    "state",
    "declared status",
    "content type",
    "schema",
    "headers",
    "no 5xx",
];

/// What `vouch conform --report` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConformReportKind {
    /// JUnit XML, one testcase per case.
    Junit,
    /// The matrix, the failures and every outcome as JSON.
    Json,
    /// The matrix and the failures as one HTML page.
    Html,
}

impl ReportKinds for ConformReportKind {
    const ALL: &'static [(&'static str, Self)] = &[
        ("junit", ConformReportKind::Junit),
        ("json", ConformReportKind::Json),
        ("html", ConformReportKind::Html),
    ];
}

/// One cell: how many cases exercised the check on the operation, and how many failed it.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Cell {
    /// Cases that exercised the check.
    pub cases: usize,
    /// Of those, the ones that failed it.
    pub failed: usize,
}

/// The result of a conform run.
#[derive(Debug, Clone, Serialize)]
pub struct ConformReport {
    /// `--seed`.
    pub seed: u64,
    /// Cases run.
    pub cases: usize,
    /// Cases skipped (destructive on a live target without `--allow-destructive`).
    pub skipped: usize,
    /// Operation -> check -> cell.
    pub matrix: BTreeMap<String, BTreeMap<&'static str, Cell>>,
    /// Every failed check.
    pub failures: Vec<Failure>,
    /// Scenario files written under `--save-failures`.
    pub saved: Vec<Saved>,
}

/// A failed case shrunk and saved as a scenario file.
#[derive(Debug, Clone, Serialize)]
pub struct Saved {
    /// The failed case's scenario id ([`Failure::scenario`]).
    pub scenario: String,
    /// The file written.
    pub path: PathBuf,
}

impl ConformReport {
    /// Builds the report from each case's outcome and failures.
    pub fn new(seed: u64, results: &[(&Planned, &ScenarioOutcome, Vec<Failure>)]) -> Self {
        let mut report = ConformReport {
            seed,
            cases: 0,
            skipped: 0,
            matrix: BTreeMap::new(),
            failures: Vec::new(),
            saved: Vec::new(),
        };
        for (planned, outcome, failures) in results {
            if matches!(outcome.verdict, Verdict::Skipped(_)) {
                report.skipped += 1;
                continue;
            }
            report.cases += 1;
            let row = report
                .matrix
                .entry(planned.case.operation.clone())
                .or_default();
            let answered = outcome.steps.iter().any(|s| s.exchange.is_some());
            for check in CHECKS {
                let exercised =
                    *check == planned.case.kind.check() || (answered && !kind_check(check));
                if exercised {
                    let cell = row.entry(check).or_default();
                    cell.cases += 1;
                    cell.failed += usize::from(failures.iter().any(|f| f.check == *check));
                }
            }
            report.failures.extend(failures.iter().cloned());
        }
        report
    }

    /// Whether every case passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// The matrix and the failures, for the terminal.
    pub fn terminal(&self) -> String {
        let width = self
            .matrix
            .keys()
            .map(String::len)
            .max()
            .unwrap_or(9)
            .max(9);
        let mut out = format!("{:width$}", "operation");
        for check in CHECKS {
            let _ = write!(out, "  {check:>8}");
        }
        out.push('\n');
        for (op, row) in &self.matrix {
            let _ = write!(out, "{op:width$}");
            for check in CHECKS {
                let cell = row.get(check).copied().unwrap_or_default();
                let shown = cell_text(cell);
                let _ = write!(out, "  {shown:>w$}", w = check.len().max(8));
            }
            out.push('\n');
        }
        for f in &self.failures {
            let _ = writeln!(
                out,
                "FAIL {} [{}] {}: {}",
                f.operation,
                f.check,
                f.case,
                f.message.replace('\n', " ")
            );
        }
        for saved in &self.saved {
            let _ = writeln!(out, "saved {}", saved.path.display());
        }
        let _ = writeln!(
            out,
            "{} case(s), {} skipped, {} failed check(s) (seed {})",
            self.cases,
            self.skipped,
            self.failures.len(),
            self.seed
        );
        out
    }

    /// The report and every outcome, as JSON.
    pub fn json(&self, outcomes: &[ScenarioOutcome]) -> String {
        let doc = serde_json::json!({ "conform": self, "cases": outcomes });
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }

    /// One self-contained HTML page: the matrix, then the failures.
    pub fn html(&self) -> String {
        let esc = crate::report::esc;
        let mut out = String::from(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
             <title>vouch: conformance</title>\n<style>\
             body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1e293b}\
             table{border-collapse:collapse}th,td{border:1px solid #e2e8f0;padding:3px 6px;text-align:center}\
             th.op{text-align:left;font-family:ui-monospace,monospace;font-weight:500}\
             td.ok{background:#16a34a;color:#fff}td.fail{background:#dc2626;color:#fff}td.na{color:#94a3b8}\
             li code{font:12px ui-monospace,monospace}</style></head><body>\n",
        );
        let _ = writeln!(
            out,
            "<h1>vouch conform</h1><p id=\"summary\">{} case(s), {} skipped, {} failed check(s), seed {}</p>",
            self.cases,
            self.skipped,
            self.failures.len(),
            self.seed
        );
        out.push_str("<table id=\"matrix\"><thead><tr><th>operation</th>");
        for check in CHECKS {
            let _ = write!(out, "<th>{}</th>", esc(check));
        }
        out.push_str("</tr></thead><tbody>\n");
        for (op, row) in &self.matrix {
            let _ = write!(out, "<tr><th class=\"op\">{}</th>", esc(op));
            for check in CHECKS {
                let cell = row.get(check).copied().unwrap_or_default();
                let class = match cell {
                    Cell { cases: 0, .. } => "na",
                    Cell { failed: 0, .. } => "ok",
                    _ => "fail",
                };
                let _ = write!(out, "<td class=\"{class}\">{}</td>", esc(&cell_text(cell)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table>\n<h2>Failures</h2><ul id=\"failures\">\n");
        for f in &self.failures {
            let _ = write!(
                out,
                "<li><b class=\"op\">{}</b> [<span class=\"check\">{}</span>] {}: <code>{}</code>",
                esc(&f.operation),
                esc(f.check),
                esc(&f.case),
                esc(&f.message)
            );
            if let Some(saved) = self.saved.iter().find(|s| s.scenario == f.scenario) {
                let path = saved.path.display().to_string();
                let _ = write!(out, " saved as <code class=\"saved\">{}</code>", esc(&path));
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ul>\n</body></html>\n");
        out
    }
}

/// Whether a check is one a case's kind stands for (not a contract check).
fn kind_check(check: &str) -> bool {
    [
        Kind::Positive,
        Kind::Negative,
        Kind::Auth,
        Kind::Method,
        Kind::State,
    ]
    .iter()
    .any(|k| k.check() == check)
}

/// `-` (not exercised), `ok 12`, or `FAIL 2/12`.
fn cell_text(cell: Cell) -> String {
    match cell {
        Cell { cases: 0, .. } => "-".into(),
        Cell { failed: 0, cases } => format!("ok {cases}"),
        Cell { failed, cases } => format!("FAIL {failed}/{cases}"),
    }
}
