//! The terminal view of a fidelity report: one row per operation (steps
//! compared, score, kinds of difference by class), the overall line, then
//! every difference with the step it came from and its class.

use std::fmt::Write;

use super::{Class, Difference, FidelityReport, OperationScore, Tally};

/// `87.5%`, or `-` when nothing was compared.
pub fn percent(score: Option<f64>) -> String {
    score.map_or_else(|| "-".into(), |s| format!("{:.1}%", s * 100.0))
}

/// `3 new + 1 known`: the non-zero counts of a tally.
fn counts(t: &Tally) -> String {
    let parts: Vec<String> = [
        (t.new, "new"),
        (t.known, "known"),
        (t.free_text, "free text"),
        (t.guess, "guess"),
        (t.not_scored, "not scored"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, label)| format!("{n} {label}"))
    .collect();
    parts.join(" + ")
}

fn kinds(o: &OperationScore) -> String {
    let parts: Vec<String> = o
        .kinds
        .iter()
        .map(|(kind, t)| format!("{kind} {}", counts(t)))
        .collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

impl FidelityReport {
    /// The per-operation table and the overall line.
    pub fn table(&self) -> String {
        let width = self
            .operations
            .iter()
            .map(|o| o.operation.chars().count())
            .chain([9])
            .max()
            .unwrap_or(9);
        let mut out = format!(
            "{:<width$}  {:>5}  {:>6}  differences\n",
            "operation", "steps", "score"
        );
        for o in &self.operations {
            let _ = writeln!(
                out,
                "{:<width$}  {:>5}  {:>6}  {}",
                o.operation,
                o.steps,
                percent(o.score),
                kinds(o)
            );
        }
        let _ = writeln!(
            out,
            "{:<width$}  {:>5}  {:>6}  {} new, {} known, {} free text, {} guess",
            "overall",
            self.steps,
            percent(self.score),
            self.new,
            self.known,
            self.free_text,
            self.guess
        );
        out
    }

    /// Every difference, skipped scenario and unreachable target, one per line.
    pub fn details(&self) -> String {
        let mut out = String::new();
        for s in &self.scenarios {
            if let Some(reason) = &s.skipped {
                let _ = writeln!(out, "skipped {}: {reason}", s.id);
            }
            if s.unreachable {
                let _ = writeln!(out, "unreachable {}: the live target did not answer", s.id);
            }
            for step in s.steps.iter().filter(|st| !st.differences.is_empty()) {
                let _ = writeln!(
                    out,
                    "{} › {} ({}:{}) {}",
                    s.id,
                    step.label,
                    s.file.display(),
                    step.line,
                    step.operation
                );
                for d in &step.differences {
                    let at = if d.pointer.is_empty() {
                        String::new()
                    } else {
                        format!(" at {}", d.pointer)
                    };
                    let _ = writeln!(
                        out,
                        "    {}{at}: mock {}, live {} [{}]",
                        d.kind,
                        d.mock,
                        d.live,
                        standing(d)
                    );
                }
            }
        }
        out
    }
}

/// The class of a difference as the terminal shows it.
pub(crate) fn standing(d: &Difference) -> String {
    match (&d.class, d.scored) {
        (Class::Known { erratum }, _) => format!("known: #{erratum}"),
        (Class::FreeText, true) => "free text, scored".into(),
        (Class::FreeText, false) => "free text, not scored".into(),
        (Class::Guess { guess }, _) => format!("guess, not scored: {guess}"),
        (Class::New, _) => "new".into(),
        (Class::NotScored, _) => "not scored".into(),
    }
}
