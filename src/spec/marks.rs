//! The marks a spec puts on its answers for `vouch fidelity` and `vouch
//! lint`: `x-errata` entries and the differences each one `explains`,
//! `x-guess` on operations (a list of guessed subjects) and on schemas (the
//! reason, as text), and `x-free-text: true` on schemas whose text the
//! vendor does not fix. Parsed from the document; [`problems`] checks their
//! shape when a spec loads, naming file, line and field.
//!
//! A subject names one kind of difference between two answers:
//! `{class: status, status: [400, 404]}` (both answers among these),
//! `{class: value, pointer: /error_code, values: [...]}` (a body field and
//! everything under it; `*` stands for any one token), `{class: header,
//! header: X-Request-Id}`, `{class: content-type}`. `operation:` names the
//! operationId when the entry does not sit on the operation itself.

use std::path::Path;

use serde_json::{Map, Value};

use super::document::child_pointer;
use super::{Document, Problem, problem_at};

/// The classes of difference a subject can name.
pub const CLASSES: [&str; 8] = [
    "status",
    "field-added",
    "field-removed",
    "type",
    "value",
    "order",
    "content-type",
    "header",
];

/// The keys a subject may have.
const SUBJECT_KEYS: [&str; 6] = [
    "class",
    "operation",
    "pointer",
    "status",
    "header",
    "values",
];

/// HTTP methods, which name an operation under a path item.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One difference an erratum explains or a guess covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    /// One of [`CLASSES`].
    pub class: String,
    /// The operationId, when the entry names it (else: where the entry sits).
    pub operation: Option<String>,
    /// A JSON pointer into the body (`*` for any one token); covers everything under it.
    pub pointer: Option<String>,
    /// For `status`: the statuses both answers fall among.
    pub status: Vec<u16>,
    /// For `header`: the header's name.
    pub header: Option<String>,
    /// When given, both answers' values are among these.
    pub values: Vec<Value>,
}

/// An `x-errata` entry or an operation's `x-guess` entry, with its subjects.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// JSON pointer of the entry.
    pub pointer: String,
    /// JSON pointer of the object the entry sits on (an operation, a component, the root).
    pub holder: String,
    /// The entry's words: an erratum's `actual`, a guess's `guess`.
    pub text: String,
    /// What it explains (errata) or covers (guesses); empty: nothing.
    pub subjects: Vec<Subject>,
}

/// Every `x-errata` entry of `doc`, with the subjects it `explains`
/// (entries with the wrong shape are left out: [`problems`] reports them).
pub fn errata(doc: &Document) -> Vec<Entry> {
    entries(doc, "x-errata", "actual", "explains")
}

/// Every entry of the operations' `x-guess` lists.
pub fn guesses(doc: &Document) -> Vec<Entry> {
    entries(doc, "x-guess", "guess", "subjects")
        .into_iter()
        .filter(|e| is_operation(&e.holder))
        .collect()
}

fn entries(doc: &Document, extension: &str, text_key: &str, subjects_key: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    for (holder, list) in extensions(&doc.value, extension) {
        for (i, entry) in list.as_array().into_iter().flatten().enumerate() {
            let Some(map) = entry.as_object() else {
                continue;
            };
            let pointer = format!("{}/{i}", child_pointer(&holder, extension));
            let subjects = map
                .get(subjects_key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|s| subject(s).ok())
                .collect();
            out.push(Entry {
                pointer,
                holder: holder.clone(),
                text: map
                    .get(text_key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                subjects,
            });
        }
    }
    out
}

/// (pointer of the holding object, value) of every `name` key anywhere in `value`.
pub fn extensions<'v>(value: &'v Value, name: &str) -> Vec<(String, &'v Value)> {
    let mut out = Vec::new();
    let mut pending = vec![(String::new(), value)];
    while let Some((pointer, v)) = pending.pop() {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    if k == name {
                        out.push((pointer.clone(), child));
                    } else {
                        pending.push((child_pointer(&pointer, k), child));
                    }
                }
            }
            Value::Array(items) => pending.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (format!("{pointer}/{i}"), c)),
            ),
            _ => {}
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Whether `pointer` is that of an Operation Object (`/paths/~1x/get`).
pub fn is_operation(pointer: &str) -> bool {
    let tokens: Vec<&str> = pointer.split('/').collect();
    matches!(tokens.as_slice(), ["", "paths", _, method] if METHODS.contains(method))
}

/// A subject, or what is wrong with it (the field and the rule).
fn subject(value: &Value) -> Result<Subject, (String, String)> {
    let map = value.as_object().ok_or_else(|| {
        (
            String::new(),
            "a subject is a mapping such as `{class: value, pointer: /data/x}`".to_string(),
        )
    })?;
    if let Some(unknown) = map.keys().find(|k| !SUBJECT_KEYS.contains(&k.as_str())) {
        return Err((
            unknown.clone(),
            format!(
                "unknown subject field `{unknown}` (expected {})",
                SUBJECT_KEYS.join(", ")
            ),
        ));
    }
    let text = |key: &str| -> Result<Option<String>, (String, String)> {
        match map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(_) => Err((key.into(), format!("`{key}` must be a non-empty string"))),
        }
    };
    let class = text("class")?.ok_or_else(|| {
        (
            "class".to_string(),
            format!("a subject needs `class` ({})", CLASSES.join(", ")),
        )
    })?;
    if !CLASSES.contains(&class.as_str()) {
        let why = if class == "validity" {
            "a live answer that breaks the contract is never explained"
        } else {
            "unknown class"
        };
        return Err((
            "class".into(),
            format!("`{class}`: {why} (expected {})", CLASSES.join(", ")),
        ));
    }
    let pointer = match map.get("pointer") {
        None => None,
        Some(Value::String(p)) if p.is_empty() || p.starts_with('/') => Some(p.clone()),
        Some(other) => {
            return Err((
                "pointer".into(),
                format!(
                    "{other} is not a JSON pointer (\"\" for the whole body, else it starts with /)"
                ),
            ));
        }
    };
    let subject = Subject {
        operation: text("operation")?,
        pointer,
        status: statuses(map)?,
        header: text("header")?,
        values: match map.get("values") {
            None => Vec::new(),
            Some(Value::Array(v)) if !v.is_empty() => v.clone(),
            Some(_) => return Err(("values".into(), "`values` must be a non-empty list".into())),
        },
        class,
    };
    required_fields(&subject)?;
    Ok(subject)
}

fn statuses(map: &Map<String, Value>) -> Result<Vec<u16>, (String, String)> {
    let Some(list) = map.get("status") else {
        return Ok(Vec::new());
    };
    let wrong = || {
        (
            "status".to_string(),
            "`status` must list two or more HTTP statuses (100 to 599), e.g. [400, 404]"
                .to_string(),
        )
    };
    let codes: Vec<u16> = list
        .as_array()
        .ok_or_else(wrong)?
        .iter()
        .map(|c| {
            c.as_u64()
                .filter(|c| (100..=599).contains(c))
                .map(|c| c as u16)
        })
        .collect::<Option<_>>()
        .ok_or_else(wrong)?;
    if codes.len() < 2 {
        return Err(wrong());
    }
    Ok(codes)
}

/// Each class needs its own field.
fn required_fields(s: &Subject) -> Result<(), (String, String)> {
    let missing = |field: &str, example: &str| {
        Err((
            field.to_string(),
            format!("class `{}` needs `{field}` ({example})", s.class),
        ))
    };
    match s.class.as_str() {
        "status" if s.status.is_empty() => missing("status", "the statuses, e.g. [400, 404]"),
        "header" if s.header.is_none() => missing("header", "the header's name"),
        "field-added" | "field-removed" | "type" | "value" | "order" if s.pointer.is_none() => {
            missing(
                "pointer",
                "a JSON pointer into the body, e.g. /data/bean/protocol",
            )
        }
        _ => Ok(()),
    }
}

/// Every mark of the wrong shape in `document`, located in `file`:
/// `x-errata` and operation `x-guess` lists, their subjects (an
/// `operation` must name one of `operation_ids`), schema `x-guess` reasons
/// and `x-free-text` flags.
pub fn problems(file: &Path, document: &Document, operation_ids: &[&str]) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut report = |pointer: &str, message: String| {
        out.push(problem_at(file, document, pointer, message));
    };
    let value = &document.value;
    for (holder, list) in extensions(value, "x-errata") {
        let at = child_pointer(&holder, "x-errata");
        entry_list(&at, list, "document", "actual", "explains", false)
            .into_iter()
            .for_each(|(p, m)| report(&p, m));
        subject_operations(&at, list, "explains", operation_ids, &mut report);
    }
    for (holder, mark) in extensions(value, "x-guess") {
        let at = child_pointer(&holder, "x-guess");
        if is_operation(&holder) {
            entry_list(&at, mark, "guess", "guess", "subjects", true)
                .into_iter()
                .for_each(|(p, m)| report(&p, m));
            subject_operations(&at, mark, "subjects", operation_ids, &mut report);
        } else if mark.as_str().is_none_or(|s| s.trim().is_empty()) {
            report(
                &at,
                "`x-guess` on a schema is the reason, as text (on an operation: a list of `{guess, subjects}`)".into(),
            );
        }
    }
    for (holder, mark) in extensions(value, "x-free-text") {
        if !mark.is_boolean() {
            report(
                &child_pointer(&holder, "x-free-text"),
                "`x-free-text` is `true` or `false`".into(),
            );
        }
    }
    out
}

/// The shape problems of one `x-errata` or operation `x-guess` list at `at`.
fn entry_list(
    at: &str,
    list: &Value,
    first: &str,
    second: &str,
    subjects_key: &str,
    needs_subjects: bool,
) -> Vec<(String, String)> {
    let Some(items) = list.as_array() else {
        return vec![(
            at.to_string(),
            format!("must be a list of `{{{first}, {second}, {subjects_key}}}` mappings"),
        )];
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let here = format!("{at}/{i}");
        let Some(map) = item.as_object() else {
            out.push((
                here,
                format!("an entry is a mapping with `{first}`, `{second}` and `{subjects_key}`"),
            ));
            continue;
        };
        for key in [first, second] {
            if map
                .get(key)
                .and_then(Value::as_str)
                .is_none_or(|s| s.trim().is_empty())
            {
                out.push((here.clone(), format!("the entry needs `{key}` (text)")));
            }
        }
        match map.get(subjects_key) {
            None if needs_subjects => out.push((
                here.clone(),
                format!("the entry needs `{subjects_key}`: the subjects it covers"),
            )),
            None => {}
            Some(Value::Array(subjects)) => {
                for (j, s) in subjects.iter().enumerate() {
                    if let Err((field, message)) = subject(s) {
                        let subject_at = format!("{here}/{subjects_key}/{j}");
                        let pointer = if field.is_empty() || s.get(&field).is_none() {
                            subject_at
                        } else {
                            child_pointer(&subject_at, &field)
                        };
                        out.push((
                            pointer,
                            format!("`{subjects_key}` field `{field}`: {message}"),
                        ));
                    }
                }
            }
            Some(_) => out.push((
                child_pointer(&here, subjects_key),
                format!("`{subjects_key}` must be a list of subjects"),
            )),
        }
    }
    out
}

/// A subject's `operation` must name an operation of the spec.
fn subject_operations(
    at: &str,
    list: &Value,
    subjects_key: &str,
    operation_ids: &[&str],
    report: &mut impl FnMut(&str, String),
) {
    for (i, item) in list.as_array().into_iter().flatten().enumerate() {
        let subjects = item.get(subjects_key).and_then(Value::as_array);
        for (j, s) in subjects.into_iter().flatten().enumerate() {
            if let Some(id) = s.get("operation").and_then(Value::as_str)
                && !operation_ids.contains(&id)
            {
                report(
                    &format!("{at}/{i}/{subjects_key}/{j}/operation"),
                    format!("`operation` field: `{id}` is no operationId of this spec"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Vec<String> {
        let doc = Document::parse(yaml).expect("yaml");
        problems(Path::new("s.yaml"), &doc, &["v.get"])
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_well_formed_erratum_and_guess_pass() {
        let yaml = "paths:\n  /x:\n    get:\n      operationId: v.get\n      x-errata:\n        - document: a\n          actual: b\n          explains:\n            - {class: value, pointer: /a/*/b}\n      x-guess:\n        - guess: 400 or 404\n          subjects: [{class: status, status: [400, 404]}]\ncomponents:\n  schemas:\n    E:\n      x-guess: the order\n      x-free-text: true\n";
        assert_eq!(check(yaml), Vec::<String>::new());
        let doc = Document::parse(yaml).unwrap();
        assert_eq!(
            errata(&doc)[0].subjects[0].pointer.as_deref(),
            Some("/a/*/b")
        );
        assert_eq!(guesses(&doc)[0].subjects[0].status, [400, 404]);
    }

    #[test]
    fn a_bad_subject_is_named_with_its_line_and_field() {
        let yaml = "paths:\n  /x:\n    get:\n      x-errata:\n        - document: a\n          actual: b\n          explains:\n            - {class: validity, pointer: /a}\n            - {class: value}\n            - {class: status, status: [400], operation: v.nope}\n";
        let found = check(yaml);
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(
            found[0].starts_with("s.yaml:8: `explains` field `class`: `validity`"),
            "{found:?}"
        );
        assert!(
            found[1].contains("s.yaml:9:") && found[1].contains("needs `pointer`"),
            "{found:?}"
        );
        assert!(
            found[2].contains("s.yaml:10:") && found[2].contains("`status` must list"),
            "{found:?}"
        );
        assert!(found[3].contains("v.nope"), "{found:?}");
    }

    #[test]
    fn marks_of_the_wrong_type_are_refused() {
        let yaml = "paths:\n  /x:\n    get:\n      x-guess: maybe\ncomponents:\n  schemas:\n    E: {x-free-text: yes please, x-guess: [1]}\nx-errata: {document: a}\n";
        let found = check(yaml);
        assert_eq!(found.len(), 4, "{found:?}");
    }
}
