//! Scenario files: the model, the parser and the checks made before
//! anything is sent.
//!
//! A scenario is a YAML file with a name, tags, variables, ordered steps and
//! teardown steps. Each step sends one request (an operationId with
//! parameters, or a method and path) and states what it expects; captures
//! carry values from one response into later steps. Every error names the
//! file, line and column and shows the offending text.

mod parse;
pub mod template;

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Map, Value};

pub use parse::{ScenarioError, load_dir, load_files, parse_scenario};

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
    /// Defaults, overridable from the command line.
    pub variables: Map<String, Value>,
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

/// One request and what it must answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What the step does, for reports.
    #[serde(default)]
    pub name: Option<String>,
    /// The operationId to call.
    #[serde(default)]
    pub operation: Option<String>,
    /// With `path`, instead of `operation`.
    #[serde(default)]
    pub method: Option<String>,
    /// With `method`, instead of `operation`: the request path, optionally with a query; may use `{{variables}}`.
    #[serde(default)]
    pub path: Option<String>,
    /// The operation's path and query parameters, by name.
    #[serde(default)]
    pub params: Map<String, Value>,
    /// Extra query parameters.
    #[serde(default)]
    pub query: Map<String, Value>,
    /// Extra request headers: name -> value (templated).
    #[serde(default)]
    pub headers: Map<String, Value>,
    /// Send the target's credential (default); `false` to send none.
    #[serde(default = "yes")]
    pub auth: bool,
    /// A JSON body.
    #[serde(default)]
    pub body: Option<Value>,
    /// What the response must be, beyond the spec's own checks.
    #[serde(default)]
    pub expect: Expect,
    /// Variables to set from the response: name -> JSON pointer (`/data/id`) or JSONPath (`$.data.id`).
    #[serde(default)]
    pub capture: Map<String, Value>,
    /// Whether and how the response is snapshotted.
    #[serde(default)]
    pub snapshot: SnapshotOption,
    /// 1-based line of the step in its file (set by the parser).
    #[serde(skip)]
    pub line: u64,
}

fn yes() -> bool {
    true
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

/// What a response must be.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `200`, `"4XX"`, or a list of those.
    #[serde(default)]
    pub status: Option<StatusExpectation>,
    /// Assertions on the JSON body.
    #[serde(default)]
    pub body: Vec<BodyAssertion>,
    /// Header name -> exact value, or `{regex: ...}`, or `{absent: true}`.
    #[serde(default)]
    pub headers: Map<String, Value>,
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
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyAssertion {
    /// JSON pointer (`/data/list/0/port`).
    #[serde(default)]
    pub pointer: Option<String>,
    /// JSONPath (`$.data.list[*].port`).
    #[serde(default)]
    pub path: Option<String>,
    /// The selected value equals this JSON value (templated).
    #[serde(default)]
    pub equals: Option<Value>,
    /// `string`, `integer`, `number`, `boolean`, `array`, `object` or `null`.
    #[serde(default, rename = "type")]
    pub json_type: Option<String>,
    /// The selected value (as text) matches this regular expression; variables are inserted escaped.
    #[serde(default)]
    pub regex: Option<String>,
    /// The selected array, object or string has this many items or characters.
    #[serde(default)]
    pub length: Option<u64>,
    /// The selected array (or string) contains this value (or substring).
    #[serde(default)]
    pub contains: Option<Value>,
    /// `true`: nothing is there; `false`: something is.
    #[serde(default)]
    pub absent: Option<bool>,
}

impl BodyAssertion {
    /// The selector as written.
    pub fn selector(&self) -> &str {
        self.pointer
            .as_deref()
            .or(self.path.as_deref())
            .unwrap_or("")
    }
}

/// `snapshot: false`, `snapshot: true` (default) or `snapshot: {redact: [...]}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SnapshotOption {
    /// `true` (default) to snapshot the response, `false` not to.
    Enabled(bool),
    /// Snapshot, redacting more values.
    Options {
        /// Selectors (JSON pointer or JSONPath) of values to redact.
        #[serde(default)]
        redact: Vec<String>,
    },
}

impl Default for SnapshotOption {
    fn default() -> Self {
        SnapshotOption::Enabled(true)
    }
}

impl SnapshotOption {
    /// Whether the step is snapshotted.
    pub fn enabled(&self) -> bool {
        !matches!(self, SnapshotOption::Enabled(false))
    }

    /// Extra selectors to redact.
    pub fn redactions(&self) -> &[String] {
        match self {
            SnapshotOption::Options { redact } => redact,
            SnapshotOption::Enabled(_) => &[],
        }
    }
}
