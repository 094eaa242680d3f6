//! `--report KIND=PATH`, parsed once by clap into a typed value. Each
//! command names the kinds it writes (`vouch run`: junit, json; `vouch
//! fidelity`: json, html), and a kind it does not write is a usage error.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// The report kinds one command writes, by their `--report` names.
pub trait ReportKinds: Sized + Copy + 'static {
    /// Every kind with its name, in the order the error message lists them.
    const ALL: &'static [(&'static str, Self)];
}

/// One `--report KIND=PATH` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportArg<K> {
    /// What to write.
    pub kind: K,
    /// Where to write it.
    pub path: PathBuf,
}

/// Why a `--report` value is not `KIND=PATH` with a known kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportArgError {
    text: String,
    expected: String,
}

impl fmt::Display for ReportArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: expected {}", self.text, self.expected)
    }
}

impl std::error::Error for ReportArgError {}

impl<K: ReportKinds> FromStr for ReportArg<K> {
    type Err = ReportArgError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let found = text.split_once('=').and_then(|(name, path)| {
            let kind = K::ALL.iter().find(|(n, _)| *n == name)?.1;
            (!path.is_empty()).then(|| ReportArg {
                kind,
                path: PathBuf::from(path),
            })
        });
        found.ok_or_else(|| ReportArgError {
            text: text.to_string(),
            expected: K::ALL
                .iter()
                .map(|(n, _)| format!("{n}=PATH"))
                .collect::<Vec<_>>()
                .join(" or "),
        })
    }
}

/// What `vouch run --report` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunReportKind {
    /// JUnit XML, one testcase per scenario.
    Junit,
    /// Every outcome as JSON.
    Json,
}

impl ReportKinds for RunReportKind {
    const ALL: &'static [(&'static str, Self)] = &[
        ("junit", RunReportKind::Junit),
        ("json", RunReportKind::Json),
    ];
}

/// What `vouch fidelity --report` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FidelityReportKind {
    /// The comparison as JSON.
    Json,
    /// One self-contained HTML page.
    Html,
}

impl ReportKinds for FidelityReportKind {
    const ALL: &'static [(&'static str, Self)] = &[
        ("json", FidelityReportKind::Json),
        ("html", FidelityReportKind::Html),
    ];
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case("junit=out/j.xml", Some((RunReportKind::Junit, "out/j.xml")))]
    #[case("json=a=b.json", Some((RunReportKind::Json, "a=b.json")))]
    #[case("html=x.html", None)]
    #[case("junit=", None)]
    #[case("junit", None)]
    #[case("", None)]
    fn run_reports(#[case] text: &str, #[case] want: Option<(RunReportKind, &str)>) {
        let parsed = text.parse::<ReportArg<RunReportKind>>();
        assert_eq!(
            parsed
                .as_ref()
                .ok()
                .map(|r| (r.kind, r.path.to_str().unwrap())),
            want,
            "{parsed:?}"
        );
    }

    #[test]
    fn an_unknown_kind_names_the_ones_the_command_writes() {
        let err = "pdf=x"
            .parse::<ReportArg<FidelityReportKind>>()
            .unwrap_err();
        assert_eq!(err.to_string(), "`pdf=x`: expected json=PATH or html=PATH");
    }
}
