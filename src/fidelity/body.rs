//! Comparing two response bodies: JSON bodies field by field (fields added
//! and removed, types changed, values changed outside `x-volatile` fields,
//! arrays holding the same items in another order), other bodies as text. The walk is bounded in depth and in the number of
//! differences it reports per step.

use serde_json::Value;

use super::{Context, Difference, Kind};
use crate::check::snapshot::volatile_in;
use crate::exchange::Exchange;
use crate::runner::StepOutcome;
use crate::spec::document::child_pointer;
use crate::spec::{Catalog, Operation, Spec};

/// At most this many body differences per step.
const MAX_DIFFERENCES: usize = 100;
/// Deeper nesting is not compared.
const MAX_DEPTH: usize = 64;
/// Values are shown up to this many characters.
const SHOWN_CHARS: usize = 200;
/// Shorter volatile values are not looked for inside other text.
const MIN_VOLATILE_LEN: usize = 4;
/// What replaces a volatile value inside text before comparing.
const VOLATILE: &str = "[volatile]";
/// Longer arrays are not checked for a change of order only (each item may
/// be compared with every other).
const MAX_ORDER_ITEMS: usize = 200;

/// Adds the differences between the bodies of `mock` and `live` to `out`.
pub(super) fn compare(
    routed: Option<(&Spec, &Operation)>,
    mock: &Exchange,
    live: &Exchange,
    context: &Context<'_>,
    out: &mut Vec<Difference>,
) {
    match (mock.json(), live.json()) {
        (Some(m), Some(l)) => {
            let mut volatile = volatile_pointers(routed, mock, &m);
            volatile.extend(volatile_pointers(routed, live, &l));
            let mut walk = Walk {
                volatile: &volatile,
                context,
                out,
                budget: MAX_DIFFERENCES,
            };
            walk.values(&m, &l, "", 0);
        }
        (None, None) if !alike_text(&mock.body, &live.body, context) => out.push(Difference::new(
            Kind::ValueChanged,
            "",
            shorten(&mock.body),
            shorten(&live.body),
        )),
        (None, None) => {}
        (m, l) => out.push(Difference::new(
            Kind::TypeChanged,
            "",
            body_type(m.as_ref()).into(),
            body_type(l.as_ref()).into(),
        )),
    }
}

fn volatile_pointers(
    routed: Option<(&Spec, &Operation)>,
    exchange: &Exchange,
    json: &Value,
) -> Vec<String> {
    let Some((spec, op)) = routed else {
        return Vec::new();
    };
    let content_type = exchange.media_type();
    volatile_in(spec, op, exchange.status, &content_type, json)
}

/// Every value of an `x-volatile` field in the answers of a run, longest
/// first, so that text quoting one (an error naming a generated id) can be
/// compared.
pub(super) fn volatile_values(catalog: &Catalog, steps: &[StepOutcome]) -> Vec<String> {
    let mut values = Vec::new();
    for step in steps {
        let routed = step
            .operation
            .as_deref()
            .and_then(|id| catalog.operation(id));
        let Some((exchange, json)) = step.exchange.as_ref().and_then(|e| Some((e, e.json()?)))
        else {
            continue;
        };
        for pointer in volatile_pointers(routed, exchange, &json) {
            if let Some(value) = json.pointer(&pointer) {
                strings(value, 0, &mut values);
            }
        }
    }
    values.retain(|v| v.chars().count() >= MIN_VOLATILE_LEN);
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    values
}

fn strings(value: &Value, depth: usize, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) if depth < MAX_DEPTH => {
            items.iter().for_each(|v| strings(v, depth + 1, out))
        }
        Value::Object(map) if depth < MAX_DEPTH => {
            map.values().for_each(|v| strings(v, depth + 1, out))
        }
        _ => {}
    }
}

/// `text` with every volatile value in it replaced by [`VOLATILE`].
fn without(text: &str, volatile: &[String]) -> String {
    volatile
        .iter()
        .fold(text.to_string(), |t, v| t.replace(v.as_str(), VOLATILE))
}

/// Whether two texts are equal once each side's volatile values are set aside.
fn alike_text(mock: &str, live: &str, context: &Context<'_>) -> bool {
    mock == live || without(mock, context.mock_volatile) == without(live, context.live_volatile)
}

fn body_type(json: Option<&Value>) -> &'static str {
    json.map_or("text", type_name)
}

/// The JSON type of a value; integers and other numbers are both `number`.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A value as shown in a report: JSON text, cut at [`SHOWN_CHARS`].
pub(crate) fn show(value: &Value) -> String {
    shorten(&value.to_string())
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

fn same(mock: &Value, live: &Value, context: &Context<'_>) -> bool {
    match (mock, live) {
        (Value::Number(m), Value::Number(l)) => m == l || m.as_f64() == l.as_f64(),
        (Value::String(m), Value::String(l)) => alike_text(m, l, context),
        _ => mock == live,
    }
}

struct Walk<'a> {
    volatile: &'a [String],
    context: &'a Context<'a>,
    out: &'a mut Vec<Difference>,
    budget: usize,
}

impl Walk<'_> {
    fn push(&mut self, kind: Kind, pointer: &str, mock: String, live: String) {
        if self.budget > 0 {
            self.budget -= 1;
            self.out.push(Difference::new(kind, pointer, mock, live));
        }
    }

    fn is_volatile(&self, pointer: &str) -> bool {
        self.volatile.iter().any(|v| {
            pointer == v
                || pointer
                    .strip_prefix(v.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }

    fn values(&mut self, mock: &Value, live: &Value, pointer: &str, depth: usize) {
        if self.budget == 0 || depth > MAX_DEPTH {
            return;
        }
        match (mock, live) {
            (Value::Object(m), Value::Object(l)) => {
                for (key, mv) in m {
                    let at = child_pointer(pointer, key);
                    match l.get(key) {
                        Some(lv) => self.values(mv, lv, &at, depth + 1),
                        None => self.push(Kind::FieldRemoved, &at, show(mv), "absent".into()),
                    }
                }
                for (key, lv) in l.iter().filter(|(k, _)| !m.contains_key(*k)) {
                    let at = child_pointer(pointer, key);
                    self.push(Kind::FieldAdded, &at, "absent".into(), show(lv));
                }
            }
            (Value::Array(m), Value::Array(l)) => self.items(m, l, pointer, depth),
            _ if type_name(mock) != type_name(live) => self.push(
                Kind::TypeChanged,
                pointer,
                format!("{} {}", type_name(mock), show(mock)),
                format!("{} {}", type_name(live), show(live)),
            ),
            _ if !same(mock, live, self.context) && !self.is_volatile(pointer) => {
                self.push(Kind::ValueChanged, pointer, show(mock), show(live))
            }
            _ => {}
        }
    }

    fn items(&mut self, mock: &[Value], live: &[Value], pointer: &str, depth: usize) {
        if self.reordered(mock, live, pointer, depth) {
            let shown = |items: &[Value]| shorten(&Value::from(items.to_vec()).to_string());
            self.push(Kind::Order, pointer, shown(mock), shown(live));
            return;
        }
        for (i, (m, l)) in mock.iter().zip(live).enumerate() {
            self.values(m, l, &format!("{pointer}/{i}"), depth + 1);
        }
        for (i, m) in mock.iter().enumerate().skip(live.len()) {
            let at = format!("{pointer}/{i}");
            self.push(Kind::FieldRemoved, &at, show(m), "absent".into());
        }
        for (i, l) in live.iter().enumerate().skip(mock.len()) {
            let at = format!("{pointer}/{i}");
            self.push(Kind::FieldAdded, &at, "absent".into(), show(l));
        }
    }
}

impl Walk<'_> {
    /// Whether two arrays hold alike items (no difference between them once
    /// volatile fields are set aside, such as ids each side generated), in
    /// another order.
    fn reordered(&self, mock: &[Value], live: &[Value], pointer: &str, depth: usize) -> bool {
        if mock.len() != live.len() || mock.len() > MAX_ORDER_ITEMS || mock == live {
            return false;
        }
        let alike = |at: usize, m: &Value, l: &Value| {
            let mut found = Vec::new();
            let mut walk = Walk {
                volatile: self.volatile,
                context: self.context,
                out: &mut found,
                budget: 1,
            };
            walk.values(m, l, &format!("{pointer}/{at}"), depth + 1);
            found.is_empty()
        };
        if mock
            .iter()
            .zip(live)
            .enumerate()
            .all(|(i, (m, l))| alike(i, m, l))
        {
            return false;
        }
        let mut unmatched: Vec<&Value> = live.iter().collect();
        mock.iter().enumerate().all(
            |(i, m)| match unmatched.iter().position(|l| alike(i, m, l)) {
                Some(at) => {
                    unmatched.swap_remove(at);
                    true
                }
                None => false,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn walk(mock: Value, live: Value, volatile: &[&str]) -> Vec<(Kind, String)> {
        let volatile: Vec<String> = volatile.iter().map(|v| v.to_string()).collect();
        let context = Context {
            latency_threshold_ms: 200.0,
            mock_volatile: &["id-a1".to_string()],
            live_volatile: &["id-b2".to_string()],
        };
        let mut out = Vec::new();
        Walk {
            volatile: &volatile,
            context: &context,
            out: &mut out,
            budget: MAX_DIFFERENCES,
        }
        .values(&mock, &live, "", 0);
        out.into_iter().map(|d| (d.kind, d.pointer)).collect()
    }

    #[test]
    fn fields_added_removed_and_retyped_are_named_by_pointer() {
        let found = walk(
            json!({"a": {"b": 1, "c": "x"}, "list": [1, 2], "d/e": true}),
            json!({"a": {"b": "1", "z": 0}, "list": [1, 2, 3], "d/e": true}),
            &[],
        );
        assert_eq!(
            found,
            [
                (Kind::TypeChanged, "/a/b".to_string()),
                (Kind::FieldRemoved, "/a/c".to_string()),
                (Kind::FieldAdded, "/a/z".to_string()),
                (Kind::FieldAdded, "/list/2".to_string()),
            ]
        );
    }

    #[test]
    fn volatile_values_may_change_but_not_disappear() {
        let mock = json!({"id": "id-a1", "meta": {"at": 1}, "n": 1, "m": "no id-a1"});
        let live = json!({"id": "id-b2", "meta": {"at": 2}, "n": 1.0, "m": "no id-b2"});
        assert!(walk(mock.clone(), live, &["/id", "/meta"]).is_empty());
        let found = walk(
            mock,
            json!({"meta": {"at": 1}, "n": 2, "m": "no id-a1"}),
            &["/id"],
        );
        assert_eq!(
            found,
            [
                (Kind::FieldRemoved, "/id".to_string()),
                (Kind::ValueChanged, "/n".to_string()),
            ]
        );
    }

    #[test]
    fn the_same_items_in_another_order_are_one_difference() {
        let found = walk(
            json!({"l": [{"a": 1}, {"a": 2}, 2]}),
            json!({"l": [2, {"a": 2}, {"a": 1}]}),
            &[],
        );
        assert_eq!(found, [(Kind::Order, "/l".to_string())]);
        let found = walk(json!({"l": [1, 2]}), json!({"l": [2, 2]}), &[]);
        assert_eq!(found, [(Kind::ValueChanged, "/l/0".to_string())]);
    }

    #[test]
    fn items_differing_only_in_volatile_ids_are_matched_across_an_order_change() {
        // Each side appended a port with an id of its own: the mock last, the live side first.
        let mock = json!({"l": [{"id": "m1", "port": 80}, {"id": "m2", "port": 443}]});
        let live = json!({"l": [{"id": "l2", "port": 443}, {"id": "l1", "port": 80}]});
        let found = walk(mock.clone(), live, &["/l/0/id", "/l/1/id"]);
        assert_eq!(found, [(Kind::Order, "/l".to_string())]);
        let other = json!({"l": [{"id": "l2", "port": 8443}, {"id": "l1", "port": 80}]});
        let found = walk(mock, other, &["/l/0/id", "/l/1/id"]);
        assert_eq!(found.len(), 2, "not the same items: {found:?}");
    }

    #[test]
    fn the_number_of_differences_is_bounded() {
        let mock: Vec<u32> = (0..500).collect();
        let live: Vec<u32> = (1..501).collect();
        assert_eq!(walk(json!(mock), json!(live), &[]).len(), MAX_DIFFERENCES);
        assert_eq!(shorten(&"x".repeat(500)).chars().count(), SHOWN_CHARS + 1);
    }
}
