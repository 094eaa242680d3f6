//! A step's own expectations: status, body assertions and headers, already
//! parsed by the scenario module. Each finding carries the location of the
//! expectation it breaks.

use regex::Regex;
use serde_json::Value;

use super::{Finding, Rule};
use crate::exchange::Exchange;
use crate::scenario::template::{Vars, render, render_text_with};
use crate::scenario::{BodyAssertion, Expect, HeaderWant, Location, Pattern};

/// Every way `exchange` misses `expect`. Without an expected status, any
/// 2xx passes (a finding then points at the step, `step_at`).
pub fn check_expectations(
    operation: &str,
    expect: &Expect,
    exchange: &Exchange,
    vars: &Vars,
    step_at: &Location,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let finding = |rule, pointer: &str, expected: String, actual: String, at: &Location| Finding {
        operation: operation.to_string(),
        rule,
        pointer: pointer.to_string(),
        expected,
        actual,
        location: Some(at.clone()),
    };
    let status_ok = match expect.status() {
        Some(s) => s.matches(exchange.status),
        None => (200..300).contains(&exchange.status),
    };
    if !status_ok {
        let (expected, at) = expect.status.as_ref().map_or_else(
            || ("a 2xx status".to_string(), step_at),
            |(s, at)| (format!("status {s}"), at),
        );
        out.push(finding(
            Rule::Status,
            "",
            expected,
            exchange.status.to_string(),
            at,
        ));
    }
    for header in &expect.headers {
        let got = exchange.response_header(&header.name);
        if let Some(problem) = header_problem(&header.want, got) {
            out.push(finding(
                Rule::Expectation,
                &format!("header {}", header.name),
                problem,
                got.unwrap_or("absent").to_string(),
                &header.location,
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
                &assertion.selector.to_string(),
                expected,
                actual,
                &assertion.location,
            ));
        }
    }
    out
}

fn header_problem(want: &HeaderWant, got: Option<&str>) -> Option<String> {
    match (want, got) {
        (HeaderWant::Absent, got) => got.map(|_| "no such header".to_string()),
        (HeaderWant::Matches(re), Some(got)) => {
            (!re.is_match(got)).then(|| format!("a value matching /{re}/"))
        }
        (HeaderWant::Present, Some(_)) => None,
        (HeaderWant::Matches(_) | HeaderWant::Present, None) => Some("the header".into()),
        (HeaderWant::Equals(want), got) => {
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
    let selector = &assertion.selector;
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
    if let Some(pattern) = &assertion.regex
        && let Some(problem) = regex_problem(pattern, &selected, vars)
    {
        out.push((problem, shown(&selected)));
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
    if let Some(want) = &assertion.same_items {
        let want = render(want, vars).unwrap_or_else(|_| want.clone());
        if !same_items(selected.as_ref(), &want) {
            out.push((format!("the items {want} in any order"), shown(&selected)));
        }
    }
    out
}

/// Whether `got` and `want` are arrays holding the same items, each as often.
fn same_items(got: Option<&Value>, want: &Value) -> bool {
    let (Some(Value::Array(got)), Value::Array(want)) = (got, want) else {
        return false;
    };
    let mut unmatched: Vec<&Value> = want.iter().collect();
    got.len() == want.len()
        && got.iter().all(|item| {
            unmatched
                .iter()
                .position(|w| *w == item)
                .map(|at| unmatched.swap_remove(at))
                .is_some()
        })
}

/// What the value should have matched, when it does not match `pattern`.
/// A templated pattern gets its variables inserted escaped first.
fn regex_problem(pattern: &Pattern, selected: &Option<Value>, vars: &Vars) -> Option<String> {
    let rendered;
    let re = match pattern {
        Pattern::Fixed(re) => re,
        Pattern::Templated(text) => {
            let text = render_text_with(text, vars, regex::escape).unwrap_or_else(|_| text.clone());
            match Regex::new(&text) {
                Ok(re) => {
                    rendered = re;
                    &rendered
                }
                Err(_) => return Some(format!("a value matching /{text}/")),
            }
        }
    };
    let text = match selected {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => return Some(format!("a value matching /{re}/")),
    };
    (!re.is_match(&text)).then(|| format!("a value matching /{re}/"))
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::same_items;

    #[test]
    fn same_items_ignores_order_but_not_count_or_type() {
        let want = json!(["22", "8080", "8081"]);
        assert!(same_items(Some(&json!(["8080", "22", "8081"])), &want));
        assert!(!same_items(Some(&json!(["8080", "22"])), &want));
        assert!(!same_items(Some(&json!(["8080", "22", "22"])), &want));
        assert!(!same_items(Some(&json!([8080, 22, 8081])), &want));
        assert!(!same_items(Some(&json!("22")), &want));
        assert!(!same_items(None, &want));
    }
}
