//! Where Schema Objects stand in an OpenAPI 3.x document: the `schema` of
//! parameters, headers and media types, `components/schemas`, and whatever a
//! `$ref` inside a schema points at (anywhere in the document). Both the
//! dialect conversion and the pattern check walk what this finds, so every
//! schema any operation can reach is converted once, in place.

use std::collections::HashSet;

use serde_json::Value;

use super::document::push_token;

/// Keywords whose value is one subschema.
const ONE_SCHEMA: &[&str] = &[
    "items",
    "additionalItems",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
];

/// Keywords whose value maps names to subschemas.
const SCHEMA_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// Keywords whose value is a list of subschemas.
const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems", "items"];

/// Keys of OpenAPI objects whose values map user-chosen names to objects.
const NAME_MAPS: &[&str] = &[
    "paths",
    "webhooks",
    "responses",
    "parameters",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
    "content",
    "encoding",
    "pathItems",
];

/// The pointers of every Schema Object root in `doc`: no pointer returned
/// lies inside another, so converting each once converts every schema once.
pub fn schema_roots(doc: &Value) -> Vec<String> {
    let mut finder = Finder::default();
    finder.object(doc, &mut String::new(), false);
    loop {
        if let Some(mut pointer) = finder.pending_objects.pop() {
            if let Some(object) = doc.pointer(&pointer) {
                finder.object(object, &mut pointer, false);
            }
        } else if let Some(pointer) = finder.pending.pop() {
            if let Some(schema) = doc.pointer(&pointer) {
                finder.schema(schema);
            }
        } else {
            break;
        }
    }
    let mut roots: Vec<String> = finder.roots.into_iter().collect();
    roots.sort();
    let mut out: Vec<String> = Vec::with_capacity(roots.len());
    for root in roots {
        let inside = out.last().is_some_and(|last: &String| {
            root.len() > last.len() && root.starts_with(last.as_str()) && {
                root.as_bytes()[last.len()] == b'/'
            }
        });
        if !inside {
            out.push(root);
        }
    }
    out
}

/// Calls `visit` on `schema` and every subschema inside it, with its pointer
/// (`pointer` is the schema's own). Data keywords (`enum`, `const`,
/// `default`, `examples`) are not entered.
pub fn each_subschema_mut(
    schema: &mut Value,
    pointer: &mut String,
    visit: &mut impl FnMut(&str, &mut Value),
) {
    visit(pointer, schema);
    let Value::Object(map) = schema else { return };
    let depth = pointer.len();
    for (key, value) in map.iter_mut() {
        pointer.push('/');
        push_token(pointer, key);
        let key = key.as_str();
        match value {
            Value::Array(items) if SCHEMA_LISTS.contains(&key) => {
                let inner = pointer.len();
                for (i, item) in items.iter_mut().enumerate() {
                    pointer.push_str(&format!("/{i}"));
                    each_subschema_mut(item, pointer, visit);
                    pointer.truncate(inner);
                }
            }
            Value::Object(entries) if SCHEMA_MAPS.contains(&key) => {
                let inner = pointer.len();
                for (name, item) in entries.iter_mut() {
                    pointer.push('/');
                    push_token(pointer, name);
                    each_subschema_mut(item, pointer, visit);
                    pointer.truncate(inner);
                }
            }
            _ if ONE_SCHEMA.contains(&key) => each_subschema_mut(value, pointer, visit),
            _ => {}
        }
        pointer.truncate(depth);
    }
}

/// The document pointer a local `$ref` names (`#/a/b` → `/a/b`).
pub fn local_target(reference: &str) -> Option<String> {
    let fragment = reference.strip_prefix('#')?;
    Some(
        percent_encoding::percent_decode_str(fragment)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

#[derive(Default)]
struct Finder {
    roots: HashSet<String>,
    /// Schema roots found but not yet searched for `$ref`s.
    pending: Vec<String>,
    /// Non-schema objects reached through `$ref`, walked or to walk.
    objects: HashSet<String>,
    /// Those not yet walked.
    pending_objects: Vec<String>,
}

impl Finder {
    fn add_root(&mut self, pointer: String) {
        if self.roots.insert(pointer.clone()) {
            self.pending.push(pointer);
        }
    }

    /// Walks OpenAPI objects (not schemas) under `value`.
    fn object(&mut self, value: &Value, pointer: &mut String, names: bool) {
        let depth = pointer.len();
        match value {
            Value::Object(map) => {
                if !names && let Some(Value::String(reference)) = map.get("$ref") {
                    self.object_ref(reference);
                }
                for (key, child) in map {
                    pointer.push('/');
                    push_token(pointer, key);
                    let key = key.as_str();
                    if names {
                        self.object(child, pointer, false);
                    } else if key.starts_with("x-") || key == "example" || key == "examples" {
                    } else if key == "schema" {
                        self.add_root(pointer.clone());
                    } else if key == "schemas" && pointer_ends_with_components(pointer) {
                        self.schema_map(child, pointer);
                    } else {
                        self.object(child, pointer, NAME_MAPS.contains(&key));
                    }
                    pointer.truncate(depth);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    pointer.push_str(&format!("/{i}"));
                    self.object(item, pointer, false);
                    pointer.truncate(depth);
                }
            }
            _ => {}
        }
    }

    fn schema_map(&mut self, map: &Value, pointer: &mut String) {
        let Value::Object(entries) = map else { return };
        let depth = pointer.len();
        for name in entries.keys() {
            pointer.push('/');
            push_token(pointer, name);
            self.add_root(pointer.clone());
            pointer.truncate(depth);
        }
    }

    /// A `$ref` outside schemas: its target is an OpenAPI object, walked once.
    fn object_ref(&mut self, reference: &str) {
        if let Some(target) = local_target(reference)
            && self.objects.insert(target.clone())
        {
            self.pending_objects.push(target);
        }
    }

    /// Every `$ref` inside a schema makes its target a schema root.
    fn schema(&mut self, schema: &Value) {
        match schema {
            Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value) {
                        ("$ref", Value::String(r)) => {
                            if let Some(target) = local_target(r) {
                                self.add_root(target);
                            }
                        }
                        ("enum" | "const" | "default" | "example" | "examples", _) => {}
                        _ => self.schema(value),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.schema(v)),
            _ => {}
        }
    }
}

/// Whether `pointer` (ending in `/schemas`) is `components/schemas`.
fn pointer_ends_with_components(pointer: &str) -> bool {
    pointer.ends_with("/components/schemas")
}
