//! Selecting values in a JSON body: a JSON pointer (`/data/list/0`) or a
//! JSONPath subset (`$`, `.name`, `['name']`, `[0]`, `[-1]`, `[*]`, `..name`).
//! Part of the scenario model: a selector is parsed once, when its file is
//! read, and only evaluated afterwards.

use std::fmt;

use serde_json::Value;

use crate::spec::document::escape_token;

/// A parsed selector, which remembers how it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    text: String,
    parsed: Parsed,
}

/// What a selector is, once parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Parsed {
    /// A JSON pointer (`/data/list/0`), as written.
    Pointer(String),
    /// A JSONPath (`$.data.list[*]`), parsed into its steps.
    Path(Vec<PathStep>),
}

/// One step of a JSONPath.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathStep {
    /// `.name` or `['name']`: one object member.
    Key(String),
    /// `[0]`: one array element; negative counts from the end (`[-1]` is the last).
    Index(i64),
    /// `[*]`: every element of an array or every member of an object.
    Wildcard,
    /// `..name`: every `name` at any depth.
    Descend(String),
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Selector {
    /// Parses `/pointer` or `$.json.path`.
    pub fn parse(text: &str) -> Result<Selector, String> {
        Ok(Selector {
            text: text.to_string(),
            parsed: Parsed::parse(text)?,
        })
    }

    /// Whether the selector can select several values (then results are a list).
    pub fn is_multiple(&self) -> bool {
        matches!(&self.parsed, Parsed::Path(steps) if steps.iter().any(|s| matches!(s, PathStep::Wildcard | PathStep::Descend(_))))
    }

    /// The selected value: `None` when nothing is there. A multiple selector
    /// yields an array of every match.
    pub fn select(&self, root: &Value) -> Option<Value> {
        match &self.parsed {
            Parsed::Pointer(p) => root.pointer(p).cloned(),
            Parsed::Path(steps) => {
                let mut current = vec![root];
                for step in steps {
                    current = current.into_iter().flat_map(|v| apply(step, v)).collect();
                }
                if self.is_multiple() {
                    Some(Value::Array(current.into_iter().cloned().collect()))
                } else {
                    current.first().map(|v| (*v).clone())
                }
            }
        }
    }

    /// JSON pointers of every selected value.
    pub fn pointers(&self, root: &Value) -> Vec<String> {
        match &self.parsed {
            Parsed::Pointer(p) => root.pointer(p).map(|_| vec![p.clone()]).unwrap_or_default(),
            Parsed::Path(steps) => {
                let mut current = vec![(String::new(), root)];
                for step in steps {
                    current = current
                        .into_iter()
                        .flat_map(|(p, v)| apply_with_pointer(step, &p, v))
                        .collect();
                }
                current.into_iter().map(|(p, _)| p).collect()
            }
        }
    }
}

impl Parsed {
    fn parse(text: &str) -> Result<Parsed, String> {
        if text.is_empty() || text.starts_with('/') {
            return Ok(Parsed::Pointer(text.to_string()));
        }
        let Some(mut rest) = text.strip_prefix('$') else {
            return Err(format!(
                "`{text}` is neither a JSON pointer (`/a/b`) nor a JSONPath (`$.a.b`)"
            ));
        };
        let mut steps = Vec::new();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix("..") {
                let (name, r) = take_name(r);
                if name.is_empty() {
                    return Err(format!("`{text}`: `..` must be followed by a name"));
                }
                steps.push(PathStep::Descend(name.to_string()));
                rest = r;
            } else if let Some(r) = rest.strip_prefix('.') {
                let (name, r) = take_name(r);
                steps.push(if name == "*" {
                    PathStep::Wildcard
                } else {
                    PathStep::Key(name.to_string())
                });
                rest = r;
            } else if let Some(r) = rest.strip_prefix('[') {
                let end = r
                    .find(']')
                    .ok_or_else(|| format!("`{text}`: unclosed `[`"))?;
                let inner = r[..end].trim();
                steps.push(match inner {
                    "*" => PathStep::Wildcard,
                    _ if inner.starts_with('\'') || inner.starts_with('"') => {
                        PathStep::Key(inner.trim_matches(|c| c == '\'' || c == '"').to_string())
                    }
                    _ => PathStep::Index(inner.parse().map_err(|_| {
                        format!("`{text}`: `[{inner}]` is not an index, `*` or a quoted name")
                    })?),
                });
                rest = &r[end + 1..];
            } else {
                return Err(format!("`{text}`: unexpected `{rest}`"));
            }
        }
        Ok(Parsed::Path(steps))
    }
}

fn take_name(text: &str) -> (&str, &str) {
    let end = text.find(['.', '[']).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

fn apply<'v>(step: &PathStep, value: &'v Value) -> Vec<&'v Value> {
    apply_with_pointer(step, "", value)
        .into_iter()
        .map(|(_, v)| v)
        .collect()
}

fn apply_with_pointer<'v>(
    step: &PathStep,
    pointer: &str,
    value: &'v Value,
) -> Vec<(String, &'v Value)> {
    let child = |k: &str| format!("{pointer}/{}", escape_token(k));
    match (step, value) {
        (PathStep::Key(k), Value::Object(m)) => {
            m.get(k).map(|v| vec![(child(k), v)]).unwrap_or_default()
        }
        (PathStep::Index(i), Value::Array(a)) => {
            let at = if *i < 0 { a.len() as i64 + i } else { *i };
            usize::try_from(at)
                .ok()
                .and_then(|at| a.get(at).map(|v| vec![(format!("{pointer}/{at}"), v)]))
                .unwrap_or_default()
        }
        (PathStep::Wildcard, Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{pointer}/{i}"), v))
            .collect(),
        (PathStep::Wildcard, Value::Object(m)) => m.iter().map(|(k, v)| (child(k), v)).collect(),
        (PathStep::Descend(name), _) => {
            let mut out = Vec::new();
            descend(name, pointer.to_string(), value, &mut out);
            out
        }
        _ => Vec::new(),
    }
}

fn descend<'v>(name: &str, pointer: String, value: &'v Value, out: &mut Vec<(String, &'v Value)>) {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                let p = format!("{pointer}/{}", escape_token(k));
                if k == name {
                    out.push((p.clone(), v));
                }
                descend(name, p, v, out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                descend(name, format!("{pointer}/{i}"), v, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body() -> Value {
        json!({"data": {"list": [{"port": 80, "alias": "A"}, {"port": 443}], "bean": {"port": 8080}}})
    }

    #[test]
    fn pointers_and_paths_select_the_same_value() {
        let by_pointer = Selector::parse("/data/list/1/port")
            .unwrap()
            .select(&body());
        let by_path = Selector::parse("$.data.list[1].port")
            .unwrap()
            .select(&body());
        assert_eq!(by_pointer, Some(json!(443)));
        assert_eq!(by_path, by_pointer);
        assert_eq!(
            Selector::parse("$['data'].list[-1].port")
                .unwrap()
                .select(&body()),
            Some(json!(443))
        );
    }

    #[test]
    fn wildcards_and_descent_collect_every_match() {
        assert_eq!(
            Selector::parse("$.data.list[*].port")
                .unwrap()
                .select(&body()),
            Some(json!([80, 443]))
        );
        assert_eq!(
            Selector::parse("$..port").unwrap().select(&body()),
            Some(json!([80, 443, 8080]))
        );
        assert_eq!(
            Selector::parse("$.data.list[*].port")
                .unwrap()
                .pointers(&body()),
            vec!["/data/list/0/port", "/data/list/1/port"]
        );
    }

    #[test]
    fn missing_values_and_bad_selectors() {
        assert_eq!(Selector::parse("/data/nope").unwrap().select(&body()), None);
        assert_eq!(
            Selector::parse("$.data.list[5]").unwrap().select(&body()),
            None
        );
        assert!(Selector::parse("data.list").is_err());
        assert!(Selector::parse("$.data[x]").is_err());
    }
}
