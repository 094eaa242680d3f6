//! Answers that keep the spec's contract: a success body that validates
//! against the declared response (the stored item, else the declared
//! example, else one made from the schema), with the declared content type;
//! and errors in a declared status and the shape of the declared error
//! schema (or `default`), never a status the spec does not declare when it
//! declares one that fits.

use serde_json::{Map, Value, json};

use super::synth::{self, Fill};
use crate::media_type::is_json;
use crate::mock::reply::Reply;
use crate::spec::{MediaType, Operation, Response, StatusKey};

/// The operation's first declared success status (200 when it declares none by code).
pub fn success_status(op: &Operation) -> u16 {
    op.responses
        .iter()
        .find_map(|r| match r.status {
            StatusKey::Code(c) if r.status.is_success() => Some(c),
            _ => None,
        })
        .unwrap_or(200)
}

/// The answer `status` with `body` when it fits the declared response,
/// else the declared example, else a body made from the schema.
pub fn success(doc: &Value, op: &Operation, status: u16, body: Option<Value>) -> Reply {
    let Some(declared) = op.response_for(status) else {
        return body.map_or_else(|| Reply::empty(status), |b| Reply::json(status, b));
    };
    shaped(doc, declared, status, body)
}

/// The body of `declared` for `status`: `body` when it validates, else the example, else made.
fn shaped(doc: &Value, declared: &Response, status: u16, body: Option<Value>) -> Reply {
    let Some(media) = media(declared) else {
        return Reply::empty(status);
    };
    if !is_json(&media.media_type) {
        let text = first_example(media)
            .and_then(|e| e.as_str().map(str::to_string))
            .unwrap_or_default();
        return Reply::text(status, text);
    }
    let Some(schema) = &media.schema else {
        return Reply::json(
            status,
            body.or_else(|| first_example(media)).unwrap_or(json!({})),
        );
    };
    // An item where the answer is a list of them (the 2.0 petstore's `GET /pets/{petId}`).
    let listed = body.as_ref().filter(|b| b.is_object()).map(|b| json!([b]));
    let candidates = body
        .into_iter()
        .chain(listed)
        .chain(media.examples.iter().map(|e| e.value.clone()));
    for candidate in candidates {
        if schema.is_valid(&candidate) {
            return Reply::json(status, candidate);
        }
    }
    Reply::json(status, synth::value(doc, &schema.source, Fill::All))
}

/// The media type answered: the first JSON one declared, else the first one.
fn media(declared: &Response) -> Option<&MediaType> {
    declared
        .content
        .iter()
        .find(|m| is_json(&m.media_type))
        .or_else(|| declared.content.first())
}

fn first_example(media: &MediaType) -> Option<Value> {
    media.examples.first().map(|e| e.value.clone())
}

/// The status an error answers: `wanted` when the spec declares it (by
/// code, range or `default`), else the declared 4xx code nearest to it,
/// else `wanted` (nothing declared fits).
pub fn error_status(op: &Operation, wanted: u16) -> u16 {
    if op.response_for(wanted).is_some() {
        return wanted;
    }
    op.responses
        .iter()
        .filter_map(|r| match r.status {
            StatusKey::Code(c @ 400..=499) => Some(c),
            _ => None,
        })
        .min_by_key(|c| c.abs_diff(wanted))
        .unwrap_or(wanted)
}

/// An error for `wanted` (or the status that fits it) in the declared
/// error shape, carrying `message` (and `field`) where the schema has a
/// place for them.
pub fn error(
    doc: &Value,
    op: &Operation,
    wanted: u16,
    message: &str,
    field: Option<&str>,
) -> Reply {
    let status = error_status(op, wanted);
    let Some(declared) = op.response_for(status) else {
        return Reply::json(status, json!({"message": message}));
    };
    let schema = media(declared).and_then(|m| m.schema.as_ref());
    let Some(schema) = schema.filter(|_| media(declared).is_some_and(|m| is_json(&m.media_type)))
    else {
        return shaped(doc, declared, status, Some(json!({"message": message})));
    };
    let mut body = synth::value(doc, &schema.source, Fill::All);
    let shape = synth::resolved(doc, &schema.source);
    if let Value::Object(fields) = &mut body {
        fill_in(fields, &shape, status, message, field, |b| {
            schema.is_valid(b)
        });
    }
    shaped(doc, declared, status, Some(body))
}

/// Puts the message, the field and the status in the properties named for them, each kept only
/// when the body still validates.
fn fill_in(
    fields: &mut Map<String, Value>,
    shape: &Value,
    status: u16,
    message: &str,
    field: Option<&str>,
    valid: impl Fn(&Value) -> bool,
) {
    let Some(properties) = shape.get("properties").and_then(Value::as_object) else {
        return;
    };
    for name in properties.keys() {
        let value = match name.to_ascii_lowercase().as_str() {
            "message" | "msg" | "detail" | "error" | "description" | "reason" | "title" => {
                json!(message)
            }
            "field" => field.map_or(Value::Null, |f| json!(f)),
            "code" | "status" | "statuscode" | "status_code" => json!(status),
            _ => continue,
        };
        let before = fields.insert(name.clone(), value);
        if !valid(&Value::Object(fields.clone())) {
            match before {
                Some(old) => fields.insert(name.clone(), old),
                None => fields.remove(name),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Catalog;
    use std::path::PathBuf;

    fn user_spec(name: &str) -> Catalog {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name);
        Catalog::load(&[path]).expect("spec loads")
    }

    #[test]
    fn an_undeclared_error_status_becomes_the_nearest_declared_one() {
        let catalog = user_spec("tests/corpus/swagger-petstore-3.0.yaml");
        let (_, update) = catalog.operation("updatePetWithForm").unwrap();
        assert_eq!(error_status(update, 400), 400);
        // `default` answers any status.
        assert_eq!(error_status(update, 404), 404);
        let (_, get) = catalog.operation("getPetById").unwrap();
        assert_eq!(error_status(get, 404), 404);
    }

    #[test]
    fn errors_take_the_declared_error_schema_with_the_message_in_it() {
        let catalog = user_spec("tests/corpus/oai-petstore-expanded-3.0.json");
        let (spec, find) = catalog.operation("find pet by id").unwrap();
        let reply = error(&spec.document.value, find, 404, "no pet 7", None);
        assert_eq!(reply.status, 404);
        let crate::mock::reply::ReplyBody::Json(body) = reply.body else {
            panic!("{reply:?}")
        };
        assert_eq!(body, json!({"code": 404, "message": "no pet 7"}));
    }
}
