//! Scenario files: the model, the parser and the checks made before
//! anything is sent.
//!
//! A scenario is a YAML file with a name, tags, variables, ordered steps and
//! teardown steps. Each step sends one request (an operationId with
//! parameters, or a method and path) and states what it expects; captures
//! carry values from one response into later steps. Every error names the
//! file, line and column and shows the offending text.
//!
//! Variables are declared once per folder in a `vars.yaml` ([`declare`]),
//! each with its role; a scenario in such a folder uses only those.
//!
//! A file is parsed once into typed values: selectors ([`Selector`]),
//! header expectations, captures and regexes, each with the [`Location`]
//! it is written at, so the runner never parses text again and a finding
//! can point at the expectation it breaks.

pub mod declare;
mod parse;
pub mod select;
pub mod template;

use std::path::PathBuf;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::spec::Method;

pub use parse::{
    ScenarioError, check_values, load_dir, load_files, parse_declared, parse_scenario,
};
pub use select::Selector;

/// A parsed, checked scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from.
    pub file: PathBuf,
    /// The file's text, for error snippets.
    pub source: String,
    /// Human-readable name (`name:`), shown in reports.
    pub name: String,
    /// What the scenario checks (`description:`); may be empty.
    pub description: String,
    /// Tags (`tags:`), e.g. `destructive` for scenarios a live target must opt into.
    pub tags: Vec<String>,
    /// Defaults, overridable from the command line: the scenario's own, or
    /// every default its folder declares, in file order.
    pub variables: Map<String, Value>,
    /// The variables its steps use (not captures), in first-use order.
    pub uses: Vec<String>,
    /// The folder's declarations (`vars.yaml`), when it has them.
    pub declarations: Option<std::sync::Arc<declare::Declarations>>,
    /// The steps, run in order until one fails.
    pub steps: Vec<Step>,
    /// Run after the steps, even when one failed.
    pub teardown: Vec<Step>,
}

impl Scenario {
    /// Whether the scenario carries `tag`.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }

    /// A stable identifier: the file path relative to the scenarios root,
    /// without extension (`rainbond/add-port`).
    pub fn id(&self, root: &std::path::Path) -> String {
        let relative = self.file.strip_prefix(root).unwrap_or(&self.file);
        relative
            .with_extension("")
            .to_string_lossy()
            .replace('\\', "/")
    }
}

/// One request and what it must answer, parsed once: selectors, header
/// expectations and captures are typed values that know where they stand
/// in the file.
#[derive(Debug, Clone)]
pub struct Step {
    /// What the step does, for reports.
    pub name: Option<String>,
    /// The operationId to call.
    pub operation: Option<String>,
    /// With `path`, instead of `operation`.
    pub method: Option<Method>,
    /// With `method`, instead of `operation`: the request path, optionally with a query; may use `{{variables}}`.
    pub path: Option<String>,
    /// The operation's path and query parameters, by name.
    pub params: Map<String, Value>,
    /// Extra query parameters.
    pub query: Map<String, Value>,
    /// Extra request headers: name -> value (templated).
    pub headers: Map<String, Value>,
    /// Send the target's credential (default); `false` to send none.
    pub auth: bool,
    /// The request body: JSON (`body`) or text sent verbatim (`raw_body`).
    pub body: Option<Body>,
    /// What the response must be, beyond the spec's own checks.
    pub expect: Expect,
    /// Variables to set from the response, in file order.
    pub capture: Vec<Capture>,
    /// Whether and how the response is snapshotted.
    pub snapshot: SnapshotOption,
    /// Where what the step asserts is verified (`vendor-notes Rainbond`), for
    /// exact checks on free-text fields.
    pub source: Option<String>,
    /// Where the step starts in its file.
    pub location: Location,
}

impl Step {
    /// The step's name, or a description of its request.
    pub fn label(&self, index: usize) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        match (&self.operation, &self.method, &self.path) {
            (Some(op), _, _) => format!("step {} ({op})", index + 1),
            (None, Some(m), Some(p)) => format!("step {} ({m} {p})", index + 1),
            _ => format!("step {}", index + 1),
        }
    }
}

/// A step's request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// `body:` a JSON value (templated), sent as `application/json`.
    Json(Value),
    /// `raw_body:` text sent as it is written (not templated), as
    /// `application/json` unless the step's `headers` name another content
    /// type: a body that is not JSON, to see the target refuse it.
    Raw(String),
}

/// Where something stands in a scenario file: `scenarios/x.yaml:23:9`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The scenario file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A variable set from the response.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The variable's name.
    pub name: String,
    /// Where its value is in the response body.
    pub selector: Selector,
    /// Where the capture is written.
    pub location: Location,
}

/// What a response must be.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// `200`, `"4XX"`, or a list of those, with where it is written.
    pub status: Option<(StatusExpectation, Location)>,
    /// Assertions on the JSON body.
    pub body: Vec<BodyAssertion>,
    /// Expectations on response headers, in file order.
    pub headers: Vec<HeaderExpectation>,
}

impl Expect {
    /// The expected status, if the step names one.
    pub fn status(&self) -> Option<&StatusExpectation> {
        self.status.as_ref().map(|(s, _)| s)
    }
}

/// What one response header must be.
#[derive(Debug, Clone)]
pub struct HeaderExpectation {
    /// The header name, as written (compared in any case).
    pub name: String,
    /// What its value must be.
    pub want: HeaderWant,
    /// Where the expectation is written.
    pub location: Location,
}

/// The forms a header expectation takes.
#[derive(Debug, Clone)]
pub enum HeaderWant {
    /// An exact value (`x-total: "3"`).
    Equals(String),
    /// `{regex: ...}`: a value matching this expression.
    Matches(Regex),
    /// `{absent: true}`: no such header.
    Absent,
    /// Any other mapping (`{}`): the header is there.
    Present,
}

/// An expected status.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StatusExpectation {
    /// A single status or class (`200`, `"4XX"`).
    One(StatusPattern),
    /// A list of statuses or classes, any of which passes.
    AnyOf(Vec<StatusPattern>),
}

/// `404` or a class like `"4XX"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StatusPattern {
    /// An exact status code (`404`).
    Code(u16),
    /// A status class such as `"4XX"` (any case).
    Class(String),
}

impl StatusPattern {
    /// Whether `status` matches.
    pub fn matches(&self, status: u16) -> bool {
        match self {
            StatusPattern::Code(c) => *c == status,
            StatusPattern::Class(class) => {
                let class = class.to_ascii_uppercase();
                class.len() == 3
                    && class.ends_with("XX")
                    && class.as_bytes()[0] == b'0' + (status / 100) as u8
            }
        }
    }

    fn is_valid(&self) -> bool {
        match self {
            StatusPattern::Code(c) => (100..=599).contains(c),
            StatusPattern::Class(_) => (1..=5).any(|d| self.matches(d * 100)),
        }
    }
}

impl StatusExpectation {
    /// The patterns, as a list.
    pub fn patterns(&self) -> &[StatusPattern] {
        match self {
            StatusExpectation::One(p) => std::slice::from_ref(p),
            StatusExpectation::AnyOf(ps) => ps,
        }
    }

    /// Whether `status` matches any pattern.
    pub fn matches(&self, status: u16) -> bool {
        self.patterns().iter().any(|p| p.matches(status))
    }

    /// Whether it accepts every success, client error and server error: the
    /// scenario leaves the status open (a cleanup whose answer is unverified).
    pub fn leaves_open(&self) -> bool {
        [200, 400, 500]
            .iter()
            .all(|class| (*class..*class + 100).all(|s| self.matches(s)))
    }

    /// Whether a 5xx is expected.
    pub fn expects_server_error(&self) -> bool {
        self.patterns()
            .iter()
            .any(|p| (500..=599).any(|s| p.matches(s)))
    }

    /// Exact codes named (for coverage).
    pub fn codes(&self) -> Vec<u16> {
        self.patterns()
            .iter()
            .filter_map(|p| match p {
                StatusPattern::Code(c) => Some(*c),
                StatusPattern::Class(_) => None,
            })
            .collect()
    }
}

impl std::fmt::Display for StatusExpectation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .patterns()
            .iter()
            .map(|p| match p {
                StatusPattern::Code(c) => c.to_string(),
                StatusPattern::Class(c) => c.to_ascii_uppercase(),
            })
            .collect();
        f.write_str(&parts.join(" or "))
    }
}

/// One assertion on the body: a selector and one or more checks.
#[derive(Debug, Clone)]
pub struct BodyAssertion {
    /// Which values the checks look at (`/data/list/0/port`, `$.data.list[*].port`).
    pub selector: Selector,
    /// The selected value equals this JSON value (templated).
    pub equals: Option<Value>,
    /// `string`, `integer`, `number`, `boolean`, `array`, `object` or `null`.
    pub json_type: Option<String>,
    /// The selected value (as text) matches this regular expression.
    pub regex: Option<Pattern>,
    /// The selected array, object or string has this many items or characters.
    pub length: Option<u64>,
    /// The selected array (or string) contains this value (or substring).
    pub contains: Option<Value>,
    /// The selected array holds exactly these items, in any order (templated):
    /// for lists whose order nothing verifies.
    pub same_items: Option<Value>,
    /// `true`: nothing is there; `false`: something is.
    pub absent: Option<bool>,
    /// Where the checked value is verified, for an exact check on a free-text field.
    pub source: Option<String>,
    /// Where the assertion is written.
    pub location: Location,
}

/// A body assertion's regular expression.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// Without placeholders: compiled once, when the file is read.
    Fixed(Regex),
    /// With `{{variables}}`, inserted escaped at run time; the parser
    /// checked that it compiles.
    Templated(String),
}

/// Whether and how a step's response is snapshotted.
#[derive(Debug, Clone)]
pub struct SnapshotOption {
    /// `snapshot: false` turns it off (on by default).
    pub enabled: bool,
    /// `snapshot: {redact: [...]}`: more values to redact.
    pub redact: Vec<Selector>,
}

impl Default for SnapshotOption {
    fn default() -> Self {
        SnapshotOption {
            enabled: true,
            redact: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any_of(patterns: &[&str]) -> StatusExpectation {
        StatusExpectation::AnyOf(
            patterns
                .iter()
                .map(|p| match p.parse::<u16>() {
                    Ok(code) => StatusPattern::Code(code),
                    Err(_) => StatusPattern::Class(p.to_string()),
                })
                .collect(),
        )
    }

    #[test]
    fn only_every_success_and_error_class_leaves_the_status_open() {
        assert!(any_of(&["2XX", "4XX", "5XX"]).leaves_open());
        assert!(any_of(&["5xx", "2xx", "4xx", "3XX"]).leaves_open());
        assert!(!any_of(&["2XX", "4XX"]).leaves_open());
        assert!(!any_of(&["200", "400", "500"]).leaves_open());
    }
}
