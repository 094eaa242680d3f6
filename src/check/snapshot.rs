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
