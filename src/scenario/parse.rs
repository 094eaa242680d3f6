//! Reading scenario files and checking them against the catalog before
//! anything is sent: unknown operations and parameters, unknown variables,
//! captures used before they are made, bad selectors, regexes and statuses.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use regex::Regex;

use super::declare::{DECLARATIONS_FILE, Declarations};
use super::template::placeholders;
use super::{
    Body, BodyAssertion, Capture, Expect, HeaderExpectation, HeaderWant, Location, Pattern,
    Scenario, Selector, SnapshotOption, StatusExpectation, Step,
};
use crate::spec::document::{Document, child_pointer, escape_token, excerpt};
use crate::spec::{Catalog, Method, ParameterLocation};

/// A scenario file that cannot run, located Hurl-style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The scenario file.
    pub file: PathBuf,
    /// 1-based line of the offending text.
    pub line: u64,
    /// 1-based column of the offending text.
    pub column: u64,
    /// What is wrong and, where it helps, what to do.
    pub message: String,
    /// The source line, for the snippet.
    pub source_line: String,
    /// How many characters to underline from `column`.
    pub width: usize,
}

impl ScenarioError {
    /// An error about a whole file (it cannot be read, say).
    pub fn whole_file(file: &Path, message: String) -> ScenarioError {
        ScenarioError {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            message,
            source_line: String::new(),
            width: 0,
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        let gutter = " ".repeat(self.line.to_string().len());
        if self.line == 0 {
            return write!(f, "{gutter}--> {}", self.file.display());
        }
        writeln!(
            f,
            "{gutter}--> {}:{}:{}",
            self.file.display(),
            self.line,
            self.column
        )?;
        if self.source_line.is_empty() {
            return Ok(());
        }
        writeln!(f, "{gutter} |")?;
        let (shown, marker) = excerpt(&self.source_line, self.column, self.width);
        writeln!(f, "{} | {shown}", self.line)?;
        write!(f, "{gutter} | {marker}")
    }
}

/// The raw file shape.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    variables: Map<String, Value>,
    steps: Vec<RawStep>,
    #[serde(default)]
    teardown: Vec<RawStep>,
}

/// A step as written; [`check_step`] turns it into a typed [`Step`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    operation: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    params: Map<String, Value>,
    #[serde(default)]
    query: Map<String, Value>,
    #[serde(default)]
    headers: Map<String, Value>,
    #[serde(default = "yes")]
    auth: bool,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    raw_body: Option<String>,
    #[serde(default)]
    expect: RawExpect,
    #[serde(default)]
    capture: Map<String, Value>,
    #[serde(default)]
    snapshot: RawSnapshot,
    #[serde(default)]
    source: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    #[serde(default)]
    status: Option<StatusExpectation>,
    #[serde(default)]
    body: Vec<RawBodyAssertion>,
    #[serde(default)]
    headers: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBodyAssertion {
    #[serde(default)]
    pointer: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    equals: Option<Value>,
    #[serde(default, rename = "type")]
    json_type: Option<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    length: Option<u64>,
    #[serde(default)]
    contains: Option<Value>,
    #[serde(default)]
    same_items: Option<Value>,
    #[serde(default)]
    absent: Option<bool>,
    #[serde(default)]
    source: Option<String>,
}

/// `snapshot: false`, `snapshot: true` (default) or `snapshot: {redact: [...]}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawSnapshot {
    Enabled(bool),
    Options {
        #[serde(default)]
        redact: Vec<String>,
    },
}

impl Default for RawSnapshot {
    fn default() -> Self {
        RawSnapshot::Enabled(true)
    }
}

/// Locates errors in one file.
pub(super) struct Locator<'a> {
    file: &'a Path,
    text: &'a str,
    /// The parsed file, once it parses.
    pub(super) doc: Option<&'a Document>,
    /// The declarations file the scenario's variables come from, if any.
    declared_in: Option<&'a Path>,
}

impl<'a> Locator<'a> {
    /// A locator for `file`, before its text is parsed.
    pub(super) fn new(file: &'a Path, text: &'a str) -> Self {
        Locator {
            file,
            text,
            doc: None,
            declared_in: None,
        }
    }

    /// The error for text that is not YAML.
    pub(super) fn parse_error(&self, e: &crate::spec::document::ParseError) -> ScenarioError {
        self.at(
            e.line.unwrap_or(1),
            e.column.unwrap_or(1),
            1,
            format!("not valid YAML: {}", e.message),
        )
    }

    /// Where the node at `pointer` (for a mapping entry, its key) stands.
    pub(super) fn location(&self, pointer: &str) -> Location {
        let (line, column) = self
            .doc
            .and_then(|d| d.position_of(pointer))
            .unwrap_or((1, 1));
        Location {
            file: self.file.to_path_buf(),
            line,
            column,
        }
    }

    fn at(&self, line: u64, column: u64, width: usize, message: String) -> ScenarioError {
        let source_line = self
            .text
            .lines()
            .nth(line.saturating_sub(1) as usize)
            .unwrap_or_default()
            .to_string();
        ScenarioError {
            file: self.file.to_path_buf(),
            line,
            column,
            message,
            source_line,
            width,
        }
    }

    /// An error at the first `{{name}}` in the file.
    fn first_use(&self, name: &str, message: String) -> ScenarioError {
        let at = crate::scenario::template::placeholders(self.text)
            .into_iter()
            .find(|(_, n)| *n == name)
            .map_or(0, |(at, _)| at);
        let line = self.text[..at].matches('\n').count();
        let start = self.text[..at].rfind('\n').map_or(0, |i| i + 1);
        let column = self.text[start..at].chars().count() as u64 + 1;
        self.at(line as u64 + 1, column, name.chars().count() + 4, message)
    }

    /// An error about the node at `pointer`; `needle` is underlined where the line shows it.
    pub(super) fn error(
        &self,
        pointer: &str,
        needle: Option<&str>,
        message: String,
    ) -> ScenarioError {
        let (line, column) = self
            .doc
            .and_then(|d| d.value_position(pointer).or_else(|| d.position_of(pointer)))
            .unwrap_or((1, 1));
        let source = self
            .text
            .lines()
            .nth(line.saturating_sub(1) as usize)
            .unwrap_or_default();
        let found = needle.and_then(|n| {
            let from = source
                .char_indices()
                .nth(column.saturating_sub(1) as usize)
                .map_or(0, |(i, _)| i);
            source[from..]
                .find(n)
                .map(|i| from + i)
                .or_else(|| source.find(n))
                .map(|i| (source[..i].chars().count() as u64 + 1, n.chars().count()))
        });
        let (column, width) =
            found.unwrap_or((column, needle.map_or(1, |n| n.chars().count().min(40))));
        self.at(line, column, width, message)
    }
}

/// Parses and checks one scenario. `cli_vars` are the names given on the
/// command line (they count as defined).
pub fn parse_scenario(
    file: &Path,
    text: &str,
    catalog: &Catalog,
    cli_vars: &BTreeSet<String>,
) -> Result<Scenario, Vec<ScenarioError>> {
    parse_declared(file, text, catalog, cli_vars, None)
}

/// Parses and checks one scenario whose folder may declare its variables
/// (`declarations`): then it uses only declared variables (and its own
/// captures) and redefines none of them; [`check_values`] checks, once the
/// command line is known, that each has a value.
pub fn parse_declared(
    file: &Path,
    text: &str,
    catalog: &Catalog,
    cli_vars: &BTreeSet<String>,
    declarations: Option<&Arc<Declarations>>,
) -> Result<Scenario, Vec<ScenarioError>> {
    let mut locator = Locator::new(file, text);
    locator.declared_in = declarations.map(|d| d.file.as_path());
    let doc = Document::parse(text).map_err(|e| vec![locator.parse_error(&e)])?;
    locator.doc = Some(&doc);
    let raw: RawScenario = serde_path_to_error::deserialize(&doc.value).map_err(|e| {
        let pointer = e.path().iter().fold(String::new(), |p, s| match s {
            serde_path_to_error::Segment::Seq { index } => format!("{p}/{index}"),
            serde_path_to_error::Segment::Map { key } => child_pointer(&p, key),
            _ => p,
        });
        vec![locator.error(
            &pointer,
            None,
            format!(
                "{}{}",
                if pointer.is_empty() {
                    String::new()
                } else {
                    format!("at `{pointer}`: ")
                },
                e.inner()
            ),
        )]
    })?;
    let mut errors = Vec::new();
    if raw.steps.is_empty() {
        errors.push(locator.error("/steps", None, "a scenario needs at least one step".into()));
    }
    let uses = used_variables(&doc.value);
    let (mut defined, variables) = match declarations {
        Some(declared) => {
            check_declared(&locator, declared, &raw.variables, &mut errors);
            let names = declared.entries.iter().map(|d| d.name.clone()).collect();
            (names, declared.defaults())
        }
        None => {
            let mut defined: BTreeSet<String> = cli_vars.clone();
            defined.insert("run_id".into());
            for (name, value) in &raw.variables {
                check_placeholders(
                    &locator,
                    &child_pointer("/variables", name),
                    value,
                    &defined,
                    &mut errors,
                );
                defined.insert(name.clone());
            }
            (defined, raw.variables)
        }
    };
    defined.insert("run_id".into());
    let mut steps = Vec::new();
    for (i, raw) in raw.steps.into_iter().enumerate() {
        let step = check_step(
            &locator,
            catalog,
            &format!("/steps/{i}"),
            raw,
            &defined,
            &mut errors,
        );
        defined.extend(step.capture.iter().map(|c| c.name.clone()));
        steps.push(step);
    }
    let mut teardown = Vec::new();
    for (i, raw) in raw.teardown.into_iter().enumerate() {
        let step = check_step(
            &locator,
            catalog,
            &format!("/teardown/{i}"),
            raw,
            &defined,
            &mut errors,
        );
        defined.extend(step.capture.iter().map(|c| c.name.clone()));
        teardown.push(step);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Scenario {
        file: file.to_path_buf(),
        source: text.to_string(),
        name: raw.name,
        description: raw.description,
        tags: raw.tags,
        variables,
        uses,
        declarations: declarations.cloned(),
        steps,
        teardown,
    })
}

/// The variables a scenario's steps and teardown use, in first-use order:
/// every placeholder outside `variables` and `raw_body` (sent as written),
/// less `run_id` and the names the scenario captures.
fn used_variables(doc: &Value) -> Vec<String> {
    let mut steps = ["steps", "teardown"].map(|k| doc.get(k).cloned().unwrap_or(Value::Null));
    for step in steps.iter_mut().filter_map(Value::as_array_mut).flatten() {
        if let Some(map) = step.as_object_mut() {
            map.remove("raw_body");
        }
    }
    let captured: BTreeSet<String> = steps
        .iter()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|step| step.get("capture").and_then(Value::as_object))
        .flat_map(|c| c.keys().cloned())
        .collect();
    let mut uses: Vec<String> = Vec::new();
    for name in steps.iter().flat_map(super::template::names_in) {
        if name != "run_id" && !captured.contains(&name) && !uses.contains(&name) {
            uses.push(name);
        }
    }
    uses
}

/// In a folder with declarations: the scenario redefines none of them.
fn check_declared(
    locator: &Locator<'_>,
    declared: &Declarations,
    variables: &Map<String, Value>,
    errors: &mut Vec<ScenarioError>,
) {
    let file = declared.file.display();
    for name in variables.keys() {
        let at = child_pointer("/variables", name);
        let message = match declared.get(name) {
            Some(d) => format!(
                "`{name}` is declared in {file}:{} as `{}`: a scenario cannot redefine it (remove it from `variables`; a team sets it with --vars)",
                d.location.line, d.role
            ),
            None => format!(
                "`{name}` is not declared: declare it in {file} with its role (existing, absent, new or value) and default, not under `variables`"
            ),
        };
        errors.push(locator.error(&at, Some(name), message));
    }
}

/// The declared variables `scenario` uses that have no default and are not
/// among `given` (the command line's), each an error at its first use.
pub fn check_values(scenario: &Scenario, given: &BTreeSet<String>) -> Vec<ScenarioError> {
    let Some(declared) = &scenario.declarations else {
        return Vec::new();
    };
    let locator = Locator::new(&scenario.file, &scenario.source);
    scenario
        .uses
        .iter()
        .filter_map(|name| Some((name, declared.get(name)?)))
        .filter(|(name, d)| d.default.is_none() && !given.contains(*name))
        .map(|(name, d)| {
            locator.first_use(
                name,
                format!(
                    "`{name}` ({}, declared in {}:{}) has no default: pass --var {name}=... or a --vars file",
                    d.role,
                    declared.file.display(),
                    d.location.line
                ),
            )
        })
        .collect()
}

/// Checks one step and turns it into its typed form. Problems go to
/// `errors`; the step returned then leaves out what could not be parsed.
fn check_step(
    locator: &Locator<'_>,
    catalog: &Catalog,
    pointer: &str,
    raw: RawStep,
    defined: &BTreeSet<String>,
    errors: &mut Vec<ScenarioError>,
) -> Step {
    check_request(locator, catalog, pointer, &raw, defined, errors);
    let body = raw
        .expect
        .body
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            body_assertion(
                locator,
                &format!("{pointer}/expect/body/{i}"),
                a,
                defined,
                errors,
            )
        })
        .collect();
    let status = raw.expect.status.map(|status| {
        let status_at = format!("{pointer}/expect/status");
        if !status.patterns().iter().all(|p| p.is_valid()) {
            errors.push(locator.error(
                &status_at,
                None,
                format!("`{status}` is not a status (use 404 or a class like 4XX)"),
            ));
        }
        (status, locator.location(&status_at))
    });
    let headers = raw
        .expect
        .headers
        .iter()
        .filter_map(|(name, want)| {
            let h_at = format!("{pointer}/expect/headers/{}", escape_token(name));
            header_expectation(locator, &h_at, name, want, errors)
        })
        .collect();
    let capture = raw
        .capture
        .iter()
        .filter_map(|(name, selector)| {
            let c_at = format!("{pointer}/capture/{}", escape_token(name));
            capture(locator, &c_at, name, selector, errors)
        })
        .collect();
    let snapshot = match &raw.snapshot {
        RawSnapshot::Enabled(enabled) => SnapshotOption {
            enabled: *enabled,
            redact: Vec::new(),
        },
        RawSnapshot::Options { redact } => SnapshotOption {
            enabled: true,
            redact: redact
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    selector(
                        locator,
                        &format!("{pointer}/snapshot/redact/{i}"),
                        r,
                        errors,
                    )
                })
                .collect(),
        },
    };
    Step {
        location: locator.location(pointer),
        name: raw.name,
        operation: raw.operation,
        method: raw.method.as_deref().and_then(Method::parse),
        path: raw.path,
        params: raw.params,
        query: raw.query,
        headers: raw.headers,
        auth: raw.auth,
        body: raw.body.map(Body::Json).or(raw.raw_body.map(Body::Raw)),
        expect: Expect {
            status,
            body,
            headers,
        },
        capture,
        snapshot,
        source: raw.source,
    }
}

/// The request part of a step: an operation with known parameters, or a
/// method and path; placeholders name defined variables.
fn check_request(
    locator: &Locator<'_>,
    catalog: &Catalog,
    pointer: &str,
    step: &RawStep,
    defined: &BTreeSet<String>,
    errors: &mut Vec<ScenarioError>,
) {
    let at = |field: &str| child_pointer(pointer, field);
    match (&step.operation, &step.method, &step.path) {
        (Some(op), None, None) => match catalog.operation(op) {
            None => errors.push(locator.error(
                &at("operation"),
                Some(op),
                format!("unknown operation `{op}`{}", suggestion(catalog, op)),
            )),
            Some((_, operation)) => {
                for name in step.params.keys() {
                    if !operation.parameters.iter().any(|p| &p.name == name) {
                        let known: Vec<&str> = operation
                            .parameters
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect();
                        errors.push(locator.error(
                            &at("params"),
                            Some(name),
                            format!(
                                "`{op}` has no parameter `{name}` (it has: {})",
                                known.join(", ")
                            ),
                        ));
                    }
                }
                for p in operation
                    .parameters
                    .iter()
                    .filter(|p| p.location == ParameterLocation::Path)
                {
                    if !step.params.contains_key(&p.name) {
                        errors.push(locator.error(
                            &at("operation"),
                            Some(op),
                            format!("`{op}` needs the path parameter `{}` in `params`", p.name),
                        ));
                    }
                }
            }
        },
        (None, Some(method), Some(_)) => {
            if Method::parse(method).is_none() {
                errors.push(locator.error(
                    &at("method"),
                    Some(method),
                    format!("`{method}` is not an HTTP method"),
                ));
            }
        }
        _ => errors.push(locator.error(
            pointer,
            None,
            "a step needs either `operation` or both `method` and `path`".into(),
        )),
    }
    if step.body.is_some() && step.raw_body.is_some() {
        errors.push(
            locator.error(
                &at("raw_body"),
                None,
                "a step sends `body` (JSON) or `raw_body` (text as written), not both: remove one"
                    .into(),
            ),
        );
    }
    for field in ["path", "params", "query", "headers", "body"] {
        let value = match field {
            "path" => step.path.clone().map(Value::String),
            "params" => Some(Value::Object(step.params.clone())),
            "query" => Some(Value::Object(step.query.clone())),
            "headers" => Some(Value::Object(step.headers.clone())),
            _ => step.body.clone(),
        };
        if let Some(value) = value {
            check_placeholders(locator, &at(field), &value, defined, errors);
        }
    }
}

/// One body assertion (at `a_at`), checked and typed.
fn body_assertion(
    locator: &Locator<'_>,
    a_at: &str,
    assertion: &RawBodyAssertion,
    defined: &BTreeSet<String>,
    errors: &mut Vec<ScenarioError>,
) -> Option<BodyAssertion> {
    let text = assertion
        .pointer
        .as_deref()
        .or(assertion.path.as_deref())
        .unwrap_or("");
    let parsed = selector(locator, a_at, text, errors);
    if assertion.pointer.is_some() == assertion.path.is_some() {
        errors.push(locator.error(
            a_at,
            None,
            "a body assertion needs exactly one of `pointer` or `path`".into(),
        ));
    }
    let checks = [
        assertion.equals.is_some(),
        assertion.json_type.is_some(),
        assertion.regex.is_some(),
        assertion.length.is_some(),
        assertion.contains.is_some(),
        assertion.same_items.is_some(),
        assertion.absent.is_some(),
    ];
    if !checks.contains(&true) {
        errors.push(
            locator.error(
                a_at,
                None,
                "a body assertion needs a check: equals, same_items, type, regex, length, contains or absent"
                    .into(),
            ),
        );
    }
    let regex = assertion
        .regex
        .as_ref()
        .map(|re| pattern(locator, &format!("{a_at}/regex"), re, defined, errors));
    if let Some(t) = &assertion.json_type
        && ![
            "string", "integer", "number", "boolean", "array", "object", "null",
        ]
        .contains(&t.as_str())
    {
        errors.push(locator.error(
            &format!("{a_at}/type"),
            Some(t),
            format!("`{t}` is not a JSON type"),
        ));
    }
    if let Some(v) = &assertion.equals {
        check_placeholders(locator, &format!("{a_at}/equals"), v, defined, errors);
    }
    if let Some(v) = &assertion.contains {
        check_placeholders(locator, &format!("{a_at}/contains"), v, defined, errors);
    }
    if let Some(v) = &assertion.same_items {
        check_placeholders(locator, &format!("{a_at}/same_items"), v, defined, errors);
    }
    let regex = match regex {
        Some(None) => return None,
        Some(pattern) => pattern,
        None => None,
    };
    Some(BodyAssertion {
        selector: parsed?,
        equals: assertion.equals.clone(),
        json_type: assertion.json_type.clone(),
        regex,
        length: assertion.length,
        contains: assertion.contains.clone(),
        same_items: assertion.same_items.clone(),
        absent: assertion.absent,
        source: assertion.source.clone(),
        location: locator.location(a_at),
    })
}

/// A body assertion's regex: compiled now, or, with placeholders (filled
/// escaped at run time), compiled with a stand-in to find mistakes now.
fn pattern(
    locator: &Locator<'_>,
    at: &str,
    re: &str,
    defined: &BTreeSet<String>,
    errors: &mut Vec<ScenarioError>,
) -> Option<Pattern> {
    check_placeholders(locator, at, &Value::String(re.to_string()), defined, errors);
    let holes = placeholders(re);
    let stand_in = holes.iter().fold(re.to_string(), |r, (_, name)| {
        r.replace(&format!("{{{{{name}}}}}"), "x")
    });
    match Regex::new(&stand_in) {
        Err(e) => {
            errors.push(locator.error(at, Some(re), format!("invalid regex: {e}")));
            None
        }
        Ok(compiled) if holes.is_empty() => Some(Pattern::Fixed(compiled)),
        Ok(_) => Some(Pattern::Templated(re.to_string())),
    }
}

/// `name: value`, `name: {regex: ...}`, `name: {absent: true}` or `name: {}` under `expect.headers`.
fn header_expectation(
    locator: &Locator<'_>,
    at: &str,
    name: &str,
    want: &Value,
    errors: &mut Vec<ScenarioError>,
) -> Option<HeaderExpectation> {
    let want = match want {
        Value::Object(m) if m.get("absent") == Some(&Value::Bool(true)) => HeaderWant::Absent,
        Value::Object(m) => match m.get("regex") {
            None => HeaderWant::Present,
            Some(re) => {
                let text = re.as_str().map_or_else(|| re.to_string(), str::to_string);
                match Regex::new(&text) {
                    Ok(re) => HeaderWant::Matches(re),
                    Err(e) => {
                        errors.push(locator.error(
                            &format!("{at}/regex"),
                            Some(&text),
                            format!("invalid regex: {e}"),
                        ));
                        return None;
                    }
                }
            }
        },
        Value::String(s) => HeaderWant::Equals(s.clone()),
        other => HeaderWant::Equals(other.to_string()),
    };
    Some(HeaderExpectation {
        name: name.to_string(),
        want,
        location: locator.location(at),
    })
}

/// `name: selector` under `capture`.
fn capture(
    locator: &Locator<'_>,
    at: &str,
    name: &str,
    text: &Value,
    errors: &mut Vec<ScenarioError>,
) -> Option<Capture> {
    let Some(text) = text.as_str() else {
        errors.push(locator.error(
            at,
            None,
            format!("capture `{name}` needs a JSON pointer or JSONPath string"),
        ));
        return None;
    };
    Some(Capture {
        name: name.to_string(),
        selector: selector(locator, at, text, errors)?,
        location: locator.location(at),
    })
}

/// A selector, parsed once; an error names where it is written.
fn selector(
    locator: &Locator<'_>,
    pointer: &str,
    text: &str,
    errors: &mut Vec<ScenarioError>,
) -> Option<Selector> {
    Selector::parse(text)
        .map_err(|e| errors.push(locator.error(pointer, Some(text), e)))
        .ok()
}

/// Reports every placeholder in `value` (found at `pointer`) that names no defined variable.
fn check_placeholders(
    locator: &Locator<'_>,
    pointer: &str,
    value: &Value,
    defined: &BTreeSet<String>,
    errors: &mut Vec<ScenarioError>,
) {
    match value {
        Value::String(s) => {
            for (at, name) in placeholders(s) {
                if !defined.contains(name) {
                    let end = s[at..].find("}}").map_or(s.len(), |i| at + i + 2);
                    let hint = match locator.declared_in {
                        Some(file) => format!(
                            "declare it in {} or capture it in an earlier step",
                            file.display()
                        ),
                        None => format!(
                            "define it under `variables`, capture it in an earlier step, or pass --var {name}=..."
                        ),
                    };
                    errors.push(locator.error(
                        pointer,
                        Some(&s[at..end]),
                        format!("unknown variable `{name}` in `{pointer}`: {hint}"),
                    ));
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                check_placeholders(locator, &format!("{pointer}/{i}"), v, defined, errors);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                check_placeholders(locator, &child_pointer(pointer, k), v, defined, errors);
            }
        }
        _ => {}
    }
}

/// ` (did you mean `x`?)` for the operationId most like `unknown`, when
/// one is close enough (Jaro-Winkler, any case).
fn suggestion(catalog: &Catalog, unknown: &str) -> String {
    let lower = unknown.to_ascii_lowercase();
    catalog
        .operations()
        .map(|(_, op)| {
            let likeness = strsim::jaro_winkler(&op.id.to_ascii_lowercase(), &lower);
            (likeness, op.id.as_str())
        })
        .filter(|(likeness, _)| *likeness >= SUGGESTION_LIKENESS)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, id)| format!(" (did you mean `{id}`?)"))
        .unwrap_or_default()
}

/// How alike (0 to 1) an operationId must be to an unknown one to be suggested.
const SUGGESTION_LIKENESS: f64 = 0.9;

/// Every scenario file under `root` (`*.yaml`, `*.yml`), sorted, parsed and checked.
pub fn load_dir(
    root: &Path,
    catalog: &Catalog,
    cli_vars: &BTreeSet<String>,
) -> Result<Vec<Scenario>, Vec<ScenarioError>> {
    let mut files = Vec::new();
    collect_files(root, &mut files).map_err(|e| {
        vec![ScenarioError {
            file: root.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read scenarios: {e}"),
            source_line: String::new(),
            width: 0,
        }]
    })?;
    files.sort();
    load_files(&files, catalog, cli_vars)
}

/// Parses and checks the given scenario files.
pub fn load_files(
    files: &[PathBuf],
    catalog: &Catalog,
    cli_vars: &BTreeSet<String>,
) -> Result<Vec<Scenario>, Vec<ScenarioError>> {
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    let mut folders: BTreeMap<PathBuf, Option<Arc<Declarations>>> = BTreeMap::new();
    for file in files {
        let dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
        let declarations = match folders.get(&dir) {
            Some(known) => known.clone(),
            None => {
                let found = Declarations::for_dir(&dir)
                    .unwrap_or_else(|e| {
                        errors.extend(e);
                        None
                    })
                    .map(Arc::new);
                folders.insert(dir, found.clone());
                found
            }
        };
        match std::fs::read_to_string(file) {
            Ok(text) => {
                match parse_declared(file, &text, catalog, cli_vars, declarations.as_ref()) {
                    Ok(s) => scenarios.push(s),
                    Err(e) => errors.extend(e),
                }
            }
            Err(e) => errors.push(ScenarioError::whole_file(file, format!("cannot read: {e}"))),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(errors)
    }
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else if path.file_name().is_some_and(|n| n == DECLARATIONS_FILE) {
            continue;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e == "yaml" || e == "yml")
        {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;
    use crate::scenario::{HeaderWant, Pattern};

    const HEAD: &str = "name: t\nsteps:\n  - operation: zstack.getVipUsedPorts\n    params: {uuid: u, protocol: TCP}\n";

    fn parse(rest: &str) -> Result<Scenario, Vec<ScenarioError>> {
        let catalog = Catalog::builtin().expect("built-in specs");
        let text = format!("{HEAD}{rest}");
        parse_scenario(Path::new("s.yaml"), &text, &catalog, &BTreeSet::new())
    }

    #[rstest]
    #[case::header_regex(
        "    expect:\n      headers:\n        x-a: {regex: \"(\"}\n",
        7,
        "invalid regex"
    )]
    #[case::body_selector(
        "    expect:\n      body:\n        - path: data.x\n          type: string\n",
        7,
        "neither a JSON pointer"
    )]
    #[case::body_regex(
        "    expect:\n      body:\n        - pointer: /a\n          regex: \"[\"\n",
        8,
        "invalid regex"
    )]
    #[case::capture_selector("    capture:\n      id: \"$.a[x]\"\n", 6, "is not an index")]
    #[case::capture_not_text(
        "    capture:\n      id: 5\n",
        6,
        "needs a JSON pointer or JSONPath string"
    )]
    #[case::redact_selector("    snapshot: {redact: [\"a.b\"]}\n", 5, "neither a JSON pointer")]
    #[case::body_and_raw_body(
        "    body: {port: 80}\n    raw_body: '{\"port\": '\n",
        6,
        "`body` (JSON) or `raw_body`"
    )]
    fn text_that_cannot_be_parsed_is_refused_with_its_line(
        #[case] rest: &str,
        #[case] line: u64,
        #[case] message: &str,
    ) {
        let errors = parse(rest).expect_err("refused");
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert_eq!(errors[0].line, line, "{}", errors[0]);
        assert!(errors[0].message.contains(message), "{}", errors[0]);
    }

    #[test]
    fn a_raw_body_is_kept_as_written() {
        let scenario = parse("    raw_body: '{\"port\": {{x}}'\n").expect("valid");
        assert_eq!(
            scenario.steps[0].body,
            Some(crate::scenario::Body::Raw("{\"port\": {{x}}".into()))
        );
        assert!(scenario.uses.is_empty(), "{:?}", scenario.uses);
    }

    #[test]
    fn steps_hold_typed_values_that_know_where_they_are_written() {
        let scenario = parse(concat!(
            "    expect:\n",
            "      status: 200\n",
            "      headers:\n",
            "        x-gone: {absent: true}\n",
            "      body:\n",
            "        - pointer: /a\n",
            "          regex: \"^a+$\"\n",
            "        - path: $.b\n",
            "          regex: \"{{run_id}}\"\n",
            "    capture:\n",
            "      id: $.data.id\n",
        ))
        .expect("valid");
        let step = &scenario.steps[0];
        let at = |l: &Location| (l.line, l.column);
        assert_eq!(at(&step.location), (3, 5));
        assert_eq!(
            step.expect.status.as_ref().map(|(_, l)| at(l)),
            Some((6, 7))
        );
        let header = &step.expect.headers[0];
        assert!(matches!(header.want, HeaderWant::Absent));
        assert_eq!(at(&header.location), (8, 9));
        let body = &step.expect.body;
        assert!(matches!(body[0].regex, Some(Pattern::Fixed(_))));
        assert!(matches!(body[1].regex, Some(Pattern::Templated(_))));
        assert_eq!(
            (at(&body[0].location), at(&body[1].location)),
            ((10, 11), (12, 11))
        );
        let capture = &step.capture[0];
        assert_eq!(
            (capture.name.as_str(), capture.selector.to_string()),
            ("id", "$.data.id".into())
        );
        assert_eq!(at(&capture.location), (15, 7));
    }
}
