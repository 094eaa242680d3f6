//! Schema Objects compiled for validation. OpenAPI 3.0 schemas are turned into
//! JSON Schema draft 7 (`nullable`, boolean `exclusiveMinimum` and
//! `exclusiveMaximum`, OpenAPI-only keywords dropped); OpenAPI 3.1 schemas are
//! JSON Schema 2020-12 as written.
//!
//! The whole document, converted, is registered once per spec and every
//! compiled schema is a `$ref` into it: local references may point anywhere in
//! the document, recursive schemas work, components are not copied per
//! schema, and nothing is fetched from anywhere.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

use super::locate;

/// A compiled schema, with the pointer of its source in the spec.
#[derive(Clone)]
pub struct Schema {
    /// JSON pointer of the Schema Object in its spec.
    pub pointer: String,
    /// The OpenAPI schema as written (after following a top-level `$ref`).
    pub source: Arc<Value>,
    validator: Arc<Lazy>,
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
            // Every compiled schema is a `$ref` into its document: the rule is
            // named from the referenced schema.
            rule: rule_path(error.schema_path().as_str()),
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
            .get(&self.pointer)
            .map(|v| v.iter_errors(instance).map(|e| Violation::of(&e)).collect())
            .unwrap_or_default()
    }

    /// Whether `instance` is valid.
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.validator
            .get(&self.pointer)
            .is_none_or(|v| v.is_valid(instance))
    }

    /// Whether every text is valid: a plain `type: string` with nothing that
    /// constrains it (only annotations beside it). A parameter with such a
    /// schema needs no validation, which the mock's hot path skips.
    pub fn accepts_any_text(&self) -> bool {
        self.json_type() == Some("string")
            && self.source.as_object().is_some_and(|schema| {
                schema.keys().all(|k| {
                    k.starts_with("x-")
                        || matches!(
                            k.as_str(),
                            "type"
                                | "description"
                                | "title"
                                | "example"
                                | "examples"
                                | "default"
                                | "deprecated"
                                | "readOnly"
                                | "writeOnly"
                                | "nullable"
                        )
                })
            })
    }

    /// The JSON type the schema expects at its top level, if it names exactly one.
    pub fn json_type(&self) -> Option<&str> {
        self.source.get("type").and_then(Value::as_str)
    }
}

/// A schema path without the leading `/$ref` of the compiled wrapper.
fn rule_path(path: &str) -> String {
    path.strip_prefix("/$ref").unwrap_or(path).to_string()
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

/// Which meaning a document's Schema Objects carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAPI 3.0 (and Swagger 2.0, once converted): draft 4 with
    /// `nullable` and boolean exclusive bounds, converted to draft 7.
    OpenApi30,
    /// OpenAPI 3.1: JSON Schema 2020-12, as written.
    OpenApi31,
}

impl Dialect {
    fn draft(self) -> jsonschema::Draft {
        match self {
            Dialect::OpenApi30 => jsonschema::Draft::Draft7,
            Dialect::OpenApi31 => jsonschema::Draft::Draft202012,
        }
    }
}

/// A keyword vouch cannot honour and skips, with where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// JSON pointer of the keyword in the document.
    pub pointer: String,
    /// What was skipped and why.
    pub message: String,
}

/// Compiles the schemas of one document. The document, its schemas
/// converted to the dialect's JSON Schema draft, is registered once; each
/// schema is a reference into it, compiled when first used, so loading a
/// large document costs one pass over its schemas ([`Compiler::check`]),
/// not one compilation of every component per operation.
#[derive(Clone)]
pub struct Compiler {
    registered: Arc<Registered>,
}

struct Registered {
    registry: jsonschema::Registry<'static>,
    draft: jsonschema::Draft,
}

/// The URI the converted document is registered under.
const DOCUMENT_URI: &str = "vouch:///document";

/// Characters escaped when a JSON pointer becomes a URI fragment.
const FRAGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'\\')
    .add(b'^')
    .add(b'[')
    .add(b']');

/// `{"$ref": <the document>#<pointer>}`: the schema at `pointer`.
fn reference_to(pointer: &str) -> Value {
    let fragment = percent_encoding::utf8_percent_encode(pointer, FRAGMENT);
    serde_json::json!({ "$ref": format!("{DOCUMENT_URI}#{fragment}") })
}

impl Compiler {
    /// Prepares a compiler for the document `doc` read under `dialect`.
    /// Keywords that cannot be honoured (patterns the regex engine refuses,
    /// a `$ref` that is not a string) are dropped and returned, so one odd
    /// keyword never refuses a schema.
    pub fn new(doc: &Value, dialect: Dialect) -> Result<(Self, Vec<Skipped>), String> {
        let draft = dialect.draft();
        let mut converted = doc.clone();
        let mut skipped = Vec::new();
        let mut patterns = PatternCheck::new(draft);
        for root in locate::schema_roots(doc) {
            let Some(schema) = converted.pointer_mut(&root) else {
                continue;
            };
            if dialect == Dialect::OpenApi30 {
                *schema = to_json_schema(schema);
            }
            let mut pointer = root;
            locate::each_subschema_mut(schema, &mut pointer, &mut |at, node| {
                patterns.sanitize(at, node, &mut skipped);
            });
        }
        let registry = jsonschema::Registry::new()
            .draft(draft)
            .add(DOCUMENT_URI, converted)
            .and_then(|b| b.prepare())
            .map_err(|e| format!("the document's schemas cannot be indexed: {e}"))?;
        let registered = Arc::new(Registered { registry, draft });
        Ok((Self { registered }, skipped))
    }

    fn build(&self, root: &Value) -> Result<jsonschema::Validator, String> {
        jsonschema::options()
            .with_draft(self.registered.draft)
            .with_registry(&self.registered.registry)
            .build(root)
            .map_err(|e| format!("schema does not compile: {e}"))
    }

    /// The schema at `pointer` in the document; `source` is that schema as
    /// written. It compiles when first used.
    pub fn compile(&self, pointer: &str, source: &Value) -> Schema {
        Schema {
            pointer: pointer.to_string(),
            source: Arc::new(source.clone()),
            validator: Arc::new(Lazy {
                compiler: self.clone(),
                cell: OnceLock::new(),
            }),
        }
    }

    /// Compiles the schemas at `pointers` together, each component once,
    /// and returns those that do not compile, with why.
    pub fn check(&self, pointers: &[&str]) -> Vec<(String, String)> {
        let all: Vec<Value> = pointers.iter().map(|p| reference_to(p)).collect();
        if self.build(&serde_json::json!({ "anyOf": all })).is_ok() {
            return Vec::new();
        }
        // Only when something is wrong: find which, one by one.
        pointers
            .iter()
            .filter_map(|p| {
                self.build(&reference_to(p))
                    .err()
                    .map(|message| (p.to_string(), message))
            })
            .collect()
    }
}

/// A schema's validator, compiled on first use.
struct Lazy {
    compiler: Compiler,
    cell: OnceLock<Option<jsonschema::Validator>>,
}

impl Lazy {
    /// The validator; `None` when the schema does not compile (loading
    /// reports that, so a served spec never gets here).
    fn get(&self, pointer: &str) -> Option<&jsonschema::Validator> {
        self.cell
            .get_or_init(|| match self.compiler.build(&reference_to(pointer)) {
                Ok(v) => Some(v),
                Err(message) => {
                    tracing::warn!("{pointer}: {message}; not validated");
                    None
                }
            })
            .as_ref()
    }
}

/// Which regular expressions the validator's engine accepts, remembered per pattern.
struct PatternCheck {
    draft: jsonschema::Draft,
    known: HashMap<String, Option<String>>,
}

impl PatternCheck {
    fn new(draft: jsonschema::Draft) -> Self {
        Self {
            draft,
            known: HashMap::new(),
        }
    }

    /// Why the engine refuses `pattern`, or `None` when it accepts it.
    fn refusal(&mut self, pattern: &str) -> Option<String> {
        if let Some(known) = self.known.get(pattern) {
            return known.clone();
        }
        let refusal = jsonschema::options()
            .with_draft(self.draft)
            .build(&serde_json::json!({ "pattern": pattern }))
            .err()
            .map(|e| first_line(&e.to_string()));
        self.known.insert(pattern.to_string(), refusal.clone());
        refusal
    }

    /// Drops from `schema` (at `pointer`) the `pattern` and the
    /// `patternProperties` entries the engine refuses, and a `$ref` that is
    /// not a string, noting each.
    fn sanitize(&mut self, pointer: &str, schema: &mut Value, skipped: &mut Vec<Skipped>) {
        let Value::Object(map) = schema else { return };
        if map.get("$ref").is_some_and(|r| !r.is_string()) {
            skipped.push(Skipped {
                pointer: format!("{pointer}/$ref"),
                message: "`$ref` is not a string (in YAML an unquoted `#` starts a comment); the keyword is skipped".into(),
            });
            map.remove("$ref");
        }
        if let Some(Value::String(pattern)) = map.get("pattern")
            && let Some(why) = self.refusal(pattern)
        {
            skipped.push(Skipped {
                pointer: format!("{pointer}/pattern"),
                message: format!(
                    "pattern `{pattern}` is not supported by vouch's regex engine ({why}); the keyword is skipped"
                ),
            });
            map.remove("pattern");
        }
        if let Some(Value::Object(properties)) = map.get_mut("patternProperties") {
            let refused: Vec<(String, String)> = properties
                .keys()
                .filter_map(|p| self.refusal(p).map(|why| (p.clone(), why)))
                .collect();
            for (pattern, why) in refused {
                properties.remove(&pattern);
                skipped.push(Skipped {
                    pointer: format!("{pointer}/patternProperties"),
                    message: format!(
                        "patternProperties key `{pattern}` is not supported by vouch's regex engine ({why}); the entry is skipped"
                    ),
                });
            }
        }
    }
}

/// The first line of a message, for one-line warnings.
fn first_line(message: &str) -> String {
    message
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
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

    fn compile_in(schema: Value, dialect: Dialect) -> (Schema, Vec<Skipped>) {
        let doc = json!({"components": {"schemas": {"S": schema.clone()}}});
        let (compiler, skipped) = Compiler::new(&doc, dialect).unwrap();
        let compiled = compiler.compile("/components/schemas/S", &schema);
        (compiled, skipped)
    }

    fn compile(schema: Value) -> Schema {
        compile_in(schema, Dialect::OpenApi30).0
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
    fn only_a_plain_string_schema_accepts_any_text() {
        let plain = compile(json!({"type": "string", "description": "d", "example": "x"}));
        assert!(plain.accepts_any_text());
        for constrained in [
            json!({"type": "string", "pattern": "^a"}),
            json!({"type": "string", "format": "uuid"}),
            json!({"type": "string", "enum": ["a"]}),
            json!({"type": "string", "maxLength": 3}),
            json!({"type": "integer"}),
            json!({"$ref": "#/components/schemas/S"}),
        ] {
            assert!(
                !compile(constrained.clone()).accepts_any_text(),
                "{constrained}"
            );
        }
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
        let tree = doc.pointer("/components/schemas/Tree").unwrap();
        let s = Compiler::new(&doc, Dialect::OpenApi30)
            .unwrap()
            .0
            .compile("/components/schemas/Tree", tree);
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

    #[test]
    fn openapi_31_schemas_keep_their_2020_12_meaning() {
        let (s, _) = compile_in(
            json!({"type": ["string", "null"], "const": "a", "examples": ["b"]}),
            Dialect::OpenApi31,
        );
        assert!(s.is_valid(&json!("a")));
        assert!(!s.is_valid(&json!("b")));
        assert!(!s.is_valid(&json!(null)));
        let (s, _) = compile_in(json!({"type": ["integer", "null"]}), Dialect::OpenApi31);
        assert!(s.is_valid(&json!(null)));
        assert!(s.is_valid(&json!(3)));
        assert!(!s.is_valid(&json!("3")));
    }

    #[test]
    fn a_ref_with_siblings_applies_both_in_3_1() {
        let doc = json!({"components": {"schemas": {
            "Base": {"type": "object", "required": ["id"]},
            "Named": {"$ref": "#/components/schemas/Base", "required": ["name"]}
        }}});
        let named = doc.pointer("/components/schemas/Named").unwrap();
        let s = Compiler::new(&doc, Dialect::OpenApi31)
            .unwrap()
            .0
            .compile("/components/schemas/Named", named);
        assert!(s.is_valid(&json!({"id": 1, "name": "a"})));
        assert!(!s.is_valid(&json!({"id": 1})));
        assert!(!s.is_valid(&json!({"name": "a"})));
    }

    #[test]
    fn a_ref_may_point_into_a_parameter() {
        let doc = json!({"components": {
            "parameters": {"Limit": {"name": "limit", "in": "query",
                "schema": {"type": "integer", "maximum": 10}}},
            "schemas": {"Page": {"properties": {"size": {"$ref": "#/components/parameters/Limit/schema"}}}}
        }});
        let page = doc.pointer("/components/schemas/Page").unwrap();
        let s = Compiler::new(&doc, Dialect::OpenApi30)
            .unwrap()
            .0
            .compile("/components/schemas/Page", page);
        assert!(s.is_valid(&json!({"size": 10})));
        assert!(!s.is_valid(&json!({"size": 11})));
    }

    #[test]
    fn an_unsupported_pattern_is_skipped_with_a_note_and_the_rest_still_applies() {
        let (s, skipped) = compile_in(
            json!({"type": "object", "properties": {
                "name": {"type": "string", "pattern": "[^\\p\\{C\\}]*", "maxLength": 3},
                "code": {"type": "string", "pattern": "^[a-z]+$"}}}),
            Dialect::OpenApi30,
        );
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert_eq!(
            skipped[0].pointer,
            "/components/schemas/S/properties/name/pattern"
        );
        assert!(skipped[0].message.contains("[^\\p\\{C\\}]*"), "{skipped:?}");
        assert!(s.is_valid(&json!({"name": "abc", "code": "x"})));
        assert!(!s.is_valid(&json!({"name": "abcd"})));
        assert!(!s.is_valid(&json!({"code": "X1"})));
    }

    #[test]
    fn check_names_each_schema_that_does_not_compile() {
        let doc = json!({"components": {"schemas": {
            "Good": {"type": "string"},
            "Bad": {"type": "strin"}
        }}});
        let (compiler, _) = Compiler::new(&doc, Dialect::OpenApi30).unwrap();
        assert!(compiler.check(&["/components/schemas/Good"]).is_empty());
        let bad = compiler.check(&["/components/schemas/Good", "/components/schemas/Bad"]);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert_eq!(bad[0].0, "/components/schemas/Bad");
        assert!(bad[0].1.contains("does not compile"), "{bad:?}");
    }
}
