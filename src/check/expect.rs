//! A step's own expectations: status, body assertions and headers.

use regex::Regex;
use serde_json::Value;

use super::select::Selector;
use super::{Finding, Rule};
use crate::runner::Exchange;
use crate::scenario::template::{Vars, render, render_text_with};
use crate::scenario::{BodyAssertion, Expect};

/// Every way `exchange` misses `expect`. Without an expected status, any 2xx passes.
pub fn check_expectations(
    operation: &str,
    expect: &Expect,
    exchange: &Exchange,
    vars: &Vars,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let finding = |rule, pointer: &str, expected: String, actual: String| Finding {
        operation: operation.to_string(),
        rule,
        pointer: pointer.to_string(),
        expected,
        actual,
    };
    let status_ok = match &expect.status {
        Some(s) => s.matches(exchange.status),
        None => (200..300).contains(&exchange.status),
    };
    if !status_ok {
        let expected = expect
            .status
            .as_ref()
            .map_or("a 2xx status".to_string(), |s| format!("status {s}"));
        out.push(finding(
            Rule::Status,
            "",
            expected,
            exchange.status.to_string(),
        ));
    }
    for (name, want) in &expect.headers {
        let got = exchange
            .response_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        if let Some(problem) = header_problem(want, got) {
            out.push(finding(
                Rule::Expectation,
                &format!("header {name}"),
                problem,
                got.unwrap_or("absent").to_string(),
            ));
        }
    }
    if expect.body.is_empty() {
        return out;
    }
    let body = exchange
        .json()
        .unwrap_or_else(|| Value::String(exchange.body.clone()));
    for assertion in &expect.body {
        for (expected, actual) in assertion_problems(assertion, &body, vars) {
            out.push(finding(
                Rule::Expectation,
                assertion.selector(),
                expected,
                actual,
            ));
        }
    }
    out
}

fn header_problem(want: &Value, got: Option<&str>) -> Option<String> {
    match (want, got) {
        (Value::Object(m), got) if m.get("absent") == Some(&Value::Bool(true)) => {
            got.map(|_| "no such header".to_string())
        }
        (Value::Object(m), Some(got)) => {
            let re = m.get("regex").and_then(Value::as_str)?;
            let ok = Regex::new(re).is_ok_and(|r| r.is_match(got));
            (!ok).then(|| format!("a value matching /{re}/"))
        }
        (Value::Object(_), None) => Some("the header".into()),
        (want, got) => {
            let want = match want {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (got != Some(want.as_str())).then(|| format!("`{want}`"))
        }
    }
}

/// (expected, actual) for each check of `assertion` that fails.
fn assertion_problems(
    assertion: &BodyAssertion,
    body: &Value,
    vars: &Vars,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(selector) = Selector::parse(assertion.selector()) else {
        return vec![("a valid selector".into(), assertion.selector().to_string())];
    };
    let selected = selector.select(body);
    let shown = |v: &Option<Value>| v.as_ref().map_or("nothing".to_string(), Value::to_string);
    if let Some(absent) = assertion.absent {
        let is_absent = selected.is_none()
            || selected
                .as_ref()
                .is_some_and(|v| selector.is_multiple() && v.as_array().is_some_and(Vec::is_empty));
        if absent != is_absent {
            out.push((
                if absent { "nothing" } else { "a value" }.to_string(),
                shown(&selected),
            ));
        }
    }
    if let Some(want) = &assertion.equals {
        let want = render(want, vars).unwrap_or_else(|_| want.clone());
        if selected.as_ref() != Some(&want) {
            out.push((want.to_string(), shown(&selected)));
        }
    }
    if let Some(t) = &assertion.json_type
        && selected.as_ref().map(json_type) != Some(t.as_str())
        && !(t == "number" && selected.as_ref().is_some_and(Value::is_number))
    {
        out.push((
            format!("type {t}"),
            selected
                .as_ref()
                .map_or("nothing".into(), |v| format!("type {} ({v})", json_type(v))),
        ));
    }
    if let Some(re) = &assertion.regex {
        let re = render_text_with(re, vars, regex::escape).unwrap_or_else(|_| re.clone());
        let text = match &selected {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
            None => None,
        };
        if !text
            .as_deref()
            .is_some_and(|t| Regex::new(&re).is_ok_and(|r| r.is_match(t)))
        {
            out.push((format!("a value matching /{re}/"), shown(&selected)));
        }
    }
    if let Some(length) = assertion.length {
        let actual = match &selected {
            Some(Value::Array(a)) => Some(a.len() as u64),
            Some(Value::String(s)) => Some(s.chars().count() as u64),
            Some(Value::Object(m)) => Some(m.len() as u64),
            _ => None,
        };
        if actual != Some(length) {
            out.push((
                format!("length {length}"),
                actual.map_or(shown(&selected), |n| format!("length {n}")),
            ));
        }
    }
    if let Some(item) = &assertion.contains {
        let item = render(item, vars).unwrap_or_else(|_| item.clone());
        let found = match (&selected, &item) {
            (Some(Value::Array(a)), item) => a.contains(item),
            (Some(Value::String(s)), Value::String(sub)) => s.contains(sub.as_str()),
            _ => false,
        };
        if !found {
            out.push((format!("something containing {item}"), shown(&selected)));
        }
    }
    out
}

/// The JSON type name of a value (`integer` for whole numbers).
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
