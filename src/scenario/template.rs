//! `{{name}}` templating. A string that is exactly one placeholder takes the
//! variable's JSON value (a number stays a number); placeholders inside a
//! longer string are replaced by the value's text.

use std::collections::BTreeMap;

use serde_json::Value;

/// Variable values, by name.
pub type Vars = BTreeMap<String, Value>;

/// The names of every placeholder in `text`, with their byte offsets.
pub fn placeholders(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        let name = rest[start + 2..start + 2 + len].trim();
        out.push((offset + start, name));
        offset += start + 2 + len + 2;
        rest = &text[offset..];
    }
    out
}

/// Every placeholder name in a JSON value (strings and object keys), in order.
pub fn names_in(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect(value, &mut out);
    out
}

fn collect(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.extend(placeholders(s).into_iter().map(|(_, n)| n.to_string())),
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.extend(placeholders(k).into_iter().map(|(_, n)| n.to_string()));
                collect(v, out);
            }
        }
        _ => {}
    }
}

/// A placeholder whose variable is not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unset(pub String);

/// Renders every placeholder in `value`.
pub fn render(value: &Value, vars: &Vars) -> Result<Value, Unset> {
    Ok(match value {
        Value::String(s) => render_string(s, vars)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((render_text(k, vars)?, render(v, vars)?)))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

fn render_string(text: &str, vars: &Vars) -> Result<Value, Unset> {
    let found = placeholders(text);
    if let [(0, name)] = found.as_slice()
        && text.ends_with("}}")
        && text.matches("}}").count() == 1
    {
        return vars
            .get(*name)
            .cloned()
            .ok_or_else(|| Unset(name.to_string()));
    }
    render_text(text, vars).map(Value::String)
}

/// Renders placeholders into text.
pub fn render_text(text: &str, vars: &Vars) -> Result<String, Unset> {
    render_text_with(text, vars, str::to_string)
}

/// Renders placeholders into text, passing each value's text through
/// `escape` (e.g. `regex::escape`, so a value matches literally).
pub fn render_text_with(
    text: &str,
    vars: &Vars,
    escape: impl Fn(&str) -> String,
) -> Result<String, Unset> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, name) in placeholders(text) {
        let value = vars.get(name).ok_or_else(|| Unset(name.to_string()))?;
        out.push_str(&text[last..at]);
        match value {
            Value::String(s) => out.push_str(&escape(s)),
            other => out.push_str(&escape(&other.to_string())),
        }
        last = at + text[at..].find("}}").map_or(0, |i| i + 2);
    }
    out.push_str(&text[last..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> Vars {
        [
            ("port".to_string(), json!(8080)),
            ("team".to_string(), json!("t1")),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn a_lone_placeholder_keeps_the_value_type() {
        assert_eq!(render(&json!("{{port}}"), &vars()).unwrap(), json!(8080));
        assert_eq!(render(&json!("{{ port }}"), &vars()).unwrap(), json!(8080));
    }

    #[test]
    fn placeholders_in_text_become_text() {
        let out = render(&json!({"path": "/teams/{{team}}/ports/{{port}}"}), &vars()).unwrap();
        assert_eq!(out, json!({"path": "/teams/t1/ports/8080"}));
    }

    #[test]
    fn an_unset_variable_is_named() {
        assert_eq!(
            render(&json!(["x-{{nope}}"]), &vars()),
            Err(Unset("nope".into()))
        );
        assert_eq!(
            names_in(&json!({"{{a}}": ["{{b}} {{c}}"]})),
            vec!["a", "b", "c"]
        );
    }
}
