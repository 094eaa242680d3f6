//! Reading YAML 1.2 (and so JSON) text into JSON values under vouch's
//! rules: core-schema booleans only (`y`, `on` and `no` stay strings), no
//! duplicate keys, mapping keys as strings (`200:`), no NaN or infinity, and
//! size budgets that admit real 20 MB specs but refuse alias bombs.
//!
//! This file is also compiled into the build script (`build.rs`), which reads
//! the built-in specs and fixtures into JSON once, at build time: it may use
//! only `serde`, `serde_json` and `serde_saphyr`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// Most nodes a document may have, counting those an alias repeats: a 20 MB
/// spec has about two million.
pub const MAX_NODES: usize = 10_000_000;

/// Most parser events, counting those an alias repeats.
const MAX_EVENTS: usize = 25_000_000;

/// Most nodes that aliases (`*name`) may repeat in one document: what stops
/// an alias bomb, whatever the size of the plain document.
pub const MAX_ALIAS_EXPANSION: usize = 1_000_000;

/// Why a text is not a YAML (or JSON) document.
#[derive(Debug, Clone)]
pub struct ParseError {
    /// 1-based line of the problem, when the parser knows it.
    pub line: Option<u64>,
    /// 1-based column of the problem, when the parser knows it.
    pub column: Option<u64>,
    /// The parser's own words.
    pub message: String,
}

/// Reads YAML text as `T` under vouch's rules: YAML 1.2 core booleans (`y`,
/// `on` and `no` stay strings), no duplicate keys, and size budgets.
pub fn read_yaml<T: DeserializeOwned>(text: &str) -> Result<T, ParseError> {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = MAX_NODES;
    budget.max_events = MAX_EVENTS;
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = MAX_ALIAS_EXPANSION;
    serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let location = e.location();
        ParseError {
            line: location.map(|l| l.line()).filter(|&l| l > 0),
            column: location.map(|l| l.column()).filter(|&c| c > 0),
            message: budget_message(&e).unwrap_or_else(|| first_line(&e.to_string())),
        }
    })
}

/// The parser's first line of explanation, at most [`MESSAGE_CHARS`] characters
/// (it may quote the input, which can be one huge line).
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or("invalid YAML").trim();
    match line.char_indices().nth(MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

/// The longest parser message kept.
const MESSAGE_CHARS: usize = 200;

/// For a document over one of the parser's size limits: which limit, and how large a document may be.
fn budget_message(e: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::budget::BudgetBreach;
    let limits = serde_saphyr::Budget::default();
    if let serde_saphyr::Error::AliasReplayLimitExceeded { .. } = e {
        return Some(alias_message());
    }
    let (what, limit) = match e {
        serde_saphyr::Error::WithSnippet { error, .. }
        | serde_saphyr::Error::AliasError { error, .. } => return budget_message(error),
        serde_saphyr::Error::Budget { breach, .. } => match breach {
            BudgetBreach::Nodes { .. } => ("nodes (mappings, sequences and scalars)", MAX_NODES),
            BudgetBreach::Events { .. } => ("parser events", MAX_EVENTS),
            BudgetBreach::Depth { .. } => ("levels of nesting", limits.max_depth),
            BudgetBreach::ScalarBytes { .. } => {
                ("bytes of scalar text", limits.max_total_scalar_bytes)
            }
            BudgetBreach::Documents { .. } => ("documents in one file", limits.max_documents),
            BudgetBreach::Aliases { .. } => ("aliases (`*name`)", limits.max_aliases),
            BudgetBreach::Anchors { .. } => ("anchors (`&name`)", limits.max_anchors),
            BudgetBreach::MergeKeys { .. } => ("merge keys (`<<`)", limits.max_merge_keys),
            BudgetBreach::RecordedAnchorEvents { .. }
            | BudgetBreach::RecordedAnchorBytes { .. }
            | BudgetBreach::AliasAnchorRatio { .. } => return Some(alias_message()),
            other => {
                return Some(format!(
                    "the document is over a size limit of the YAML reader: {other:?}"
                ));
            }
        },
        _ => return None,
    };
    Some(format!(
        "the document is too large: a document may have at most {limit} {what}; split it or make it smaller"
    ))
}

/// Why a document whose aliases expand too far is refused.
fn alias_message() -> String {
    format!(
        "the document's aliases (`*name`) expand to more than the YAML reader allows (about {MAX_ALIAS_EXPANSION} nodes); expand them in the file or make it smaller"
    )
}

/// A mapping key: YAML allows `200:` unquoted, JSON wants a string.
pub struct Key(pub String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key, E> {
                Ok(Key(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
                Ok(Key("null".to_string()))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

/// A YAML node read as a plain JSON value, without positions.
pub struct Plain(pub Value);

/// What a YAML node is read into: a plain value, or a [`Node`] that keeps
/// the positions of its children. One visitor reads both.
pub trait Tree: Sized {
    /// What each child (item or entry value) is read into.
    type Child: DeserializeOwned;
    /// What each mapping key is read into.
    type Key: DeserializeOwned;
    /// A scalar, as JSON.
    fn scalar(value: Value) -> Self;
    /// A sequence of its items.
    fn seq(items: Vec<Self::Child>) -> Self;
    /// A mapping of its entries, in order.
    fn map(entries: Vec<(Self::Key, Self::Child)>) -> Self;
}

impl Tree for Plain {
    type Child = Plain;
    type Key = Key;
    fn scalar(value: Value) -> Self {
        Plain(value)
    }
    fn seq(items: Vec<Plain>) -> Self {
        Plain(Value::Array(items.into_iter().map(|item| item.0).collect()))
    }
    fn map(entries: Vec<(Key, Plain)>) -> Self {
        Plain(Value::Object(
            entries.into_iter().map(|(k, v)| (k.0, v.0)).collect(),
        ))
    }
}

impl<'de> Deserialize<'de> for Plain {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TreeVisitor::new())
    }
}

/// Reads any YAML node into a [`Tree`].
pub struct TreeVisitor<T>(PhantomData<T>);

impl<T> TreeVisitor<T> {
    /// The visitor for `T`.
    pub fn new() -> Self {
        TreeVisitor(PhantomData)
    }
}

impl<'de, T: Tree + Deserialize<'de>> Visitor<'de> for TreeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        Ok(T::scalar(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Ok(T::scalar(Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Ok(T::scalar(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Number::from_f64(v)
            .map(|n| T::scalar(Value::Number(n)))
            .ok_or_else(|| E::custom("a number that JSON cannot hold (NaN or infinity)"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok(T::scalar(Value::String(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        Ok(T::scalar(Value::String(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::scalar(Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::scalar(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(T::seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(T::map(entries))
    }
}
