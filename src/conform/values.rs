//! Values from an OpenAPI schema as written: a sample that satisfies it,
//! boundary values that still do, and values that break exactly one of its
//! constraints. Local `$ref`s are followed in the spec's document. Nothing
//! here decides whether a value is valid: the caller keeps a candidate only
//! when the spec's compiled schema agrees ([`crate::spec::Schema::is_valid`]).

use serde_json::{Map, Value, json};

/// How deep a sample or a walk goes into nested schemas.
const MAX_DEPTH: usize = 6;

/// A spec's schemas, with `$ref`s followed in its document.
#[derive(Clone, Copy)]
pub(crate) struct Schemas<'d> {
    doc: &'d Value,
}

/// One value for a property, and what it tries.
#[derive(Debug, Clone)]
pub(crate) struct Variant {
    /// What the value tries: `minimum`, `wrong type`, ...
    pub what: String,
    /// The value; `None` removes the property.
    pub value: Option<Value>,
}

impl Variant {
    fn set(what: impl Into<String>, value: Value) -> Variant {
        Variant {
            what: what.into(),
            value: Some(value),
        }
    }
}

impl<'d> Schemas<'d> {
    /// The schemas of `doc`, a whole OpenAPI document.
    pub fn new(doc: &'d Value) -> Self {
        Schemas { doc }
    }

    /// `schema` with its `$ref` chain followed (a dangling one stays).
    pub fn resolve(&self, mut schema: &'d Value) -> &'d Value {
        for _ in 0..32 {
            let target = schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|pointer| self.doc.pointer(pointer));
            match target {
                Some(t) => schema = t,
                None => break,
            }
        }
        schema
    }

    /// The JSON type a schema names (the first but `null` of a list).
    pub fn json_type(&self, schema: &'d Value) -> Option<&'d str> {
        let schema = self.resolve(schema);
        match schema.get("type") {
            Some(Value::String(t)) => Some(t),
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
            _ if schema.get("properties").is_some() => Some("object"),
            _ => None,
        }
    }

    /// The properties of an object schema, `allOf` parts merged, in order.
    pub fn properties(&self, schema: &'d Value) -> Vec<(&'d str, &'d Value)> {
        let schema = self.resolve(schema);
        let mut out: Vec<(&str, &Value)> = Vec::new();
        for part in self.parts(schema) {
            if let Some(Value::Object(props)) = part.get("properties") {
                for (name, prop) in props {
                    if !out.iter().any(|(n, _)| n == name) {
                        out.push((name, prop));
                    }
                }
            }
        }
        out
    }

    /// The required property names of an object schema, `allOf` parts merged.
    pub fn required(&self, schema: &'d Value) -> Vec<&'d str> {
        let schema = self.resolve(schema);
        let mut out: Vec<&str> = Vec::new();
        for part in self.parts(schema) {
            let names = part.get("required").and_then(Value::as_array);
            for name in names.into_iter().flatten().filter_map(Value::as_str) {
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        out
    }

    /// Whether the object schema refuses properties it does not name.
    pub fn closed(&self, schema: &'d Value) -> bool {
        self.resolve(schema).get("additionalProperties") == Some(&Value::Bool(false))
    }

    /// The schema and each of its `allOf` parts, resolved.
    fn parts(&self, schema: &'d Value) -> Vec<&'d Value> {
        let mut out = vec![schema];
        let all = schema.get("allOf").and_then(Value::as_array);
        for part in all.into_iter().flatten() {
            out.extend(self.parts(self.resolve(part)));
        }
        out
    }

    /// A value the schema describes: its example, default or first enum
    /// value, else one built from its type and constraints (an object with
    /// its required properties, or every property when `all_fields`).
    /// `None` when nothing can be built (a `pattern` vouch cannot match).
    pub fn sample(&self, schema: &'d Value, all_fields: bool) -> Option<Value> {
        self.sample_at(schema, all_fields, 0)
    }

    fn sample_at(&self, schema: &'d Value, all_fields: bool, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let schema = self.resolve(schema);
        let given = ["example", "default", "const"]
            .iter()
            .find_map(|k| schema.get(*k))
            .or_else(|| schema.get("examples").and_then(|e| e.get(0)))
            .or_else(|| schema.get("enum").and_then(|e| e.get(0)));
        if let Some(value) = given {
            return Some(value.clone());
        }
        if let Some(Value::Array(choices)) = schema.get("oneOf").or_else(|| schema.get("anyOf")) {
            return choices
                .iter()
                .find_map(|c| self.sample_at(c, all_fields, depth + 1));
        }
        match self.json_type(schema)? {
            "object" => self.sample_object(schema, all_fields, depth),
            "array" => {
                let min = uint(schema, "minItems").unwrap_or(0);
                let count = if all_fields { min.max(1) } else { min };
                let item = match count {
                    0 => return Some(json!([])),
                    _ => self.sample_at(schema.get("items")?, all_fields, depth + 1)?,
                };
                Some(Value::Array(vec![item; count as usize]))
            }
            "string" => sample_string(schema),
            "integer" => Some(json!(number_in(schema).round() as i64)),
            "number" => Some(json!(number_in(schema))),
            "boolean" => Some(json!(true)),
            "null" => Some(Value::Null),
            _ => None,
        }
    }

    fn sample_object(&self, schema: &'d Value, all_fields: bool, depth: usize) -> Option<Value> {
        let required = self.required(schema);
        let mut out = Map::new();
        for (name, prop) in self.properties(schema) {
            let needed = required.contains(&name);
            if !needed && (!all_fields || read_only(self.resolve(prop))) {
                continue;
            }
            match self.sample_at(prop, all_fields, depth + 1) {
                Some(v) => {
                    out.insert(name.to_string(), v);
                }
                None if needed => return None,
                None => {}
            }
        }
        Some(Value::Object(out))
    }

    /// Values that keep to the property's constraints at their edges:
    /// `minimum`, `maximum`, the shortest and longest string, each enum value,
    /// and one drawn with `rng` inside a numeric range.
    pub fn boundaries(&self, schema: &'d Value, rng: &mut fastrand::Rng) -> Vec<Variant> {
        let schema = self.resolve(schema);
        let mut out = Vec::new();
        if let Some(Value::Array(values)) = schema.get("enum") {
            for v in values.iter().take(6) {
                out.push(Variant::set(format!("enum value {v}"), v.clone()));
            }
            return out;
        }
        let integer = self.json_type(schema) == Some("integer");
        match self.json_type(schema) {
            Some("integer" | "number") => {
                let (low, high) = (lower(schema), upper(schema));
                let num = |x: f64| if integer { json!(x as i64) } else { json!(x) };
                if let Some(low) = low {
                    out.push(Variant::set("minimum", num(low)));
                }
                if let Some(high) = high {
                    out.push(Variant::set("maximum", num(high)));
                }
                if let (Some(low), Some(high)) = (low, high)
                    && high > low
                {
                    let x = low + rng.f64() * (high - low);
                    out.push(Variant::set("a value in range", num(x.floor().max(low))));
                }
            }
            Some("string") if schema.get("pattern").is_none() && schema.get("format").is_none() => {
                if let Some(min) = uint(schema, "minLength") {
                    out.push(Variant::set("shortest string", json!(fill(min))));
                }
                if let Some(max) = uint(schema, "maxLength") {
                    out.push(Variant::set("longest string", json!(fill(max))));
                }
            }
            _ => {}
        }
        out
    }

    /// Values that each break one constraint of the property: its type, its
    /// enum, its range, its lengths, its pattern.
    pub fn breakers(&self, schema: &'d Value) -> Vec<Variant> {
        let schema = self.resolve(schema);
        let mut out = Vec::new();
        let wrong_type = match self.json_type(schema) {
            Some("string") => Some(json!(12345)),
            Some("integer" | "number") => Some(json!("not-a-number")),
            Some("boolean") => Some(json!("not-a-boolean")),
            Some("object" | "array") => Some(json!("not-a-structure")),
            _ => None,
        };
        if let Some(v) = wrong_type {
            out.push(Variant::set("wrong type", v));
        }
        if let Some(Value::Array(values)) = schema.get("enum") {
            let outside = match values.first() {
                Some(Value::Number(_)) => json!(987_654_321),
                _ => json!("vouch-not-in-enum"),
            };
            out.push(Variant::set("outside the enum", outside));
        }
        let integer = self.json_type(schema) == Some("integer");
        let step = if integer { 1.0 } else { 0.5 };
        let num = |x: f64| if integer { json!(x as i64) } else { json!(x) };
        if let Some(low) = lower(schema) {
            out.push(Variant::set("below the minimum", num(low - step)));
        }
        if let Some(high) = upper(schema) {
            out.push(Variant::set("above the maximum", num(high + step)));
        }
        if let Some(min) = uint(schema, "minLength").filter(|m| *m > 0) {
            out.push(Variant::set("shorter than minLength", json!(fill(min - 1))));
        }
        if let Some(max) = uint(schema, "maxLength").filter(|m| *m < 4096) {
            out.push(Variant::set("longer than maxLength", json!(fill(max + 1))));
        }
        if schema.get("pattern").is_some() {
            out.push(Variant::set(
                "breaking the pattern",
                json!("~!vouch pattern!~"),
            ));
        }
        out
    }
}

/// A string for a schema: its format's, else the shortest text its pattern
/// matches, else `vouch` fitted to its lengths.
fn sample_string(schema: &Value) -> Option<Value> {
    let by_format = match schema.get("format").and_then(Value::as_str) {
        Some("uuid") => Some("00000000-0000-4000-8000-000000000001"),
        Some("date-time") => Some("2024-01-01T00:00:00Z"),
        Some("date") => Some("2024-01-01"),
        Some("email") => Some("vouch@example.com"),
        Some("uri" | "url") => Some("https://example.com/vouch"),
        Some("ipv4") => Some("10.0.0.1"),
        Some("hostname") => Some("vouch.example.com"),
        _ => None,
    };
    if let Some(text) = by_format {
        return Some(json!(text));
    }
    if let Some(pattern) = schema.get("pattern") {
        return pattern
            .as_str()
            .and_then(crate::spec::pattern::shortest_match)
            .map(Value::String);
    }
    let min = uint(schema, "minLength").unwrap_or(0);
    let max = uint(schema, "maxLength").unwrap_or(u64::MAX);
    Some(json!(fill(5u64.clamp(min, max.max(min)))))
}

/// `n` characters: `vouch` repeated and cut.
fn fill(n: u64) -> String {
    "vouch"
        .chars()
        .cycle()
        .take(n.min(1 << 16) as usize)
        .collect()
}

/// A whole number a schema's keyword gives.
fn uint(schema: &Value, key: &str) -> Option<u64> {
    schema.get(key).and_then(Value::as_u64)
}

/// The smallest value the schema allows (OpenAPI 3.0's boolean
/// `exclusiveMinimum` or 3.1's number), for integers.
fn lower(schema: &Value) -> Option<f64> {
    match (schema.get("minimum"), schema.get("exclusiveMinimum")) {
        (_, Some(Value::Number(n))) => n.as_f64().map(|x| x + 1.0),
        (Some(Value::Number(n)), Some(Value::Bool(true))) => n.as_f64().map(|x| x + 1.0),
        (Some(Value::Number(n)), _) => n.as_f64(),
        _ => None,
    }
}

/// The largest value the schema allows, like [`lower`].
fn upper(schema: &Value) -> Option<f64> {
    match (schema.get("maximum"), schema.get("exclusiveMaximum")) {
        (_, Some(Value::Number(n))) => n.as_f64().map(|x| x - 1.0),
        (Some(Value::Number(n)), Some(Value::Bool(true))) => n.as_f64().map(|x| x - 1.0),
        (Some(Value::Number(n)), _) => n.as_f64(),
        _ => None,
    }
}

/// A number inside the schema's range: its minimum, else its maximum, else 1.
fn number_in(schema: &Value) -> f64 {
    lower(schema)
        .or_else(|| upper(schema).map(|h| h.min(1.0)))
        .unwrap_or(1.0)
}

/// Whether a property is only ever sent by the server.
fn read_only(schema: &Value) -> bool {
    schema.get("readOnly") == Some(&Value::Bool(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_follows_refs_and_keeps_to_required_fields() {
        let doc = json!({"components": {"schemas": {
            "Port": {"type": "object", "required": ["port"], "properties": {
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "name": {"type": "string", "maxLength": 3}}}}}});
        let schemas = Schemas::new(&doc);
        let port = json!({"$ref": "#/components/schemas/Port"});
        assert_eq!(schemas.sample(&port, false), Some(json!({"port": 1})));
        assert_eq!(
            schemas.sample(&port, true),
            Some(json!({"port": 1, "name": "vou"}))
        );
    }

    #[test]
    fn a_string_with_a_pattern_is_sampled_as_one_it_matches() {
        let doc = json!({});
        let sid = json!({"type": "string", "pattern": "^AC[0-9a-fA-F]{32}$"});
        let sample = Schemas::new(&doc).sample(&sid, false);
        assert_eq!(sample, Some(json!(format!("AC{}", "a".repeat(32)))));
        let unreadable = json!({"type": "string", "pattern": "(["});
        assert_eq!(Schemas::new(&doc).sample(&unreadable, false), None);
    }

    #[test]
    fn breakers_name_each_constraint_they_break() {
        let doc = json!({});
        let schema = json!({"type": "integer", "minimum": 1, "maximum": 10});
        let what: Vec<String> = Schemas::new(&doc)
            .breakers(&schema)
            .into_iter()
            .map(|v| format!("{} {}", v.what, v.value.unwrap_or_default()))
            .collect();
        assert_eq!(
            what,
            [
                "wrong type \"not-a-number\"",
                "below the minimum 0",
                "above the maximum 11"
            ]
        );
    }
}
