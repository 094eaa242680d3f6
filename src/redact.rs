//! Secret redaction: every credential value is replaced by [`SECRET`]
//! before text reaches an exchange, a journal, a snapshot or a report.

/// What replaces a secret.
pub const SECRET: &str = "[secret]";

/// `text` with every non-empty secret replaced by [`SECRET`].
pub fn redact<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    secrets
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| !s.is_empty())
        .fold(text.to_string(), |t, s| t.replace(s, SECRET))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_is_replaced_and_empty_ones_are_ignored() {
        assert_eq!(
            redact("token=abc&key=xyz&abc", &["abc", "", "xyz"]),
            "token=[secret]&key=[secret]&[secret]"
        );
        assert_eq!(redact("nothing here", &[] as &[&str]), "nothing here");
    }
}
