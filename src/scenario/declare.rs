//! Variable declarations: the `vars.yaml` beside a vendor's scenarios says,
//! once for the whole folder, what each variable names (its [`Role`]), its
//! default and what it is for. A scenario in such a folder uses only
//! declared variables and cannot redefine them, so a name means one thing
//! across the vendor's suite and a team's vars file can serve all of it.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use super::Location;
use super::parse::{Locator, ScenarioError};
use crate::spec::document::{Document, child_pointer};

/// The file, beside the scenarios of a folder, that declares their variables.
pub const DECLARATIONS_FILE: &str = "vars.yaml";

/// What kind of thing a variable names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A resource that must exist on the target.
    Existing,
    /// A name that must not exist on the target.
    Absent,
    /// A name the scenario creates (and removes); ideally unique per run.
    New,
    /// A plain value.
    Value,
}

impl Role {
    /// What the role asks of a team's target, in a few words.
    pub fn meaning(self) -> &'static str {
        match self {
            Role::Existing => "must exist on the target",
            Role::Absent => "must not exist on the target",
            Role::New => "created by the scenarios; must not exist yet",
            Role::Value => "a plain value",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Existing => "existing",
            Role::Absent => "absent",
            Role::New => "new",
            Role::Value => "value",
        })
    }
}

/// One declared variable.
#[derive(Debug, Clone)]
pub struct Declaration {
    /// The variable's name.
    pub name: String,
    /// What it names.
    pub role: Role,
    /// Its default; `None` when the target must supply it.
    pub default: Option<Value>,
    /// What it is for, in a sentence.
    pub description: String,
    /// Where it is declared.
    pub location: Location,
}

/// The declarations of one folder, in file order.
#[derive(Debug, Clone)]
pub struct Declarations {
    /// The `vars.yaml` file.
    pub file: PathBuf,
    /// Each variable, in file order.
    pub entries: Vec<Declaration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeclaration {
    role: Role,
    #[serde(default)]
    default: Option<Value>,
    #[serde(default)]
    description: String,
}

impl Declarations {
    /// The declarations of `dir` (its `vars.yaml`), if it has them.
    pub fn for_dir(dir: &Path) -> Result<Option<Declarations>, Vec<ScenarioError>> {
        let file = dir.join(DECLARATIONS_FILE);
        match std::fs::read_to_string(&file) {
            Ok(text) => Declarations::parse(&file, &text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(vec![ScenarioError::whole_file(
                &file,
                format!("cannot read: {e}"),
            )]),
        }
    }

    /// Parses a declarations file: a mapping of names to `{role, default, description}`.
    pub fn parse(file: &Path, text: &str) -> Result<Declarations, Vec<ScenarioError>> {
        let mut locator = Locator::new(file, text);
        let doc = Document::parse(text).map_err(|e| vec![locator.parse_error(&e)])?;
        locator.doc = Some(&doc);
        let Value::Object(map) = &doc.value else {
            return Err(vec![locator.error(
                "",
                None,
                "expected a mapping of variable names to {role, default, description}".into(),
            )]);
        };
        let mut errors = Vec::new();
        let mut entries: Vec<Declaration> = Vec::new();
        for (name, raw) in map {
            let at = child_pointer("", name);
            if let Some(entry) = declaration(&locator, &at, name, raw, &entries, &mut errors) {
                entries.push(entry);
            }
        }
        if errors.is_empty() {
            Ok(Declarations {
                file: file.to_path_buf(),
                entries,
            })
        } else {
            Err(errors)
        }
    }

    /// The declaration of `name`.
    pub fn get(&self, name: &str) -> Option<&Declaration> {
        self.entries.iter().find(|d| d.name == name)
    }

    /// Every default, in file order (a default may use earlier ones).
    pub fn defaults(&self) -> Map<String, Value> {
        self.entries
            .iter()
            .filter_map(|d| Some((d.name.clone(), d.default.clone()?)))
            .collect()
    }
}

/// One entry (at `at`), checked: a known role, known fields, a default
/// that uses only variables declared above it.
fn declaration(
    locator: &Locator<'_>,
    at: &str,
    name: &str,
    raw: &Value,
    earlier: &[Declaration],
    errors: &mut Vec<ScenarioError>,
) -> Option<Declaration> {
    let parsed: RawDeclaration = match serde_path_to_error::deserialize(raw) {
        Ok(parsed) => parsed,
        Err(e) => {
            let field = e.path().to_string();
            let pointer = match field.as_str() {
                "." | "" => at.to_string(),
                field => child_pointer(at, field),
            };
            errors.push(locator.error(
                &pointer,
                None,
                format!(
                    "variable `{name}`: {} (write `{name}: {{role: existing|absent|new|value, default: ..., description: ...}}`)",
                    e.inner()
                ),
            ));
            return None;
        }
    };
    if let Some(default) = &parsed.default {
        for used in super::template::names_in(default) {
            if used != "run_id" && !earlier.iter().any(|d| d.name == used) {
                errors.push(locator.error(
                    &child_pointer(at, "default"),
                    Some(&format!("{{{{{used}}}}}")),
                    format!(
                        "the default of `{name}` uses `{used}`, which is not declared above it"
                    ),
                ));
            }
        }
    }
    Some(Declaration {
        name: name.to_string(),
        role: parsed.role,
        default: parsed.default,
        description: parsed.description,
        location: locator.location(at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Declarations, Vec<ScenarioError>> {
        Declarations::parse(Path::new("vars.yaml"), text)
    }

    #[test]
    fn entries_keep_their_role_default_and_line() {
        let decls = parse(concat!(
            "project: {role: existing, default: demo, description: a project}\n",
            "new_env:\n",
            "  role: new\n",
            "  default: \"vt{{run_id}}-{{project}}\"\n",
        ))
        .expect("valid");
        let env = decls.get("new_env").expect("declared");
        assert_eq!((env.role, env.location.line), (Role::New, 2));
        assert_eq!(
            decls.defaults().keys().collect::<Vec<_>>(),
            ["project", "new_env"]
        );
    }

    #[test]
    fn an_unknown_role_or_field_is_refused_at_its_line() {
        let errors = parse("a: {role: value}\nb:\n  role: exists\n").expect_err("refused");
        assert_eq!(errors[0].line, 3, "{}", errors[0]);
        assert!(errors[0].message.contains("variable `b`"), "{}", errors[0]);
        let errors = parse("a:\n  role: value\n  defualt: 1\n").expect_err("refused");
        assert_eq!(errors[0].line, 3, "{}", errors[0]);
        assert!(errors[0].message.contains("defualt"), "{}", errors[0]);
    }

    #[test]
    fn a_default_may_use_only_variables_declared_above_it() {
        let errors =
            parse("alias: {role: new, default: \"A{{port}}\"}\nport: {role: new, default: 1}\n")
                .expect_err("refused");
        assert_eq!(errors[0].line, 1, "{}", errors[0]);
        assert!(errors[0].message.contains("`port`"), "{}", errors[0]);
    }
}
