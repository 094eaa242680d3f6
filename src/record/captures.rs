//! Generated identifiers: a string the upstream answered (at least
//! [`MIN_ID_LEN`] characters, never sent before) that a later request uses
//! whole, as a path, query or header parameter or a body value, becomes a
//! `capture` on the step that first received it and a `{{variable}}` in
//! every later use. Credentials seen in a request and copied anywhere else
//! (a path, a comment, a value, an object key; as they are or escaped)
//! become `{{secret}}`, a variable the user passes with `--var`.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::draft::Draft;
use crate::fidelity::field_name;
use crate::redact::Redactor;
use crate::spec::document::child_pointer;

/// Shorter strings are not taken for identifiers.
pub(super) const MIN_ID_LEN: usize = 6;
/// Values inside responses are looked for down to this depth.
const MAX_DEPTH: usize = 64;
/// The variable standing for a credential copied into a request.
pub(super) const SECRET_VARIABLE: &str = "secret";

/// A value first answered by step `step` at `pointer`.
struct Generated {
    step: usize,
    pointer: String,
    /// Its variable, once a later request uses it.
    variable: Option<String>,
}

/// Adds captures and `{{variables}}` to `drafts`, in order.
pub(super) fn link(drafts: &mut [Draft], hider: &Redactor) {
    let mut sent: BTreeSet<String> = BTreeSet::new();
    let mut generated: HashMap<String, Generated> = HashMap::new();
    let mut used_names: BTreeSet<String> = ["run_id", SECRET_VARIABLE].map(String::from).into();
    for i in 0..drafts.len() {
        let mut uses = Vec::new();
        for value in request_values(&mut drafts[i]) {
            let text = value.as_str().unwrap_or_default().to_string();
            match generated.get_mut(&text) {
                Some(g) => {
                    let variable = g
                        .variable
                        .get_or_insert_with(|| fresh_name(&g.pointer, &mut used_names))
                        .clone();
                    uses.push((g.step, variable.clone(), g.pointer.clone()));
                    *value = Value::String(format!("{{{{{variable}}}}}"));
                }
                None => {
                    sent.insert(text);
                }
            }
        }
        for (step, variable, pointer) in uses {
            let capture = &mut drafts[step].capture;
            if !capture.iter().any(|(v, _)| *v == variable) {
                capture.push((variable, pointer));
            }
        }
        if let Some(response) = drafts[i].response.clone() {
            collect(&response, String::new(), 0, &mut |pointer, text| {
                // A value under a key that is a credential is not captured: its
                // pointer would be written.
                if text.chars().count() >= MIN_ID_LEN
                    && !sent.contains(text)
                    && !hider.finds(&pointer)
                {
                    generated.entry(text.to_string()).or_insert(Generated {
                        step: i,
                        pointer,
                        variable: None,
                    });
                }
            });
        }
    }
}

/// A variable name from the field a value came from (`ingress_port_id`), unique.
fn fresh_name(pointer: &str, used: &mut BTreeSet<String>) -> String {
    let field: String = field_name(pointer)
        .unwrap_or_else(|| "id".into())
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let base = if field.trim_matches('_').is_empty() {
        "id".to_string()
    } else {
        field
    };
    let mut name = base.clone();
    let mut n = 1;
    while used.contains(&name) {
        n += 1;
        name = format!("{base}_{n}");
    }
    used.insert(name.clone());
    name
}

/// Every string a request sends as a whole value: parameters, query values, body strings.
fn request_values(d: &mut Draft) -> Vec<&mut Value> {
    let mut out = Vec::new();
    strings_in_map(&mut d.params, &mut out);
    strings_in_map(&mut d.query, &mut out);
    if let Some(body) = &mut d.body {
        strings_in(body, 0, &mut out);
    }
    out
}

fn strings_in_map<'v>(map: &'v mut Map<String, Value>, out: &mut Vec<&'v mut Value>) {
    for v in map.values_mut() {
        strings_in(v, 0, out);
    }
}

fn strings_in<'v>(value: &'v mut Value, depth: usize, out: &mut Vec<&'v mut Value>) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::String(_) => out.push(value),
        Value::Array(items) => items.iter_mut().for_each(|v| strings_in(v, depth + 1, out)),
        Value::Object(map) => map.values_mut().for_each(|v| strings_in(v, depth + 1, out)),
        _ => {}
    }
}

/// Calls `found(pointer, text)` for every string in `value`, in document order.
fn collect(value: &Value, pointer: String, depth: usize, found: &mut impl FnMut(String, &str)) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::String(s) if !pointer.is_empty() => found(pointer, s),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect(v, format!("{pointer}/{i}"), depth + 1, found);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                collect(v, child_pointer(&pointer, k), depth + 1, found);
            }
        }
        _ => {}
    }
}

/// What finds the credentials the requests carried, in any escaped form
/// (percent-encoded in a path, JSON-escaped in a body), and replaces them with `{{secret}}`.
pub(super) fn secret_hider(drafts: &[Draft]) -> Redactor {
    let secrets: Vec<&str> = drafts
        .iter()
        .flat_map(|d| d.secrets.iter().map(String::as_str))
        .collect();
    Redactor::replacing_with(&secrets, &format!("{{{{{SECRET_VARIABLE}}}}}"))
}

/// Replaces every credential copied anywhere a step is written (path, name,
/// flags, parameters, query, body, object keys included) with `{{secret}}`;
/// whether any was found.
pub(super) fn hide_secrets(drafts: &mut [Draft], hider: &Redactor) -> bool {
    let mut found = false;
    for d in drafts.iter_mut() {
        for text in [&mut d.path, &mut d.name].into_iter().chain(&mut d.flags) {
            found |= hider.string(text);
        }
        for map in [&mut d.params, &mut d.query] {
            let mut value = Value::Object(std::mem::take(map));
            found |= hider.value(&mut value);
            if let Value::Object(hidden) = value {
                *map = hidden;
            }
        }
        if let Some(body) = &mut d.body {
            found |= hider.value(body);
        }
    }
    found
}
