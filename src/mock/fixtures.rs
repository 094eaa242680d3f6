//! The fixtures file: what exists when the mock starts and after a reset.
//! It is kept as text; each vendor reads its own section of it (see
//! [`super::vendors::Vendor::Fixtures`]), so this module knows no vendor's
//! data. Loading checks every section once, so a mock never starts from a
//! file it cannot read.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::section::Source;
use super::vendors;
use crate::spec::document::Document;

/// The built-in fixture file.
pub const DEFAULT_FIXTURES: &str = include_str!("../../fixtures/default.yaml");

/// The built-in fixture file read into JSON at build time (`build.rs`).
const DEFAULT_FIXTURES_JSON: &str =
    include_str!(concat!(env!("OUT_DIR"), "/fixtures/default.yaml.json"));

/// Seed data: which teams, apps, gateways, VIPs, instances and projects exist,
/// one section per vendor. Identifiers that are not here do not exist, and
/// the mock answers the vendor's not-found for them. The default is an empty
/// file: every section starts empty.
#[derive(Debug, Clone)]
pub struct Fixtures {
    text: Arc<str>,
    /// The text read as JSON once, for every vendor to take its section from.
    value: Arc<Value>,
    origin: Arc<Path>,
}

impl Default for Fixtures {
    fn default() -> Fixtures {
        Fixtures {
            text: Arc::from(""),
            value: Arc::new(Value::Null),
            origin: Arc::from(PathBuf::from("(no fixtures)")),
        }
    }
}

impl Fixtures {
    /// The fixtures shipped in `fixtures/default.yaml`.
    pub fn builtin() -> Result<Fixtures, String> {
        let document = Document::prepared(DEFAULT_FIXTURES, DEFAULT_FIXTURES_JSON).ok();
        Fixtures::read(
            DEFAULT_FIXTURES,
            document.map(|d| d.value),
            Path::new("fixtures/default.yaml"),
        )
    }

    /// Reads a fixture file; the error names the file, line and field.
    pub fn load(path: &Path) -> Result<Fixtures, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read fixtures: {e}", path.display()))?;
        Fixtures::parse(&text, path)
    }

    fn parse(text: &str, path: &Path) -> Result<Fixtures, String> {
        Fixtures::read(text, Document::parse(text).ok().map(|d| d.value), path)
    }

    /// Fixtures from `text`, already read into `value` when it reads.
    fn read(text: &str, value: Option<Value>, path: &Path) -> Result<Fixtures, String> {
        let value = value.unwrap_or(Value::Null);
        let fixtures = Fixtures {
            text: Arc::from(text),
            value: Arc::new(value),
            origin: Arc::from(path),
        };
        vendors::check_fixtures(fixtures.source())?;
        Ok(fixtures)
    }

    /// These fixtures with each section of `sections` (a built-in vendor's
    /// name and its section, as a file holds it) in place of their own,
    /// checked like a file read from `origin`.
    pub fn with_sections(
        &self,
        sections: &Map<String, Value>,
        origin: &Path,
    ) -> Result<Fixtures, String> {
        let mut merged = self.value.as_object().cloned().unwrap_or_default();
        merged.extend(sections.iter().map(|(k, v)| (k.clone(), v.clone())));
        Fixtures::parse(&to_yaml(&Value::Object(merged)), origin)
    }

    /// The fixtures as a file holds them (what `vouch mock --fixtures` reads).
    pub fn yaml(&self) -> &str {
        &self.text
    }

    /// The file as each vendor reads its section of it.
    pub(super) fn source(&self) -> Source<'_> {
        Source {
            text: &self.text,
            value: &self.value,
            origin: &self.origin,
        }
    }
}

/// `value` as block YAML: mappings one key a line, a list of mappings one
/// `-` item each, anything else (scalars, other lists) in JSON's flow form,
/// which YAML reads as it is (strings double-quoted with JSON's escapes).
pub fn to_yaml(value: &Value) -> String {
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut out = String::new();
            write_mapping(&mut out, map, 0);
            out
        }
        other => format!("{}\n", flow(other)),
    }
}

fn write_mapping(out: &mut String, map: &Map<String, Value>, indent: usize) {
    for (key, value) in map {
        out.push_str(&format!("{:indent$}{}:", "", yaml_key(key)));
        write_value(out, value, indent + 2);
    }
}

/// A value after its key (or its `-`): flow on the same line, or block below it.
fn write_value(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_mapping(out, map, indent);
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(is_block_mapping) => {
            out.push('\n');
            for item in items {
                let mut block = String::new();
                write_mapping(
                    &mut block,
                    item.as_object().unwrap_or(&Map::new()),
                    indent + 2,
                );
                let first = block.get(indent + 2..).unwrap_or_default();
                out.push_str(&format!("{:indent$}- {first}", ""));
            }
        }
        other => out.push_str(&format!(" {}\n", flow(other))),
    }
}

fn is_block_mapping(value: &Value) -> bool {
    value.as_object().is_some_and(|m| !m.is_empty())
}

fn flow(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A key as it is when YAML reads it back as that string, else quoted.
fn yaml_key(key: &str) -> String {
    let plain = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        key.to_string()
    } else {
        flow(&Value::from(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_reads_back_as_the_same_value() {
        let value = json!({
            "zstack": {"vips": [{"uuid": "a1", "usedPorts": {"TCP": ["80", "90-92"], "UDP": []}}]},
            "odd keys": {"true": 1, "80": "x", "-a": null, "ok_key.1": {}},
            "nested": [{"list": [{"deep": [1, {"two": 2}]}], "text": "line 1\nline \"2\": #x"}],
            "empty": [],
            "unicode": "查询成功",
        });
        let text = to_yaml(&value);
        let back: Value = serde_saphyr::from_str(&text).expect(&text);
        assert_eq!(back, value, "{text}");
        assert!(
            text.contains("zstack:\n  vips:\n    - uuid: \"a1\"\n      usedPorts:\n"),
            "{text}"
        );
    }

    #[test]
    fn a_mirrored_section_replaces_the_one_of_the_fixtures_and_is_checked() {
        let base = Fixtures::builtin().unwrap();
        let sections: Map<String, Value> =
            [("zstack".to_string(), json!({"vips": [{"uuid": "f00"}]}))]
                .into_iter()
                .collect();
        let mirrored = base
            .with_sections(&sections, Path::new("(mirrored)"))
            .unwrap();
        let back: Value = serde_saphyr::from_str(mirrored.yaml()).unwrap();
        assert_eq!(back["zstack"], json!({"vips": [{"uuid": "f00"}]}));
        assert_eq!(
            back["rainbond"]["teams"][0]["tenant_name"],
            json!("dev-team"),
            "the other sections stay"
        );
        let wrong: Map<String, Value> = [(
            "zstack".to_string(),
            json!({"vips": [{"uuid": "f00", "colour": 1}]}),
        )]
        .into_iter()
        .collect();
        let refused = base
            .with_sections(&wrong, Path::new("(mirrored)"))
            .unwrap_err();
        assert!(
            refused.starts_with("(mirrored):") && refused.contains("colour"),
            "{refused}"
        );
    }
}
