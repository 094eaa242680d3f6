//! A parsed YAML or JSON document: its value as JSON plus the source line of
//! every node, addressed by JSON pointer, so that any finding about the value
//! can name the line it came from.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::de::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use serde_saphyr::Spanned;

use super::yaml::{Key, Plain, Tree, TreeVisitor, read_yaml};
pub use super::yaml::{MAX_ALIAS_EXPANSION, MAX_NODES, ParseError};

/// A document's JSON value and where each of its nodes stands in the source.
#[derive(Debug, Clone)]
pub struct Document {
    /// The whole document as JSON.
    pub value: Value,
    /// Where each node stands, by pointer: built from `source` on first use.
    positions: OnceLock<Positions>,
    /// The document's text, kept to build `positions` when asked.
    source: Arc<str>,
    /// Pointer prefixes a conversion renamed: (as converted, as written).
    renamed: Vec<(String, String)>,
    /// Local files bundled in under `/x-vouch-files/<i>`, each with its own line index.
    files: Vec<(PathBuf, Document)>,
}

/// The (line, column) of each node, by JSON pointer.
type Positions = HashMap<String, (u64, u64)>;

/// The key under which files reached by `$ref` are bundled into a document.
pub const FILES_KEY: &str = "x-vouch-files";

impl Document {
    /// Parses YAML 1.2 (and so JSON) text into a value with a line index.
    /// Text that is plain JSON is read by the JSON parser, many times faster
    /// on large specs. The line index is built only when a line is asked for:
    /// a document with nothing to report never pays for it.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let json = text.trim_start().starts_with(['{', '[']);
        let value = match json.then(|| serde_json::from_str::<Value>(text).ok()) {
            Some(Some(value)) => value,
            _ => read_yaml::<Plain>(text)?.0,
        };
        Ok(Self {
            value,
            positions: OnceLock::new(),
            source: text.into(),
            renamed: Vec::new(),
            files: Vec::new(),
        })
    }

    /// A document whose YAML `text` was read into `json` at build time (see
    /// `build.rs`): only the JSON is parsed; `text` stays for the line index.
    /// An empty `json` (the build could not read the YAML) reads `text`.
    pub fn prepared(text: &str, json: &str) -> Result<Self, ParseError> {
        match serde_json::from_str::<Value>(json) {
            Ok(value) => Ok(Self {
                value,
                positions: OnceLock::new(),
                source: text.into(),
                renamed: Vec::new(),
                files: Vec::new(),
            }),
            Err(_) => Self::parse(text),
        }
    }

    /// The line index, built from the source text on first use.
    fn positions(&self) -> &Positions {
        self.positions.get_or_init(|| {
            read_yaml::<Spanned<Node>>(&self.source)
                .ok()
                .map(|root| {
                    let mut positions = HashMap::new();
                    root.value.into_value(
                        String::new(),
                        position(&root.referenced),
                        &mut positions,
                    );
                    positions
                })
                .unwrap_or_default()
        })
    }
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

impl Tree for Node {
    type Child = Spanned<Node>;
    type Key = Spanned<Key>;
    fn scalar(value: Value) -> Self {
        Node::Scalar(value)
    }
    fn seq(items: Vec<Self::Child>) -> Self {
        Node::Seq(items)
    }
    fn map(entries: Vec<(Self::Key, Self::Child)>) -> Self {
        Node::Map(entries)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TreeVisitor::new())
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
