//! `--report json=PATH`: every outcome with its exchanges and findings.

use std::path::PathBuf;

use super::{Reporter, Summary};
use crate::atomic_file;
use crate::runner::ScenarioOutcome;

/// Writes the whole run as one JSON document.
pub struct JsonReport {
    /// The JSON file to write.
    pub path: PathBuf,
}

impl Reporter for JsonReport {
    fn finish(&mut self, outcomes: &[ScenarioOutcome], summary: &Summary) -> std::io::Result<()> {
        let doc = serde_json::json!({ "summary": summary, "scenarios": outcomes });
        atomic_file::write(
            &self.path,
            &serde_json::to_string_pretty(&doc).unwrap_or_default(),
        )
    }
}
