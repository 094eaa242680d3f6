//! A response's OpenAPI `links`: which operation a client may call next and
//! where each of its parameters comes from (this exchange's request or
//! response, or a literal). vouch evaluates a small set of runtime
//! expressions (`$response.body#/ptr`, `$response.header.X`,
//! `$request.path.x`, `$request.query.x`, `$request.body#/ptr`); any other
//! is skipped with a warning, and so is a link whose target is not an
//! operation of the same document.

use serde_json::Value;

use super::Operation;
use super::document::child_pointer;
use super::locate::local_target;

/// A link a response declares.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The link's name (its key under `links`).
    pub name: String,
    /// The operation it leads to.
    pub target: LinkTarget,
    /// The linked operation's parameters by name (a location qualifier such
    /// as `path.` removed), in document order; unsupported ones left out.
    pub parameters: Vec<(String, Expression)>,
    /// The linked operation's body, if the link gives one.
    pub request_body: Option<Expression>,
    /// JSON pointer of the Link Object (after `$ref`).
    pub pointer: String,
}

/// How a link names its operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// `operationId`.
    OperationId(String),
    /// A local `operationRef`, as the JSON pointer it decodes to (`/paths/~1a/get`).
    OperationRef(String),
}

impl std::fmt::Display for LinkTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkTarget::OperationId(id) => write!(f, "operationId `{id}`"),
            LinkTarget::OperationRef(pointer) => write!(f, "operationRef `#{pointer}`"),
        }
    }
}

/// Where a link's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Expression {
    /// `$response.body#/ptr`: the value at a JSON pointer of the answer's body.
    ResponseBody(String),
    /// `$response.header.X`: an answer header.
    ResponseHeader(String),
    /// `$request.path.x`: a path parameter of the request.
    RequestPath(String),
    /// `$request.query.x`: a query parameter of the request.
    RequestQuery(String),
    /// `$request.body#/ptr`: the value at a JSON pointer of the request's body.
    RequestBody(String),
    /// A constant.
    Literal(Value),
}

/// What the runtime expressions vouch reads are, for messages.
const SUPPORTED: &str = "vouch reads $response.body#/…, $response.header.…, \
                         $request.path.…, $request.query.…, $request.body#/… and literals";

impl Expression {
    /// Reads a link's parameter or body value: a runtime expression (bare
    /// or as the whole of a `{…}` string), else a literal.
    pub fn parse(value: &Value) -> Result<Expression, String> {
        let Value::String(text) = value else {
            return Ok(Expression::Literal(value.clone()));
        };
        let braced = text
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .filter(|t| t.starts_with('$') && !t.contains(['{', '}']));
        if let Some(expression) = braced.or_else(|| text.starts_with('$').then_some(text.as_str()))
        {
            return Expression::runtime(expression);
        }
        if text.contains("{$") {
            return Err(format!(
                "`{text}` embeds a runtime expression in text, which vouch does not evaluate ({SUPPORTED})"
            ));
        }
        Ok(Expression::Literal(value.clone()))
    }

    /// One runtime expression, `$` included.
    fn runtime(text: &str) -> Result<Expression, String> {
        let named = |prefix: &str| text.strip_prefix(prefix).filter(|n| !n.is_empty());
        let pointer = |prefix: &str| {
            let rest = text.strip_prefix(prefix)?;
            let pointer = rest.strip_prefix('#').unwrap_or(rest);
            (pointer.is_empty() || pointer.starts_with('/'))
                .then(|| local_target(&format!("#{pointer}")))?
        };
        let parsed = if let Some(p) = pointer("$response.body") {
            Expression::ResponseBody(p)
        } else if let Some(p) = pointer("$request.body") {
            Expression::RequestBody(p)
        } else if let Some(n) = named("$response.header.") {
            Expression::ResponseHeader(n.to_string())
        } else if let Some(n) = named("$request.path.") {
            Expression::RequestPath(n.to_string())
        } else if let Some(n) = named("$request.query.") {
            Expression::RequestQuery(n.to_string())
        } else {
            return Err(format!(
                "`{text}` is a runtime expression vouch does not evaluate ({SUPPORTED})"
            ));
        };
        Ok(parsed)
    }
}

/// The operation `target` names among `operations`.
pub(super) fn find<'o>(operations: &'o [Operation], target: &LinkTarget) -> Option<&'o Operation> {
    operations.iter().find(|op| match target {
        LinkTarget::OperationId(id) => op.has_declared_id && op.id == *id,
        LinkTarget::OperationRef(pointer) => {
            let written = child_pointer(
                &child_pointer("/paths", &op.path),
                &op.method.as_str().to_ascii_lowercase(),
            );
            op.pointer == *pointer || written == *pointer
        }
    })
}

/// A link parameter's name without its location qualifier (`path.id` -> `id`).
fn parameter_name(key: &str) -> &str {
    ["path.", "query.", "header.", "cookie."]
        .iter()
        .find_map(|q| key.strip_prefix(q))
        .unwrap_or(key)
}

/// Reads the Link Object `link` (named `name`, at `pointer`); `warn` gets
/// what is skipped, with the pointer of the field. `None` when the link
/// names no operation vouch can find in this document.
pub(super) fn read(
    name: &str,
    link: &Value,
    pointer: &str,
    warn: &mut dyn FnMut(&str, String),
) -> Option<Link> {
    let target = match (link.get("operationId"), link.get("operationRef")) {
        (Some(Value::String(id)), _) => LinkTarget::OperationId(id.clone()),
        (_, Some(Value::String(reference))) => match local_target(reference) {
            Some(p) if p.starts_with("/paths/") => LinkTarget::OperationRef(p),
            _ => {
                warn(
                    &child_pointer(pointer, "operationRef"),
                    format!(
                        "link `{name}`: operationRef `{reference}` is not an operation of this \
                         document (`#/paths/…`); vouch does not follow it"
                    ),
                );
                return None;
            }
        },
        _ => {
            warn(
                pointer,
                format!(
                    "link `{name}` names no operationId or operationRef; vouch does not follow it"
                ),
            );
            return None;
        }
    };
    let mut parameters = Vec::new();
    let given = link.get("parameters").and_then(Value::as_object);
    for (key, value) in given.into_iter().flatten() {
        let at = child_pointer(&child_pointer(pointer, "parameters"), key);
        match Expression::parse(value) {
            Ok(e) => parameters.push((parameter_name(key).to_string(), e)),
            Err(why) => warn(
                &at,
                format!("link `{name}`, parameter `{key}`: {why}; skipped"),
            ),
        }
    }
    let request_body = link.get("requestBody").and_then(|body| {
        Expression::parse(body)
            .map_err(|why| {
                let at = child_pointer(pointer, "requestBody");
                warn(&at, format!("link `{name}`, requestBody: {why}; skipped"));
            })
            .ok()
    });
    Some(Link {
        name: name.to_string(),
        target,
        parameters,
        request_body,
        pointer: pointer.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case::response_body("$response.body#/ref", Expression::ResponseBody("/ref".into()))]
    #[case::response_body_whole("$response.body", Expression::ResponseBody(String::new()))]
    #[case::braced("{$response.body#/data/id}", Expression::ResponseBody("/data/id".into()))]
    #[case::escaped("$response.body#/a~1b", Expression::ResponseBody("/a~1b".into()))]
    #[case::header("$response.header.Location", Expression::ResponseHeader("Location".into()))]
    #[case::path("$request.path.code", Expression::RequestPath("code".into()))]
    #[case::query("$request.query.page", Expression::RequestQuery("page".into()))]
    #[case::request_body("$request.body#/name", Expression::RequestBody("/name".into()))]
    #[case::text("dog", Expression::Literal(json!("dog")))]
    fn a_supported_expression_is_read(#[case] text: &str, #[case] want: Expression) {
        assert_eq!(Expression::parse(&json!(text)), Ok(want));
    }

    #[test]
    fn a_non_string_is_a_literal() {
        let body = json!({"name": "Rex", "age": 4});
        assert_eq!(
            Expression::parse(&body),
            Ok(Expression::Literal(body.clone()))
        );
    }

    #[rstest]
    #[case::url("$url")]
    #[case::status("$statusCode")]
    #[case::request_header("$request.header.X-Id")]
    #[case::embedded("/pets/{$response.body#/id}")]
    #[case::bad_pointer("$response.body#id")]
    fn an_unsupported_expression_is_refused_naming_what_vouch_reads(#[case] text: &str) {
        let why = Expression::parse(&json!(text)).expect_err(text);
        assert!(why.contains(text) && why.contains("vouch reads"), "{why}");
    }

    #[test]
    fn an_unsupported_parameter_is_skipped_with_a_warning_at_its_field() {
        let link = json!({
            "operationRef": "#/paths/~1pets~1{id}/get",
            "parameters": {"path.id": "$response.body#/id", "trace": "$url"},
        });
        let mut warnings = Vec::new();
        let read = read("Get", &link, "/l", &mut |at, why| {
            warnings.push((at.to_string(), why))
        });
        let link = read.expect("the link is kept");
        assert_eq!(
            link.target,
            LinkTarget::OperationRef("/paths/~1pets~1{id}/get".into())
        );
        assert_eq!(
            link.parameters,
            vec![("id".to_string(), Expression::ResponseBody("/id".into()))]
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].0, "/l/parameters/trace");
    }

    #[test]
    fn an_operation_ref_to_another_document_is_not_followed() {
        let link = json!({"operationRef": "other.yaml#/paths/~1a/get"});
        let mut warnings = Vec::new();
        let read = read("Other", &link, "/l", &mut |at, why| {
            warnings.push((at.to_string(), why))
        });
        assert_eq!(read, None);
        assert_eq!(warnings[0].0, "/l/operationRef");
    }
}
