//! A parsed YAML or JSON document: its value as JSON plus the source line of
//! every node, addressed by JSON pointer, so that any finding about the value
//! can name the line it came from.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;

/// A document's JSON value and where each of its nodes stands in the source.
#[derive(Debug, Clone)]
pub struct Document {
    /// The whole document as JSON.
    pub value: Value,
    /// Where each node stands, by pointer: built while parsing YAML, or on
    /// first use from `source` for a document read as plain JSON.
    positions: OnceLock<Positions>,
    /// The text of a document read as plain JSON, kept to build `positions` when asked.
    source: Option<Arc<str>>,
    /// Pointer prefixes a conversion renamed: (as converted, as written).
    renamed: Vec<(String, String)>,
    /// Local files bundled in under `/x-vouch-files/<i>`, each with its own line index.
    files: Vec<(PathBuf, Document)>,
}

/// The (line, column) of each node, by JSON pointer.
type Positions = HashMap<String, (u64, u64)>;

/// The key under which files reached by `$ref` are bundled into a document.
pub const FILES_KEY: &str = "x-vouch-files";

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

impl Document {
    /// Parses YAML 1.2 (and so JSON) text into a value with a line index.
    /// Text that is plain JSON is read by the JSON parser, many times faster
    /// on large specs; its line index is built only when a line is asked for.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let json = text.trim_start().starts_with(['{', '[']);
        if json && let Ok(value) = serde_json::from_str::<Value>(text) {
            return Ok(Self {
                value,
                positions: OnceLock::new(),
                source: Some(text.into()),
                renamed: Vec::new(),
                files: Vec::new(),
            });
        }
        let (value, positions) = parse_yaml(text)?;
        Ok(Self {
            value,
            positions: OnceLock::from(positions),
            source: None,
            renamed: Vec::new(),
            files: Vec::new(),
        })
    }

    /// The line index, built from the JSON text on first use.
    fn positions(&self) -> &Positions {
        self.positions.get_or_init(|| {
            self.source
                .as_deref()
                .and_then(|text| parse_yaml(text).ok())
                .map(|(_, positions)| positions)
                .unwrap_or_default()
        })
    }
}

/// Parses YAML text into its value and the position of every node.
fn parse_yaml(text: &str) -> Result<(Value, Positions), ParseError> {
    let mut options = serde_saphyr::Options::default();
    // YAML 1.2 core booleans only: `y`, `on` and `no` stay strings.
    options.strict_booleans = true;
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = MAX_NODES;
    budget.max_events = MAX_EVENTS;
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = MAX_ALIAS_EXPANSION;
    let root: Spanned<Node> = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let location = e.location();
        ParseError {
            line: location.map(|l| l.line()).filter(|&l| l > 0),
            column: location.map(|l| l.column()).filter(|&c| c > 0),
            message: budget_message(&e).unwrap_or_else(|| first_line(&e.to_string())),
        }
    })?;
    let mut positions = HashMap::new();
    let value = root
        .value
        .into_value(String::new(), position(&root.referenced), &mut positions);
    Ok((value, positions))
}

impl Document {
    /// This document's line index for `value`, a conversion of it whose
    /// pointers differ from the source's by the prefixes in `renamed`
    /// (as converted, as written).
    pub fn converted(self, value: Value, renamed: &[(&str, &str)]) -> Self {
        Self {
            value,
            renamed: renamed
                .iter()
                .map(|(to, from)| (to.to_string(), from.to_string()))
                .collect(),
            ..self
        }
    }

    /// Keeps the line index of a file bundled under `/x-vouch-files/<i>` (in order).
    pub(crate) fn add_file(&mut self, path: PathBuf, index: Document) {
        self.files.push((path, index));
    }

    /// The file a pointer into this document stands in, that file's line index and the
    /// pointer within it: a bundled file for `/x-vouch-files/<i>/...`, else `main`.
    pub fn source_of<'d>(
        &'d self,
        main: &'d Path,
        pointer: &'d str,
    ) -> (&'d Path, &'d Document, &'d str) {
        let bundled = pointer
            .strip_prefix("/")
            .and_then(|p| p.strip_prefix(FILES_KEY))
            .and_then(|p| p.strip_prefix('/'))
            .and_then(|rest| {
                let (index, inner) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                let (path, doc) = self.files.get(index.parse::<usize>().ok()?)?;
                Some((path.as_path(), doc, inner))
            });
        bundled.unwrap_or((main, self, pointer))
    }

    /// The 1-based source line of the node at `pointer`, or of its nearest
    /// ancestor that has one.
    pub fn line_of(&self, pointer: &str) -> Option<u64> {
        self.position_of(pointer).map(|(line, _)| line)
    }

    /// The 1-based (line, column) of the node at `pointer` (for a mapping
    /// entry, of its key), or of its nearest ancestor that has one.
    pub fn position_of(&self, pointer: &str) -> Option<(u64, u64)> {
        let written = self.renamed.iter().find_map(|(to, from)| {
            pointer
                .strip_prefix(to.as_str())
                .map(|rest| format!("{from}{rest}"))
        });
        let mut p = written.as_deref().unwrap_or(pointer);
        loop {
            if let Some(&at) = self.positions().get(p) {
                return Some(at);
            }
            p = &p[..p.rfind('/')?];
        }
    }

    /// The (line, column) of the value at `pointer` itself (for a mapping
    /// entry, where its value starts rather than its key).
    pub fn value_position(&self, pointer: &str) -> Option<(u64, u64)> {
        self.positions()
            .get(&format!("{pointer}#value"))
            .or_else(|| self.positions().get(pointer))
            .copied()
    }
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

/// How many characters an error snippet shows on each side of the column.
const EXCERPT_RADIUS: usize = 60;

/// The part of a source `line` shown under an error at the 1-based `column`:
/// up to [`EXCERPT_RADIUS`] characters each side, `…` where it was cut, and a
/// marker line underlining `width` characters (at least one) from the column.
/// A line of any length gives a snippet of bounded size.
pub fn excerpt(line: &str, column: u64, width: usize) -> (String, String) {
    let at = column.saturating_sub(1) as usize;
    let width = width.clamp(1, EXCERPT_RADIUS);
    let start = at.saturating_sub(EXCERPT_RADIUS);
    let end = at + width + EXCERPT_RADIUS;
    let (mut shown, mut marker) = match start {
        0 => (String::new(), String::new()),
        _ => ("…".to_string(), " ".to_string()),
    };
    let mut chars = line.chars().skip(start);
    for (i, c) in (start..end).zip(chars.by_ref()) {
        shown.push(c);
        if i < at {
            marker.push(if c == '\t' { '\t' } else { ' ' });
        }
    }
    if chars.next().is_some() {
        shown.push('…');
    }
    marker.push_str(&"^".repeat(width));
    (shown, marker)
}

/// Escapes one reference token of a JSON pointer (RFC 6901).
pub fn escape_token(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    push_token(&mut out, token);
    out
}

/// Appends the escaped `token` to `pointer`, allocating only to grow it.
pub fn push_token(pointer: &mut String, token: &str) {
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// Appends `token` to `pointer`.
pub fn child_pointer(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape_token(token))
}

/// A YAML node whose children carry their source locations.
enum Node {
    Scalar(Value),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Key>, Spanned<Node>)>),
}

fn position(location: &serde_saphyr::Location) -> (u64, u64) {
    (location.line(), location.column())
}

impl Node {
    fn into_value(
        self,
        pointer: String,
        at: (u64, u64),
        positions: &mut HashMap<String, (u64, u64)>,
    ) -> Value {
        if at.0 > 0 {
            positions.insert(pointer.clone(), at);
        }
        match self {
            Node::Scalar(v) => v,
            Node::Seq(items) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        item.value.into_value(
                            format!("{pointer}/{i}"),
                            position(&item.referenced),
                            positions,
                        )
                    })
                    .collect(),
            ),
            Node::Map(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (key, node) in entries {
                    let child = child_pointer(&pointer, &key.value.0);
                    // A key's position is where a reader looks for its entry;
                    // the value's own position is kept beside it.
                    if node.referenced.line() > 0 {
                        positions.insert(format!("{child}#value"), position(&node.referenced));
                    }
                    let value = node
                        .value
                        .into_value(child, position(&key.referenced), positions);
                    map.insert(key.value.0, value);
                }
                Value::Object(map)
            }
        }
    }
}

/// A mapping key: YAML allows `200:` unquoted, JSON wants a string.
struct Key(String);

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

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Scalar(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Scalar(Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Scalar(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Number::from_f64(v)
            .map(|n| Node::Scalar(Value::Number(n)))
            .ok_or_else(|| E::custom("a number that JSON cannot hold (NaN or infinity)"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Scalar(Value::String(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Scalar(Value::String(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar(Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<Spanned<Key>, Spanned<Node>>()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_of_a_huge_line_is_a_window_around_the_column() {
        let line = format!("{}X{}", "a".repeat(1_000_000), "b".repeat(1_000_000));
        let (shown, marker) = excerpt(&line, 1_000_001, 1);
        assert_eq!(shown, format!("…{}X{}…", "a".repeat(60), "b".repeat(60)));
        assert_eq!(marker, format!("{}^", " ".repeat(61)));
    }

    #[test]
    fn a_short_line_is_shown_whole() {
        assert_eq!(
            excerpt("key: [1, }", 10, 1),
            ("key: [1, }".to_string(), "         ^".to_string())
        );
    }

    #[test]
    fn a_large_plain_document_is_read() {
        // Over the parser's default budget of 250,000 nodes, as real 20 MB specs are.
        let text = format!("[{}]", vec!["1"; 600_000].join(","));
        let doc = Document::parse(&text).unwrap();
        assert_eq!(doc.value.as_array().map(Vec::len), Some(600_000));
    }

    #[test]
    fn an_alias_bomb_is_refused_by_the_alias_expansion_budget() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            text += &format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            );
        }
        let error = Document::parse(&text).unwrap_err();
        assert!(
            error
                .message
                .contains("aliases (`*name`) expand to more than"),
            "{}",
            error.message
        );
    }

    #[test]
    fn lines_follow_pointers_and_numeric_keys_become_strings() {
        let doc = Document::parse("a:\n  b: 1\n  200:\n    - x\n    - y\n").unwrap();
        assert_eq!(doc.value["a"]["200"][1], "y");
        assert_eq!(doc.line_of("/a/b"), Some(2));
        assert_eq!(doc.line_of("/a/200"), Some(3));
        assert_eq!(doc.line_of("/a/200/1"), Some(5));
        assert_eq!(doc.line_of("/a/200/1/deeper"), Some(5));
        assert_eq!(doc.position_of("/a/b"), Some((2, 3)));
        assert_eq!(doc.value_position("/a/b"), Some((2, 6)));
    }

    #[test]
    fn json_text_parses_with_lines() {
        let doc = Document::parse("{\n  \"k\": [1,\n 2]\n}").unwrap();
        assert_eq!(doc.value["k"][1], 2);
        assert_eq!(doc.line_of("/k/1"), Some(3));
    }

    #[test]
    fn invalid_yaml_reports_its_line() {
        let err = Document::parse("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(err.line.is_some(), "{err:?}");
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = Document::parse("a: 1\na: 2\n").unwrap_err();
        assert!(err.message.to_lowercase().contains("duplicate"), "{err:?}");
    }
}
