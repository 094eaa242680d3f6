//! The terminal view of a fidelity report: one row per operation (steps
//! compared, score, kinds of difference), the overall line, then every
//! difference with the step it came from.

use std::fmt::Write;

use super::{FidelityReport, OperationScore};

/// `87.5%`, or `-` when nothing was compared.
pub fn percent(score: Option<f64>) -> String {
    score.map_or_else(|| "-".into(), |s| format!("{:.1}%", s * 100.0))
}

fn kinds(o: &OperationScore) -> String {
    let parts: Vec<String> = o
        .kinds
        .iter()
        .map(|(kind, t)| match (t.new, t.known) {
            (n, 0) => format!("{kind} {n}"),
            (0, k) => format!("{kind} {k} known"),
            (n, k) => format!("{kind} {n} + {k} known"),
        })
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
            "{:<width$}  {:>5}  {:>6}  {} new, {} known",
            "overall",
            self.steps,
            percent(self.score),
            self.new,
            self.known
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
                    let status = match (&d.known, d.kind.scored()) {
                        (_, false) => "not scored".to_string(),
                        (Some(erratum), true) => format!("known: #{erratum}"),
                        (None, true) => "new".to_string(),
                    };
                    let _ = writeln!(
                        out,
                        "    {}{at}: mock {}, live {} [{status}]",
                        d.kind, d.mock, d.live
                    );
                }
            }
        }
        out
    }
}
