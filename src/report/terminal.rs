//! The terminal: a line per scenario as it finishes (with a progress bar on
//! a TTY), then each failure with its step, file:line and a diff, then the
//! closing line `N passed, N failed, N skipped`.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use similar::{ChangeTag, TextDiff};

use super::{Reporter, Summary};
use crate::check::Rule;
use crate::runner::{ScenarioOutcome, StepError, Verdict};

/// Writes to stdout.
pub struct TerminalReport {
    color: bool,
    bar: Option<ProgressBar>,
}

impl TerminalReport {
    /// A reporter for `total` scenarios; colour and progress bar only on a TTY.
    pub fn new(total: usize) -> Self {
        let tty = std::io::stdout().is_terminal();
        let bar = tty.then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Self {
            color: tty && std::env::var_os("NO_COLOR").is_none(),
            bar,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn say(&self, line: String) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => println!("{line}"),
        }
    }

    /// The failure details of one scenario.
    fn details(&self, o: &ScenarioOutcome) -> Vec<String> {
        let mut out =
            vec![self.paint("1", &format!("{} ({}): {}", o.id, o.file.display(), o.name))];
        for step in o.steps.iter().filter(|s| !s.passed()) {
            let op = step.operation.as_deref().unwrap_or("-");
            let teardown = if step.teardown { " [teardown]" } else { "" };
            out.push(format!(
                "  {}{teardown} ({}:{}) {op}",
                step.label,
                o.file.display(),
                step.line
            ));
            match &step.error {
                Some(StepError::Unreachable(e)) => out.push(format!("    target unreachable: {e}")),
                Some(StepError::NotRun(e)) => out.push(format!("    not run: {e}")),
                None => {}
            }
            for f in &step.findings {
                let at = if f.pointer.is_empty() {
                    String::new()
                } else {
                    format!(" at {}", f.pointer)
                };
                if f.rule == Rule::Snapshot && f.expected.contains('\n') {
                    out.push("    snapshot differs (- stored, + actual):".to_string());
                    out.extend(self.diff(&f.expected, &f.actual));
                } else {
                    out.push(format!(
                        "    {}{at}: expected {}, got {}",
                        f.rule, f.expected, f.actual
                    ));
                }
                if let Some(location) = &f.location {
                    out.push(format!("      --> {location}"));
                }
            }
        }
        out
    }

    fn diff(&self, expected: &str, actual: &str) -> Vec<String> {
        let diff = TextDiff::from_lines(expected, actual);
        let mut out = Vec::new();
        for group in diff.grouped_ops(2) {
            for op in group {
                for change in diff.iter_changes(&op) {
                    let text = change.value().trim_end_matches('\n');
                    out.push(match change.tag() {
                        ChangeTag::Delete => self.paint("31", &format!("      - {text}")),
                        ChangeTag::Insert => self.paint("32", &format!("      + {text}")),
                        ChangeTag::Equal => format!("        {text}"),
                    });
                }
            }
            out.push("      ...".into());
        }
        out
    }
}

impl Reporter for TerminalReport {
    fn scenario_done(&mut self, o: &ScenarioOutcome) {
        let (mark, code) = match &o.verdict {
            Verdict::Passed => ("PASS", "32"),
            Verdict::Failed => ("FAIL", "31"),
            Verdict::Skipped(_) => ("SKIP", "33"),
            Verdict::Unreachable => ("UNREACHABLE", "31"),
        };
        let reason = match &o.verdict {
            Verdict::Skipped(r) => format!(" ({r})"),
            _ => format!(" ({:.0} ms)", o.duration_ms),
        };
        self.say(format!("{} {}{reason}", self.paint(code, mark), o.id));
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn finish(&mut self, outcomes: &[ScenarioOutcome], summary: &Summary) -> std::io::Result<()> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let mut stdout = std::io::stdout().lock();
        let failed: Vec<&ScenarioOutcome> = outcomes
            .iter()
            .filter(|o| matches!(o.verdict, Verdict::Failed | Verdict::Unreachable))
            .collect();
        if !failed.is_empty() {
            writeln!(stdout, "\nfailures:")?;
            for o in failed {
                writeln!(stdout)?;
                for line in self.details(o) {
                    writeln!(stdout, "{line}")?;
                }
            }
        }
        writeln!(stdout, "\n{}", summary.line())
    }
}
