//! URL query strings, shared by the mock (reading requests) and the runner
//! (splitting a step's inline query), decoded by `form_urlencoded`.

/// Decodes a query string into pairs (`+` is a space).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case("", &[])]
    #[case("a=1&b=two+words", &[("a", "1"), ("b", "two words")])]
    #[case("flag&&x=%2Fpath%3F", &[("flag", ""), ("x", "/path?")])]
    #[case("k=1&k=2", &[("k", "1"), ("k", "2")])]
    #[case("bad=%ZZ%", &[("bad", "%ZZ%")])]
    #[case("emoji=%F0%9F%98%80", &[("emoji", "\u{1F600}")])]
    fn decodes(#[case] query: &str, #[case] want: &[(&str, &str)]) {
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(parse_query(query), want);
    }
}
