//! Media types (`Content-Type` values), parsed with the `mime` crate in one
//! place: the checks, the mock's request validation, the spec's response
//! lookup and the fidelity comparison all ask here.

use mime::Mime;

/// The essence of a `Content-Type` value, lower case and without
/// parameters: `application/json` for `Application/JSON; charset=utf-8`.
/// Text `mime` rejects is cut at its first `;`, trimmed and lower-cased.
pub fn essence(content_type: &str) -> String {
    match content_type.trim().parse::<Mime>() {
        Ok(m) => m.essence_str().to_ascii_lowercase(),
        Err(_) => content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    }
}

/// Whether a media type is JSON (`application/json`, `application/problem+json`, ...).
pub fn is_json(media_type: &str) -> bool {
    media_type.trim().parse::<Mime>().is_ok_and(|m| {
        m.type_() == mime::APPLICATION
            && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
    })
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case("application/json", "application/json")]
    #[case("Application/JSON; charset=utf-8", "application/json")]
    #[case(" text/plain ;q=1", "text/plain")]
    #[case("garbage", "garbage")]
    #[case("", "")]
    fn essences(#[case] content_type: &str, #[case] want: &str) {
        assert_eq!(essence(content_type), want);
    }

    #[rstest]
    #[case("application/json", true)]
    #[case("application/problem+json", true)]
    #[case("Application/JSON; charset=utf-8", true)]
    #[case("application/xml", false)]
    #[case("text/json", false)]
    #[case("application/jsonx", false)]
    #[case("json", false)]
    fn json_types(#[case] media_type: &str, #[case] json: bool) {
        assert_eq!(is_json(media_type), json);
    }
}
