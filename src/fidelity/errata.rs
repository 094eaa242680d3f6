//! What a difference means: new, known, free text or a guess.
//!
//! The spec says it explicitly (see [`crate::spec::marks`]); no word of an
//! erratum's prose counts. In order:
//! - latency and steps answered on one side only are not scored;
//! - a `validity` difference (one answer breaks the contract) is always new;
//! - a guess: a subject of the operation's `x-guess` list, or a value (or
//!   the order of an array) under a schema marked `x-guess`;
//! - free text: a value changed under a schema marked `x-free-text: true`
//!   (scored only with `score_text`);
//! - known: a subject an `x-errata` entry `explains`;
//! - anything else is new.
//!
//! An entry applies to an operation when its subject names the operation
//! (`operation:`), or else when the entry sits on the operation, on a
//! component the operation references (directly or through other
//! components), or at the root of the spec.

use std::collections::BTreeSet;

use serde_json::Value;

use super::body::show;
use super::{Class, Difference, Kind};
use crate::check::snapshot::marked_in;
use crate::exchange::Exchange;
use crate::spec::marks::{self, Entry, Subject};
use crate::spec::{Operation, Spec};

/// How many components are followed from one operation.
const MAX_COMPONENTS: usize = 500;

/// The errata and operation guesses of one spec, parsed once per comparison.
#[derive(Debug, Clone, Default)]
pub(super) struct SpecMarks {
    errata: Vec<Entry>,
    guesses: Vec<Entry>,
}

impl SpecMarks {
    /// The marks of `spec`.
    pub(super) fn of(spec: &Spec) -> SpecMarks {
        SpecMarks {
            errata: marks::errata(&spec.document),
            guesses: marks::guesses(&spec.document),
        }
    }
}

/// The two answers a step's differences came from.
pub(super) struct Answers<'a> {
    /// The mock's answer.
    pub mock: &'a Exchange,
    /// The live answer.
    pub live: &'a Exchange,
}

/// A status difference on a step whose scenario accepts any status (a cleanup
/// whose answer nothing verifies, `status: [2XX, 4XX, 5XX]`) is a guess: the
/// scenario itself says the status is not known.
pub(super) fn left_open_by_the_scenario(differences: &mut [Difference]) {
    for d in differences.iter_mut().filter(|d| d.kind == Kind::Status) {
        d.class = Class::Guess {
            guess: "the scenario leaves this step's status open (any 2XX, 4XX or 5XX)".into(),
        };
        d.scored = false;
    }
}

/// Sets the class of every difference between the two answers to a step of `op`.
pub(super) fn mark(
    spec: &Spec,
    op: &Operation,
    marks: &SpecMarks,
    answers: &Answers<'_>,
    score_text: bool,
    differences: &mut [Difference],
) {
    let scopes = scopes(spec, op);
    let applies = |e: &&Entry| e.subjects.iter().any(|s| applies_to(s, e, op, &scopes));
    let errata: Vec<&Entry> = marks.errata.iter().filter(applies).collect();
    let guesses: Vec<&Entry> = marks.guesses.iter().filter(applies).collect();
    let free_text = schema_marks(spec, op, answers, "x-free-text");
    let guessed = schema_marks(spec, op, answers, "x-guess");
    for d in differences.iter_mut() {
        let class = if !d.kind.scored() {
            Class::NotScored
        } else if d.kind == Kind::Validity {
            Class::New
        } else if let Some(guess) = covering(&guesses, op, &scopes, d) {
            Class::Guess { guess }
        } else if let Some(guess) = under(&guessed, d) {
            Class::Guess { guess }
        } else if d.kind == Kind::ValueChanged && under(&free_text, d).is_some() {
            Class::FreeText
        } else if let Some(erratum) = errata
            .iter()
            .find(|e| e.subjects.iter().any(|s| explains(s, e, op, &scopes, d)))
        {
            Class::Known {
                erratum: erratum.pointer.clone(),
            }
        } else {
            Class::New
        };
        d.scored = match class {
            Class::New => true,
            Class::FreeText => score_text,
            _ => false,
        };
        d.class = class;
    }
}

/// The words of the first guess entry with a subject covering `d`.
fn covering(
    guesses: &[&Entry],
    op: &Operation,
    scopes: &BTreeSet<String>,
    d: &Difference,
) -> Option<String> {
    guesses
        .iter()
        .find(|e| e.subjects.iter().any(|s| explains(s, e, op, scopes, d)))
        .map(|e| e.text.clone())
}

/// The mark of the schema-marked field whose value or order changed in `d`, if any:
/// a mark speaks of values, so fields added, removed or retyped are not covered.
fn under(marked: &[(String, Value)], d: &Difference) -> Option<String> {
    if !matches!(d.kind, Kind::ValueChanged | Kind::Order) {
        return None;
    }
    marked
        .iter()
        .find(|(p, _)| {
            d.pointer == *p
                || d.pointer
                    .strip_prefix(p.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        })
        .map(|(_, mark)| {
            mark.as_str()
                .map_or_else(|| mark.to_string(), str::to_string)
        })
}

/// (pointer, mark) of the fields either answer holds under a schema marked `mark`.
fn schema_marks(
    spec: &Spec,
    op: &Operation,
    answers: &Answers<'_>,
    mark: &str,
) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for e in [answers.mock, answers.live] {
        if let Some(json) = e.json() {
            found.extend(marked_in(spec, op, e.status, &e.media_type(), &json, mark));
        }
    }
    found
}

/// The pointers of `op` and of every component it references.
fn scopes(spec: &Spec, op: &Operation) -> BTreeSet<String> {
    let mut scopes = referenced(&spec.document.value, &op.raw);
    scopes.insert(op.pointer.clone());
    scopes.insert(String::new());
    scopes
}

/// Whether `subject` of `entry` is about `op`.
fn applies_to(subject: &Subject, entry: &Entry, op: &Operation, scopes: &BTreeSet<String>) -> bool {
    match &subject.operation {
        Some(id) => *id == op.id,
        None => scopes.contains(&entry.holder),
    }
}

/// Whether `subject` (of `entry`) names the difference `d` of `op`.
fn explains(
    subject: &Subject,
    entry: &Entry,
    op: &Operation,
    scopes: &BTreeSet<String>,
    d: &Difference,
) -> bool {
    if !applies_to(subject, entry, op, scopes) || class_of(d.kind) != Some(subject.class.as_str()) {
        return false;
    }
    let located = match d.kind {
        Kind::Status => [&d.mock, &d.live].iter().all(|s| {
            s.parse::<u16>()
                .is_ok_and(|code| subject.status.contains(&code))
        }),
        Kind::Header => subject
            .header
            .as_deref()
            .is_some_and(|h| h.eq_ignore_ascii_case(&d.pointer)),
        Kind::ContentType => true,
        _ => subject
            .pointer
            .as_deref()
            .is_some_and(|p| pointer_covers(p, &d.pointer)),
    };
    located && (subject.values.is_empty() || both_among(&subject.values, d))
}

/// Both answers' values are among `values` (as JSON text or, for strings, as they are).
fn both_among(values: &[Value], d: &Difference) -> bool {
    let among = |shown: &str| {
        values
            .iter()
            .any(|v| show(v) == shown || v.as_str() == Some(shown))
    };
    among(&d.mock) && among(&d.live)
}

/// The subject class naming a kind of difference.
fn class_of(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Status => "status",
        Kind::FieldAdded => "field-added",
        Kind::FieldRemoved => "field-removed",
        Kind::TypeChanged => "type",
        Kind::ValueChanged => "value",
        Kind::Order => "order",
        Kind::ContentType => "content-type",
        Kind::Header => "header",
        Kind::Validity | Kind::Latency | Kind::NotCompared => return None,
    })
}

/// Whether the subject pointer `pattern` (`*` for any one token) is `pointer` or one of its parents.
fn pointer_covers(pattern: &str, pointer: &str) -> bool {
    let (mut want, mut got) = (pattern.split('/'), pointer.split('/'));
    loop {
        match (want.next(), got.next()) {
            (None, _) => return true,
            (Some(_), None) => return false,
            (Some(w), Some(g)) if w == "*" || w == g => {}
            _ => return false,
        }
    }
}

/// The pointers of every local `$ref` reachable from `value`.
fn referenced(doc: &Value, value: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut pending = vec![value];
    while let Some(v) = pending.pop() {
        match v {
            Value::Object(map) => {
                let target = map
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix('#'));
                if let Some(target) = target
                    && found.len() < MAX_COMPONENTS
                    && found.insert(target.to_string())
                    && let Some(component) = doc.pointer(target)
                {
                    pending.push(component);
                }
                pending.extend(map.values());
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    found
}

/// The last token of `pointer` that is not an array index, unescaped.
pub(crate) fn field_name(pointer: &str) -> Option<String> {
    pointer
        .rsplit('/')
        .find(|t| !t.is_empty() && !t.bytes().all(|b| b.is_ascii_digit()))
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_the_scenario_leaves_open_is_a_guess_and_nothing_else_changes() {
        let mut found = vec![
            Difference::new(Kind::Status, "", "400".into(), "200".into()),
            Difference::new(Kind::Validity, "", "ok".into(), "broken".into()),
        ];
        let validity_before = (found[1].class.clone(), found[1].scored);
        left_open_by_the_scenario(&mut found);
        assert!(matches!(found[0].class, Class::Guess { .. }) && !found[0].scored);
        assert_eq!((found[1].class.clone(), found[1].scored), validity_before);
    }

    #[test]
    fn a_subject_pointer_covers_its_subtree_and_stars_match_one_token() {
        assert!(pointer_covers("/data/bean", "/data/bean/protocol"));
        assert!(pointer_covers("/list/*/value", "/list/3/value"));
        assert!(pointer_covers("/list/*/value", "/list/3/value/0"));
        assert!(!pointer_covers("/list/*/value", "/list/3/name"));
        assert!(!pointer_covers("/data/bean/protocol", "/data/bean"));
        assert!(!pointer_covers("/data/bea", "/data/bean"));
    }

    #[test]
    fn the_field_is_the_last_named_token() {
        assert_eq!(
            field_name("/inventories/0/usedPorts/3").as_deref(),
            Some("usedPorts")
        );
        assert_eq!(field_name("/a~1b").as_deref(), Some("a/b"));
        assert_eq!(field_name("/0"), None);
        assert_eq!(field_name(""), None);
    }

    #[test]
    fn both_values_must_be_listed() {
        let d = |mock: &str, live: &str| {
            Difference::new(Kind::ValueChanged, "/c", mock.into(), live.into())
        };
        let values = [Value::from("APIC.7200"), Value::from("APIC.7211")];
        assert!(both_among(&values, &d("\"APIC.7200\"", "\"APIC.7211\"")));
        assert!(!both_among(&values, &d("\"APIC.7200\"", "\"APIC.9000\"")));
    }
}
