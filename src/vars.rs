//! `vouch vars`: what a set of scenarios needs from a target. Each
//! variable the scenarios use, with its role, default and users, as a
//! table for the terminal or as a vars file a team fills in for its
//! staging service (`--template`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::scenario::Scenario;
use crate::scenario::declare::Role;

/// One variable a set of scenarios needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    /// The variable's name.
    pub name: String,
    /// Its declared role; `None` for a scenario's own undeclared default.
    pub role: Option<Role>,
    /// Its default; `None` when the target must supply it.
    pub default: Option<Value>,
    /// What it is for (empty when undeclared).
    pub description: String,
    /// Where it is declared, or the scenario file that defines it.
    pub declared_in: PathBuf,
    /// The line of its declaration (0 when undeclared), for ordering.
    pub line: u64,
    /// The ids of the scenarios that use it, in load order.
    pub used_by: Vec<String>,
}

/// Why no template was written.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The file is there and `--force` was not given.
    #[error("{0} exists: pass --force to overwrite it")]
    Exists(PathBuf),
    /// One name means two things among the scenarios chosen.
    #[error(
        "`{name}` is declared in both {first} and {second}: one vars file cannot serve both; write a template per folder"
    )]
    Ambiguous {
        /// The variable.
        name: String,
        /// Its first declaration file.
        first: PathBuf,
        /// Its second declaration file.
        second: PathBuf,
    },
    /// The file could not be written.
    #[error("writing {0}: {1}")]
    Write(PathBuf, std::io::Error),
}

/// Every variable `scenarios` use, grouped by where it is declared (in
/// declaration order within each), with the scenarios that use it. `root`
/// makes the scenario ids.
pub fn needs(scenarios: &[Scenario], root: &Path) -> Vec<Need> {
    let mut found: Vec<Need> = Vec::new();
    for scenario in scenarios {
        let id = scenario.id(root);
        for name in &scenario.uses {
            let Some(need) = need_of(scenario, name) else {
                continue;
            };
            match found
                .iter_mut()
                .find(|n| n.name == need.name && n.declared_in == need.declared_in)
            {
                Some(known) if !known.used_by.contains(&id) => known.used_by.push(id.clone()),
                Some(_) => {}
                None => found.push(Need {
                    used_by: vec![id.clone()],
                    ..need
                }),
            }
        }
    }
    let mut order: Vec<PathBuf> = Vec::new();
    for need in &found {
        if !order.contains(&need.declared_in) {
            order.push(need.declared_in.clone());
        }
    }
    found.sort_by_key(|n| (order.iter().position(|p| *p == n.declared_in), n.line));
    found
}

/// What `scenario` knows of the variable `name`: its declaration, or its
/// own default; `None` when it has neither (a command-line value).
fn need_of(scenario: &Scenario, name: &str) -> Option<Need> {
    if let Some(declared) = &scenario.declarations {
        let d = declared.get(name)?;
        return Some(Need {
            name: name.to_string(),
            role: Some(d.role),
            default: d.default.clone(),
            description: d.description.clone(),
            declared_in: declared.file.clone(),
            line: d.location.line,
            used_by: Vec::new(),
        });
    }
    Some(Need {
        name: name.to_string(),
        role: None,
        default: Some(scenario.variables.get(name)?.clone()),
        description: String::new(),
        declared_in: scenario.file.clone(),
        line: 0,
        used_by: Vec::new(),
    })
}

/// A value as it is written in a vars file (and shown in the table): JSON,
/// which YAML reads unchanged.
fn written(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The table `vouch vars` prints: one block per declarations file.
pub fn table(needs: &[Need]) -> String {
    let default_of = |n: &Need| n.default.as_ref().map_or("(none)".into(), written);
    let role_of = |n: &Need| n.role.map_or("-".into(), |r| r.to_string());
    let width = |f: &dyn Fn(&Need) -> String, title: &str| {
        needs
            .iter()
            .map(|n| f(n).chars().count())
            .chain([title.len()])
            .max()
            .unwrap_or(0)
    };
    let name_w = width(&|n: &Need| n.name.clone(), "NAME");
    let role_w = width(&role_of, "ROLE");
    let default_w = width(&default_of, "DEFAULT").min(48);
    let mut out = String::new();
    let mut current: Option<&Path> = None;
    for need in needs {
        if current != Some(need.declared_in.as_path()) {
            current = Some(need.declared_in.as_path());
            let _ = writeln!(
                out,
                "{}{}\n  {:name_w$}  {:role_w$}  {:default_w$}  USED BY",
                if out.is_empty() { "" } else { "\n" },
                need.declared_in.display(),
                "NAME",
                "ROLE",
                "DEFAULT"
            );
        }
        let _ = writeln!(
            out,
            "  {:name_w$}  {:role_w$}  {:default_w$}  {}",
            need.name,
            role_of(need),
            default_of(need),
            need.used_by.join(", ")
        );
    }
    let files = needs
        .iter()
        .map(|n| &n.declared_in)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let _ = writeln!(
        out,
        "\n{} variable(s) from {files} declaration(s)",
        needs.len()
    );
    out
}

/// A vars file for `needs`: each variable with its role and description
/// as a comment and its default as the value; one without a default is
/// written commented out, for the team to fill in.
pub fn template(needs: &[Need]) -> Result<String, TemplateError> {
    let mut first: BTreeMap<&str, &Path> = BTreeMap::new();
    for need in needs {
        if let Some(other) = first.insert(&need.name, &need.declared_in)
            && other != need.declared_in
        {
            return Err(TemplateError::Ambiguous {
                name: need.name.clone(),
                first: other.to_path_buf(),
                second: need.declared_in.clone(),
            });
        }
    }
    let mut out = String::from(concat!(
        "# Variables for `vouch run --vars FILE` against your target, written by `vouch vars --template`.\n",
        "# Set each to what your target has; a `new` value may use {{run_id}} (unique per run).\n",
    ));
    for need in needs {
        let role = need
            .role
            .map_or("undeclared".into(), |r| format!("{r} ({})", r.meaning()));
        let _ = match need.description.as_str() {
            "" => write!(out, "\n# {role}"),
            description => write!(out, "\n# {role}: {description}"),
        };
        let _ = match &need.default {
            Some(default) => writeln!(out, "\n{}: {}", need.name, written(default)),
            None => writeln!(out, "\n# {}: (no default: required)", need.name),
        };
    }
    Ok(out)
}

/// Writes `text` to `path` atomically; an existing file only with `force`.
pub fn write_template(path: &Path, text: &str, force: bool) -> Result<(), TemplateError> {
    if path.exists() && !force {
        return Err(TemplateError::Exists(path.to_path_buf()));
    }
    crate::atomic_file::write(path, text).map_err(|e| TemplateError::Write(path.to_path_buf(), e))
}
