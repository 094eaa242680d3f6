//! An incoming request, decoded against its operation: path, query and
//! header parameters coerced to their schema types and validated, and the
//! body parsed and validated. A broken rule is a [`RequestProblem`] that the
//! vendor module turns into that vendor's own error answer.

use axum::http::HeaderMap;
use serde_json::Value;

use crate::media_type;
use crate::spec::security::Presented;
use crate::spec::{Method, Operation, Parameter, ParameterLocation, PathParams, Schema, Spec};

/// The largest request body the mock reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A request routed to an operation.
#[derive(Debug)]
pub struct MockRequest<'c> {
    /// The operation the request was routed to.
    pub operation: &'c Operation,
    /// The spec the operation belongs to.
    pub spec: &'c Spec,
    /// HTTP method of the request.
    pub method: Method,
    /// The path as sent (percent-encoded).
    pub path: &'c str,
    /// Path parameters, decoded, in template order.
    pub path_params: PathParams<'c, 'c>,
    /// Query pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The request headers as received.
    pub headers: &'c HeaderMap,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
}

/// One way a request breaks its operation's rules.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestProblem {
    /// A required parameter was not sent.
    MissingParameter {
        /// Parameter name as in the spec.
        name: String,
        /// Where the parameter should have been (path, query, header, cookie).
        location: ParameterLocation,
    },
    /// A parameter's value breaks its schema.
    InvalidParameter {
        /// Parameter name as in the spec.
        name: String,
        /// Where the parameter was sent.
        location: ParameterLocation,
        /// The value as sent (repeated values joined with `,`).
        value: String,
        /// Why it is invalid: the schema violation's message.
        reason: String,
    },
    /// The operation requires a body and none was sent.
    MissingBody,
    /// The body exceeds [`MAX_BODY_BYTES`].
    BodyTooLarge,
    /// The body could not be read to its end (the client went away mid-body).
    BodyUnreadable {
        /// Why reading stopped.
        reason: String,
    },
    /// The body's `Content-Type` is not one the operation declares.
    UnsupportedContentType {
        /// The `Content-Type` sent (empty when none).
        found: String,
    },
    /// The body is declared JSON but does not parse.
    MalformedJson {
        /// The JSON parser's error message.
        reason: String,
    },
    /// The body breaks its schema; `field` is the last token of `pointer`
    /// (or the missing property), `keyword` the JSON Schema keyword that
    /// failed (`required`, `type`, `enum`, `minLength`, ...), `value` the
    /// offending value (absent for a missing property).
    InvalidBody {
        /// JSON pointer of the offending value in the body (`""` for the whole body).
        pointer: String,
        /// The property the problem is about (empty when there is none).
        field: String,
        /// The JSON Schema keyword that failed (`required`, `type`, ...).
        keyword: String,
        /// The offending value; `None` for a missing property.
        value: Option<Box<Value>>,
        /// For a `type` problem: the JSON types the schema expects.
        expected: Box<[&'static str]>,
        /// The schema violation's message.
        reason: String,
    },
}

impl RequestProblem {
    /// The field (parameter or body property) the problem is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            RequestProblem::MissingParameter { name, .. }
            | RequestProblem::InvalidParameter { name, .. } => Some(name),
            RequestProblem::InvalidBody { field, .. } if !field.is_empty() => Some(field),
            _ => None,
        }
    }

    /// A sentence naming the field and what is wrong.
    pub fn message(&self) -> String {
        match self {
            RequestProblem::MissingParameter { name, location } => {
                format!("{} parameter `{name}` is required", location.as_str())
            }
            RequestProblem::InvalidParameter {
                name,
                value,
                reason,
                ..
            } => format!("parameter `{name}` has an invalid value `{value}`: {reason}"),
            RequestProblem::MissingBody => "a request body is required".into(),
            RequestProblem::BodyTooLarge => {
                format!("the request body exceeds {MAX_BODY_BYTES} bytes")
            }
            RequestProblem::BodyUnreadable { reason } => {
                format!("the request body could not be read: {reason}")
            }
            RequestProblem::UnsupportedContentType { found } => {
                format!("content type `{found}` is not supported; send application/json")
            }
            RequestProblem::MalformedJson { reason } => {
                format!("the body is not valid JSON: {reason}")
            }
            RequestProblem::InvalidBody {
                pointer, reason, ..
            } if pointer.is_empty() => format!("the body is invalid: {reason}"),
            RequestProblem::InvalidBody {
                pointer, reason, ..
            } => format!("body field `{pointer}` is invalid: {reason}"),
        }
    }
}

impl<'c> MockRequest<'c> {
    /// A path parameter's decoded value.
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.path_params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_ref())
    }

    /// The first value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header's value, if it is valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A field of the JSON body.
    pub fn body_field(&self, name: &str) -> Option<&Value> {
        self.json.as_ref().and_then(|b| b.get(name))
    }
}

impl Presented for MockRequest<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        MockRequest::header(self, name)
    }

    fn query(&self, name: &str) -> Option<&str> {
        self.query_param(name)
    }
}

/// Checks the parameters, in declaration order; the first problem wins, as on real servers.
pub fn check_parameters(req: &MockRequest<'_>) -> Option<RequestProblem> {
    req.operation
        .parameters
        .iter()
        .find_map(|p| check_parameter(req, p))
}

fn check_parameter(req: &MockRequest<'_>, p: &Parameter) -> Option<RequestProblem> {
    let raw: Vec<&str> = match p.location {
        ParameterLocation::Path => req.path_param(&p.name).into_iter().collect(),
        ParameterLocation::Query => req
            .query
            .iter()
            .filter(|(k, _)| *k == p.name)
            .map(|(_, v)| v.as_str())
            .collect(),
        ParameterLocation::Header => req
            .headers
            .get_all(p.name.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect(),
        ParameterLocation::Cookie => Vec::new(),
    };
    if raw.is_empty() {
        return p.required.then(|| RequestProblem::MissingParameter {
            name: p.name.clone(),
            location: p.location,
        });
    }
    let schema = p.schema.as_ref().filter(|s| !s.accepts_any_text())?;
    let value = coerce(schema, &raw, p.explode);
    if schema.is_valid(&value) {
        return None;
    }
    let violation = schema.violations(&value).into_iter().next()?;
    Some(RequestProblem::InvalidParameter {
        name: p.name.clone(),
        location: p.location,
        value: raw.join(","),
        reason: violation.message,
    })
}

/// Turns parameter text into the JSON value its schema describes, so that
/// `?limit=10` validates as the integer 10 and `?limit=ten` fails as a string.
pub fn coerce(schema: &Schema, raw: &[&str], explode: bool) -> Value {
    match schema.json_type() {
        Some("array") => {
            let items: Vec<&str> = if explode && raw.len() > 1 {
                raw.to_vec()
            } else {
                raw.iter().flat_map(|r| r.split(',')).collect()
            };
            let item_type = schema.source.pointer("/items/type").and_then(Value::as_str);
            Value::Array(items.into_iter().map(|i| scalar(item_type, i)).collect())
        }
        // A 64-bit format bounds the integer: longer digits stay text (and fail as such).
        Some("integer")
            if matches!(
                schema.source.get("format").and_then(Value::as_str),
                Some("int32" | "int64")
            ) =>
        {
            raw[0]
                .parse::<i64>()
                .map_or_else(|_| Value::String(raw[0].to_string()), Value::from)
        }
        t => scalar(t, raw[0]),
    }
}

fn scalar(json_type: Option<&str>, raw: &str) -> Value {
    let text = || Value::String(raw.to_string());
    match json_type {
        Some("integer") => raw
            .parse::<i64>()
            .map(Value::from)
            .ok()
            .or_else(|| big_integer(raw))
            .unwrap_or_else(text),
        Some("number") => raw
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(text),
        Some("boolean") => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => text(),
        },
        _ => text(),
    }
}

/// An integer too long for 64 bits (a 25-digit id) where the schema sets
/// no 64-bit format: still an integer, as JSON reads it (a double without a
/// fraction).
fn big_integer(raw: &str) -> Option<Value> {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
}

/// Parses and checks the body. Returns the parsed JSON (if any) or the problem.
pub fn check_body(
    op: &Operation,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Option<Value>, RequestProblem> {
    let Some(declared) = &op.request_body else {
        // Bodies the operation does not take are ignored, as servers do.
        return Ok(serde_json::from_slice(body).ok());
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return if declared.required {
            Err(RequestProblem::MissingBody)
        } else {
            Ok(None)
        };
    }
    let media = match content_type {
        // No Content-Type: read it as the first declared type.
        None => declared.content.first(),
        Some(ct) => {
            let essence = media_type::essence(ct);
            declared.content.iter().find(|m| {
                m.media_type.eq_ignore_ascii_case(&essence)
                    || (media_type::is_json(&m.media_type) && media_type::is_json(&essence))
            })
        }
    };
    let Some(media) = media else {
        return Err(RequestProblem::UnsupportedContentType {
            found: content_type.unwrap_or_default().to_string(),
        });
    };
    let value: Value = if media.media_type.eq_ignore_ascii_case(FORM) {
        form_object(media.schema.as_ref(), body)
    } else if media_type::is_json(&media.media_type) {
        serde_json::from_slice(body).map_err(|e| RequestProblem::MalformedJson {
            reason: e.to_string(),
        })?
    } else {
        return Ok(None);
    };
    if let Some(schema) = &media.schema
        && !schema.is_valid(&value)
        && let Some(v) = schema.violations(&value).into_iter().next()
    {
        let missing = match v.keyword.as_str() {
            "required" => v.properties.into_iter().next(),
            _ => None,
        };
        let offending = missing
            .is_none()
            .then(|| value.pointer(&v.instance_pointer).cloned().map(Box::new))
            .flatten();
        return Err(RequestProblem::InvalidBody {
            field: missing.unwrap_or_else(|| last_token(&v.instance_pointer)),
            pointer: v.instance_pointer,
            keyword: v.keyword,
            value: offending,
            expected: v.expected_types.into_boxed_slice(),
            reason: v.message,
        });
    }
    Ok(Some(value))
}

/// The form media type, whose bodies are read as objects.
const FORM: &str = "application/x-www-form-urlencoded";

/// A form body as the object its schema describes: each field coerced to
/// its property's type (repeated fields make an array), an object-typed
/// field read as JSON when it is JSON.
fn form_object(schema: Option<&Schema>, body: &[u8]) -> Value {
    let mut fields: Vec<(String, Vec<String>)> = Vec::new();
    for (key, value) in form_urlencoded::parse(body) {
        match fields.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => values.push(value.into_owned()),
            None => fields.push((key.into_owned(), vec![value.into_owned()])),
        }
    }
    let object = fields
        .into_iter()
        .map(|(key, values)| {
            let property = schema.and_then(|s| s.source.get("properties")?.get(&key));
            (key.clone(), form_value(property, &values))
        })
        .collect();
    Value::Object(object)
}

/// One form field's values as the JSON value its property schema describes.
fn form_value(property: Option<&Value>, values: &[String]) -> Value {
    let json_type = property.and_then(|p| p.get("type")).and_then(Value::as_str);
    let raw: Vec<&str> = values.iter().map(String::as_str).collect();
    match json_type {
        Some("array") => {
            let item_type = property
                .and_then(|p| p.pointer("/items/type"))
                .and_then(Value::as_str);
            Value::Array(raw.iter().map(|r| scalar(item_type, r)).collect())
        }
        None if property.is_some_and(|p| p.get("$ref").is_some()) => json_or_text(raw[0]),
        Some("object") => json_or_text(raw[0]),
        _ => scalar(json_type, raw[0]),
    }
}

fn json_or_text(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()))
}

/// The last token of a JSON pointer, unescaped (`""` for the whole document).
fn last_token(pointer: &str) -> String {
    pointer
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .replace("~1", "/")
        .replace("~0", "~")
}
