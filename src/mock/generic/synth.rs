//! Values made from a schema where the spec gives no example: what the
//! generic mock answers instead of an empty body. The schema's own
//! `example`, `examples`, `default`, `const` or first `enum` value is taken
//! where present; otherwise a plain value of the declared type and format
//! within the declared bounds. Local `$ref`s are followed (to a fixed depth,
//! so recursive schemas end). The caller validates the result against the
//! compiled schema: a keyword this module does not honour shows up there,
//! not as a wrong answer. A string with a `pattern` is the shortest text the
//! pattern matches (Twilio's `^AC[0-9a-fA-F]{32}$` gives `AC` and 32 `a`s).

use serde_json::{Map, Value, json};

use crate::mock::random;

/// Which properties of an object are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// Every declared property (write-only ones excepted): a whole answer.
    All,
    /// Only required and read-only properties: the fields a server sets.
    ServerSet,
}

/// How deep `$ref`s and nesting are followed.
const MAX_DEPTH: usize = 8;

/// A value for `schema`, its `$ref`s resolved in `doc`.
pub fn value(doc: &Value, schema: &Value, fill: Fill) -> Value {
    Maker { doc, fill }.make(schema, 0)
}

/// `schema` with a top-level local `$ref` followed (repeatedly), and the
/// objects of its `allOf` merged into it: what a property lookup needs.
pub fn resolved(doc: &Value, schema: &Value) -> Value {
    let target = follow(doc, schema, 0);
    let Some(all) = target.get("allOf").and_then(Value::as_array) else {
        return target.clone();
    };
    let mut merged = target.as_object().cloned().unwrap_or_default();
    merged.remove("allOf");
    for part in all {
        if let Value::Object(part) = resolved(doc, part) {
            merge_schema(&mut merged, part);
        }
    }
    Value::Object(merged)
}

/// The schema of property `name` of an object schema, if it declares one.
pub fn property<'s>(schema: &'s Value, name: &str) -> Option<&'s Value> {
    schema.get("properties")?.get(name)
}

/// `schema` after following local `$ref`s at its top.
fn follow<'d>(doc: &'d Value, schema: &'d Value, depth: usize) -> &'d Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) if depth < MAX_DEPTH => match local(doc, reference) {
            Some(target) => follow(doc, target, depth + 1),
            None => schema,
        },
        _ => schema,
    }
}

/// The target of a `#/json/pointer` reference in `doc`.
fn local<'d>(doc: &'d Value, reference: &str) -> Option<&'d Value> {
    let pointer = reference.strip_prefix('#')?;
    let decoded = percent_decoded(pointer);
    doc.pointer(&decoded)
}

fn percent_decoded(text: &str) -> String {
    if !text.contains('%') {
        return text.to_string();
    }
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Adds `part`'s keywords to `merged`: properties and required are united.
fn merge_schema(merged: &mut Map<String, Value>, part: Map<String, Value>) {
    for (key, value) in part {
        match (key.as_str(), merged.get_mut(&key), value) {
            ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => mine.extend(theirs),
            ("required", Some(Value::Array(mine)), Value::Array(theirs)) => mine.extend(
                theirs
                    .into_iter()
                    .filter(|t| !mine.contains(t))
                    .collect::<Vec<_>>(),
            ),
            (_, Some(_), _) => {}
            (_, None, value) => {
                merged.insert(key, value);
            }
        }
    }
}

struct Maker<'d> {
    doc: &'d Value,
    fill: Fill,
}

impl Maker<'_> {
    fn make(&self, schema: &Value, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        let schema = follow(self.doc, schema, 0);
        if let Some(given) = given_value(schema) {
            return given;
        }
        if schema.get("allOf").is_some() {
            return self.make(&resolved(self.doc, schema), depth + 1);
        }
        let branch = ["oneOf", "anyOf"]
            .iter()
            .find_map(|k| schema.get(*k).and_then(Value::as_array)?.first());
        if let Some(branch) = branch {
            return self.make(branch, depth + 1);
        }
        match json_type(schema) {
            Some("object") => self.object(schema, depth),
            Some("array") => self.array(schema, depth),
            Some("string") => Value::String(string(schema)),
            Some("integer") => Value::from(integer(schema)),
            Some("number") => number(schema),
            Some("boolean") => Value::Bool(true),
            Some("null") => Value::Null,
            _ => Value::Null,
        }
    }

    fn object(&self, schema: &Value, depth: usize) -> Value {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Map::new();
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return Value::Object(out);
        };
        for (name, property) in properties {
            let property_schema = follow(self.doc, property, 0);
            let flag = |k: &str| property_schema.get(k).and_then(Value::as_bool) == Some(true);
            let wanted = required.contains(&name.as_str())
                || match self.fill {
                    Fill::All => !flag("writeOnly") && depth < 3,
                    Fill::ServerSet => flag("readOnly"),
                };
            if wanted {
                out.insert(name.clone(), self.make(property, depth + 1));
            }
        }
        Value::Object(out)
    }

    fn array(&self, schema: &Value, depth: usize) -> Value {
        let min = bound(schema, "minItems").unwrap_or(0.0) as usize;
        let max = bound(schema, "maxItems").map_or(usize::MAX, |m| m as usize);
        let count = min.max(1).min(max).min(16);
        let items = schema.get("items").cloned().unwrap_or(json!({}));
        Value::Array((0..count).map(|_| self.make(&items, depth + 1)).collect())
    }
}

/// The value the schema itself gives: `const`, `example`, `examples`, `default`, first `enum`.
fn given_value(schema: &Value) -> Option<Value> {
    schema
        .get("const")
        .or_else(|| schema.get("example"))
        .or_else(|| schema.get("examples").and_then(|e| e.as_array()?.first()))
        .or_else(|| schema.get("default"))
        .or_else(|| schema.get("enum").and_then(|e| e.as_array()?.first()))
        .cloned()
}

/// The one type a schema names (the first that is not `null` in a 3.1
/// type array), or `object` when it has properties.
pub fn json_type(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .or(Some("null")),
        _ if schema.get("properties").is_some() => Some("object"),
        _ if schema.get("items").is_some() => Some("array"),
        _ => None,
    }
}

fn bound(schema: &Value, key: &str) -> Option<f64> {
    schema.get(key).and_then(Value::as_f64)
}

/// A string of the declared pattern, else of the declared format, and of the declared length.
fn string(schema: &Value) -> String {
    let matching = schema
        .get("pattern")
        .and_then(Value::as_str)
        .and_then(crate::spec::pattern::shortest_match);
    if let Some(text) = matching {
        return text;
    }
    let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
    let text = match format {
        "date-time" => "2024-01-01T00:00:00Z".to_string(),
        "date" => "2024-01-01".to_string(),
        "time" => "00:00:00Z".to_string(),
        "uuid" => random::uuid(),
        "email" => "user@example.com".to_string(),
        "uri" | "url" | "uri-reference" | "iri" => "https://example.com/".to_string(),
        "hostname" => "example.com".to_string(),
        "ipv4" => "192.0.2.1".to_string(),
        "ipv6" => "2001:db8::1".to_string(),
        "byte" => "dm91Y2g=".to_string(),
        _ => "string".to_string(),
    };
    let min = bound(schema, "minLength").unwrap_or(0.0) as usize;
    let max = bound(schema, "maxLength").map_or(usize::MAX, |m| m as usize);
    let mut text: String = text.chars().take(max).collect();
    while text.chars().count() < min {
        text.push('x');
    }
    text
}

/// The lowest integer the bounds allow (1 when they allow it), a multiple
/// of `multipleOf` where one is declared.
pub fn integer(schema: &Value) -> i64 {
    let (low, high) = integer_range(schema);
    let start = 1_i64.clamp(low, high.max(low));
    match schema.get("multipleOf").and_then(Value::as_i64) {
        Some(step) if step > 0 => {
            let up = start.div_euclid(step) * step;
            if up < start { up + step } else { up }
        }
        _ => start,
    }
}

/// The integers the schema's bounds and format allow, inclusive.
pub fn integer_range(schema: &Value) -> (i64, i64) {
    let (mut low, mut high) = match schema.get("format").and_then(Value::as_str) {
        Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
        // Integers a JSON reader of doubles keeps exactly.
        _ => (-(1 << 53) + 1, (1 << 53) - 1),
    };
    if let Some(min) = bound(schema, "minimum") {
        let exclusive = schema.get("exclusiveMinimum").and_then(Value::as_bool) == Some(true);
        low = low.max(min.ceil() as i64 + i64::from(exclusive && min.fract() == 0.0));
    }
    if let Some(min) = bound(schema, "exclusiveMinimum") {
        low = low.max(min.floor() as i64 + 1);
    }
    if let Some(max) = bound(schema, "maximum") {
        let exclusive = schema.get("exclusiveMaximum").and_then(Value::as_bool) == Some(true);
        high = high.min(max.floor() as i64 - i64::from(exclusive && max.fract() == 0.0));
    }
    if let Some(max) = bound(schema, "exclusiveMaximum") {
        high = high.min(max.ceil() as i64 - 1);
    }
    (low, high)
}

fn number(schema: &Value) -> Value {
    let (low, high) = integer_range(schema);
    let value = match schema.get("multipleOf").and_then(Value::as_f64) {
        Some(step) if step > 0.0 => (low.max(0) as f64 / step).ceil() * step,
        _ => 1_i64.clamp(low, high.max(low)) as f64,
    };
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_gets_its_properties_from_examples_types_and_refs() {
        let doc = json!({"components": {"schemas": {
            "Tag": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 8}}},
            "Pet": {"allOf": [
                {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "example": "doggie"}}},
                {"properties": {"id": {"type": "integer", "format": "int64", "minimum": 5},
                                "tag": {"$ref": "#/components/schemas/Tag"},
                                "born": {"type": "string", "format": "date"},
                                "secret": {"type": "string", "writeOnly": true},
                                "status": {"type": ["string", "null"], "enum": ["sold", "available"]}}}
            ]}
        }}});
        let pet = value(
            &doc,
            &json!({"$ref": "#/components/schemas/Pet"}),
            Fill::All,
        );
        assert_eq!(
            pet,
            json!({"name": "doggie", "id": 5, "tag": {"name": "stringxx"}, "born": "2024-01-01", "status": "sold"})
        );
        let server = value(
            &doc,
            &json!({"$ref": "#/components/schemas/Pet"}),
            Fill::ServerSet,
        );
        assert_eq!(server, json!({"name": "doggie"}));
    }

    #[test]
    fn recursive_schemas_end_and_arrays_respect_their_bounds() {
        let doc = json!({"components": {"schemas": {"Node": {"type": "object", "required": ["next"], "properties": {"next": {"$ref": "#/components/schemas/Node"}}}}}});
        let node = value(
            &doc,
            &json!({"$ref": "#/components/schemas/Node"}),
            Fill::All,
        );
        assert!(node.to_string().len() < 200, "{node}");
        let none = value(&doc, &json!({"type": "array", "maxItems": 0}), Fill::All);
        assert_eq!(none, json!([]));
        let three = value(
            &doc,
            &json!({"type": "array", "minItems": 3, "items": {"type": "boolean"}}),
            Fill::All,
        );
        assert_eq!(three, json!([true, true, true]));
    }

    #[test]
    fn integers_respect_bounds_formats_and_multiples() {
        assert_eq!(integer(&json!({"type": "integer"})), 1);
        assert_eq!(
            integer(&json!({"minimum": 10, "exclusiveMinimum": true})),
            11
        );
        assert_eq!(integer(&json!({"exclusiveMinimum": 10})), 11);
        assert_eq!(integer(&json!({"maximum": -3})), -3);
        assert_eq!(integer(&json!({"minimum": 7, "multipleOf": 5})), 10);
        assert_eq!(
            integer_range(&json!({"format": "int32"})).1,
            i64::from(i32::MAX)
        );
    }

    #[test]
    fn a_string_with_a_pattern_is_one_the_pattern_matches() {
        let sid = json!({"type": "string", "minLength": 34, "maxLength": 34, "pattern": "^AC[0-9a-fA-F]{32}$"});
        assert_eq!(string(&sid), format!("AC{}", "a".repeat(32)));
        let code = json!({"type": "string", "pattern": "^(GET|POST)-[a-z_]+\\.v\\d?$"});
        assert_eq!(string(&code), "GET-a.v");
        // A pattern that does not parse leaves the plain string.
        assert_eq!(
            string(&json!({"type": "string", "pattern": "(["})),
            "string"
        );
    }
}
