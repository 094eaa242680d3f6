//! Snapshot files in insta's format, so `cargo insta review` works on them:
//! reading the stored snapshot, writing a new one (`--update-snapshots`) or
//! a pending `.snap.new` for review, never anything in CI. The text compared
//! comes from [`crate::check::snapshot::render`]; this module owns the I/O.

use std::path::Path;

use crate::check::{Finding, Rule};

/// Compares a rendered snapshot with its file, writing as the mode allows.
pub struct SnapshotFile<'a> {
    /// Directory holding the snapshot files (`snapshots/`).
    pub dir: &'a Path,
    /// Snapshot name (`<scenario id>__<step number>`), which names its file.
    pub name: &'a str,
    /// The scenario file, for the header.
    pub source: &'a str,
    /// What the snapshot shows, for the header.
    pub expression: &'a str,
    /// `--update-snapshots`: write the new contents.
    pub update: bool,
    /// In CI nothing is ever written.
    pub ci: bool,
}

impl SnapshotFile<'_> {
    /// A finding when the stored snapshot differs (or is missing); `None` when it matches or was updated.
    pub fn compare(&self, operation: &str, contents: &str) -> Option<Finding> {
        let path = self.dir.join(format!("{}.snap", self.name));
        let stored = std::fs::read_to_string(&path)
            .ok()
            .map(|t| body_of(&t).to_string());
        if stored.as_deref().map(str::trim_end) == Some(contents.trim_end()) {
            let _ = std::fs::remove_file(path.with_extension("snap.new"));
            return None;
        }
        if self.update && !self.ci {
            return match self.write(&path, contents) {
                Ok(()) => None,
                Err(e) => {
                    Some(self.finding(operation, "a writable snapshot".into(), e.to_string()))
                }
            };
        }
        if !self.ci {
            // Pending review, as insta does: `cargo insta review` picks it up.
            let _ = self.write(&path.with_extension("snap.new"), contents);
        }
        Some(match stored {
            None => self.finding(
                operation,
                format!("a stored snapshot {}", path.display()),
                "none (run with --update-snapshots to write it)".into(),
            ),
            Some(stored) => self.finding(operation, stored, contents.to_string()),
        })
    }

    fn finding(&self, operation: &str, expected: String, actual: String) -> Finding {
        Finding {
            operation: operation.to_string(),
            rule: Rule::Snapshot,
            pointer: String::new(),
            expected,
            actual,
            location: None,
        }
    }

    /// Writes the file with insta's header, atomically.
    fn write(&self, path: &Path, contents: &str) -> std::io::Result<()> {
        let text = format!(
            "---\nsource: {}\nexpression: {}\n---\n{}",
            self.source,
            serde_json::to_string(self.expression).unwrap_or_default(),
            contents
        );
        crate::atomic_file::write(path, &text)
    }
}

/// The contents of an insta snapshot file (after its header).
fn body_of(file: &str) -> &str {
    let Some(rest) = file.strip_prefix("---\n") else {
        return file;
    };
    match rest.find("\n---\n") {
        Some(end) => &rest[end + 5..],
        None => file,
    }
}
