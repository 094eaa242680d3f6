//! Secret redaction, the one place for it. A [`Redactor`] replaces every
//! credential value in text and in parsed JSON (strings and object keys),
//! whatever form a target wrote it in: as it is, JSON-escaped (`\u0054`,
//! `\/`, surrogate pairs), percent-encoded (`%54`, `+` for a space) or as an
//! HTML character reference (`&#84;`, `&#x54;`), any character of it in any
//! of these forms; and in the forms a credential travels in: HTTP basic's
//! base64 of `user:password`, and the password alone.
//!
//! Redaction is for rendering only. The runner checks and the fidelity
//! comparison compare the real values; an outcome is redacted once, when it
//! is complete and before any reporter sees it. So a secret is redacted
//! wherever it appears, however short: replacing too much can make a report
//! harder to read but can no longer change a verdict, and showing a secret
//! is never acceptable. (A one-letter token turns "TCP" into "[secret]CP" in
//! a report, but the step compared "TCP" with "TCP".)

use std::borrow::Cow;

use memchr::memmem;
use serde_json::Value;

use crate::spec::security::secret_forms;

/// What replaces a secret.
pub const SECRET: &str = "[secret]";

/// Replaces a set of secrets, in every escaped form, with a fixed text.
///
/// It decodes the text once (JSON `\uXXXX` and `\/`, `%XX`, `&#N;` and
/// `&#xH;`; `+` and a space are taken as the same character), searches the
/// decoded text for the secrets as they are (and JSON-escaped whole, for a
/// secret holding `"` or `\`), and replaces the stretch of the original
/// text each match came from. Plain substring search: a token of several
/// kilobytes (Huawei's IAM tokens) costs no more than a short one.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// The secrets and their JSON-escaped forms, `+` as a space, longest first.
    forms: Vec<Vec<u8>>,
    /// What a match becomes.
    replacement: String,
}

impl Redactor {
    /// A redactor replacing `secrets` (empty ones ignored) with [`SECRET`].
    pub fn new<S: AsRef<str>>(secrets: &[S]) -> Redactor {
        Redactor::replacing_with(secrets, SECRET)
    }

    /// A redactor replacing `secrets` (empty ones ignored) with `replacement`.
    /// Each secret is also replaced in the forms a credential travels in
    /// ([`secret_forms`]: HTTP basic's base64, a `user:password`'s password).
    pub fn replacing_with<S: AsRef<str>>(secrets: &[S], replacement: &str) -> Redactor {
        Redactor {
            forms: Vec::new(),
            replacement: replacement.to_string(),
        }
        .with(secrets)
    }

    /// This redactor, also replacing `secrets` (empty ones ignored).
    pub fn with<S: AsRef<str>>(&self, secrets: &[S]) -> Redactor {
        let mut forms: Vec<Vec<u8>> = secrets
            .iter()
            .map(AsRef::as_ref)
            .filter(|s| !s.is_empty())
            .flat_map(|s| std::iter::once(s.to_string()).chain(secret_forms(s)))
            .flat_map(|s| {
                let quoted = serde_json::to_string(&s).unwrap_or_default();
                let escaped = quoted.get(1..quoted.len() - 1).unwrap_or_default();
                [escaped.to_string(), s]
            })
            .map(|s| s.replace('+', " ").into_bytes())
            .chain(self.forms.iter().cloned())
            .collect();
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        forms.dedup();
        Redactor {
            forms,
            replacement: self.replacement.clone(),
        }
    }

    /// Whether this redactor has no secret to replace.
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// Whether `text` holds a secret in any form.
    pub fn finds(&self, text: &str) -> bool {
        if self.is_empty() {
            return false;
        }
        let decoded = Decoded::of(text);
        self.forms
            .iter()
            .any(|f| memmem::find(&decoded.bytes, f).is_some())
    }

    /// `text` with every secret, in any form, replaced.
    pub fn text(&self, text: &str) -> String {
        self.replaced(text).unwrap_or_else(|| text.to_string())
    }

    /// Redacts `text` in place; whether anything was replaced.
    pub fn string(&self, text: &mut String) -> bool {
        match self.replaced(text) {
            Some(redacted) => {
                *text = redacted;
                true
            }
            None => false,
        }
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
                for (mut key, mut v) in std::mem::take(map) {
                    found |= self.string(&mut key);
                    found |= self.value(&mut v);
                    map.insert(key, v);
                }
                found
            }
            _ => false,
        }
    }

    /// `text` redacted, or `None` when it holds no secret.
    fn replaced(&self, text: &str) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let decoded = Decoded::of(text);
        let stretches = self.stretches(&decoded.bytes);
        if stretches.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut done = 0;
        for (start, end) in stretches {
            let (start, end) = decoded.source(start, end, text);
            out.push_str(&text[done..start.max(done)]);
            if end > done {
                out.push_str(&self.replacement);
                done = end;
            }
        }
        out.push_str(&text[done..]);
        Some(out)
    }

    /// Where the secrets are in `bytes`, overlapping matches merged, in order.
    fn stretches(&self, bytes: &[u8]) -> Vec<(usize, usize)> {
        let mut found: Vec<(usize, usize)> = self
            .forms
            .iter()
            .flat_map(|f| memmem::find_iter(bytes, f).map(move |s| (s, s + f.len())))
            .collect();
        found.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(found.len());
        for (start, end) in found {
            match merged.last_mut() {
                Some(last) if start < last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        merged
    }
}

/// `text` with every non-empty secret replaced by [`SECRET`] where it
/// appears as it is. For text from the client of the built-in mock, where a
/// [`Redactor`] per request would cost more than it protects; use a
/// [`Redactor`] for anything a target answered.
pub fn redact<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    secrets
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| !s.is_empty())
        .fold(text.to_string(), |t, s| t.replace(s, SECRET))
}

/// A text with its escapes decoded, and where each decoded byte came from.
struct Decoded<'t> {
    /// The decoded bytes, `+` as a space.
    bytes: Cow<'t, [u8]>,
    /// For each decoded byte, the offset in the text of the escape (or
    /// character) it came from; `None` when the text has nothing to decode.
    starts: Option<Vec<usize>>,
}

impl<'t> Decoded<'t> {
    fn of(text: &'t str) -> Decoded<'t> {
        let s = text.as_bytes();
        if !s.iter().any(|b| matches!(b, b'\\' | b'%' | b'&' | b'+')) {
            return Decoded {
                bytes: Cow::Borrowed(s),
                starts: None,
            };
        }
        let mut bytes = Vec::with_capacity(s.len());
        let mut starts = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            let (decoded, len) = match escape_at(s, i) {
                Some((decoded, len)) => (Cow::Owned(decoded), len),
                None => (Cow::Borrowed(&s[i..=i]), 1),
            };
            for &b in decoded.iter() {
                bytes.push(if b == b'+' { b' ' } else { b });
                starts.push(i);
            }
            i += len;
        }
        Decoded {
            bytes: Cow::Owned(bytes),
            starts: Some(starts),
        }
    }

    /// The stretch of `text` that decoded bytes `start..end` came from:
    /// whole escapes, whole characters.
    fn source(&self, start: usize, end: usize, text: &str) -> (usize, usize) {
        let (mut from, mut to) = match &self.starts {
            None => (start, end),
            Some(starts) => {
                let mut end = end;
                while end < starts.len() && starts[end] == starts[end - 1] {
                    end += 1;
                }
                (
                    starts[start],
                    starts.get(end).copied().unwrap_or(text.len()),
                )
            }
        };
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        while !text.is_char_boundary(to) {
            to += 1;
        }
        (from, to)
    }
}

/// The bytes an escape at `s[i..]` stands for and its length, if one starts there.
fn escape_at(s: &[u8], i: usize) -> Option<(Vec<u8>, usize)> {
    let hex = |from: usize, n: usize| -> Option<u32> {
        let digits = s.get(from..from + n)?;
        let text = std::str::from_utf8(digits).ok()?;
        u32::from_str_radix(text, 16)
            .ok()
            .filter(|_| digits.iter().all(u8::is_ascii_hexdigit))
    };
    let utf8 = |c: char| c.encode_utf8(&mut [0; 4]).as_bytes().to_vec();
    match (s[i], s.get(i + 1)) {
        (b'\\', Some(b'u')) => {
            let unit = hex(i + 2, 4)?;
            if let Some(c) = char::from_u32(unit) {
                return Some((utf8(c), 6));
            }
            // A surrogate pair: \uD83D\uDE00.
            let low = (s.get(i + 6..i + 8) == Some(b"\\u"))
                .then(|| hex(i + 8, 4))
                .flatten()?;
            let c = char::decode_utf16([unit as u16, low as u16]).next()?.ok()?;
            Some((utf8(c), 12))
        }
        (b'\\', Some(b'/')) => Some((vec![b'/'], 2)),
        (b'%', _) => Some((vec![u8::try_from(hex(i + 1, 2)?).ok()?], 3)),
        (b'&', Some(b'#')) => {
            let end = i + s
                .get(i..(i + 12).min(s.len()))?
                .iter()
                .position(|&b| b == b';')?;
            let digits = std::str::from_utf8(&s[i + 2..end]).ok()?;
            let code = match digits.strip_prefix(['x', 'X']) {
                Some(h) => u32::from_str_radix(h, 16).ok()?,
                None => digits.parse().ok()?,
            };
            Some((utf8(char::from_u32(code)?), end + 1 - i))
        }
        _ => None,
    }
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
    fn only_the_escaped_stretch_is_replaced_and_text_around_is_kept_whole() {
        let r = Redactor::new(&["Tok"]);
        assert_eq!(
            r.text(r#"{"é":"\u0054ok","b":"x%54oké"}"#),
            r#"{"é":"[secret]","b":"x[secret]é"}"#
        );
        assert_eq!(r.text("ééé%C3"), "ééé%C3");
    }

    #[test]
    fn a_basic_credential_is_replaced_as_base64_and_its_password_alone() {
        let r = Redactor::new(&["ann:pa55word"]);
        assert_eq!(
            r.text("Basic YW5uOnBhNTV3b3Jk; echo pa55word; user ann"),
            "Basic [secret]; echo [secret]; user ann"
        );
        let bare = Redactor::new(&["tok3n"]);
        let sent = crate::spec::security::basic_header("tok3n");
        assert_eq!(bare.text(&sent), "Basic [secret]");
    }

    #[test]
    fn more_secrets_join_the_ones_a_redactor_has() {
        let r = Redactor::new(&["abc"]).with(&["Bearer hand-written"]);
        assert_eq!(r.text("abc, Bearer hand-written"), "[secret], [secret]");
    }

    #[test]
    fn a_token_of_kilobytes_is_found() {
        let token = "aB3-_.~".repeat(2000);
        let r = Redactor::new(&[token.as_str()]);
        assert_eq!(r.text(&format!("<{token}>")), "<[secret]>");
    }
}
