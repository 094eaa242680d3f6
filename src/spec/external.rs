//! `$ref`s to other local files. Each file a reference reaches (relative to
//! the file that names it) is read once, its own references rewritten, and
//! bundled into the document under `/x-vouch-files/<i>`, so that every
//! reference is local afterwards and problems still name the file and line
//! they come from. URLs are never fetched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::document::{Document, FILES_KEY, child_pointer, push_token};

/// A reference that could not be bundled: (pointer of the `$ref`, why).
pub type Unbundled = (String, String);

/// Bundles every local file `doc` (read from `main`) reaches through `$ref`.
/// Returns what could not be followed, located in the bundled document.
pub fn bundle(main: &Path, doc: &mut Document) -> Vec<Unbundled> {
    let mut bundler = Bundler {
        main: std::fs::canonicalize(main).ok(),
        index: HashMap::new(),
        files: Vec::new(),
        problems: Vec::new(),
    };
    let dir = main.parent().unwrap_or(Path::new("")).to_path_buf();
    bundler.rewrite(&mut doc.value, None, &dir, &mut String::new());
    let mut next = 0;
    while next < bundler.files.len() {
        let mut value = std::mem::take(&mut bundler.files[next].value);
        let dir = bundler.files[next]
            .shown
            .parent()
            .unwrap_or(Path::new(""))
            .to_path_buf();
        let mut pointer = format!("/{FILES_KEY}/{next}");
        bundler.rewrite(&mut value, Some(next), &dir, &mut pointer);
        bundler.files[next].value = value;
        next += 1;
    }
    if bundler.files.is_empty() {
        return bundler.problems;
    }
    let mut values = Vec::with_capacity(bundler.files.len());
    for file in bundler.files {
        values.push(file.value);
        doc.add_file(file.shown, file.index);
    }
    if let Value::Object(root) = &mut doc.value {
        root.insert(FILES_KEY.into(), Value::Array(values));
    }
    bundler.problems
}

struct Bundled {
    /// The path as reached (relative to the referring file), for messages.
    shown: PathBuf,
    value: Value,
    /// The file's line index (its value moved into `value`).
    index: Document,
}

struct Bundler {
    main: Option<PathBuf>,
    /// Canonical path → place in `files`.
    index: HashMap<PathBuf, usize>,
    files: Vec<Bundled>,
    problems: Vec<Unbundled>,
}

impl Bundler {
    /// Rewrites every `$ref` under `value`, a part of file `own` (`None`:
    /// the main document) whose directory is `dir`.
    fn rewrite(&mut self, value: &mut Value, own: Option<usize>, dir: &Path, pointer: &mut String) {
        let depth = pointer.len();
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    pointer.push('/');
                    push_token(pointer, key);
                    match (key.as_str(), child) {
                        ("$ref", Value::String(reference)) => {
                            if let Some(local) = self.local(reference, own, dir, pointer) {
                                *reference = local;
                            }
                        }
                        ("example", _) | (_, Value::String(_)) => {}
                        ("examples", Value::Object(examples)) => {
                            for (name, example) in examples.iter_mut() {
                                if let Some(Value::String(reference)) = example.get_mut("$ref") {
                                    let at = format!("{}/$ref", child_pointer(pointer, name));
                                    if let Some(local) = self.local(reference, own, dir, &at) {
                                        *reference = local;
                                    }
                                }
                            }
                        }
                        ("examples", _) => {}
                        (_, child) => self.rewrite(child, own, dir, pointer),
                    }
                    pointer.truncate(depth);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    pointer.push_str(&format!("/{i}"));
                    self.rewrite(item, own, dir, pointer);
                    pointer.truncate(depth);
                }
            }
            _ => {}
        }
    }

    /// The local form of `reference` (found at `at` in file `own`), or
    /// `None` to leave it as written.
    fn local(
        &mut self,
        reference: &str,
        own: Option<usize>,
        dir: &Path,
        at: &str,
    ) -> Option<String> {
        let (file, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let prefix = |i: usize| format!("#/{FILES_KEY}/{i}{fragment}");
        if file.is_empty() {
            return own.map(prefix);
        }
        if file.contains("://") || file.starts_with("//") {
            self.problems.push((
                at.to_string(),
                format!("`$ref: {reference}` points at the network; vouch follows references only to local files"),
            ));
            return None;
        }
        let shown = dir.join(file);
        let canonical = match std::fs::canonicalize(&shown) {
            Ok(c) => c,
            Err(e) => {
                self.problems.push((
                    at.to_string(),
                    format!(
                        "`$ref: {reference}` cannot be followed: {}: {e}",
                        shown.display()
                    ),
                ));
                return None;
            }
        };
        if self.main.as_ref() == Some(&canonical) {
            return Some(format!("#{fragment}"));
        }
        if let Some(&i) = self.index.get(&canonical) {
            return Some(prefix(i));
        }
        let text = std::fs::read_to_string(&canonical).map_err(|e| e.to_string());
        let parsed = text.and_then(|t| {
            Document::parse(&t).map_err(|e| match e.line {
                Some(line) => format!("line {line}: {}", e.message),
                None => e.message,
            })
        });
        match parsed {
            Ok(mut index) => {
                let i = self.files.len();
                let value = std::mem::take(&mut index.value);
                self.index.insert(canonical, i);
                self.files.push(Bundled {
                    shown,
                    value,
                    index,
                });
                Some(prefix(i))
            }
            Err(why) => {
                self.problems.push((
                    at.to_string(),
                    format!(
                        "`$ref: {reference}`: {} is not valid YAML or JSON: {why}",
                        shown.display()
                    ),
                ));
                None
            }
        }
    }
}
