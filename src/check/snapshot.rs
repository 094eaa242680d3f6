//! Snapshots of responses in insta's file format, so `cargo insta review`
//! works on them: status, content type and body, with volatile values
//! (schema properties marked `x-volatile`, and a step's own `redact`
//! selectors) and secrets replaced before comparison.

use std::path::Path;

use serde_json::Value;

use super::select::Selector;
use super::{Finding, Rule};
use crate::runner::Exchange;
use crate::spec::{Operation, Spec};

/// What replaces a volatile value.
pub const REDACTED: &str = "[redacted]";

/// The snapshot name of step `index` of scenario `id` (`rainbond/add-port` -> `rainbond__add-port__01`).
pub fn name(scenario_id: &str, index: usize) -> String {
    format!("{}__{:02}", scenario_id.replace('/', "__"), index + 1)
}

/// The snapshot text of an exchange.
pub fn render(
    routed: Option<(&Spec, &Operation)>,
    exchange: &Exchange,
    redactions: &[String],
    secrets: &[String],
) -> String {
    let content_type = exchange.content_type.as_deref().unwrap_or("(none)");
    let body = match exchange.json() {
        Some(mut json) => {
            if let Some((spec, op)) = routed {
                let pointers = volatile_in(spec, op, exchange.status, content_type, &json);
                redact(&mut json, &pointers);
            }
            for selector in redactions.iter().filter_map(|r| Selector::parse(r).ok()) {
                let pointers = selector.pointers(&json);
                redact(&mut json, &pointers);
            }
            serde_json::to_string_pretty(&json).unwrap_or_default()
        }
        None => exchange.body.clone(),
    };
    let text = format!(
        "status: {}\ncontent-type: {content_type}\nbody:\n{body}\n",
        exchange.status
    );
    secrets
        .iter()
        .fold(text, |t, s| t.replace(s.as_str(), "[secret]"))
}

fn redact(json: &mut Value, pointers: &[String]) {
    for p in pointers {
        if let Some(v) = json.pointer_mut(p) {
            *v = Value::String(REDACTED.into());
        }
    }
}

/// Pointers of the values in `json` that the schema `op` declares for
/// `status` and `content_type` marks `x-volatile: true` (shared with the
/// fidelity comparison, which ignores changes of volatile values).
pub(crate) fn volatile_in(
    spec: &Spec,
    op: &Operation,
    status: u16,
    content_type: &str,
    json: &Value,
) -> Vec<String> {
    let mut pointers = Vec::new();
    let schema = op
        .response_for(status)
        .and_then(|r| r.media_type(content_type))
        .and_then(|m| m.schema.as_ref());
    if let Some(schema) = schema {
        volatile_pointers(
            &spec.document.value,
            &schema.source,
            json,
            String::new(),
            0,
            &mut pointers,
        );
    }
    pointers
}

/// Pointers of every value in `instance` whose schema property says `x-volatile: true`.
fn volatile_pointers(
    doc: &Value,
    schema: &Value,
    instance: &Value,
    pointer: String,
    depth: usize,
    out: &mut Vec<String>,
) {
    if depth > 32 {
        return;
    }
    let schema = resolve(doc, schema);
    if schema.get("x-volatile") == Some(&Value::Bool(true)) {
        out.push(pointer);
        return;
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for sub in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            volatile_pointers(doc, sub, instance, pointer.clone(), depth + 1, out);
        }
    }
    match instance {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            for (k, v) in map {
                let sub = props
                    .and_then(|p| p.get(k))
                    .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()));
                if let Some(sub) = sub {
                    volatile_pointers(
                        doc,
                        sub,
                        v,
                        format!("{pointer}/{}", crate::spec::document::escape_token(k)),
                        depth + 1,
                        out,
                    );
                }
            }
        }
        Value::Array(items) => {
            if let Some(sub) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    volatile_pointers(doc, sub, v, format!("{pointer}/{i}"), depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

fn resolve<'v>(doc: &'v Value, mut schema: &'v Value) -> &'v Value {
    for _ in 0..32 {
        match schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| doc.pointer(p))
        {
            Some(target) => schema = target,
            None => break,
        }
    }
    schema
}

/// Compares a rendered snapshot with its file, writing as the mode allows.
pub struct SnapshotCheck<'a> {
    /// Directory holding the snapshot files (`snapshots/`).
    pub dir: &'a Path,
    /// Snapshot name (`<scenario id>__<step number>`), which names its file.
    pub name: &'a str,
    /// The scenario file, for the header.
    pub source: &'a str,
    /// What the snapshot shows, for the header.
    pub expression: &'a str,
    /// `--update-snapshots`: write the new contents.
    pub update: bool,
    /// In CI nothing is ever written.
    pub ci: bool,
}

impl SnapshotCheck<'_> {
    /// A finding when the stored snapshot differs (or is missing); `None` when it matches or was updated.
    pub fn compare(&self, operation: &str, contents: &str) -> Option<Finding> {
        let path = self.dir.join(format!("{}.snap", self.name));
        let stored = std::fs::read_to_string(&path)
            .ok()
            .map(|t| body_of(&t).to_string());
        if stored.as_deref().map(str::trim_end) == Some(contents.trim_end()) {
            let _ = std::fs::remove_file(path.with_extension("snap.new"));
            return None;
        }
        if self.update && !self.ci {
            return match self.write(&path, contents) {
                Ok(()) => None,
                Err(e) => {
                    Some(self.finding(operation, "a writable snapshot".into(), e.to_string()))
                }
            };
        }
        if !self.ci {
            // Pending review, as insta does: `cargo insta review` picks it up.
            let _ = self.write(&path.with_extension("snap.new"), contents);
        }
        Some(match stored {
            None => self.finding(
                operation,
                format!("a stored snapshot {}", path.display()),
                "none (run with --update-snapshots to write it)".into(),
            ),
            Some(stored) => self.finding(operation, stored, contents.to_string()),
        })
    }

    fn finding(&self, operation: &str, expected: String, actual: String) -> Finding {
        Finding {
            operation: operation.to_string(),
            rule: Rule::Snapshot,
            pointer: String::new(),
            expected,
            actual,
        }
    }

    /// Writes atomically: a temporary file renamed over the old one.
    fn write(&self, path: &Path, contents: &str) -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let text = format!(
            "---\nsource: {}\nexpression: {}\n---\n{}",
            self.source,
            serde_json::to_string(self.expression).unwrap_or_default(),
            contents
        );
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)
    }
}

/// The contents of an insta snapshot file (after its header).
pub fn body_of(file: &str) -> &str {
    let Some(rest) = file.strip_prefix("---\n") else {
        return file;
    };
    match rest.find("\n---\n") {
        Some(end) => &rest[end + 5..],
        None => file,
    }
}
