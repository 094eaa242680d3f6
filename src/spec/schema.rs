//! OpenAPI 3.0 Schema Objects turned into JSON Schema (draft 7) and compiled
//! once. The conversion handles `nullable`, boolean `exclusiveMinimum` and
//! `exclusiveMaximum`, and drops keywords JSON Schema does not know.
//!
//! Local `$ref`s to `#/components/schemas/...` are kept as references: every
//! compiled schema carries the converted components under the same pointer,
//! so recursive schemas work and nothing is fetched from anywhere.

use std::sync::Arc;

use serde_json::{Map, Value};

/// A compiled schema, with the pointer of its source in the spec.
#[derive(Clone)]
pub struct Schema {
    /// JSON pointer of the Schema Object in its spec.
    pub pointer: String,
    /// The OpenAPI schema as written (after following a top-level `$ref`).
    pub source: Arc<Value>,
    validator: Arc<jsonschema::Validator>,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema")
            .field("pointer", &self.pointer)
            .finish()
    }
}

/// One way an instance breaks a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer to the offending value in the instance.
    pub instance_pointer: String,
    /// JSON pointer to the rule in the schema that failed (e.g. `/properties/port/type`).
    pub rule: String,
    /// The JSON Schema keyword that failed (`type`, `required`, `enum`, ...),
    /// from jsonschema's typed error kind, never from its wording.
    pub keyword: String,
    /// The properties the violation is about, from the error kind: the
    /// missing one for `required`, the unexpected ones for `additionalProperties`.
    pub properties: Vec<String>,
    /// For `type`: the JSON types the schema expects (`integer`, `string`, ...).
    pub expected_types: Vec<&'static str>,
    /// What is wrong, in words (for people; never parsed).
    pub message: String,
}

impl Violation {
    fn of(error: &jsonschema::ValidationError<'_>) -> Violation {
        use jsonschema::error::{TypeKind, ValidationErrorKind};
        let expected_types = match error.kind() {
            ValidationErrorKind::Type {
                kind: TypeKind::Single(t),
            } => vec![t.as_str()],
            ValidationErrorKind::Type {
                kind: TypeKind::Multiple(set),
            } => set.iter().map(|t| t.as_str()).collect(),
            _ => Vec::new(),
        };
        Violation {
            instance_pointer: error.instance_path().as_str().to_string(),
            rule: error.schema_path().as_str().to_string(),
            keyword: error.kind().keyword().to_string(),
            properties: properties_of(error.kind()),
            expected_types,
            message: error.to_string(),
        }
    }
}

impl Schema {
    /// Every violation of this schema by `instance`; empty when valid.
    pub fn violations(&self, instance: &Value) -> Vec<Violation> {
        self.validator
            .iter_errors(instance)
            .map(|e| Violation::of(&e))
            .collect()
    }

    /// Whether `instance` is valid.
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance)
    }

    /// The JSON type the schema expects at its top level, if it names exactly one.
    pub fn json_type(&self) -> Option<&str> {
        self.source.get("type").and_then(Value::as_str)
    }
}

/// The property names a violation kind carries.
fn properties_of(kind: &jsonschema::error::ValidationErrorKind) -> Vec<String> {
    use jsonschema::error::ValidationErrorKind as K;
    match kind {
        K::Required { property } => vec![
            property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_string),
        ],
        K::AdditionalProperties { unexpected } | K::UnevaluatedProperties { unexpected } => {
            unexpected.clone()
        }
        _ => Vec::new(),
    }
}

/// Compiles schemas of one spec: holds the converted components that every
/// schema of that spec may refer to.
pub struct Compiler {
    components: Map<String, Value>,
}

/// Where local references to components point.
const COMPONENT_PREFIX: &str = "#/components/schemas/";

impl Compiler {
    /// Prepares a compiler for the spec whose whole document is `doc`.
    pub fn new(doc: &Value) -> Self {
        let schemas = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), to_json_schema(v)))
                    .collect::<Map<_, _>>()
            })
            .unwrap_or_default();
        Self {
            components: schemas,
        }
    }

    /// `{"schemas": ...}` with only the components `root` refers to, directly
    /// or through each other: compiling a schema then costs what it uses,
    /// not the size of the whole spec.
    fn components_for(&self, root: &Value) -> Value {
        let mut used = Map::new();
        let mut pending = vec![root];
        while let Some(value) = pending.pop() {
            match value {
                Value::Object(map) => {
                    if let Some(name) = map
                        .get("$ref")
                        .and_then(Value::as_str)
                        .and_then(|r| r.strip_prefix(COMPONENT_PREFIX))
                        .map(|rest| rest.split('/').next().unwrap_or(rest))
                    {
                        let name = name.replace("~1", "/").replace("~0", "~");
                        if let (false, Some(component)) =
                            (used.contains_key(&name), self.components.get(&name))
                        {
                            used.insert(name, component.clone());
                            pending.push(component);
                        }
                    }
                    pending.extend(map.values());
                }
                Value::Array(items) => pending.extend(items),
                _ => {}
            }
        }
        serde_json::json!({ "schemas": used })
    }

    /// Compiles the OpenAPI schema `source` found at `pointer`.
    pub fn compile(&self, pointer: &str, source: &Value) -> Result<Schema, String> {
        let mut root = to_json_schema(source);
        let components = self.components_for(&root);
        if let Value::Object(map) = &mut root {
            map.insert("components".into(), components);
        } else {
            // `true`/`false` schemas carry no references.
            root = serde_json::json!({ "allOf": [root], "components": components });
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .build(&root)
            .map_err(|e| format!("schema does not compile: {e}"))?;
        Ok(Schema {
            pointer: pointer.to_string(),
            source: Arc::new(source.clone()),
            validator: Arc::new(validator),
        })
    }
}

/// Keywords of OpenAPI 3.0 that JSON Schema draft 7 does not have, or that
/// must not constrain validation.
const OPENAPI_ONLY: &[&str] = &[
    "nullable",
    "discriminator",
    "xml",
    "externalDocs",
    "example",
];

/// Converts one OpenAPI 3.0 Schema Object to JSON Schema draft 7.
pub fn to_json_schema(schema: &Value) -> Value {
    let Value::Object(src) = schema else {
        return schema.clone();
    };
    let mut out = Map::with_capacity(src.len());
    for (key, value) in src {
        if OPENAPI_ONLY.contains(&key.as_str()) || key.starts_with("x-") {
            continue;
        }
        let converted = match key.as_str() {
            "properties" => map_values(value),
            "items" | "additionalProperties" | "not" => to_json_schema(value),
            "allOf" | "anyOf" | "oneOf" => match value {
                Value::Array(items) => Value::Array(items.iter().map(to_json_schema).collect()),
                other => other.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    convert_exclusive_bound(&mut out, "exclusiveMinimum", "minimum");
    convert_exclusive_bound(&mut out, "exclusiveMaximum", "maximum");
    if src.get("nullable") == Some(&Value::Bool(true)) {
        make_nullable(&mut out);
    }
    Value::Object(out)
}

fn map_values(value: &Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), to_json_schema(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// OpenAPI 3.0: `exclusiveMinimum: true` qualifies `minimum`; draft 7 wants the bound itself.
fn convert_exclusive_bound(out: &mut Map<String, Value>, exclusive: &str, bound: &str) {
    match out.get(exclusive) {
        Some(Value::Bool(true)) => {
            if let Some(limit) = out.remove(bound) {
                out.insert(exclusive.into(), limit);
            } else {
                out.remove(exclusive);
            }
        }
        Some(Value::Bool(false)) => {
            out.remove(exclusive);
        }
        _ => {}
    }
}

fn make_nullable(out: &mut Map<String, Value>) {
    match out.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            out.insert("type".into(), serde_json::json!([t, "null"]));
        }
        Some(_) => {}
        None => {
            if out.contains_key("$ref") || out.contains_key("allOf") {
                // `nullable` beside a composition: null or whatever the rest allows.
                let rest = Value::Object(std::mem::take(out));
                out.insert(
                    "anyOf".into(),
                    serde_json::json!([{ "type": "null" }, rest]),
                );
                return;
            }
        }
    }
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn compile(schema: Value) -> Schema {
        Compiler::new(&json!({})).compile("/s", &schema).unwrap()
    }

    #[test]
    fn nullable_admits_null_and_keeps_the_type() {
        let s = compile(json!({"type": "string", "nullable": true, "enum": ["a"]}));
        assert!(s.is_valid(&json!(null)));
        assert!(s.is_valid(&json!("a")));
        assert!(!s.is_valid(&json!("b")));
        assert!(!s.is_valid(&json!(1)));
    }

    #[test]
    fn boolean_exclusive_bounds_become_numeric() {
        let s = compile(
            json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 10}),
        );
        assert!(!s.is_valid(&json!(0)));
        assert!(s.is_valid(&json!(1)));
        assert!(s.is_valid(&json!(10)));
        assert!(!s.is_valid(&json!(11)));
    }

    #[test]
    fn example_keyword_does_not_constrain() {
        let s = compile(json!({"type": "integer", "example": "not an integer"}));
        assert!(s.is_valid(&json!(3)));
    }

    #[test]
    fn component_refs_resolve_including_recursion() {
        let doc = json!({"components": {"schemas": {
            "Tree": {"type": "object", "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}}}}
        }}});
        let s = Compiler::new(&doc)
            .compile("/x", &json!({"$ref": "#/components/schemas/Tree"}))
            .unwrap();
        assert!(s.is_valid(&json!({"name": "a", "children": [{"name": "b"}]})));
        let v = s.violations(&json!({"children": [{"name": 5}]}));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].instance_pointer, "/children/0/name");
    }

    #[test]
    fn violations_keep_the_keyword_and_properties_of_the_typed_error_kind() {
        let s = compile(json!({"type": "object", "required": ["name"],
            "properties": {"port": {"type": "integer"}}, "additionalProperties": false}));
        let mut v = s.violations(&json!({"port": "80", "extra": 1}));
        v.sort_by(|a, b| a.keyword.cmp(&b.keyword));
        let kinds: Vec<(&str, &str, Vec<String>)> = v
            .iter()
            .map(|v| {
                (
                    v.keyword.as_str(),
                    v.instance_pointer.as_str(),
                    v.properties.clone(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("additionalProperties", "", vec!["extra".to_string()]),
                ("required", "", vec!["name".to_string()]),
                ("type", "/port", vec![]),
            ]
        );
    }
}
