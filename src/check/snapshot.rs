//! The text a response snapshot compares: status, content type and body,
//! with volatile values (schema properties marked `x-volatile`, and a
//! step's own `redact` selectors) and secrets replaced. Pure: the runner
//! reads and writes the snapshot files.

use serde_json::Value;

use crate::exchange::Exchange;
use crate::redact::Redactor;
use crate::scenario::Selector;
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
    redactions: &[Selector],
    redactor: &Redactor,
) -> String {
    let content_type = exchange.content_type.as_deref().unwrap_or("(none)");
    let body = match exchange.json() {
        Some(mut json) => {
            if let Some((spec, op)) = routed {
                let pointers = volatile_in(spec, op, exchange.status, content_type, &json);
                redact(&mut json, &pointers);
            }
            for selector in redactions {
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
    redactor.text(&text)
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
    marked_in(spec, op, status, content_type, json, "x-volatile")
        .into_iter()
        .map(|(pointer, _)| pointer)
        .collect()
}

/// (pointer, mark) of the values in `json` whose schema, as `op` declares
/// it for `status` and `content_type`, carries the extension `mark` with a
/// value other than `false` or `null` (`x-volatile`, `x-free-text`, `x-guess`).
pub(crate) fn marked_in(
    spec: &Spec,
    op: &Operation,
    status: u16,
    content_type: &str,
    json: &Value,
    mark: &str,
) -> Vec<(String, Value)> {
    op.response_for(status)
        .and_then(|r| r.media_type(content_type))
        .and_then(|m| m.schema.as_ref())
        .map(|schema| marked_by(spec, &schema.source, json, mark))
        .unwrap_or_default()
}

/// (pointer, mark) of the values in `json` whose schema, under `schema`,
/// carries the extension `mark` (see [`marked_in`]).
pub(crate) fn marked_by(
    spec: &Spec,
    schema: &Value,
    json: &Value,
    mark: &str,
) -> Vec<(String, Value)> {
    let mut pointers = Vec::new();
    let mut walk = MarkWalk {
        doc: &spec.document.value,
        mark,
        out: &mut pointers,
    };
    walk.visit(schema, json, String::new(), 0);
    pointers
}

/// The walk of [`marked_in`].
struct MarkWalk<'a> {
    doc: &'a Value,
    mark: &'a str,
    out: &'a mut Vec<(String, Value)>,
}

impl MarkWalk<'_> {
    /// Every value in `instance` whose schema carries the mark.
    fn visit(&mut self, schema: &Value, instance: &Value, pointer: String, depth: usize) {
        if depth > 32 {
            return;
        }
        let schema = resolve(self.doc, schema);
        if let Some(found) = schema
            .get(self.mark)
            .filter(|v| !matches!(v, Value::Bool(false) | Value::Null))
        {
            self.out.push((pointer, found.clone()));
            return;
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            for sub in schema
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.visit(sub, instance, pointer.clone(), depth + 1);
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
                        let at = format!("{pointer}/{}", crate::spec::document::escape_token(k));
                        self.visit(sub, v, at, depth + 1);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(sub) = schema.get("items") {
                    for (i, v) in items.iter().enumerate() {
                        self.visit(sub, v, format!("{pointer}/{i}"), depth + 1);
                    }
                }
            }
            _ => {}
        }
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
