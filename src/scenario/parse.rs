//! Reading scenario files and checking them against the catalog before
//! anything is sent: unknown operations and parameters, unknown variables,
//! captures used before they are made, bad selectors, regexes and statuses.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use super::template::placeholders;
use super::{Scenario, Step};
use crate::check::select::Selector;
use crate::spec::document::{Document, child_pointer, excerpt};
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
    steps: Vec<Step>,
    #[serde(default)]
    teardown: Vec<Step>,
}

/// Locates errors in one file.
struct Locator<'a> {
    file: &'a Path,
    text: &'a str,
    doc: Option<&'a Document>,
}

impl Locator<'_> {
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

    /// An error about the node at `pointer`; `needle` is underlined where the line shows it.
    fn error(&self, pointer: &str, needle: Option<&str>, message: String) -> ScenarioError {
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
    let mut locator = Locator {
        file,
        text,
        doc: None,
    };
    let doc = Document::parse(text).map_err(|e| {
        vec![locator.at(
            e.line.unwrap_or(1),
            e.column.unwrap_or(1),
            1,
            format!("not valid YAML: {}", e.message),
        )]
    })?;
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
    let mut steps = raw.steps;
    let mut teardown = raw.teardown;
    for (i, step) in steps.iter_mut().enumerate() {
        check_step(
            &locator,
            catalog,
            &format!("/steps/{i}"),
            step,
            &defined,
            &mut errors,
        );
        defined.extend(step.capture.keys().cloned());
    }
    for (i, step) in teardown.iter_mut().enumerate() {
        check_step(
            &locator,
            catalog,
            &format!("/teardown/{i}"),
            step,
            &defined,
            &mut errors,
        );
        defined.extend(step.capture.keys().cloned());
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
        variables: raw.variables,
        steps,
        teardown,
    })
}

fn check_step(
    locator: &Locator<'_>,
    catalog: &Catalog,
    pointer: &str,
    step: &mut Step,
    defined: &BTreeSet<String>,
    errors: &mut Vec<ScenarioError>,
) {
    step.line = locator
        .doc
        .and_then(|d| d.position_of(pointer))
        .map_or(0, |(l, _)| l);
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
    for (i, assertion) in step.expect.body.iter().enumerate() {
        let a_at = format!("{pointer}/expect/body/{i}");
        check_selector(locator, &a_at, assertion.selector(), errors);
        if assertion.pointer.is_some() == assertion.path.is_some() {
            errors.push(locator.error(
                &a_at,
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
            assertion.absent.is_some(),
        ];
        if !checks.contains(&true) {
            errors.push(locator.error(&a_at, None, "a body assertion needs a check: equals, type, regex, length, contains or absent".into()));
        }
        if let Some(re) = &assertion.regex {
            check_placeholders(
                locator,
                &format!("{a_at}/regex"),
                &Value::String(re.clone()),
                defined,
                errors,
            );
        }
        // Placeholders are filled (escaped) at run time: compile with a stand-in.
        let stand_in = |re: &String| {
            placeholders(re).iter().fold(re.clone(), |r, (_, name)| {
                r.replace(&format!("{{{{{name}}}}}"), "x")
            })
        };
        if let Some(re) = &assertion.regex
            && let Err(e) = regex::Regex::new(&stand_in(re))
        {
            errors.push(locator.error(
                &format!("{a_at}/regex"),
                Some(re),
                format!("invalid regex: {e}"),
            ));
        }
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
    }
    if let Some(status) = &step.expect.status
        && !status.patterns().iter().all(|p| p.is_valid())
    {
        errors.push(locator.error(
            &format!("{pointer}/expect/status"),
            None,
            format!("`{status}` is not a status (use 404 or a class like 4XX)"),
        ));
    }
    for (name, selector) in &step.capture {
        let c_at = format!(
            "{pointer}/capture/{}",
            crate::spec::document::escape_token(name)
        );
        match selector.as_str() {
            Some(s) => check_selector(locator, &c_at, s, errors),
            None => errors.push(locator.error(
                &c_at,
                None,
                format!("capture `{name}` needs a JSON pointer or JSONPath string"),
            )),
        }
    }
    for r in step.snapshot.redactions() {
        check_selector(locator, &format!("{pointer}/snapshot/redact"), r, errors);
    }
}

fn check_selector(
    locator: &Locator<'_>,
    pointer: &str,
    selector: &str,
    errors: &mut Vec<ScenarioError>,
) {
    if let Err(e) = Selector::parse(selector) {
        errors.push(locator.error(pointer, Some(selector), e));
    }
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
                    errors.push(locator.error(pointer, Some(&s[at..end]), format!("unknown variable `{name}`: define it under `variables`, capture it in an earlier step, or pass --var {name}=...")));
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

/// ` (did you mean `x`?)` for the closest operationId sharing the vendor prefix.
fn suggestion(catalog: &Catalog, unknown: &str) -> String {
    let lower = unknown.to_ascii_lowercase();
    catalog
        .operations()
        .map(|(_, op)| op.id.as_str())
        .filter(|id| {
            id.to_ascii_lowercase() == lower
                || (id.split('.').next() == unknown.split('.').next()
                    && common_prefix(id, unknown) > unknown.len() / 2)
        })
        .max_by_key(|id| common_prefix(id, unknown))
        .map(|id| format!(" (did you mean `{id}`?)"))
        .unwrap_or_default()
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.chars()
        .zip(b.chars())
        .take_while(|(x, y)| x.eq_ignore_ascii_case(y))
        .count()
}

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
    for file in files {
        match std::fs::read_to_string(file) {
            Ok(text) => match parse_scenario(file, &text, catalog, cli_vars) {
                Ok(s) => scenarios.push(s),
                Err(e) => errors.extend(e),
            },
            Err(e) => errors.push(ScenarioError {
                file: file.clone(),
                line: 0,
                column: 0,
                message: format!("cannot read: {e}"),
                source_line: String::new(),
                width: 0,
            }),
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
