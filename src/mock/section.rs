//! Reading one vendor's section of a fixtures file (`rainbond:`, `zadig:`, ...)
//! without knowing the others: a top-level key that is no known section is
//! refused, and every error names the file, the line and the field.
//!
//! The file is read once into a JSON value, and each section is taken from
//! that value. Only a section that does not read so is read again from the
//! text, by the YAML reader that knows lines and skips other sections unread:
//! that reading decides, and its error is the one reported.

use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

/// A fixtures file: its text, the text read as JSON once (`Null` when it
/// does not read), and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Source<'f> {
    /// The file's text.
    pub text: &'f str,
    /// The text as JSON.
    pub value: &'f Value,
    /// Where the text was read from (for error messages).
    pub origin: &'f Path,
}

/// The section `name` of the fixtures `source`, or its default when the file
/// leaves it out; `known` are the sections a file may have.
pub fn parse<T: DeserializeOwned + Default>(
    source: Source<'_>,
    name: &str,
    known: &'static [&'static str],
) -> Result<T, String> {
    match from_value(source.value, name, known) {
        Some(section) => Ok(section),
        None => from_text(source.text, source.origin, name, known),
    }
}

/// The section read from the JSON value, when it reads.
fn from_value<T: DeserializeOwned + Default>(
    file: &Value,
    name: &str,
    known: &[&str],
) -> Option<T> {
    match file {
        Value::Object(sections) if sections.keys().all(|k| known.contains(&k.as_str())) => {
            match sections.get(name) {
                None | Some(Value::Null) => Some(T::default()),
                Some(section) => T::deserialize(section).ok(),
            }
        }
        _ => None,
    }
}

/// The section read from the text, with the error's line.
fn from_text<T: DeserializeOwned + Default>(
    text: &str,
    origin: &Path,
    name: &str,
    known: &'static [&'static str],
) -> Result<T, String> {
    let seed = Section {
        name,
        known,
        section: PhantomData,
    };
    serde_saphyr::with_deserializer_from_str(text, |de| seed.deserialize(de)).map_err(|e| {
        let line = e
            .location()
            .map(|l| format!(":{}", l.line()))
            .unwrap_or_default();
        format!(
            "{}{line}: invalid fixtures: {}",
            origin.display(),
            e.to_string().lines().next().unwrap_or_default()
        )
    })
}

/// The seed that picks section `name` out of the top-level mapping.
struct Section<'n, T> {
    name: &'n str,
    known: &'static [&'static str],
    section: PhantomData<T>,
}

impl<'de, T: DeserializeOwned + Default> DeserializeSeed<'de> for Section<'_, T> {
    type Value = T;

    fn deserialize<D: de::Deserializer<'de>>(self, de: D) -> Result<T, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de, T: DeserializeOwned + Default> Visitor<'de> for Section<'_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a mapping of sections ({})", self.known.join(", "))
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            if !self.known.contains(&key.as_str()) {
                return Err(de::Error::unknown_field(&key, self.known));
            }
            if key == self.name {
                found = Some(map.next_value::<T>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Mine {
        #[serde(default)]
        items: Vec<u16>,
    }

    const KNOWN: &[&str] = &["mine", "theirs"];

    fn read(text: &str) -> Result<Mine, String> {
        let value = serde_saphyr::from_str(text).unwrap_or(Value::Null);
        let source = Source {
            text,
            value: &value,
            origin: Path::new("f.yaml"),
        };
        parse(source, "mine", KNOWN)
    }

    #[test]
    fn reads_its_own_section_and_skips_the_others_unread() {
        let got = read("theirs: {whatever: [1, {deep: true}]}\nmine: {items: [1, 2]}\n");
        assert_eq!(got, Ok(Mine { items: vec![1, 2] }));
    }

    #[test]
    fn a_missing_section_or_an_empty_file_is_the_default() {
        assert_eq!(read("theirs: {}\n"), Ok(Mine::default()));
        assert_eq!(read("# nothing\n"), Ok(Mine::default()));
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_field() {
        let bad = read("theirs: {}\nmine:\n  items: [1, 2]\n  colour: red\n").unwrap_err();
        assert!(
            bad.starts_with("f.yaml:4: ") && bad.contains("colour"),
            "{bad}"
        );
        let unknown = read("mine: {}\nnobody: {}\n").unwrap_err();
        assert!(
            unknown.starts_with("f.yaml:2: ") && unknown.contains("nobody"),
            "{unknown}"
        );
    }
}
