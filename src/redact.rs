//! Secret redaction, the one place for it. A [`Redactor`] replaces every
//! credential value in text and in parsed JSON (strings and object keys),
//! whatever form a target wrote it in: as it is, JSON-escaped (`\u0054`,
//! `\/`, surrogate pairs), percent-encoded (`%54`, `+` for a space) or as an
//! HTML character reference (`&#84;`, `&#x54;`), any character of it in any
//! of these forms.
//!
//! Redaction is for rendering only. The runner checks and the fidelity
//! comparison compare the real values; an outcome is redacted once, when it
//! is complete and before any reporter sees it. So a secret is redacted
//! wherever it appears, however short: replacing too much can make a report
//! harder to read but can no longer change a verdict, and showing a secret
//! is never acceptable. (A one-letter token turns "TCP" into "[secret]CP" in
//! a report, but the step compared "TCP" with "TCP".)

use regex::Regex;
use serde_json::Value;

/// What replaces a secret.
pub const SECRET: &str = "[secret]";

/// Compiled patterns bigger than this are not built (a token of several
/// kilobytes); such secrets are then replaced where they appear as they are.
const PATTERN_SIZE_LIMIT: usize = 64 * 1024 * 1024;

/// Replaces a set of secrets, in every escaped form, with a fixed text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Non-empty secrets, longest first.
    secrets: Vec<String>,
    /// Every form of every secret; `None` without secrets or when too large to build.
    pattern: Option<Regex>,
    /// What a match becomes.
    replacement: String,
}

impl Redactor {
    /// A redactor replacing `secrets` (empty ones ignored) with [`SECRET`].
    pub fn new<S: AsRef<str>>(secrets: &[S]) -> Redactor {
        Redactor::replacing_with(secrets, SECRET)
    }

    /// A redactor replacing `secrets` (empty ones ignored) with `replacement`.
    pub fn replacing_with<S: AsRef<str>>(secrets: &[S], replacement: &str) -> Redactor {
        let mut secrets: Vec<String> = secrets
            .iter()
            .map(|s| s.as_ref().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        // Longest first: a secret containing another is replaced whole.
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        let pattern = (!secrets.is_empty())
            .then(|| {
                let alternatives: Vec<String> = secrets.iter().map(|s| secret_pattern(s)).collect();
                regex::RegexBuilder::new(&alternatives.join("|"))
                    .size_limit(PATTERN_SIZE_LIMIT)
                    .build()
                    .ok()
            })
            .flatten();
        Redactor {
            secrets,
            pattern,
            replacement: replacement.to_string(),
        }
    }

    /// Whether this redactor has no secret to replace.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Whether `text` holds a secret in any form.
    pub fn finds(&self, text: &str) -> bool {
        match &self.pattern {
            Some(p) => p.is_match(text),
            None => self.secrets.iter().any(|s| text.contains(s.as_str())),
        }
    }

    /// `text` with every secret, in any form, replaced.
    pub fn text(&self, text: &str) -> String {
        match &self.pattern {
            Some(p) => p
                .replace_all(text, regex::NoExpand(&self.replacement))
                .into_owned(),
            None => self.secrets.iter().fold(text.to_string(), |t, s| {
                t.replace(s.as_str(), &self.replacement)
            }),
        }
    }

    /// Redacts `text` in place; whether anything was replaced.
    pub fn string(&self, text: &mut String) -> bool {
        if self.is_empty() || !self.finds(text) {
            return false;
        }
        *text = self.text(text);
        true
    }

    /// Redacts every string and every object key in `value`; whether anything was replaced.
    pub fn value(&self, value: &mut Value) -> bool {
        if self.is_empty() {
            return false;
        }
        match value {
            Value::String(s) => self.string(s),
            Value::Array(items) => items.iter_mut().fold(false, |f, v| self.value(v) | f),
            Value::Object(map) => {
                let mut found = false;
                let entries = std::mem::take(map);
                for (mut key, mut v) in entries {
                    found |= self.string(&mut key);
                    found |= self.value(&mut v);
                    map.insert(key, v);
                }
                found
            }
            _ => false,
        }
    }
}

/// `text` with every non-empty secret replaced by [`SECRET`] where it
/// appears as it is. For text from the client of the built-in mock, where a
/// compiled [`Redactor`] per request would cost more than it protects; use a
/// [`Redactor`] for anything a target answered.
pub fn redact<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    secrets
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| !s.is_empty())
        .fold(text.to_string(), |t, s| t.replace(s, SECRET))
}

/// A regular expression matching `secret` with each character in any of its forms.
fn secret_pattern(secret: &str) -> String {
    secret.chars().map(char_pattern).collect()
}

/// Every way a character of a secret can be written in JSON, a URL or HTML.
fn char_pattern(c: char) -> String {
    let mut forms = vec![regex::escape(c.encode_utf8(&mut [0; 4]))];
    // JSON: \uXXXX, any case, as a surrogate pair beyond the BMP.
    let mut units = [0u16; 2];
    forms.push(
        c.encode_utf16(&mut units)
            .iter()
            .map(|u| format!(r"\\u(?i:{u:04x})"))
            .collect(),
    );
    // JSON's short escapes.
    let short = match c {
        '"' => Some("\""),
        '\\' => Some("\\"),
        '/' => Some("/"),
        '\u{8}' => Some("b"),
        '\u{c}' => Some("f"),
        '\n' => Some("n"),
        '\r' => Some("r"),
        '\t' => Some("t"),
        _ => None,
    };
    if let Some(s) = short {
        forms.push(format!(r"\\{}", regex::escape(s)));
    }
    // Percent-encoding of its UTF-8 bytes, any case; `+` for a space in a form.
    forms.push(
        c.encode_utf8(&mut [0; 4])
            .bytes()
            .map(|b| format!("%(?i:{b:02x})"))
            .collect(),
    );
    if c == ' ' {
        forms.push(r"\+".into());
    }
    // HTML character references, decimal and hexadecimal.
    let code = u32::from(c);
    forms.push(format!("&#0*{code};"));
    forms.push(format!("&#(?i:x0*{code:x});"));
    format!("(?:{})", forms.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[test]
    fn every_secret_is_replaced_and_empty_ones_are_ignored() {
        assert_eq!(
            redact("token=abc&key=xyz&abc", &["abc", "", "xyz"]),
            "token=[secret]&key=[secret]&[secret]"
        );
        assert_eq!(redact("nothing here", &[] as &[&str]), "nothing here");
        let r = Redactor::new(&["abc", "", "xyz"]);
        assert_eq!(
            r.text("token=abc&key=xyz&abc"),
            "token=[secret]&key=[secret]&[secret]"
        );
        assert_eq!(Redactor::new(&[] as &[&str]).text("abc"), "abc");
    }

    #[rstest]
    #[case::as_is("Tok/en+1", "x Tok/en+1 y")]
    #[case::json_unicode_escapes(
        "Tok/en+1",
        r#"{"a":"\u0054\u006F\u006b\u002f\u0065\u006e\u002b\u0031"}"#
    )]
    #[case::json_mixed_and_slash("Tok/en+1", r#"{"a":"T\u006fk\/en+\u0031"}"#)]
    #[case::percent_encoded("Tok/en+1", "/x/Tok%2Fen%2b1?y")]
    #[case::percent_every_byte("Tok/en+1", "%54%6F%6b%2F%65%6e%2B%31")]
    #[case::html_references("Tok/en+1", "&#84;ok&#x2F;en&#X2b;1")]
    #[case::a_space_as_plus("a b c", "q=a+b%20c")]
    #[case::beyond_the_bmp("k\u{1F600}y", r#""k\ud83d\ude00y""#)]
    #[case::quote_and_backslash("a\"b\\c", r#""a\"b\\c""#)]
    fn a_secret_is_found_in_every_escaped_form(#[case] secret: &str, #[case] text: &str) {
        let r = Redactor::new(&[secret]);
        let out = r.text(text);
        assert!(out.contains(SECRET), "{text} -> {out}");
        assert!(!r.finds(&out), "{text} -> {out}");
    }

    #[test]
    fn the_secret_text_itself_is_case_sensitive_but_escapes_are_not() {
        let r = Redactor::new(&["Token"]);
        assert_eq!(r.text("token TOKEN"), "token TOKEN");
        assert_eq!(r.text(r"\u0054OKEN \u0054oken"), r"\u0054OKEN [secret]");
    }

    #[test]
    fn parsed_json_is_redacted_in_strings_and_keys_and_the_longer_secret_wins() {
        let r = Redactor::new(&["ab", "abcd"]);
        let mut value = json!({"abcd": ["x abcd y", 1, {"k": "ab"}], "other": "ba"});
        assert!(r.value(&mut value));
        assert_eq!(
            value,
            json!({"[secret]": ["x [secret] y", 1, {"k": "[secret]"}], "other": "ba"})
        );
        assert!(!r.value(&mut json!({"a": "b"})));
    }

    #[test]
    fn a_replacement_is_taken_literally() {
        let r = Redactor::replacing_with(&["tok3n"], "{{secret}}$1");
        assert_eq!(r.text("/a/tok3n/b"), "/a/{{secret}}$1/b");
    }

    #[test]
    fn a_long_token_still_compiles() {
        let token = "aB3-_.~".repeat(400);
        let r = Redactor::new(&[token.as_str()]);
        assert!(r.pattern.is_some());
        assert_eq!(r.text(&format!("<{token}>")), "<[secret]>");
    }
}
