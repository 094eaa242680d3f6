//! The fixtures file: what exists when the mock starts and after a reset.
//! It is kept as text; each vendor reads its own section of it (see
//! [`super::vendors::Vendor::Fixtures`]), so this module knows no vendor's
//! data. Loading checks every section once, so a mock never starts from a
//! file it cannot read.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::vendors;

/// The built-in fixture file.
pub const DEFAULT_FIXTURES: &str = include_str!("../../fixtures/default.yaml");

/// Seed data: which teams, apps, gateways, VIPs, instances and projects exist,
/// one section per vendor. Identifiers that are not here do not exist, and
/// the mock answers the vendor's not-found for them. The default is an empty
/// file: every section starts empty.
#[derive(Debug, Clone)]
pub struct Fixtures {
    text: Arc<str>,
    origin: Arc<Path>,
}

impl Default for Fixtures {
    fn default() -> Fixtures {
        Fixtures {
            text: Arc::from(""),
            origin: Arc::from(PathBuf::from("(no fixtures)")),
        }
    }
}

impl Fixtures {
    /// The fixtures shipped in `fixtures/default.yaml`.
    pub fn builtin() -> Result<Fixtures, String> {
        Fixtures::parse(DEFAULT_FIXTURES, Path::new("fixtures/default.yaml"))
    }

    /// Reads a fixture file; the error names the file, line and field.
    pub fn load(path: &Path) -> Result<Fixtures, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read fixtures: {e}", path.display()))?;
        Fixtures::parse(&text, path)
    }

    fn parse(text: &str, path: &Path) -> Result<Fixtures, String> {
        let fixtures = Fixtures {
            text: Arc::from(text),
            origin: Arc::from(path),
        };
        vendors::check_fixtures(&fixtures.text, &fixtures.origin)?;
        Ok(fixtures)
    }

    /// The file's text.
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    /// Where the text was read from (for error messages).
    pub(super) fn origin(&self) -> &Path {
        &self.origin
    }
}
