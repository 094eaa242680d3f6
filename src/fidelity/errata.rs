//! Known drift: a difference is "known" when an `x-errata` entry records it.
//!
//! The rule is deliberately simple. The entries considered are those on the
//! operation itself and on every component it references, directly or
//! through other components (its parameters, responses and schemas). An
//! entry covers a difference when its text (`document` and `actual`, or the
//! entry itself when it is a string) mentions the difference's subject as a
//! whole word, ignoring case:
//! - status: the live status code;
//! - field added or removed, type or value changed: the field's name (the
//!   last part of the pointer that is not an array index);
//! - content type: the live media type;
//! - header: the header's name;
//! - validity: the field's name, or a property the violation quotes.
//!
//! Latency and steps answered on one side only are never known.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Difference, Kind};
use crate::spec::{Operation, Spec};

/// How many components are followed from one operation.
const MAX_COMPONENTS: usize = 500;

/// JSON types, which violation messages quote but which name no field.
const TYPE_NAMES: [&str; 7] = [
    "string", "integer", "number", "boolean", "array", "object", "null",
];

/// Sets `known` on every scored difference that an erratum of `op` covers.
pub(super) fn mark(spec: &Spec, op: &Operation, differences: &mut [Difference]) {
    let errata = relevant(spec, op);
    for d in differences.iter_mut().filter(|d| d.kind.scored()) {
        let subjects = subjects(d);
        d.known = errata
            .iter()
            .find(|(_, text)| subjects.iter().any(|s| mentions(text, s)))
            .map(|(pointer, _)| pointer.clone());
    }
}

/// (pointer, text) of the errata on `op` and the components it references.
fn relevant(spec: &Spec, op: &Operation) -> Vec<(String, String)> {
    let mut scopes = referenced(&spec.document.value, &op.raw);
    scopes.insert(op.pointer.clone());
    spec.errata()
        .into_iter()
        .filter(|(pointer, _)| {
            scopes.iter().any(|s| {
                pointer
                    .strip_prefix(s.as_str())
                    .is_some_and(|r| r.starts_with('/'))
            })
        })
        .map(|(pointer, entry)| (pointer, text_of(entry)))
        .collect()
}

/// The pointers of every local `$ref` reachable from `value`.
fn referenced(doc: &Value, value: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut pending = vec![value];
    while let Some(v) = pending.pop() {
        match v {
            Value::Object(map) => {
                let target = map
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix('#'));
                if let Some(target) = target
                    && found.len() < MAX_COMPONENTS
                    && found.insert(target.to_string())
                    && let Some(component) = doc.pointer(target)
                {
                    pending.push(component);
                }
                pending.extend(map.values());
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    found
}

fn text_of(entry: &Value) -> String {
    match entry {
        Value::String(s) => s.clone(),
        Value::Object(map) => ["document", "actual"]
            .iter()
            .filter_map(|k| map.get(*k).and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

/// The words an erratum must mention to cover `d`.
fn subjects(d: &Difference) -> Vec<String> {
    match d.kind {
        Kind::Status | Kind::ContentType => vec![d.live.clone()],
        Kind::Header => vec![d.pointer.clone()],
        Kind::FieldAdded | Kind::FieldRemoved | Kind::TypeChanged | Kind::ValueChanged => {
            field_name(&d.pointer).into_iter().collect()
        }
        Kind::Validity => {
            let mut names: Vec<String> = field_name(&d.pointer).into_iter().collect();
            names.extend(quoted(&d.mock).chain(quoted(&d.live)));
            names
        }
        Kind::Latency | Kind::NotCompared => Vec::new(),
    }
}

/// The last token of `pointer` that is not an array index, unescaped.
pub(crate) fn field_name(pointer: &str) -> Option<String> {
    pointer
        .rsplit('/')
        .find(|t| !t.is_empty() && !t.bytes().all(|b| b.is_ascii_digit()))
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
}

/// Words in double quotes that could be property names.
fn quoted(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter(|w| {
            !w.is_empty()
                && !TYPE_NAMES.contains(w)
                && w.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        })
        .map(str::to_string)
}

/// Whether `text` holds `word` with no letter, digit or `_` on either side (ignoring case).
fn mentions(text: &str, word: &str) -> bool {
    let (text, word) = (text.to_lowercase(), word.to_lowercase());
    if word.is_empty() {
        return false;
    }
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    text.match_indices(&word).any(|(at, _)| {
        !is_word(text[..at].chars().next_back()) && !is_word(text[at + word.len()..].chars().next())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_must_stand_alone() {
        assert!(mentions("The field is `protocol` now.", "protocol"));
        assert!(mentions("answers 400 with APIC.7200", "400"));
        assert!(!mentions("the protocols", "protocol"));
        assert!(!mentions("port_alias", "port"));
        assert!(!mentions("anything", ""));
    }

    #[test]
    fn the_field_is_the_last_named_token() {
        assert_eq!(
            field_name("/inventories/0/usedPorts/3").as_deref(),
            Some("usedPorts")
        );
        assert_eq!(field_name("/a~1b").as_deref(), Some("a/b"));
        assert_eq!(field_name("/0"), None);
        assert_eq!(field_name(""), None);
    }

    #[test]
    fn violations_name_their_properties_but_not_types() {
        let names: Vec<String> = quoted(
            r#"invalid: schema: expected x, got "protocol" is a required property, not "string""#,
        )
        .collect();
        assert_eq!(names, ["protocol"]);
    }
}
