//! Mirroring a live service into a vendor's fixtures section: the book of
//! reads a vendor asks for and the answers the live service gave.
//!
//! A vendor's [`super::Vendor::mirror`] is written straight through, as if
//! every answer were at hand: it asks [`Reads::get`] for each read it needs
//! (a read operation of its spec with the variables' values as parameters)
//! and builds its section from the answers. A read not answered yet is noted
//! as pending and `get` gives `None`; the caller (the crate's `mirror`
//! module) sends the pending reads to the live service, records the answers
//! and calls the vendor again, until it asks for nothing more. The vendors
//! know no HTTP, and a read that depends on an earlier answer (the domains of
//! each listed port) simply comes in a later round.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The variables of a run (`--vars`, `--var`), by name.
pub type Vars = BTreeMap<String, Value>;

/// One read of a live service: a read operation and its parameters by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Read {
    /// The operationId (`zstack.getVipUsedPorts`).
    pub operation: String,
    /// Path and query parameters by name, as text.
    pub params: Vec<(String, String)>,
}

/// The reads vendors asked for, answered or still pending.
#[derive(Debug, Default)]
pub struct Reads {
    answers: BTreeMap<Read, Value>,
    pending: BTreeSet<Read>,
}

impl Reads {
    /// The live answer (its JSON body) to `operation` with `params`, or
    /// `None` while it is not read yet (it is then pending).
    pub fn get(&mut self, operation: &str, params: &[(&str, &str)]) -> Option<Value> {
        let read = Read {
            operation: operation.to_string(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let answer = self.answers.get(&read).cloned();
        if answer.is_none() {
            self.pending.insert(read);
        }
        answer
    }

    /// The reads asked for and not answered, which are no longer pending after this.
    pub fn take_pending(&mut self) -> Vec<Read> {
        std::mem::take(&mut self.pending).into_iter().collect()
    }

    /// Records the live answer to `read`.
    pub fn answer(&mut self, read: Read, body: Value) {
        self.answers.insert(read, body);
    }
}

/// The value of variable `name` as text (a string as it is, a number or a
/// boolean written out); `None` when unset, null, a list or a mapping.
pub fn var(vars: &Vars, name: &str) -> Option<String> {
    match vars.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The distinct values of the variables `names` that are set, in that order.
pub fn vars_named(vars: &Vars, names: &[&str]) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    for value in names.iter().filter_map(|n| var(vars, n)) {
        if !values.contains(&value) {
            values.push(value);
        }
    }
    values
}

/// The string field `key` of a live item, or `""` when it has none (the
/// vendor's fixtures then refuse it, naming the field).
pub fn text(item: &Value, key: &str) -> String {
    item.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A live number, also when a service sends it as a numeric string; `null`
/// when it is neither.
pub fn number(value: Option<&Value>) -> Value {
    match value {
        Some(Value::Number(n)) => Value::Number(n.clone()),
        Some(Value::String(s)) => s.trim().parse::<u64>().map_or(Value::Null, Value::from),
        _ => Value::Null,
    }
}

/// Every element of `items` answered, or `None` when one is not (yet): so
/// that a vendor asks for all the reads of one round before it stops.
pub fn all<T>(items: impl IntoIterator<Item = Option<T>>) -> Option<Vec<T>> {
    let items: Vec<Option<T>> = items.into_iter().collect();
    items.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_read_is_pending_until_answered_then_it_is_given() {
        let mut reads = Reads::default();
        assert_eq!(reads.get("op", &[("id", "1")]), None);
        assert_eq!(reads.get("op", &[("id", "1")]), None);
        let pending = reads.take_pending();
        assert_eq!(pending.len(), 1, "the same read is asked for once");
        assert!(reads.take_pending().is_empty());
        reads.answer(pending[0].clone(), json!({"ok": true}));
        assert_eq!(reads.get("op", &[("id", "1")]), Some(json!({"ok": true})));
        assert!(reads.take_pending().is_empty());
    }

    #[test]
    fn variables_read_as_text_and_repeated_values_count_once() {
        let vars: Vars = [
            ("a".to_string(), json!("x")),
            ("b".to_string(), json!(301)),
            ("c".to_string(), json!("x")),
            ("d".to_string(), json!(["no"])),
        ]
        .into();
        assert_eq!(var(&vars, "b").as_deref(), Some("301"));
        assert_eq!(var(&vars, "d"), None);
        assert_eq!(vars_named(&vars, &["a", "c", "b", "d", "e"]), ["x", "301"]);
    }

    #[test]
    fn live_fields_read_as_text_and_numbers() {
        let item = json!({"id": "a", "n": "8080", "m": 9, "x": [1]});
        assert_eq!(text(&item, "id"), "a");
        assert_eq!(text(&item, "n"), "8080");
        assert_eq!(text(&item, "x"), "");
        assert_eq!(number(item.get("n")), json!(8080));
        assert_eq!(number(item.get("m")), json!(9));
        assert_eq!(number(item.get("x")), Value::Null);
        assert_eq!(number(None), Value::Null);
    }

    #[test]
    fn all_waits_for_every_answer() {
        assert_eq!(all([Some(1), Some(2)]), Some(vec![1, 2]));
        assert_eq!(all([Some(1), None]), None);
    }
}
